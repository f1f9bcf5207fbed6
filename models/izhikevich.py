"""Izhikevich (2004) neuron: float64 reference, fixed-point rule and the 20-panel protocol runner.

Float reference (exactly the protocol of Izhikevich's figure1.m, one step ``k`` at ``t = k*dt``,
``k = 0 .. round(tmax/dt)``)::

    I  = stimulus(t)                                         panel's input schedule (below)
    v += dt * (0.04 v^2 + 5 v + 140 - u + I)                 panels G, L: 0.04 v^2 + 4.1 v + 108
    u += dt * a * (b v - u)                                  uses the new v; panel R: dt*a*b*(v+65)
    if v > 30:  spike at step k;  v = c;  u += d

Fixed point (:func:`izhikevich_step`, one rule for numpy and Amaranth). ``v`` and ``u`` are signed
``STATE_BITS``-bit integers in units of ``2**-FRAC_BITS`` mV (Q9.F: range +-512 mV). The input is
fed pre-multiplied by ``dt``: ``i_dt = round(dt * I * 2**F)``. Every coefficient is a constant
rounded to ``COEF_BITS`` fraction bits (``K``); products are floored by arithmetic shift::

    vsq   = (v * v) >> F                                     v^2, Q.F
    dv    = ((A2*vsq + A1*v - AU*u) >> K) + A0 + i_dt        A2 = dt*0.04, A1 = dt*5 (4.1), AU = dt
                                                             (all * 2**K); A0 = dt*140 (108) * 2**F
    v1    = clamp(v + dv)                                    saturate to STATE_BITS
    u1    = clamp(u + ((BV*v1 - BU*u + B0) >> K))            BV = dt*a*b, BU = dt*a; R: BU = 0,
                                                             B0 = dt*a*b*65 * 2**(F+K)
    fire  = v1 > VPEAK                                       VPEAK = 30 * 2**F
    v'    = C if fire else v1                                C = c * 2**F
    u'    = clamp(u1 + D) if fire else u1                    D = d * 2**F

Why these widths (measured, see docs/dynamics.md): 19 of the 20 panels match the float reference
already at F = 20, K = 28, but panel H (class 2 excitable: a slow ramp through an Andronov-Hopf
bifurcation) is ill-conditioned. Adding uniform noise of 1e-10 mV per step to the *float* model
moves its spikes by up to 5 steps (1e-12 mV: none), and the coefficient rounding acts like a
parameter change of 2**-K relative. F = 40 (1e-12 mV) and K = 52 are the narrowest tried where
panel H (and all others) keep every spike on the float step (shift 0); F = 32..40 with K <= 48 leave
shifts of 2..5 steps. So v and u are 50-bit registers and v*v a 50x50 multiplier. Intermediates
exceed int64, so the numpy model runs on Python-int object arrays when the widths need it
(:func:`model_dtype`); narrower widths given as arguments run on int64.
"""

import csv
import math
from dataclasses import dataclass
from importlib import resources

import numpy as np

from neuroxide.errors import ParameterError

from .fixedpoint import NUMPY, signed_range
from .layout import StateField, StateLayout

__all__ = ["PANELS", "FRAC_BITS", "COEF_BITS", "STATE_BITS", "IzhikevichProtocol", "IzhikevichCoeffs",
           "load_protocols", "model_dtype", "panel_inputs", "max_abs_error_mv", "stimulus_current", "run_float",
           "coeffs_for", "stimulus_fixed", "state_layout", "input_layout", "izhikevich_step", "izhikevich_dv_sum",
           "izhikevich_v1", "izhikevich_du_sum", "izhikevich_reset", "run_fixed", "compare_spikes", "run_panels",
           "check_panels"]

FRAC_BITS = 40       # F: fraction bits of v, u and the input (units of 2**-40 mV)
COEF_BITS = 52       # K: fraction bits of every coefficient
STATE_BITS = FRAC_BITS + 10   # sign + 9 integer bits: +-512 mV
V_PEAK_MV = 30.0

PANELS = tuple("ABCDEFGHIJKLMNOPQRST")


@dataclass(frozen=True)
class IzhikevichProtocol:
    """One panel of the 2004 figure: parameters, initial state, time step and duration (ms)."""

    panel: str
    behaviour: str
    a: float
    b: float
    c: float
    d: float
    v0: float
    u0: float
    dt_ms: float
    tmax_ms: float
    stimulus: str

    @property
    def steps(self):
        """Number of Euler steps: t = 0, dt, ..., tmax (inclusive, as ``0:dt:tmax``)."""
        return int(round(self.tmax_ms / self.dt_ms)) + 1

    @property
    def times_ms(self):
        return np.arange(self.steps) * self.dt_ms

    @property
    def quadratic(self):
        """(linear coefficient, constant) of dv: (4.1, 108) for panels G and L, else (5, 140)."""
        return (4.1, 108.0) if self.panel in "GL" else (5.0, 140.0)


def load_protocols():
    """``{panel: IzhikevichProtocol}`` from models/data/izhikevich2004_protocols.csv."""
    text = resources.files("neuroxide.models").joinpath("data/izhikevich2004_protocols.csv").read_text()
    out = {}
    for row in csv.DictReader(text.splitlines()):
        b, v0 = float(row["b"]), float(row["v0"])
        u0 = b * v0 if row["u0"].strip() == "b*v0" else float(row["u0"])
        out[row["panel"]] = IzhikevichProtocol(
            panel=row["panel"], behaviour=row["behaviour"], a=float(row["a"]), b=b, c=float(row["c"]),
            d=float(row["d"]), v0=v0, u0=u0, dt_ms=float(row["dt_ms"]), tmax_ms=float(row["tmax_ms"]),
            stimulus=row["stimulus"])
    return out


def _pulses(t, starts, width):
    on = np.zeros_like(t, dtype=bool)
    for s in starts:
        on |= (t > s) & (t < s + width)
    return on


def stimulus_current(panel, t):
    """Input current I(t) of ``panel`` at times ``t`` (ms), as in figure1.m (strict comparisons)."""
    t = np.asarray(t, dtype=np.float64)
    z = np.zeros_like(t)
    if panel == "A":
        return np.where(t > 10, 14.0, z)
    if panel == "B":
        return np.where(t > 20, 0.5, z)
    if panel == "C":
        return np.where(t > 22, 15.0, z)
    if panel == "D":
        return np.where(t > 20, 0.6, z)
    if panel == "E":
        return np.where(t > 16, 10.0, z)
    if panel == "F":
        return np.where(t > 8.5, 30.0, z)
    if panel == "G":
        return np.where(t > 30, 0.075 * (t - 30), z)
    if panel == "H":
        return np.where(t > 30, -0.5 + 0.015 * (t - 30), -0.5 + z)
    if panel == "I":
        return np.where((t > 10) & (t < 13), 7.04, z)
    if panel == "J":
        return np.where((t > 20) & (t < 25), 2.0, z)
    if panel == "K":  # T1 = tmax/10, T2 = T1+20, T3 = 0.7 tmax, T4 = T3+40
        return np.where(_pulses(t, (40.0, 60.0, 280.0, 320.0), 4.0), 0.65, z)
    if panel == "L":  # T1 = tmax/11, T2 = T1+5, T3 = 0.7 tmax, T4 = T3+10
        t1 = 100.0 / 11
        return np.where(_pulses(t, (t1, t1 + 5, 70.0, 80.0), 2.0), 9.0, z)
    if panel in "MN":
        return np.where((t > 20) & (t < 25), -15.0, z)
    if panel == "O":
        return np.where(((t > 10) & (t < 15)) | ((t > 80) & (t < 85)), 1.0,
                        np.where((t > 70) & (t < 75), -6.0, z))
    if panel == "P":  # T1 = tmax/8, T2 = 216
        return np.where(_pulses(t, (37.5, 216.0), 5.0), 1.24, 0.24 + z)
    if panel == "Q":
        return np.where(np.abs(t - 10) < 1, 20.0, z)
    if panel == "R":
        return np.where(t < 200, t / 25, np.where(t < 300, z, np.where(t < 312.5, (t - 300) / 12.5 * 4, z)))
    if panel in "ST":
        return np.where((t > 50) & (t < 250), 75.0, 80.0 + z)
    raise ParameterError("panel", panel, "A..T")


def run_float(proto):
    """Float64 reference run of one panel -> ``(v_trace, u_trace, spike_steps)``.

    ``v_trace[k]`` is v after step k (30 on a spike step, as in the figure), ``spike_steps`` the
    steps ``k`` on which v exceeded 30 mV.
    """
    p = proto
    lin, const = p.quadratic
    current = stimulus_current(p.panel, p.times_ms)
    v, u = p.v0, p.u0
    vs = np.empty(p.steps)
    us = np.empty(p.steps)
    spikes = []
    for k in range(p.steps):
        v = v + p.dt_ms * (0.04 * v * v + lin * v + const - u + current[k])
        if p.panel == "R":
            u = u + p.dt_ms * p.a * (p.b * (v + 65))
        else:
            u = u + p.dt_ms * p.a * (p.b * v - u)
        if v > V_PEAK_MV:
            spikes.append(k)
            vs[k] = V_PEAK_MV
            v = p.c
            u = u + p.d
        else:
            vs[k] = v
        us[k] = u
    return vs, us, np.array(spikes, dtype=np.int64)


# fixed point ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class IzhikevichCoeffs:
    """Integer constants of one panel's fixed-point rule (see module docstring)."""

    a2: int
    a1: int
    au: int
    a0: int
    bv: int
    bu: int
    b0: int
    v_peak: int
    c: int
    d: int
    v_init: int
    u_init: int

    def as_dict(self):
        return dict(self.__dict__)


def _q(x, bits):
    return int(round(x * (1 << bits)))


def coeffs_for(proto, frac_bits=FRAC_BITS, coef_bits=COEF_BITS):
    """Round the panel's float constants to the fixed-point coefficients (round to nearest)."""
    p, F, K = proto, frac_bits, coef_bits
    lin, const = p.quadratic
    if p.panel == "R":
        bv, bu, b0 = _q(p.dt_ms * p.a * p.b, K), 0, _q(p.dt_ms * p.a * p.b * 65, F + K)
    else:
        bv, bu, b0 = _q(p.dt_ms * p.a * p.b, K), _q(p.dt_ms * p.a, K), 0
    return IzhikevichCoeffs(
        a2=_q(p.dt_ms * 0.04, K), a1=_q(p.dt_ms * lin, K), au=_q(p.dt_ms, K), a0=_q(p.dt_ms * const, F),
        bv=bv, bu=bu, b0=b0, v_peak=_q(V_PEAK_MV, F), c=_q(p.c, F), d=_q(p.d, F),
        v_init=_q(p.v0, F), u_init=_q(p.u0, F))


def stimulus_fixed(proto, frac_bits=FRAC_BITS):
    """Input of every step, pre-multiplied by dt: ``round(dt * I(t_k) * 2**F)`` (int64 array)."""
    current = stimulus_current(proto.panel, proto.times_ms)
    return np.round(proto.dt_ms * current * (1 << frac_bits)).astype(np.int64)


def state_layout(state_bits=STATE_BITS):
    """State of one neuron, in the order :func:`izhikevich_step` takes and returns it."""
    return StateLayout(StateField("v", state_bits, signed=True, doc="membrane, units of 2**-frac_bits mV"),
                       StateField("u", state_bits, signed=True, doc="recovery, units of 2**-frac_bits mV"),
                       StateField("spike", 1, doc="fired on the step just taken"))


def input_layout(state_bits=STATE_BITS):
    """Input of one neuron per step."""
    return StateLayout(StateField("i_dt", state_bits, signed=True, doc="dt * I, units of 2**-frac_bits mV"))


def izhikevich_dv_sum(ops, k, v, u, frac_bits=FRAC_BITS):
    """Stage 1 of the rule: ``A2*((v*v) >> F) + A1*v - AU*u`` (before the shift by K)."""
    vsq = ops.let("vsq", (v * v) >> frac_bits)
    return k.a2 * vsq + k.a1 * v - k.au * u


def izhikevich_v1(ops, k, v, dv_sum, i_dt, coef_bits=COEF_BITS, state_bits=STATE_BITS):
    """Stage 2: ``v1 = clamp(v + (dv_sum >> K) + A0 + i_dt)``."""
    lo, hi = signed_range(state_bits)
    dv = ops.let("dv", (dv_sum >> coef_bits) + k.a0 + i_dt)
    return ops.clamp(v + dv, lo, hi)


def izhikevich_du_sum(ops, k, v1, u):
    """Stage 3: ``BV*v1 - BU*u + B0`` (before the shift by K)."""
    return k.bv * v1 - k.bu * u + k.b0


def izhikevich_reset(ops, k, v1, u, du_sum, coef_bits=COEF_BITS, state_bits=STATE_BITS):
    """Stage 4: ``u1 = clamp(u + (du_sum >> K))``, ``fire = v1 > VPEAK``, reset -> ``(v', u', fire)``."""
    lo, hi = signed_range(state_bits)
    u1 = ops.let("u1", ops.clamp(u + (du_sum >> coef_bits), lo, hi))
    fire = ops.let("fire", v1 > k.v_peak)
    v_next = ops.select(fire, k.c, v1)
    u_next = ops.select(fire, ops.clamp(u1 + k.d, lo, hi), u1)
    return v_next, u_next, fire


def izhikevich_step(ops, k, v, u, i_dt, frac_bits=FRAC_BITS, coef_bits=COEF_BITS, state_bits=STATE_BITS):
    """One Euler step of the fixed-point Izhikevich neuron -> ``(v', u', fire)``.

    ``k`` holds the coefficients (``IzhikevichCoeffs`` fields as ints, arrays or Amaranth values).
    The rule is the module docstring's, composed of four stage functions (which the pipelined RTL
    registers between); the only narrowing is the saturating clamp.
    """
    v = ops.let("v_in", v)
    u = ops.let("u_in", u)
    dv_sum = ops.let("dv_sum", izhikevich_dv_sum(ops, k, v, u, frac_bits))
    v1 = ops.let("v1", izhikevich_v1(ops, k, v, dv_sum, i_dt, coef_bits, state_bits))
    du_sum = ops.let("du_sum", izhikevich_du_sum(ops, k, v1, u))
    return izhikevich_reset(ops, k, v1, u, du_sum, coef_bits, state_bits)


def model_dtype(frac_bits=FRAC_BITS, coef_bits=COEF_BITS, state_bits=STATE_BITS):
    """int64 when every intermediate of :func:`izhikevich_step` fits 63 bits, else object (Python ints).

    Largest intermediates (bounded generously): ``v*v`` (2*state_bits bits), ``A2*vsq`` and
    ``BV*v1``, ``B0`` (about state_bits + coef_bits bits).
    """
    need = max(2 * state_bits, 2 * state_bits - frac_bits + coef_bits + 2, state_bits + coef_bits + 4)
    return np.int64 if need <= 62 else object


class _StackedCoeffs:
    """Coefficients of several panels as column arrays, for one vectorised run."""

    def __init__(self, coeff_list, dtype):
        for name in IzhikevichCoeffs.__dataclass_fields__:
            setattr(self, name, np.array([int(getattr(c, name)) for c in coeff_list], dtype=dtype))


def run_fixed(coeff_list, i_dt, frac_bits=FRAC_BITS, coef_bits=COEF_BITS, state_bits=STATE_BITS, initial=None):
    """Run ``n`` neurons (one per coefficient set) for ``steps`` steps on ``i_dt`` of shape (steps, n).

    ``initial``: optional ``(v, u)`` sequences overriding the coefficient sets' initial state.
    Returns ``{"v", "u": (steps, n) integers, "spike": (steps, n) bool}``: the state after each step.
    """
    dtype = model_dtype(frac_bits, coef_bits, state_bits)
    k = _StackedCoeffs(coeff_list, dtype)
    i_dt = np.asarray(i_dt).astype(dtype)
    steps, n = i_dt.shape
    v, u = k.v_init.copy(), k.u_init.copy()
    if initial is not None:
        v, u = (np.array([int(x) for x in initial[0]], dtype=dtype),
                np.array([int(x) for x in initial[1]], dtype=dtype))
    out = state_layout(state_bits).empty((steps, n), dtype)
    for t in range(steps):
        v, u, fire = izhikevich_step(NUMPY, k, v, u, i_dt[t], frac_bits, coef_bits, state_bits)
        out["v"][t], out["u"][t], out["spike"][t] = v, u, np.asarray(fire, dtype=bool)
    return out


def compare_spikes(float_steps, fixed_steps):
    """``(counts_equal, max_shift_steps)``: spike times are paired in order; None if counts differ."""
    float_steps, fixed_steps = np.asarray(float_steps), np.asarray(fixed_steps)
    if len(float_steps) != len(fixed_steps):
        return False, None
    if len(float_steps) == 0:
        return True, 0
    return True, int(np.max(np.abs(float_steps - fixed_steps)))


def check_panels(panels):
    """Validate a panel list (letters A..T) -> list of upper-case letters."""
    out = []
    for p in panels:
        if not isinstance(p, str) or p.upper() not in PANELS:
            raise ParameterError("panel", p, "A..T or all")
        out.append(p.upper())
    return out


def panel_inputs(panels, frac_bits=FRAC_BITS, coef_bits=COEF_BITS):
    """Coefficients and a (max_steps, n) input array for ``panels`` (zero input past a panel's end)."""
    protos = load_protocols()
    coeffs = [coeffs_for(protos[p], frac_bits, coef_bits) for p in panels]
    steps = max(protos[p].steps for p in panels)
    i_dt = np.zeros((steps, len(panels)), dtype=np.int64)
    for j, p in enumerate(panels):
        s = stimulus_fixed(protos[p], frac_bits)
        i_dt[:len(s), j] = s
    return protos, coeffs, i_dt


def run_panels(panels=PANELS, frac_bits=FRAC_BITS, coef_bits=COEF_BITS, state_bits=STATE_BITS):
    """Float reference and fixed-point model of each panel -> list of result dicts.

    Each dict: ``panel, behaviour, steps, spikes_float, spikes_fixed, max_shift_steps, match`` plus
    the spike step lists and traces (``float_v``, ``fixed_v`` in mV) for plotting.
    """
    panels = check_panels(panels)
    protos, coeffs, i_dt = panel_inputs(panels, frac_bits, coef_bits)
    fixed = run_fixed(coeffs, i_dt, frac_bits, coef_bits, state_bits)
    results = []
    for j, p in enumerate(panels):
        proto = protos[p]
        vf, _, sf = run_float(proto)
        n = proto.steps
        sx = np.flatnonzero(fixed["spike"][:n, j])
        equal, shift = compare_spikes(sf, sx)
        v_mv = np.array([int(x) for x in fixed["v"][:n, j]], dtype=np.float64) / float(1 << frac_bits)
        v_mv = np.where(fixed["spike"][:n, j], V_PEAK_MV, v_mv)
        results.append({
            "panel": p, "behaviour": proto.behaviour, "steps": n,
            "spikes_float": int(len(sf)), "spikes_fixed": int(len(sx)),
            "max_shift_steps": shift, "match": bool(equal and shift is not None and shift <= 1),
            "spike_steps_float": sf.tolist(), "spike_steps_fixed": sx.tolist(),
            "times_ms": proto.times_ms, "float_v": vf, "fixed_v": v_mv,
        })
    return results


def max_abs_error_mv(results):
    """Largest |v_float - v_fixed| (mV) over all steps of all given results (diagnostic)."""
    return max(float(np.max(np.abs(r["float_v"] - r["fixed_v"]))) for r in results) if results else math.nan
