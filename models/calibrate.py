"""Calibration: a threshold-switch device preset -> fixed-point LIF parameters + input encoder.

The device charges exactly like a leaky integrator while it is off. Sampled every ``dt`` under
constant drive, ``V[n+1] = a V[n] + (1 - a) V_off`` with ``a = exp(-dt/tau_off)``, so the fixed-point
LIF rule of :mod:`neuroxide.models.lif` reproduces the charging phase with::

    scale   = 2**(v_bits-2) / V_th_node                 LSB per volt: V_th at half range (headroom x2)
    v_th    = 2**(v_bits-2),   v_reset = round(V_hold_node * scale)
    decay   = round(2**decay_bits * a),  a_q = decay / 2**decay_bits,  tau_q = -dt / ln(a_q)
    i_exc   = round(V_drive(Vin) * (1 - a_q) * scale + 1/2)    the 1/2 LSB undoes the mean loss of
                                                            the floor in (v * decay) >> decay_bits
    t_ref   = round(t_fire / dt - 1/2)                      the on phase; crossing detection adds
                                                            half a step on average, taken off here

The on phase (discharge from V_th_node to V_hold_node) becomes the refractory hold at ``v_reset``.
Every period of the fixed-point neuron is then ``t_ref + n_c`` whole steps, where ``n_c`` is the
first step with ``v >= v_th``; its rate error is at most about half a step per period.

Two encoders map ``Vin`` to ``V_drive``:

* ``"affine"``: ``V_drive = V_off(Vin) = Vin (R_off+R_S)/(R_L+R_off+R_S)``, the physical mapping, a
  gain a hardware encoder can apply. ``t_fire`` depends on ``Vin`` but ``t_ref`` cannot, so its
  rate error grows where the on phase is a large, drive-dependent part of the period.
* ``"rate"`` (default): ``V_drive`` is the drive whose charge time fills the rest of the device's
  exact period, ``t_c = 1/f(Vin) - (t_ref + 1/2) dt``, which has the closed form
  ``V_drive = V_th + (V_th - V_hold) / expm1(t_c / tau_q)`` (node levels as quantised). It absorbs
  the drive dependence of ``t_fire`` and the quantisation of ``decay``; ``t_ref`` is set from the
  shortest on phase so that ``t_c`` stays positive. Below the onset it falls back to ``V_off``
  (sub-threshold charging, no spike, as the device).

The default ``dt`` gives the fastest period of the operating range ``DEFAULT_STEPS_PER_PERIOD``
steps. The fidelity report compares the float event model's rate with the fixed-point model's
(run with :class:`~neuroxide.models.lif.LIFModel`) over the operating range.
"""

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from neuroxide.errors import ParameterError, check_int
from neuroxide.fileio import save_figure

from .devices.presets import get_preset
from .devices.threshold_switch import ThresholdSwitchPreset, analytic_timing_s, f_v_curve
from .lif import LIFModel, LIFParams

__all__ = [
    "waveform",
    "CalibrationWidths", "InputEncoder", "Calibration", "calibrate", "sweep", "plot_fv", "plot_trace",
    "ENCODERS", "DEFAULT_STEPS_PER_PERIOD",
]

ENCODERS = ("rate", "affine")
DEFAULT_STEPS_PER_PERIOD = 40   # fastest period in steps at default dt: ~1.3 % worst rate error
MIN_STEPS_PER_PERIOD = 4        # below this the step cannot resolve charging and firing at all
FLOOR_COMPENSATION_LSB = 0.5    # mean loss of the floor in (v * decay) >> decay_bits
MIN_DECAY_COUNTS = 16           # 2**decay_bits - decay: keeps the leak per step within ~3 %
DRIVE_ROUNDING_LSB = 0.5        # worst rounding error of the per-step drive (the floor is compensated)
DRIVE_ERROR_BUDGET = 0.01       # share of the period that drive rounding may move a spike by


@dataclass(frozen=True)
class CalibrationWidths:
    """Bit widths of the calibrated LIF neuron (see :class:`~neuroxide.models.lif.LIFParams`)."""

    v_bits: int = 20        # membrane (signed); the threshold sits at 2**(v_bits-2)
    in_bits: int = 14       # per-step drive i_exc (unsigned)
    decay_bits: int = 16    # fraction bits of the leak factor (16 is the LIF rule's maximum)
    ref_bits: int = 8       # refractory counter

    def __post_init__(self):
        limits = {"v_bits": (4, 32), "in_bits": (1, 31), "decay_bits": (1, 16), "ref_bits": (1, 16)}
        for name, (lo, hi) in limits.items():
            check_int(name, getattr(self, name), lo, hi)
        if self.in_bits >= self.v_bits:
            raise ParameterError("in_bits", self.in_bits, f"1..{self.v_bits - 1}",
                                 f"inputs must be narrower than v_bits={self.v_bits}")


@dataclass(frozen=True)
class InputEncoder:
    """Maps a constant drive ``Vin`` (volts) to the per-step integer drive ``i_exc`` (module docstring)."""

    mode: str
    preset: ThresholdSwitchPreset
    dt_s: float
    leak: float                 # a_q = decay / 2**decay_bits
    scale_lsb_per_volt: float
    v_th_lsb: int
    v_reset_lsb: int
    t_ref_steps: int
    in_max: int

    @property
    def tau_q_s(self):
        """Time constant the quantised leak realises, -dt / ln(a_q)."""
        return -self.dt_s / math.log(self.leak)

    def drive_volt(self, vin_volt):
        """``V_drive``: the asymptote the fixed-point membrane charges toward (volts, vectorised)."""
        p = self.preset
        vin = np.asarray(vin_volt, dtype=float)
        if not np.all(np.isfinite(vin)) or (vin.size and np.min(vin) < 0):
            raise ParameterError("vin_volt", vin.tolist(), "finite volts >= 0")
        if vin.size and np.max(vin) >= p.latch_vin_volt:
            raise ParameterError("vin_volt", float(np.max(vin)), f"0..{p.latch_vin_volt:.4g} V",
                                 "above the latch limit the device stays on; the LIF has no latched state")
        v_off = p.v_off_volt(vin)
        if self.mode == "affine":
            return v_off
        t_int, t_fire = analytic_timing_s(p, vin)
        t_c = np.asarray(t_int) + np.asarray(t_fire) - (self.t_ref_steps + 0.5) * self.dt_s
        v_th = self.v_th_lsb / self.scale_lsb_per_volt
        v_hold = self.v_reset_lsb / self.scale_lsb_per_volt
        oscillates = np.isfinite(t_c)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            v_rate = v_th + (v_th - v_hold) / np.expm1(np.where(oscillates, t_c, 1.0) / self.tau_q_s)
        return np.where(oscillates, v_rate, v_off)

    def encode(self, vin_volt):
        """Integer drive ``i_exc`` (int64, same shape as ``vin_volt``) for constant drives."""
        v = self.drive_volt(vin_volt)
        x = v * (1.0 - self.leak) * self.scale_lsb_per_volt + FLOOR_COMPENSATION_LSB
        i_exc = np.where(v > 0, np.floor(x + 0.5), 0).astype(np.int64)   # no drive, no input
        if i_exc.size and np.max(i_exc) > self.in_max:
            bad = np.asarray(vin_volt, dtype=float).reshape(-1)[np.argmax(i_exc.reshape(-1))]
            raise ParameterError("vin_volt", float(bad), f"drives up to {self.in_max} LSB",
                                 f"needs i_exc = {int(np.max(i_exc))}; widen in_bits")
        return i_exc

    __call__ = encode


@dataclass(frozen=True, eq=False)   # holds arrays: compare fields, not objects
class Calibration:
    """A calibrated fixed-point neuron and its fidelity report over the operating range."""

    preset: ThresholdSwitchPreset
    widths: CalibrationWidths
    dt_s: float
    params: LIFParams
    encoder: InputEncoder
    vin_volt: np.ndarray
    i_exc: np.ndarray
    rate_float_hz: np.ndarray
    rate_fixed_hz: np.ndarray
    rel_error: np.ndarray
    max_rel_error: float
    steps_per_period_min: float

    def model(self, shape=1, seed=1):
        """A fresh :class:`LIFModel` with the calibrated parameters."""
        return LIFModel(self.params, shape=shape, seed=seed)

    def to_dict(self):
        """Plain-Python (JSON-able) report."""
        return {
            "preset": self.preset.name,
            "encoder": self.encoder.mode,
            "dt_s": self.dt_s,
            "steps_per_period_min": self.steps_per_period_min,
            "scale_lsb_per_volt": self.encoder.scale_lsb_per_volt,
            "vin_volt": self.vin_volt.tolist(),
            "i_exc": self.i_exc.tolist(),
            "rate_float_hz": self.rate_float_hz.tolist(),
            "rate_fixed_hz": _json_floats(self.rate_fixed_hz),
            "rel_error": _json_floats(self.rel_error),
            "max_rel_error": self.max_rel_error,
            "widths": dataclasses.asdict(self.widths),
            "lif_params": dataclasses.asdict(self.params),
        }


def _json_floats(a):
    """Floats for JSON: NaN (no fixed-point equivalent) and inf (fires where the device does not) -> None."""
    return [float(x) if np.isfinite(x) else None for x in np.asarray(a, dtype=float)]


def _fixed_rates(params, i_exc, dt_s, n_steps, n_spikes=3):
    """Rates (Hz) of constant-drive fixed-point neurons: 1 / mean ISI over the first ``n_spikes``."""
    model = LIFModel(params, shape=i_exc.size)
    trace = model.run(np.broadcast_to(i_exc, (n_steps, i_exc.size)))
    rates = np.zeros(i_exc.size)
    for k in range(i_exc.size):
        steps = np.flatnonzero(trace.spike[:, k])[:n_spikes]
        if steps.size >= 2:
            rates[k] = (steps.size - 1) / ((steps[-1] - steps[0]) * dt_s)
    return rates


def _default_dt(t_min_s):
    """``t_min / DEFAULT_STEPS_PER_PERIOD`` rounded down to 3 significant digits (a readable step)."""
    dt = t_min_s / DEFAULT_STEPS_PER_PERIOD
    mag = 10.0 ** (math.floor(math.log10(dt)) - 2)
    return math.floor(dt / mag) * mag


def calibrate(preset, dt=None, widths=None, *, encoder="rate", n_points=33):
    """Calibrate a TS neuron preset (name or :class:`ThresholdSwitchPreset`) into a fixed-point LIF.

    ``dt`` is the model time step in seconds (default: the fastest period of the operating range
    over ``DEFAULT_STEPS_PER_PERIOD``); ``widths`` a :class:`CalibrationWidths`; ``encoder`` one of
    :data:`ENCODERS`; ``n_points`` drives, evenly spaced over the operating range, make the report.
    Raises :class:`ParameterError` naming the width that is too narrow and its minimum.
    """
    p = get_preset(preset) if isinstance(preset, str) else preset
    if not isinstance(p, ThresholdSwitchPreset):
        raise ParameterError("preset", type(preset).__name__, "a preset name or a ThresholdSwitchPreset")
    w = CalibrationWidths() if widths is None else widths
    if not isinstance(w, CalibrationWidths):
        raise ParameterError("widths", type(widths).__name__, "a CalibrationWidths")
    if encoder not in ENCODERS:
        raise ParameterError("encoder", encoder, " | ".join(ENCODERS))
    if isinstance(n_points, bool) or not isinstance(n_points, (int, np.integer)) or n_points < 2:
        raise ParameterError("n_points", n_points, "an integer >= 2")

    vins = np.linspace(p.vin_min_volt, p.vin_max_volt, int(n_points))
    rate_float = f_v_curve(p, vins)
    t_min = 1.0 / np.max(rate_float)
    if dt is None:
        dt = _default_dt(t_min)
    dt_ok = not isinstance(dt, bool) and isinstance(dt, (int, float, np.floating))
    if not dt_ok or not 0 < dt <= t_min / MIN_STEPS_PER_PERIOD:
        raise ParameterError("dt", dt, f"0 < dt <= {t_min / MIN_STEPS_PER_PERIOD:.4g} s",
                             f"at least {MIN_STEPS_PER_PERIOD} steps in the fastest period ({t_min:.4g} s)")
    dt = float(dt)

    # leak: decay / 2**decay_bits ~ exp(-dt/tau_off), with enough counts below 1 to mean something
    leak = math.exp(-dt / p.tau_off_s)
    need_db = math.ceil(math.log2(MIN_DECAY_COUNTS / -math.expm1(-dt / p.tau_off_s)))
    if need_db > 16:
        raise ParameterError("dt", dt, f">= {p.tau_off_s * MIN_DECAY_COUNTS / 2**16:.4g} s",
                             "the leak per step would need more than 16 fraction bits")
    if w.decay_bits < need_db:
        raise ParameterError("decay_bits", w.decay_bits, f">= {need_db}",
                             f"the leak per step exp(-dt/tau_off) = {leak:.6f} needs {MIN_DECAY_COUNTS} counts below 1")
    decay = round(leak * (1 << w.decay_bits))
    leak_q = decay / (1 << w.decay_bits)

    # voltage scale: V_th_node at a quarter of the signed range, leaving a factor 2 of headroom
    v_th = 1 << (w.v_bits - 2)
    scale = v_th / p.node_v_th_volt
    v_reset = round(p.node_v_hold_volt * scale)

    # refractory: the on phase less half a step (crossing detection adds half a step on average)
    _, t_fire = analytic_timing_s(p, vins)
    t_fire_ref = np.min(t_fire) if encoder == "rate" else np.mean(t_fire)
    t_ref = max(0, round(t_fire_ref / dt - 0.5))
    if t_ref >= 1 << w.ref_bits:
        raise ParameterError("ref_bits", w.ref_bits, f">= {t_ref.bit_length()}",
                             f"the refractory count t_ref = {t_ref} steps must fit")

    enc = InputEncoder(mode=encoder, preset=p, dt_s=dt, leak=leak_q, scale_lsb_per_volt=scale,
                       v_th_lsb=v_th, v_reset_lsb=v_reset, t_ref_steps=t_ref, in_max=(1 << w.in_bits) - 1)

    # resolution: rounding the drive (DRIVE_ROUNDING_LSB per step, always the same sign under a
    # constant input) accumulates to err (1 - a^n)/(1 - a) LSB by the crossing, where the membrane
    # climbs (V_drive - V_th)(1 - a) scale LSB per step; the crossing moves by their ratio in steps,
    # which must stay within DRIVE_ERROR_BUDGET of the period.
    v_drive = enc.drive_volt(vins)
    t_int_q = enc.tau_q_s * np.log((v_drive - v_reset / scale) / (v_drive - v_th / scale))
    grow = -np.expm1(np.log(leak_q) * t_int_q / dt) / (1.0 - leak_q)
    climb = (v_drive - v_th / scale) * (1.0 - leak_q) * scale
    rel_shift = np.max(DRIVE_ROUNDING_LSB * grow / climb * dt * rate_float)
    if rel_shift > DRIVE_ERROR_BUDGET:
        need_vb = w.v_bits + math.ceil(math.log2(rel_shift / DRIVE_ERROR_BUDGET))
        raise ParameterError("v_bits", w.v_bits, f">= {need_vb}",
                             f"drive rounding could move the rate by {100 * rel_shift:.2g} % "
                             f"(budget {100 * DRIVE_ERROR_BUDGET:g} %)")

    drive_max = (v_drive * (1.0 - leak_q) * scale + FLOOR_COMPENSATION_LSB + 0.5).max()
    if drive_max > enc.in_max:
        raise ParameterError("in_bits", w.in_bits, f">= {int(drive_max).bit_length()}",
                             f"the drive at vin_max_volt is {int(drive_max)} LSB per step")
    i_exc = enc.encode(vins)

    params = LIFParams(v_bits=w.v_bits, in_bits=w.in_bits, decay_bits=w.decay_bits, ref_bits=w.ref_bits,
                       decay=decay, bias=0, v_th=v_th, v_reset=v_reset, v_init=0, reset_mode="value",
                       t_ref=t_ref)

    # long enough for the first spike from v = 0 and two more periods at the slowest drive
    t_first = enc.tau_q_s * np.log(v_drive / (v_drive - v_th / scale))
    n_steps = int(np.ceil(np.max((t_first + 2.5 / rate_float) / dt))) + t_ref + 8
    rate_fixed = _fixed_rates(params, i_exc, dt, n_steps)
    rel_error = np.abs(rate_fixed / rate_float - 1.0)
    return Calibration(
        preset=p, widths=w, dt_s=dt, params=params, encoder=enc, vin_volt=vins, i_exc=i_exc,
        rate_float_hz=rate_float, rate_fixed_hz=rate_fixed, rel_error=rel_error,
        max_rel_error=float(np.max(rel_error)), steps_per_period_min=float(t_min / dt),
    )


MAX_SWEEP_STEPS = 400_000  # fixed-point steps per sweep point: about 10,000 fastest periods


def sweep(calibration, vin_volt):
    """The calibrated neuron's f-V curve at the drives ``vin_volt``, float device vs fixed point.

    Returns a :class:`Calibration` like ``calibration`` whose report covers ``vin_volt``: below the
    onset both rates are 0 (no oscillation); above the latch limit the device stays on (rate 0) and
    the LIF has no equivalent, so ``rate_fixed_hz`` is NaN there. ``max_rel_error`` is taken over the
    drives where the device oscillates.
    """
    c = calibration
    p = c.preset
    vins = np.asarray(vin_volt, dtype=float).ravel()
    if vins.size == 0 or not np.all(np.isfinite(vins)) or np.min(vins) < 0:
        raise ParameterError("vin_volt", vins.tolist(), "one or more finite drives >= 0 V")
    rate_float = f_v_curve(p, vins)
    latched = vins >= p.latch_vin_volt
    rate_fixed = np.full(vins.size, np.nan)
    i_exc = np.full(vins.size, -1, dtype=np.int64)
    ok = ~latched
    if ok.any():
        i_exc[ok] = c.encoder.encode(vins[ok])
        slowest = np.min(rate_float[ok & (rate_float > 0)], initial=np.max(c.rate_float_hz))
        n_steps = min(MAX_SWEEP_STEPS, int(np.ceil(4.0 / (slowest * c.dt_s))) + 64)
        rate_fixed[ok] = _fixed_rates(c.params, i_exc[ok], c.dt_s, n_steps)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(rate_float > 0, np.abs(rate_fixed / rate_float - 1.0),
                       np.where(rate_fixed == 0, 0.0, np.inf))
    rel[latched] = np.nan
    osc = rate_float > 0
    return dataclasses.replace(c, vin_volt=vins, i_exc=i_exc, rate_float_hz=rate_float, rate_fixed_hz=rate_fixed,
                               rel_error=rel, max_rel_error=float(np.max(rel[osc])) if osc.any() else 0.0)


def plot_fv(calibration, path):
    """Save the float vs fixed-point f-V curve and its relative error as a PNG at ``path``.

    Written to a temporary file in the same folder and renamed, so a failure leaves no partial file.
    """
    # the object-oriented API with an explicit Agg canvas: no global backend, no pyplot state
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    c = calibration
    fig = Figure(figsize=(6.4, 6.0))
    FigureCanvasAgg(fig)
    ax_f, ax_e = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    ax_f.plot(c.vin_volt, c.rate_float_hz / 1e6, "-", label="device model (float, exact)")
    ax_f.plot(c.vin_volt, c.rate_fixed_hz / 1e6, "o", ms=3, label=f"fixed-point LIF ({c.encoder.mode} encoder)")
    ax_f.set_ylabel("rate (MHz)")
    ax_f.set_title(f"{c.preset.name}: dt = {c.dt_s:.4g} s, v_bits = {c.widths.v_bits}")
    ax_f.legend(loc="best")
    ax_f.grid(True, alpha=0.3)
    ax_e.plot(c.vin_volt, 100.0 * c.rel_error, "o-", ms=3)
    ax_e.axhline(100.0 * c.max_rel_error, ls="--", lw=0.8, color="k",
                 label=f"max {100.0 * c.max_rel_error:.2f} %")
    ax_e.set_xlabel("Vin (V)")
    ax_e.set_ylabel("|rel. error| (%)")
    ax_e.legend(loc="best")
    ax_e.grid(True, alpha=0.3)
    fig.tight_layout()

    return save_figure(fig, path)


def waveform(calibration, vin_volt, periods=4):
    """The float device's node voltage beside the fixed-point membrane at ``vin_volt``, both from 0 V,
    over ``periods`` device periods: ``(run, t_fixed_s, v_fixed_volt, spike)``, ``run`` the exact
    device simulation (sampled at dt / 8), the fixed-point ``v / scale`` and spikes after each step."""
    from .devices.threshold_switch import simulate

    c = calibration
    rate = float(f_v_curve(c.preset, np.array([vin_volt]))[0])
    if rate <= 0:
        raise ParameterError("vin_volt", vin_volt, f"{c.preset.onset_vin_volt:.4g}..{c.preset.latch_vin_volt:.4g} V",
                             "the device does not oscillate there")
    t_stop = periods / rate
    steps = int(np.ceil(t_stop / c.dt_s))
    run = simulate(c.preset, vin_volt, t_stop, sample_dt_s=c.dt_s / 8)
    i_exc = int(c.encoder.encode(np.array([vin_volt]))[0])
    trace = c.model(1).run(np.full((steps, 1), i_exc))
    t_fixed = (np.arange(steps) + 1) * c.dt_s
    return run, t_fixed, trace.v[:, 0] / c.encoder.scale_lsb_per_volt, trace.spike[:, 0]


def plot_trace(calibration, vin_volt, path, periods=4):
    """Save node voltage of the float device beside the fixed-point membrane (in volts) at ``vin_volt``.

    Both start from 0 V; the fixed-point trace is ``v / scale`` after each step, with its spikes
    marked, the device's turn-on events as ticks. Written atomically like :func:`plot_fv`.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    c = calibration
    run, t_fixed, v_fixed, spike = waveform(c, vin_volt, periods)

    fig = Figure(figsize=(7.0, 3.6))
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.plot(run.t_s * 1e9, run.v_node_volt, "-", lw=1.2, label="device node voltage (float, exact)")
    ax.step(t_fixed * 1e9, v_fixed, where="post", lw=1.0, label="fixed-point membrane / scale")
    spikes = t_fixed[spike]
    ax.plot(spikes * 1e9, np.full(spikes.size, c.preset.node_v_th_volt), "v", ms=6, label="fixed-point spikes")
    ax.plot(run.spike_times_s * 1e9, np.full(run.spike_times_s.size, c.preset.node_v_th_volt * 1.04), "|",
            ms=10, color="k", label="device turn-on")
    ax.set_xlabel("time (ns)")
    ax.set_ylabel("V (V)")
    ax.set_title(f"{c.preset.name} at Vin = {vin_volt:g} V, dt = {c.dt_s:.4g} s")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    return save_figure(fig, path)
