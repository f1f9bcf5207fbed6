"""Hodgkin-Huxley neuron: float64 reference, fixed-point rule with lookup-table gating, stimulus set.

Float reference: the classic squid axon (Hodgkin & Huxley 1952, membrane potential V in mV with
rest near -65 mV), forward Euler with ``DT_MS = 0.01`` ms::

    C dV/dt = I - g_Na m^3 h (V - E_Na) - g_K n^4 (V - E_K) - g_L (V - E_L)
    dx/dt   = alpha_x(V) (1 - x) - beta_x(V) x                x in {m, h, n}
    C = 1 uF/cm^2, g_Na = 120, g_K = 36, g_L = 0.3 mS/cm^2, E_Na = 50, E_K = -77, E_L = -54.387 mV
    alpha_m = 0.1 (V+40) / (1 - exp(-(V+40)/10))      beta_m = 4 exp(-(V+65)/18)
    alpha_h = 0.07 exp(-(V+65)/20)                     beta_h = 1 / (1 + exp(-(V+35)/10))
    alpha_n = 0.01 (V+55) / (1 - exp(-(V+55)/10))     beta_n = 0.125 exp(-(V+65)/80)

All derivatives are taken at the old state (Euler); a spike is an upward crossing of 0 mV.

Fixed point (:func:`hh_step`, one rule for numpy and Amaranth). ``v`` is signed ``V_BITS`` in units
of ``2**-V_FRAC`` mV; ``m``, ``h``, ``n`` are unsigned ``G_FRAC + 1`` bits in units of ``2**-G_FRAC``
(1.0 = ``2**G_FRAC``). Gating uses lookup tables indexed by the membrane voltage at
``2**-LUT_FRAC`` mV resolution over ``[LUT_V_LO, LUT_V_LO + LUT_SIZE * 2**-LUT_FRAC)`` mV, each
entry evaluated at its bin centre::

    idx   = clamp((v - V_LO) >> (V_FRAC - LUT_FRAC), 0, LUT_SIZE - 1)        (:func:`hh_index`)
    T[i]  = round(dt alpha_x * 2**G_FRAC) (table a_x) or round(dt (alpha_x + beta_x) * 2**G_FRAC)
            (table b_x) at the bin's lower edge V_LO + i 2**-LUT_FRAC; slope table dT[i] = T[i+1] - T[i]
    A_x   = T[idx] + ((dT[idx] * frac) >> (V_FRAC - LUT_FRAC))                linear interpolation,
            frac = low bits of v - V_LO (0 outside the table)                  (:func:`hh_interp`)
    x'    = clamp(x + A_x - ((B_x * x) >> G_FRAC), 0, 2**G_FRAC)             exact Euler form
    gna   = (((m*m >> G) * m >> G) * h) >> G                                  m^3 h
    gk    = (((n*n >> G) * (n*n >> G)) >> G)                                   n^4
    dv    = i_dt - ((KNA*((gna*(v-ENA)) >> G) + KK*((gk*(v-EK)) >> G) + KL*(v-EL)) >> K)
    v'    = clamp(v + dv)                                                      saturate to V_BITS
    spike = v < 0 <= v'

with ``KNA = round(dt g_Na / C * 2**K)`` etc. and the input pre-multiplied: ``i_dt =
round(dt I / C * 2**V_FRAC)``. Rounding is floor (arithmetic shift) everywhere; nothing wraps.
The RTL reads the twelve tables from ROMs (block RAM) with a synchronous port, so a step takes two
cycles (index, then update); the arithmetic is this rule.

Why these widths (measured with :func:`compare`, see docs/dynamics.md): with piecewise-constant
tables (no interpolation) even 1/16 mV bins leave spike shifts of 3..9 steps on the ramp; linear
interpolation over 1/4 mV bins (640 entries) removes that. The gate increments dt*alpha are small
numbers (about 1e-4 per step), so their fraction width dominates: G_FRAC = 20 leaves shifts up to
18 steps, 24 one step with 0.24 mV RMSE, 28 gives RMSE <= 0.08 mV and every spike within one step.
V_FRAC = 20, K_BITS = 24: every product fits int64 (gate*gate < 2**57).
"""

from dataclasses import dataclass

import numpy as np

from neuroxide.errors import ParameterError

from .fixedpoint import NUMPY, signed_range
from .layout import StateField, StateLayout
from .prng import seed_for, xorshift32

__all__ = ["HHParams", "SQUID", "DT_MS", "V_FRAC", "G_FRAC", "K_BITS", "V_BITS", "LUT_FRAC", "LUT_V_LO",
           "LUT_SIZE", "HHFixed", "rates", "run_float", "hh_index", "hh_step", "HHModel", "STIMULI",
           "stimulus_set", "spike_steps", "compare", "NOISE_STREAM"]

DT_MS = 0.01
V_FRAC = 20          # v in units of 2**-20 mV
V_BITS = V_FRAC + 9  # +-256 mV
G_FRAC = 28          # gates in units of 2**-28
K_BITS = 24          # fraction bits of the conductance constants
LUT_FRAC = 2         # table resolution 2**-2 = 0.25 mV
LUT_V_LO = -100.0    # mV; table covers -100 .. +60 mV
LUT_SIZE = 640
NOISE_STREAM = 7     # prng stream id of the noisy stimulus


@dataclass(frozen=True)
class HHParams:
    """Classic squid-axon constants per cm^2 of membrane: capacitance in uF/cm^2, conductances in
    mS/cm^2 (millisiemens, spelled out: ``_ms`` is milliseconds everywhere), potentials in mV."""

    c_ufarad_per_cm2: float = 1.0
    g_na_msiemens_per_cm2: float = 120.0
    g_k_msiemens_per_cm2: float = 36.0
    g_l_msiemens_per_cm2: float = 0.3
    e_na_mv: float = 50.0
    e_k_mv: float = -77.0
    e_l_mv: float = -54.387
    v0_mv: float = -65.0


SQUID = HHParams()


def _vtrap(x, y):
    """x / (1 - exp(-x/y)) with its limit y at x = 0."""
    x = np.asarray(x, dtype=np.float64)
    small = np.abs(x / y) < 1e-6
    safe = np.where(small, 1.0, x)
    return np.where(small, y * (1 + x / (2 * y)), safe / (1 - np.exp(-safe / y)))


def rates(v_mv):
    """``{"m": (alpha, beta), "h": ..., "n": ...}`` in 1/ms at membrane voltages ``v_mv``."""
    v = np.asarray(v_mv, dtype=np.float64)
    return {
        "m": (0.1 * _vtrap(v + 40, 10.0), 4.0 * np.exp(-(v + 65) / 18)),
        "h": (0.07 * np.exp(-(v + 65) / 20), 1.0 / (1 + np.exp(-(v + 35) / 10))),
        "n": (0.01 * _vtrap(v + 55, 10.0), 0.125 * np.exp(-(v + 65) / 80)),
    }


def steady_state(v_mv):
    r = rates(v_mv)
    return {x: a / (a + b) for x, (a, b) in r.items()}


def run_float(current, p=SQUID, dt_ms=DT_MS):
    """Forward-Euler float64 HH on ``current`` (steps, n) in uA/cm^2 -> dict of (steps, n) traces
    ``v, m, h, n`` (state after each step) and ``spike`` (upward crossing of 0 mV on that step)."""
    current = np.atleast_2d(np.asarray(current, dtype=np.float64).T).T
    steps, count = current.shape
    ss = steady_state(p.v0_mv)
    v = np.full(count, p.v0_mv)
    m, h, n = (np.full(count, float(ss[x])) for x in "mhn")
    out = {k: np.empty((steps, count)) for k in ("v", "m", "h", "n")}
    out["spike"] = np.zeros((steps, count), dtype=bool)
    for t in range(steps):
        r = rates(v)
        i_ion = (p.g_na_msiemens_per_cm2 * m ** 3 * h * (v - p.e_na_mv)
                 + p.g_k_msiemens_per_cm2 * n ** 4 * (v - p.e_k_mv)
                 + p.g_l_msiemens_per_cm2 * (v - p.e_l_mv))
        v_new = v + dt_ms * (current[t] - i_ion) / p.c_ufarad_per_cm2
        m = m + dt_ms * (r["m"][0] * (1 - m) - r["m"][1] * m)
        h = h + dt_ms * (r["h"][0] * (1 - h) - r["h"][1] * h)
        n = n + dt_ms * (r["n"][0] * (1 - n) - r["n"][1] * n)
        out["spike"][t] = (v < 0) & (v_new >= 0)
        v = v_new
        out["v"][t], out["m"][t], out["h"][t], out["n"][t] = v, m, h, n
    return out


# fixed point ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class HHFixed:
    """Integer constants and lookup tables of the fixed-point HH neuron (module docstring)."""

    v_frac: int
    g_frac: int
    k_bits: int
    v_bits: int
    lut_frac: int
    lut_lo: int          # V_LO in v units
    lut_size: int
    k_na: int
    k_k: int
    k_l: int
    e_na: int
    e_k: int
    e_l: int
    v_init: int
    m_init: int
    h_init: int
    n_init: int
    tables: dict         # name -> tuple of ints: a_m, b_m, a_h, b_h, a_n, b_n

    TABLES = ("a_m", "b_m", "a_h", "b_h", "a_n", "b_n")  # each with a slope table "d" + name

    @property
    def one(self):
        return 1 << self.g_frac

    @property
    def table_bits(self):
        return max(max(t) for t in self.tables.values()).bit_length()

    @property
    def index_bits(self):
        return (self.lut_size - 1).bit_length()

    @property
    def state_layout(self):
        """State of one neuron, in the order :func:`hh_step` takes and returns it."""
        return StateLayout(StateField("v", self.v_bits, signed=True, doc="membrane, units of 2**-v_frac mV"),
                           *(StateField(g, self.g_frac + 1, doc=f"gate {g}, 1.0 = 2**g_frac") for g in "mhn"),
                           StateField("spike", 1, doc="0 mV crossed upward on the step just taken"))

    @property
    def input_layout(self):
        """Input of one neuron per step."""
        return StateLayout(StateField("i_dt", self.v_bits, signed=True, doc="dt * I / C, units of 2**-v_frac mV"))

    def __hash__(self):
        return id(self)


def make_fixed(p=SQUID, dt_ms=DT_MS, v_frac=V_FRAC, g_frac=G_FRAC, k_bits=K_BITS, lut_frac=LUT_FRAC,
               lut_v_lo=LUT_V_LO, lut_size=LUT_SIZE):
    """Round the float constants and tabulate the gating rates (bin centres) -> :class:`HHFixed`."""
    for name, value, lo, hi in (("v_frac", v_frac, 4, 24), ("g_frac", g_frac, 4, 30), ("k_bits", k_bits, 8, 32),
                                ("lut_frac", lut_frac, 0, min(v_frac, 6)), ("lut_size", lut_size, 16, 8192)):
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise ParameterError(name, value, f"{lo}..{hi}")
    res = 2.0 ** -lut_frac
    edges = lut_v_lo + np.arange(lut_size + 1) * res
    r = rates(edges)
    one = 1 << g_frac
    tables = {}
    for x in "mhn":
        alpha, beta = r[x]
        for name, values in ((f"a_{x}", dt_ms * alpha), (f"b_{x}", dt_ms * (alpha + beta))):
            q = np.round(values * one).astype(np.int64)
            tables[name] = tuple(int(e) for e in q[:-1])              # value at the bin's lower edge
            tables["d" + name] = tuple(int(e) for e in np.diff(q))    # rise to the next edge
    ss = steady_state(p.v0_mv)
    q = lambda x, bits: int(round(x * (1 << bits)))  # noqa: E731
    conductance = lambda bits: {f"k_{x}": q(dt_ms * g / p.c_ufarad_per_cm2, bits)  # noqa: E731
                                for x, g in (("na", p.g_na_msiemens_per_cm2), ("k", p.g_k_msiemens_per_cm2),
                                             ("l", p.g_l_msiemens_per_cm2))}
    k_g = conductance(k_bits)
    # the model runs on int64: |g * (v - E)| < 2**(g_frac + v_bits) and the current sum
    # < 3 * k_max * 2**v_bits must fit (the RTL is exact at any width; the model must be too)
    v_bits = v_frac + 9
    if g_frac + v_bits > 62:
        raise ParameterError("g_frac", g_frac, f"4..{62 - v_bits} at v_frac={v_frac} (g_frac + v_frac + 9 <= 62: "
                             "the fixed-point model computes in int64)")
    fits_int64 = lambda k: max(k.values()).bit_length() + v_bits + 2 <= 63  # noqa: E731
    if not fits_int64(k_g):
        fits = [b for b in range(8, k_bits) if fits_int64(conductance(b))]
        raise ParameterError("k_bits", k_bits, (f"8..{fits[-1]}" if fits else "none")
                             + f" at v_frac={v_frac} with these conductances (the largest dt*g/C constant times "
                             "2**(v_frac + 11) must fit int64, where the fixed-point model computes)")
    return HHFixed(
        v_frac=v_frac, g_frac=g_frac, k_bits=k_bits, v_bits=v_bits, lut_frac=lut_frac,
        lut_lo=q(lut_v_lo, v_frac), lut_size=lut_size, **k_g,
        e_na=q(p.e_na_mv, v_frac), e_k=q(p.e_k_mv, v_frac), e_l=q(p.e_l_mv, v_frac),
        v_init=q(p.v0_mv, v_frac), m_init=q(float(ss["m"]), g_frac), h_init=q(float(ss["h"]), g_frac),
        n_init=q(float(ss["n"]), g_frac), tables=tables)


def hh_index(ops, k, v):
    """Table index of membrane value ``v``: ``clamp((v - V_LO) >> (V_FRAC - LUT_FRAC), 0, size-1)``."""
    return ops.clamp((v - k.lut_lo) >> (k.v_frac - k.lut_frac), 0, k.lut_size - 1)


def hh_interp(ops, k, v, base, delta):
    """Linear interpolation inside a table bin: ``base + ((delta * frac) >> (V_FRAC - LUT_FRAC))``,
    ``frac`` the low ``V_FRAC - LUT_FRAC`` bits of ``v - V_LO`` (0 below/above the table's range)."""
    shift = k.v_frac - k.lut_frac
    offset = ops.let("lut_offset", v - k.lut_lo)
    inside = (offset >= 0) & (offset < (k.lut_size << shift))
    frac = ops.select(inside, offset & ((1 << shift) - 1), 0)
    return base + ((delta * frac) >> shift)


def hh_step(ops, k, v, m, h, n, look, i_dt):
    """One Euler step -> ``(v', m', h', n', spike)``; ``look`` maps table name (and "d" + name)
    -> the table entries at hh_index(v); the rates are interpolated linearly within the bin."""
    G = k.g_frac
    lo, hi = signed_range(k.v_bits)
    v = ops.let("v_in", v)
    look = {name: ops.let(f"rate_{name}", hh_interp(ops, k, v, look[name], look["d" + name]))
            for name in k.TABLES}
    m = ops.let("m_in", m)
    h = ops.let("h_in", h)
    n = ops.let("n_in", n)

    def gate(name, x):
        return ops.clamp(x + look[f"a_{name}"] - ((look[f"b_{name}"] * x) >> G), 0, k.one)

    m_next, h_next, n_next = gate("m", m), gate("h", h), gate("n", n)
    m2 = ops.let("m2", (m * m) >> G)
    gna = ops.let("gna", (((m2 * m) >> G) * h) >> G)
    n2 = ops.let("n2", (n * n) >> G)
    gk = ops.let("gk", (n2 * n2) >> G)
    i_na = ops.let("i_na", (gna * (v - k.e_na)) >> G)
    i_k = ops.let("i_k", (gk * (v - k.e_k)) >> G)
    i_ion = ops.let("i_ion", (k.k_na * i_na + k.k_k * i_k + k.k_l * (v - k.e_l)) >> k.k_bits)
    v_next = ops.let("v_next", ops.clamp(v + i_dt - i_ion, lo, hi))
    spike = (v < 0) & (v_next >= 0)
    return v_next, m_next, h_next, n_next, spike


class HHModel:
    """Vectorised fixed-point HH: ``run(i_dt)`` on (steps, n) integer inputs -> traces of the fields
    of ``k.state_layout``."""

    def __init__(self, k=None):
        self.k = make_fixed() if k is None else k
        self.tables = {name: np.array(t, dtype=np.int64) for name, t in self.k.tables.items()}

    def run(self, i_dt, initial=None):
        k = self.k
        i_dt = np.atleast_2d(np.asarray(i_dt, dtype=np.int64).T).T
        steps, count = i_dt.shape
        if initial is None:
            v, m, h, n = (np.full(count, x, dtype=np.int64) for x in (k.v_init, k.m_init, k.h_init, k.n_init))
        else:
            v, m, h, n = (np.asarray(x, dtype=np.int64).copy() for x in initial)
        out = k.state_layout.empty((steps, count))
        for t in range(steps):
            idx = hh_index(NUMPY, k, v)
            look = {name: table[idx] for name, table in self.tables.items()}
            state = hh_step(NUMPY, k, v, m, h, n, look, i_dt[t])
            for trace, value in zip(out.values(), state):
                trace[t] = value
            v, m, h, n, _ = state
        return out


def current_to_fixed(current, k, p=SQUID, dt_ms=DT_MS):
    """``round(dt I / C * 2**V_FRAC)`` of a current array in uA/cm^2."""
    return np.round(np.asarray(current) * dt_ms / p.c_ufarad_per_cm2 * (1 << k.v_frac)).astype(np.int64)


# the standard stimulus set --------------------------------------------------------------------

STIM_MS = 100.0

STIMULI = {
    "rest": "no input (the resting state must hold)",
    "step3": "3 uA/cm^2 step from 10 ms (below the repetitive-firing threshold: one spike or none)",
    "step7": "7 uA/cm^2 step from 10 ms (tonic firing)",
    "step15": "15 uA/cm^2 step from 10 ms",
    "step40": "40 uA/cm^2 step from 10 ms (fast firing)",
    "pulse": "1 ms pulses of 20 uA/cm^2 at 10, 30, 32 (refractory), 60 ms; 5 uA/cm^2 at 80 ms (subthreshold)",
    "ramp": "ramp 0 -> 20 uA/cm^2 over 100 ms",
    "noise": "8 uA/cm^2 + uniform noise +-10 uA/cm^2 held 0.1 ms (xorshift32, stream 7)",
}


def stimulus_set(names=None, steps=None, seed=1, dt_ms=DT_MS):
    """``(names, current)``: current (steps, len(names)) in uA/cm^2 of the standard stimuli."""
    names = list(STIMULI) if names is None else list(names)
    for name in names:
        if name not in STIMULI:
            raise ParameterError("stimulus", name, " | ".join(STIMULI))
    steps = int(round(STIM_MS / dt_ms)) if steps is None else steps
    t = np.arange(steps) * dt_ms
    cols = []
    for name in names:
        if name == "rest":
            cols.append(np.zeros(steps))
        elif name.startswith("step"):
            cols.append(np.where(t >= 10, float(name[4:]), 0.0))
        elif name == "pulse":
            i = np.zeros(steps)
            for start, amp in ((10, 20.0), (30, 20.0), (32, 20.0), (60, 20.0), (80, 5.0)):
                i[(t >= start) & (t < start + 1)] = amp
            cols.append(i)
        elif name == "ramp":
            cols.append(20.0 * t / STIM_MS)
        elif name == "noise":
            hold = max(1, int(round(0.1 / dt_ms)))
            state = seed_for(seed, NOISE_STREAM, 0)
            draws = []
            for _ in range(-(-steps // hold)):
                state = int(xorshift32(NUMPY, np.array([state], dtype=np.int64))[0])
                draws.append(state)
            u = (np.array(draws, dtype=np.float64) / 2.0 ** 32) * 2 - 1
            cols.append(8.0 + 10.0 * np.repeat(u, hold)[:steps])
    return names, np.stack(cols, axis=1)


def spike_steps(spike_column):
    return np.flatnonzero(spike_column)


def compare(names=None, steps=None, k=None, p=SQUID):
    """Float HH vs fixed-point HH on the stimulus set -> list of per-stimulus dicts:
    ``stimulus, rmse_mv, spikes_float, spikes_fixed, max_shift_steps`` and the traces."""
    k = make_fixed() if k is None else k
    names, current = stimulus_set(names, steps)
    ref = run_float(current, p)
    fixed = HHModel(k).run(current_to_fixed(current, k, p))
    v_fixed = fixed["v"] / float(1 << k.v_frac)
    rows = []
    for j, name in enumerate(names):
        sf, sx = spike_steps(ref["spike"][:, j]), spike_steps(fixed["spike"][:, j])
        shift = int(np.max(np.abs(sf - sx))) if len(sf) == len(sx) and len(sf) else (0 if len(sf) == len(sx) else None)
        rows.append({"stimulus": name, "rmse_mv": float(np.sqrt(np.mean((ref["v"][:, j] - v_fixed[:, j]) ** 2))),
                     "max_abs_mv": float(np.max(np.abs(ref["v"][:, j] - v_fixed[:, j]))),
                     "spikes_float": int(len(sf)), "spikes_fixed": int(len(sx)), "max_shift_steps": shift,
                     "spike_steps_float": sf.tolist(), "spike_steps_fixed": sx.tolist(),
                     "v_float": ref["v"][:, j], "v_fixed": v_fixed[:, j], "current": current[:, j]})
    return rows
