"""Waveform-faithful threshold-switch (TS) neuron: a two-phase fixed-point rule and its calibration.

The float device (:mod:`neuroxide.models.devices.threshold_switch`) charges toward
``V_off = k_off Vin`` with ``tau_off`` while the device is off, turns on when the node reaches
``V_th_node`` (a spike), then discharges toward ``V_on = k_on Vin`` with ``tau_on`` until the node
falls to ``V_hold_node``. This rule follows both phases, so the physical encoder (drive
proportional to ``Vin``) matches the device's rate, waveform and first-spike time; the LIF rule
(:mod:`neuroxide.models.lif`) can only fold the on phase into a fixed refractory hold.

One update rule, :func:`ts_step`, written once over the ops layer: numpy here, Amaranth gates in
``neuroxide.rtl.ts_neuron``. State (:attr:`TSNeuronParams.state_layout`): ``v`` (node voltage,
unsigned ``v_bits``), ``on`` (device phase, 1 bit), ``spike`` (1 bit); input ``x`` (unsigned
``in_bits``, ``x = round(Vin * scale)``). One step, in this order (``h = 2**(c_bits-1)``)::

    t_off  = (x * g_off) >> g_bits                     node asymptote, device off (V_off)
    t_on   = (x * g_on)  >> g_bits                     node asymptote, device on  (V_on)
    v_chg  = v + (((t_off - v) * c_off + h) >> c_bits)     exact exponential step, c = 1 - exp(-dt/tau)
    v_dis  = v + (((t_on  - v) * c_on  + h) >> c_bits)
    fire    = !on and v_chg >= v_th                    device turns on: a spike
    release =  on and v_dis <= v_hold                  device turns off
    -- sub-step: the switch happened a fraction s of the step before its end
    past   = on ? v_hold - v_dis : v_chg - v_th        how far the step went past the level
    span   = on ? v - v_dis      : v_chg - v           how far the whole step went
    frac   = min(floor(past * 2**sub_bits / span), 2**sub_bits - 1)    (restoring division,
             past clamped to 0..span, span to >= 1)                     sub_bits quotient bits)
    full   = on ? ((t_off - v_hold) * c_off + h) >> c_bits             one whole step of the new
              : ((t_on  - v_th)  * c_on  + h) >> c_bits                phase from the level
    v_sw   = (on ? v_hold : v_th) + ((full * frac) >> sub_bits)
    v'     = clamp(fire or release ? v_sw : (on ? v_dis : v_chg), 0, 2**v_bits - 1)
    on'    = on xor (fire or release);   spike' = fire

The sub-step correction restarts the new phase from the switching level, advanced by the part of
the step that lies past the crossing (linear interpolation within the step). Without it the node
runs on past each level for up to a step, and at turn-off (a discharge much steeper than the
charge) that costs up to ``dt * slope_on / slope_off`` per period: a few % of rate at 32 steps
per on phase, and a phase drift that ruins the waveform over 10 periods. With it, 8 steps per on
phase meet 0.4 % (docs/ts_neuron.md).

Rounding: ``+ h`` before the shift of the exponential steps (round half up; a floor would bias the
asymptote by ``1/(2c)`` LSB, hundreds of LSB at small ``c``); floor elsewhere. Overflow: the only
narrowing is the final clamp of ``v``; every intermediate is exact (int64 here, widened in gates).

:func:`calibrate_from_preset` maps a :class:`ThresholdSwitchPreset` to parameters:
``dt = min t_fire / steps_per_on`` (the on phase is the shortest feature), ``V_th_node`` at a
quarter of the ``v`` range, ``x`` full scale at twice ``vin_max``, and measures the f-V error, the
node-voltage RMSE and the first-spike time against the exact float model (:func:`fidelity`).
"""

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from neuroxide.errors import ParameterError, check_int

from .devices.presets import get_preset
from .devices.threshold_switch import ThresholdSwitchPreset, analytic_rate_hz, analytic_timing_s, simulate
from .fixedpoint import NUMPY, FixedPointParams, unsigned_range
from .layout import StateField, StateLayout

__all__ = ["TS_PARAM_DOCS", "TSNeuronParams", "TSNeuronState", "TSNeuronModel", "ts_step", "TSWidths",
           "TSCalibration", "calibrate_from_preset", "fidelity", "DEFAULT_STEPS_PER_ON", "PRODUCT_BITS"]

DEFAULT_STEPS_PER_ON = 12   # steps in the shortest on phase of the operating range: <= 0.3 % rate error
MIN_STEPS_PER_ON = 2        # below this the interpolation within a step is meaningless
PRODUCT_BITS = 62           # every product of the rule must fit in a signed int64 with a bit to spare
X_FULL_SCALE = 2.0          # x full scale = X_FULL_SCALE * vin_max_volt: headroom for drives above the range

TS_PARAM_DOCS = {
    "in_bits": "width of the drive x (unsigned, proportional to Vin)",
    "v_bits": "node voltage width (unsigned)",
    "g_bits": "fraction bits of the asymptote gains",
    "g_off": "V_off gain: t_off = (x * g_off) >> g_bits (LSB of v per LSB of x, x 2**g_bits)",
    "g_on": "V_on gain: t_on = (x * g_on) >> g_bits",
    "c_bits": "fraction bits of the per-step coefficients",
    "c_off": "(1 - exp(-dt/tau_off)) * 2**c_bits: charge step, device off",
    "c_on": "(1 - exp(-dt/tau_on)) * 2**c_bits: discharge step, device on",
    "v_th": "node turn-on level V_th_node (spike)",
    "v_hold": "node turn-off level V_hold_node",
    "sub_bits": "quotient bits of the sub-step crossing fraction",
}


@dataclass(frozen=True)
class TSNeuronParams(FixedPointParams):
    """Widths and constants of the two-phase TS neuron (module docstring, :data:`TS_PARAM_DOCS`).

    The defaults are a small stand-alone neuron (not a calibrated device); the ``ts-neuron`` design
    and the benchmark use :func:`calibrate_from_preset`.
    """

    in_bits: int = 12
    v_bits: int = 16
    g_bits: int = 12
    g_off: int = 40960      # t_off = 10 x: x = 1638 puts V_off at 4 v_th
    g_on: int = 4096        # t_on = x
    c_bits: int = 16
    c_off: int = 1024       # tau_off = 64 steps
    c_on: int = 8192        # tau_on = 8 steps
    v_th: int = 16384
    v_hold: int = 12000
    sub_bits: int = 6

    @property
    def in_max(self):
        return unsigned_range(self.in_bits)[1]

    @property
    def v_max(self):
        return unsigned_range(self.v_bits)[1]

    @property
    def state_layout(self):
        """State of one neuron, in the order :func:`ts_step` takes and returns it."""
        return StateLayout(
            StateField("v", self.v_bits, doc="node voltage"),
            StateField("on", 1, doc="device phase: 1 while the device conducts (discharging)"),
            StateField("spike", 1, doc="turned on during the step just taken"),
        )

    @property
    def input_layout(self):
        """Input of one neuron per step: the drive, proportional to Vin."""
        return StateLayout(StateField("x", self.in_bits, doc="drive, proportional to Vin"))

    def validate(self):
        self._check("in_bits", 1, 24)
        self._check("v_bits", 4, 32)
        self._check("g_bits", 0, 24)
        self._check("g_off", 0, (1 << 40) - 1)
        self._check("g_on", 0, (1 << 40) - 1)
        self._check("c_bits", 1, 30)
        self._check("c_off", 0, 1 << self.c_bits, f"a coefficient in 0..1 x 2**c_bits, c_bits={self.c_bits}")
        self._check("c_on", 0, 1 << self.c_bits, f"a coefficient in 0..1 x 2**c_bits, c_bits={self.c_bits}")
        self._check("v_th", 1, self.v_max, f"v_bits={self.v_bits}")
        self._check("v_hold", 0, self.v_th - 1, "the device must turn off below where it turns on")
        self._check("sub_bits", 1, 12)
        # every intermediate must be exact in int64: the largest |t - v| times 2**c_bits
        t_max = max(self.in_max * self.g_off, self.in_max * self.g_on) >> self.g_bits
        need = (max(t_max, self.v_max) + self.v_max).bit_length() + self.c_bits + 1
        if need > PRODUCT_BITS or (self.in_max * max(self.g_off, self.g_on)).bit_length() > PRODUCT_BITS:
            raise ParameterError("c_bits", self.c_bits, f"<= {self.c_bits - (need - PRODUCT_BITS)}",
                                 f"(asymptote - v) * c needs {need} bits; the rule keeps products within "
                                 f"{PRODUCT_BITS} (lower g_off/g_on, v_bits or c_bits)")


def _divide_fraction(ops, past, span, bits):
    """``min(floor(past * 2**bits / span), 2**bits - 1)`` for ``0 <= past <= span``, ``span >= 1``:
    ``bits`` rounds of restoring division (a compare and a subtract each)."""
    r, q = past, 0
    for i in range(bits):
        r2 = ops.let(f"div{i}_r2", r * 2)
        bit = ops.let(f"div{i}_bit", r2 >= span)
        r = ops.let(f"div{i}_r", ops.select(bit, r2 - span, r2))
        q = q * 2 + bit
    return q


def ts_step(ops, p, v, on, x):
    """One step of the rule (module docstring) on back end ``ops``: ``(v', on', spike)``.

    Four pipeline cuts (``ops.stage``; registers only under ``PipelinedOps``, as a time-multiplexed
    core would use it): after the asymptotes, after the constant multiplies of the two exponential
    steps, after the switching decision, after the crossing fraction.
    """
    half = 1 << (p.c_bits - 1)
    t_off = ops.let("t_off", (x * p.g_off) >> p.g_bits)
    t_on = ops.let("t_on", (x * p.g_on) >> p.g_bits)
    v, on, t_off, t_on = ops.stage(v, on, t_off, t_on)
    v_chg = ops.let("v_chg", v + (((t_off - v) * p.c_off + half) >> p.c_bits))
    v_dis = ops.let("v_dis", v + (((t_on - v) * p.c_on + half) >> p.c_bits))
    full_rise = ops.let("full_rise", ((t_off - p.v_hold) * p.c_off + half) >> p.c_bits)
    full_drop = ops.let("full_drop", ((t_on - p.v_th) * p.c_on + half) >> p.c_bits)
    v, on, v_chg, v_dis, full_rise, full_drop = ops.stage(v, on, v_chg, v_dis, full_rise, full_drop)
    fire = ops.let("fire", ~on & (v_chg >= p.v_th))
    release = ops.let("release", on & (v_dis <= p.v_hold))
    switch = ops.let("switch", fire | release)
    span = ops.let("span", ops.clamp(ops.select(on, v - v_dis, v_chg - v), 1, 1 << (p.v_bits + 1)))
    past = ops.let("past", ops.clamp(ops.select(on, p.v_hold - v_dis, v_chg - p.v_th), 0, span))
    full = ops.let("full", ops.select(on, full_rise, full_drop))
    v_run = ops.let("v_run", ops.select(on, v_dis, v_chg))
    on, fire, switch, span, past, full, v_run = ops.stage(on, fire, switch, span, past, full, v_run)
    frac = ops.let("frac", _divide_fraction(ops, past, span, p.sub_bits))
    on, fire, switch, full, v_run, frac = ops.stage(on, fire, switch, full, v_run, frac)
    v_sw = ops.let("v_sw", ops.select(on, p.v_hold, p.v_th) + ((full * frac) >> p.sub_bits))
    v_next = ops.clamp(ops.select(switch, v_sw, v_run), 0, p.v_max)
    on_next = on ^ switch
    return v_next, on_next, fire


# one attribute per field of TSNeuronParams.state_layout
TSNeuronState = TSNeuronParams().state_layout.record(
    "TSNeuronState", "Full state: ``v``, ``on`` (bool), ``spike`` (bool), each of the model's shape.", __name__)


class TSNeuronModel:
    """Vectorised fixed-point two-phase TS neurons (the golden model); ``shape`` neurons."""

    def __init__(self, params=None, shape=1):
        self.params = params if params is not None else TSNeuronParams()
        self.shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        self.reset()

    def reset(self):
        self.state = TSNeuronState(**self.params.state_layout.initial(self.shape))

    def run(self, x):
        """Run ``len(x)`` steps on drives ``x`` of shape ``(steps, *shape)`` (broadcast).

        Returns ``{field: array (steps, *shape)}`` of the state after every step.
        """
        p = self.params
        x = np.asarray(x)
        if x.dtype.kind not in "iub":
            raise ParameterError("x", x.dtype.name, "integer arrays")
        x = np.broadcast_to(x.astype(np.int64), (x.shape[0], *self.shape))
        if x.size and (x.min() < 0 or x.max() > p.in_max):
            bad = int(x.min()) if x.min() < 0 else int(x.max())
            raise ParameterError("x", bad, f"0..{p.in_max} (in_bits={p.in_bits})")
        steps = x.shape[0]
        out = p.state_layout.empty((steps, *self.shape))
        v, on = self.state.v.astype(np.int64), self.state.on.astype(bool)
        for t in range(steps):
            v, on, spike = ts_step(NUMPY, p, v, on, x[t])
            out["v"][t], out["on"][t], out["spike"][t] = v, on, spike
        if steps:
            self.state = TSNeuronState(*(trace[-1].copy() for trace in out.values()))
        return out


# ------------------------------------------------------------------------------------------------
# calibration from a device preset

@dataclass(frozen=True)
class TSWidths:
    """Bit widths of a calibrated TS neuron (see :class:`TSNeuronParams`)."""

    in_bits: int = 18       # drive x: Vin resolution X_FULL_SCALE * vin_max / 2**18
    v_bits: int = 24        # node voltage: V_th_node at 2**22
    g_bits: int = 16
    c_bits: int = 28        # c_off of ag-hfalox at 12 steps per on phase is ~170,000 counts
    sub_bits: int = 6

    def __post_init__(self):
        limits = {"in_bits": (4, 24), "v_bits": (8, 32), "g_bits": (0, 24), "c_bits": (8, 30), "sub_bits": (1, 12)}
        for name, (lo, hi) in limits.items():
            check_int(name, getattr(self, name), lo, hi)


@dataclass(frozen=True, eq=False)
class TSCalibration:
    """Calibrated parameters of one preset, the scales that relate them to volts and seconds."""

    preset: ThresholdSwitchPreset
    params: TSNeuronParams
    dt_s: float
    scale_v_lsb_per_volt: float     # v = V_node * scale_v
    scale_x_lsb_per_volt: float     # x = round(Vin * scale_x): the physical encoder

    def encode(self, vin_volt):
        """The drive ``x`` of ``Vin`` (proportional, rounded); ParameterError outside 0..x full scale."""
        vin = np.asarray(vin_volt, dtype=float)
        x = np.floor(vin * self.scale_x_lsb_per_volt + 0.5)
        if not np.all(np.isfinite(vin)) or (vin.size and (np.min(vin) < 0 or np.max(x) > self.params.in_max)):
            raise ParameterError("vin_volt", vin.tolist() if vin.ndim else float(vin),
                                 f"0..{self.params.in_max / self.scale_x_lsb_per_volt:.4g} V (x full scale)")
        return x.astype(np.int64)

    def to_dict(self):
        return {"preset": self.preset.name, "dt_s": self.dt_s, "scale_v_lsb_per_volt": self.scale_v_lsb_per_volt,
                "scale_x_lsb_per_volt": self.scale_x_lsb_per_volt, "params": dataclasses.asdict(self.params)}


def calibrate_from_preset(preset, steps_per_on=DEFAULT_STEPS_PER_ON, widths=None):
    """Parameters of the two-phase rule for ``preset`` (a name or a :class:`ThresholdSwitchPreset`).

    ``dt = min(t_fire) / steps_per_on`` over the operating range; ``v_th = 2**(v_bits-2)`` (V_th_node),
    ``v_hold = round(V_hold_node * scale_v)``; ``x`` full scale at ``X_FULL_SCALE * vin_max``;
    ``g = round(k * scale_v / scale_x * 2**g_bits)``; ``c = round((1 - exp(-dt/tau)) * 2**c_bits)``.
    """
    p = get_preset(preset) if isinstance(preset, str) else preset
    if not isinstance(p, ThresholdSwitchPreset):
        raise ParameterError("preset", type(preset).__name__, "a preset name or a ThresholdSwitchPreset")
    w = TSWidths() if widths is None else widths
    if not isinstance(w, TSWidths):
        raise ParameterError("widths", type(widths).__name__, "a TSWidths")
    if isinstance(steps_per_on, bool) or not isinstance(steps_per_on, (int, float)) \
            or not MIN_STEPS_PER_ON <= steps_per_on <= 4096:
        raise ParameterError("steps_per_on", steps_per_on, f"{MIN_STEPS_PER_ON}..4096")
    vins = np.linspace(p.vin_min_volt, p.vin_max_volt, 65)
    _, t_fire = analytic_timing_s(p, vins)
    dt = float(np.min(t_fire)) / steps_per_on
    v_th = 1 << (w.v_bits - 2)
    scale_v = v_th / p.node_v_th_volt
    x_max = (1 << w.in_bits) - 1
    scale_x = x_max / (X_FULL_SCALE * p.vin_max_volt)
    gain = scale_v / scale_x * (1 << w.g_bits)
    c_off = round(-math.expm1(-dt / p.tau_off_s) * (1 << w.c_bits))
    if c_off < 1:
        raise ParameterError("c_bits", w.c_bits, f">= {math.ceil(-math.log2(-math.expm1(-dt / p.tau_off_s)))}",
                             "the charge coefficient per step rounds to 0")
    params = TSNeuronParams(
        in_bits=w.in_bits, v_bits=w.v_bits, g_bits=w.g_bits,
        g_off=round(p.k_off * gain), g_on=round(p.k_on * gain),
        c_bits=w.c_bits, c_off=c_off, c_on=round(-math.expm1(-dt / p.tau_on_s) * (1 << w.c_bits)),
        v_th=v_th, v_hold=round(p.node_v_hold_volt * scale_v), sub_bits=w.sub_bits)
    return TSCalibration(preset=p, params=params, dt_s=dt, scale_v_lsb_per_volt=scale_v, scale_x_lsb_per_volt=scale_x)


def fidelity(cal, n_points=17, periods=10):
    """The calibrated rule against the exact float device at ``n_points`` drives over the operating range.

    Per drive, from ``v = 0``, device off, ``periods + 1`` spikes: the rate from the mean
    inter-spike interval of ``periods`` periods vs :func:`analytic_rate_hz`; the node-voltage RMSE
    over the first ``periods`` device periods, the model's ``v`` after step ``n`` against the device
    at ``(n + 1) dt``, in % of ``V_th_node``; the first-spike time ``(n + 1) dt`` vs the device's, in
    steps. Returns a JSON-able dict with the per-drive values and their maxima.
    """
    p, c = cal.preset, cal.params
    vins = np.linspace(p.vin_min_volt, p.vin_max_volt, int(n_points))
    x = cal.encode(vins)
    rate_dev = np.asarray(analytic_rate_hz(p, vins), dtype=float)
    period_steps = 1.0 / (rate_dev * cal.dt_s)
    first_steps = p.tau_off_s * np.log(p.v_off_volt(vins) / (p.v_off_volt(vins) - p.node_v_th_volt)) / cal.dt_s
    n_steps = int(np.ceil(np.max(first_steps + (periods + 1.5) * period_steps)))
    trace = TSNeuronModel(c, vins.size).run(np.broadcast_to(x, (n_steps, vins.size)))
    t_steps = (np.arange(n_steps) + 1) * cal.dt_s
    rel_err, rmse, first_err, rates = [], [], [], []
    for k, vin in enumerate(vins):
        spikes = np.flatnonzero(trace["spike"][:, k])
        if spikes.size < periods + 1:
            rel_err.append(math.inf)
            rates.append(0.0)
        else:
            rate = periods / ((spikes[periods] - spikes[0]) * cal.dt_s)
            rates.append(rate)
            rel_err.append(abs(rate / rate_dev[k] - 1.0))
        m = int(periods * period_steps[k])
        run = simulate(p, float(vin), t_steps[m - 1], t_sample_s=t_steps[:m], max_spikes=None)
        v_model = trace["v"][:m, k] / cal.scale_v_lsb_per_volt
        rmse.append(float(np.sqrt(np.mean((v_model - run.v_node_volt) ** 2)) / p.node_v_th_volt))
        t_dev = run.spike_times_s[0] if run.spike_times_s.size else math.inf
        t_fix = (spikes[0] + 1) * cal.dt_s if spikes.size else math.inf
        first_err.append(float((t_fix - t_dev) / cal.dt_s))
    rel_err = np.asarray(rel_err)
    return {
        "preset": p.name, "dt_s": cal.dt_s, "steps_per_period_min": float(np.min(period_steps)),
        "steps_per_period_max": float(np.max(period_steps)),
        "vin_volt": vins.tolist(), "x": x.tolist(), "rate_device_hz": rate_dev.tolist(), "rate_fixed_hz": rates,
        "rel_error": [float(e) if np.isfinite(e) else None for e in rel_err],
        "max_rel_error": float(np.max(rel_err)),
        "node_rmse_pct_vth": [100.0 * r for r in rmse], "max_node_rmse_pct_vth": 100.0 * max(rmse),
        "first_spike_error_steps": first_err, "max_abs_first_spike_error_steps": max(abs(e) for e in first_err),
        "periods": periods,
    }
