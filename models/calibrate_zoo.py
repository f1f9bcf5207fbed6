"""Calibration of the neuron zoo: each family's float physics -> fixed-point rule + encoder + fidelity.

Most families map onto the fixed-point LIF rule (``models/lif.py``) through a family-specific
mapping; the dendrite has its own rule (``models/dendrite.py``). Every calibration returns a
:class:`ZooCalibration` with the fixed-point parameters, the input encoder, a fidelity figure
measured by running the fixed-point model against the float physics, and the curve behind it.

* ``fefet`` / ``afefet`` (:func:`calibrate_fefet`): nucleation progress ``s`` -> membrane
  ``v = s * scale`` with ``scale = 2**(v_bits-2)``, ``v_th = scale`` (s = 1), ``v_min = 0``
  (s >= 0). One step = one pulse period; ``i_exc = round(r(V_e) scale)``, ``i_inh = round(r(V_i)
  scale)`` (the Merz law lives in the encoder: a lookup table from pulse amplitude to drive).
  Ferroelectric: ``decay = 2**decay_bits`` (no leak) and the reset circuit is ``v_reset = 0``
  with ``t_ref`` = erase pulse; antiferroelectric: ``decay = round(exp(-T/tau_relax) 2**decay_bits)``.
  Fidelity: pulses-to-fire vs inhibitory amplitude, float vs fixed.
* ``mtj`` (:func:`calibrate_mtj`): wall position ``x -> v = x scale``, ``scale = 2**(v_bits-2)/L``,
  exact leak ``decay = round(exp(-dt/tau_relax) 2**decay_bits)``, drive ``i_exc = (1 - a) x_inf(I)
  scale + 1/2`` (floor compensation), self-reset ``v_reset = 0``, ``t_ref = round(t_reset/dt - 1/2)``,
  lateral inhibition ``w_lat = round(dx_inh scale)`` for the winner-take-all layer
  (``models/wta.py``). Fidelity: rate vs current, and WTA spike counts float vs fixed.
* ``stochastic`` (:func:`calibrate_stochastic`): a probabilistic bit. One step is one trial:
  ``decay = 0`` (no memory), ``t_ref = 0``, ``i_exc = round(V_off(Vin) scale)``, ``v_th =
  round(V_th_node scale)`` and the threshold noise of ``lif_step`` (xorshift32, uniform over
  ``2**noise_bits`` LSB) stands in for the Gaussian spread: ``scale`` makes the uniform width
  ``UNIFORM_WIDTH_SIGMAS`` sigma, the width that minimises the largest gap between the uniform and
  Gaussian CDFs (4.8 %). Fidelity: firing probability vs drive, float (probit) vs fixed (measured).
* ``oscillator`` (:func:`calibrate_oscillator`): the TS calibration of ``models/calibrate.py``, with
  a latch-aware encoder: drives at or above the latch limit (self-protection: the device stays on
  and stops oscillating) encode to ``i_exc = 0``, so the fixed-point neuron -- and the RTL, which
  receives the same code -- stops firing exactly where the device does. Fidelity: f-V curve over
  a sweep that crosses the latch limit.
* ``dendrite`` (:func:`calibrate_dendrite`): amplitude code ``x = round(V in_max / v_max)``, filter
  threshold ``d_th = ceil(v_th code)``, dendrite leak fitted to the build-up of the device's charge
  under a strong train (``q_1 / q_inf = 1 - a``). Fidelity: the normalised filtering curve (charge
  of 10 pulses vs amplitude), float vs fixed.
"""

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from neuroxide.errors import ParameterError

from .calibrate import CalibrationWidths, _fixed_rates, calibrate
from .dendrite import DendriteModel, DendriteParams
from .devices import dendrite as dend_dev
from .devices import fefet as fe_dev
from .devices import mtj as mtj_dev
from .devices import stochastic as sto_dev
from .devices.threshold_switch import f_v_curve
from .devices.zoo import family_of, get_any_preset
from .lif import LIFModel, LIFParams
from .wta import WTAModel

__all__ = ["ZOO_LIF_PRESETS", "ZOO_DENDRITE_PRESET", "ZooCalibration", "calibrate_zoo", "calibrate_fefet", "calibrate_mtj", "calibrate_stochastic",
           "calibrate_oscillator", "calibrate_dendrite", "UNIFORM_WIDTH_SIGMAS", "LIF_FAMILIES",
           "plot_zoo", "latch_aware_encode"]

UNIFORM_WIDTH_SIGMAS = 3.33   # uniform noise width (in Gaussian sigmas) minimising sup |CDF gap|
LIF_FAMILIES = ("fefet", "afefet", "mtj", "stochastic", "oscillator")
# the LIF-mapped neuron designs of the zoo (`neuroxide list`) and the device preset each is calibrated
# from; the design plug-ins and the formal harnesses both read this
ZOO_LIF_PRESETS = {"fefet": "fefet-sihfo2", "afefet": "afefet-hzo", "mtj": "mtj-sot",
                   "stochastic-ts": "nbox-stochastic", "nbo2-osc": "nbo2-osc"}
ZOO_DENDRITE_PRESET = "dendrite-li2020"  # the dendrite design's device


@dataclass(frozen=True, eq=False)
class ZooCalibration:
    """A calibrated fixed-point neuron of any family and its fidelity against the float physics."""

    preset: object
    family: str
    params: object              # LIFParams (LIF families) or DendriteParams
    dt_s: float
    scale: float                # LSB per unit of the physical state (per volt, per metre, per progress)
    fidelity: dict              # {"metric": text, "max_error": float, ...}
    curve: dict                 # arrays behind the fidelity figure (JSON-able lists)
    extra: dict = field(default_factory=dict)

    def to_dict(self):
        return {"preset": self.preset.name, "family": self.family, "dt_s": self.dt_s, "scale": self.scale,
                "params": dataclasses.asdict(self.params), "fidelity": self.fidelity,
                "curve": {k: _jsonable(v) for k, v in self.curve.items()},
                "extra": {k: _jsonable(v) for k, v in self.extra.items()}}


def _jsonable(v):
    if isinstance(v, np.ndarray):
        v = v.tolist()
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    if isinstance(v, (float, np.floating)):
        return float(v) if math.isfinite(v) else None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def _widths(widths, **defaults):
    w = CalibrationWidths(**defaults) if widths is None else widths
    if not isinstance(w, CalibrationWidths):
        raise ParameterError("widths", type(widths).__name__, "a CalibrationWidths")
    return w


def _first_spike_steps(params, i_exc, i_inh, horizon):
    """Steps (1-based) to the first spike of constant-input neurons from rest; inf if none in ``horizon``."""
    model = LIFModel(params, shape=i_exc.size)
    trace = model.run(np.broadcast_to(i_exc, (horizon, i_exc.size)), np.broadcast_to(i_inh, (horizon, i_exc.size)))
    fired = trace.spike.any(axis=0)
    return np.where(fired, np.argmax(trace.spike, axis=0) + 1.0, np.inf)


def _sweep(name, values):
    v = np.asarray(values, dtype=float).ravel()
    if v.size == 0 or not np.all(np.isfinite(v)) or v.min() < 0:
        raise ParameterError(name, v.tolist(), "one or more finite values >= 0")
    return v


def _encode(values, scale, in_max, field_name):
    codes = np.floor(np.asarray(values, dtype=float) * scale + 0.5).astype(np.int64)
    if codes.size and codes.max() > in_max:
        raise ParameterError("in_bits", int(in_max).bit_length(), f">= {int(codes.max()).bit_length()}",
                             f"the {field_name} needs {int(codes.max())} LSB per step")
    return codes


# ------------------------------------------------------------------------------------------------
def calibrate_fefet(preset, widths=None, n_points=25, v_inh_volt=None):
    """FeFET / AFeFET -> LIF (module docstring). Curve: pulses to fire vs inhibitory amplitude."""
    p = preset
    w = _widths(widths, v_bits=16, in_bits=14, decay_bits=16, ref_bits=8)
    scale = float(1 << (w.v_bits - 2))
    if p.kind == "ferroelectric":
        decay = 1 << w.decay_bits
    else:
        decay = round(p.leak * (1 << w.decay_bits))
    t_ref = p.t_ref_steps
    if t_ref >= 1 << w.ref_bits:
        raise ParameterError("ref_bits", w.ref_bits, f">= {t_ref.bit_length()}")
    params = LIFParams(v_bits=w.v_bits, in_bits=w.in_bits, decay_bits=w.decay_bits, ref_bits=w.ref_bits,
                       decay=decay, v_th=int(scale), v_reset=0, v_min=0, v_init=0, t_ref=t_ref)
    v_inh = np.linspace(0.0, p.v_exc_volt, int(n_points)) if v_inh_volt is None else _sweep("v_inh_volt", v_inh_volt)
    i_exc = _encode(fe_dev.progress_per_pulse(p, p.v_exc_volt), scale, params.in_max, "excitatory drive")
    i_inh = _encode(fe_dev.progress_per_pulse(p, v_inh), scale, params.in_max, "inhibitory drive")
    n_float = np.asarray(fe_dev.pulses_to_fire(p, v_inh), dtype=float)
    finite = np.isfinite(n_float)
    horizon = int(min(fe_dev.MAX_PULSES, 3 * np.max(n_float[finite], initial=10) + 20))
    n_fixed = _first_spike_steps(params, np.full(v_inh.size, i_exc), i_inh, horizon)
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where(finite & np.isfinite(n_fixed), np.abs(n_fixed / n_float - 1.0), np.nan)
    both_never = int(np.sum(~finite & ~np.isfinite(n_fixed)))
    disagree = int(np.sum(finite != np.isfinite(n_fixed)))
    fidelity = {"metric": "pulses to fire vs inhibitory amplitude, |fixed/float - 1|",
                "max_error": float(np.nanmax(rel)) if np.any(np.isfinite(rel)) else 0.0,
                "never_fires_both": both_never, "fires_disagree": disagree, "horizon_pulses": horizon}
    return ZooCalibration(p, family_of(p), params, p.pulse_period_s, scale, fidelity,
                          {"v_inh_volt": v_inh, "pulses_float": n_float, "pulses_fixed": n_fixed,
                           "i_inh": i_inh},
                          {"i_exc": int(i_exc), "v_exc_volt": p.v_exc_volt})


# ------------------------------------------------------------------------------------------------
def _default_dt(t_min_s, steps_per_period=40):
    dt = t_min_s / steps_per_period
    mag = 10.0 ** (math.floor(math.log10(dt)) - 2)
    return math.floor(dt / mag) * mag


def calibrate_mtj(preset, dt=None, widths=None, n_points=25, i_amp=None):
    """SOT-MTJ -> LIF + WTA layer (module docstring). Curve: rate vs current, float vs fixed."""
    p = preset
    w = _widths(widths, v_bits=20, in_bits=18, decay_bits=16, ref_bits=8)
    i_op = np.linspace(p.i_min_amp, p.i_max_amp, int(n_points))
    i_amp = i_op if i_amp is None else _sweep("i_amp", i_amp)
    rate_float = np.asarray(mtj_dev.analytic_rate_hz(p, i_amp))
    t_min = 1.0 / float(mtj_dev.analytic_rate_hz(p, p.i_max_amp))   # dt from the operating range only
    dt = _default_dt(t_min) if dt is None else dt
    if isinstance(dt, bool) or not isinstance(dt, (int, float)) or not 0 < dt <= t_min / 4:
        raise ParameterError("dt", dt, f"0 < dt <= {t_min / 4:.4g} s", "at least 4 steps in the fastest period")
    a = math.exp(-dt / p.tau_relax_s)
    decay = round(a * (1 << w.decay_bits))
    if decay >= 1 << w.decay_bits:
        raise ParameterError("decay_bits", w.decay_bits, "more", "the leak per step rounds to none")
    a_q = decay / (1 << w.decay_bits)
    scale = (1 << (w.v_bits - 2)) / p.track_length_m
    t_ref = max(0, round(p.t_reset_s / dt - 0.5))
    x_inf = np.asarray(mtj_dev.dw_velocity(p, i_amp)) * p.tau_relax_s
    params = LIFParams(v_bits=w.v_bits, in_bits=w.in_bits, decay_bits=w.decay_bits, ref_bits=w.ref_bits,
                       decay=decay, v_th=1 << (w.v_bits - 2), v_reset=0, v_min=0, v_init=0, t_ref=t_ref)
    i_exc = _encode((1.0 - a_q) * x_inf + 0.5 / scale, scale, params.in_max, "drive")
    w_lat = int(_encode(p.dx_inh_m, scale, params.in_max, "lateral inhibition"))
    slowest = np.min(rate_float[rate_float > 0], initial=float(mtj_dev.analytic_rate_hz(p, p.i_min_amp)))
    n_steps = min(400_000, int(np.ceil(3.5 / (slowest * dt))) + 16)
    rate_fixed = _fixed_rates(params, i_exc, dt, n_steps)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(rate_float > 0, np.abs(rate_fixed / rate_float - 1.0), np.where(rate_fixed == 0, 0.0, np.inf))
    # winner-take-all: 4 neurons, currents spread over the operating range, float vs fixed spike counts
    currents = np.linspace(p.i_min_amp + 0.4 * (p.i_max_amp - p.i_min_amp), p.i_max_amp, 4)
    wta_steps = int(np.ceil(20 / (rate_float.max() * dt)))
    _, spk_float = mtj_dev.simulate_wta(p, currents, dt, wta_steps)
    _, spk_float_free = mtj_dev.simulate_wta(p, currents, dt, wta_steps, lateral=False)
    enc = _encode((1.0 - a_q) * np.asarray(mtj_dev.dw_velocity(p, currents)) * p.tau_relax_s + 0.5 / scale,
                  scale, params.in_max, "drive")
    fixed = WTAModel(params, currents.size, w_lat).run(np.broadcast_to(enc, (wta_steps, currents.size)).copy())
    free = LIFModel(params, currents.size).run(np.broadcast_to(enc, (wta_steps, currents.size)))
    fidelity = {"metric": "rate vs current, |fixed/float - 1|", "max_error": float(np.max(rel)),
                "onset_amp": p.onset_amp,
                "wta_counts_float": spk_float.sum(axis=0).tolist(), "wta_counts_fixed": fixed["spike"].sum(axis=0).tolist(),
                "no_wta_counts_float": spk_float_free.sum(axis=0).tolist(),
                "no_wta_counts_fixed": free.spike.sum(axis=0).tolist()}
    return ZooCalibration(p, "mtj", params, float(dt), scale, fidelity,
                          {"i_amp": i_amp, "rate_float_hz": rate_float, "rate_fixed_hz": rate_fixed, "i_exc": i_exc},
                          {"w_lat": w_lat, "wta_currents_amp": currents, "wta_raster_float": spk_float,
                           "wta_raster_fixed": fixed["spike"], "wta_i_exc": enc})


# ------------------------------------------------------------------------------------------------
def calibrate_stochastic(preset, widths=None, noise_bits=8, n_points=33, trials=8192, seed=1, vin_volt=None):
    """Stochastic TS -> LIF threshold noise (module docstring). Curve: P(fire) vs drive."""
    p = preset
    c = p.circuit
    w = _widths(widths, v_bits=16, in_bits=13, decay_bits=8, ref_bits=4)
    if isinstance(noise_bits, bool) or not isinstance(noise_bits, int) or not 2 <= noise_bits <= w.v_bits - 4:
        raise ParameterError("noise_bits", noise_bits, f"2..{w.v_bits - 4}")
    if isinstance(trials, bool) or not isinstance(trials, int) or not 64 <= trials <= 1_000_000:
        raise ParameterError("trials", trials, "64..1000000")
    scale = (1 << noise_bits) / (UNIFORM_WIDTH_SIGMAS * p.sigma_node_volt)
    v_th = round(c.node_v_th_volt * scale)
    if v_th + (1 << noise_bits) >= 1 << (w.v_bits - 1):
        raise ParameterError("v_bits", w.v_bits, f">= {(v_th + (1 << noise_bits)).bit_length() + 1}")
    params = LIFParams(v_bits=w.v_bits, in_bits=w.in_bits, decay_bits=w.decay_bits, ref_bits=w.ref_bits,
                       decay=0, v_th=v_th, v_reset=0, v_init=0, t_ref=0, noise_bits=noise_bits)
    lo, hi = p.vin_range_volt(4.0)
    vin = np.linspace(lo, hi, int(n_points)) if vin_volt is None else _sweep("vin_volt", vin_volt)
    i_exc = _encode(c.v_off_volt(vin), scale, params.in_max, "drive")
    trace = LIFModel(params, shape=vin.size, seed=seed).run(np.broadcast_to(i_exc, (trials, vin.size)))
    p_fixed = trace.spike.mean(axis=0)
    p_float = np.asarray(sto_dev.firing_probability(p, vin))
    p_mc = sto_dev.trial_fires(p, vin, trials, seed=seed).mean(axis=0)
    fidelity = {"metric": "P(fire) vs drive, max |fixed - float|", "max_error": float(np.max(np.abs(p_fixed - p_float))),
                "max_error_mc_vs_analytic": float(np.max(np.abs(p_mc - p_float))), "trials": trials,
                "sigma_node_volt": p.sigma_node_volt, "vin_50_volt": p.vin_50_volt}
    return ZooCalibration(p, "stochastic", params, math.nan, scale, fidelity,
                          {"vin_volt": vin, "p_float": p_float, "p_float_mc": p_mc, "p_fixed": p_fixed, "i_exc": i_exc})


# ------------------------------------------------------------------------------------------------
def latch_aware_encode(cal, vin_volt):
    """TS encoder that maps drives at or above the latch limit to ``i_exc = 0`` (self-protection)."""
    vin = np.asarray(vin_volt, dtype=float).ravel()
    latched = vin >= cal.preset.latch_vin_volt
    codes = np.zeros(vin.size, dtype=np.int64)
    if (~latched).any():
        codes[~latched] = cal.encoder.encode(vin[~latched])
    return codes, latched


def calibrate_oscillator(preset, dt=None, widths=None, n_points=41, vin_volt=None):
    """TS relaxation oscillator with latch (module docstring). Curve: f-V across the latch limit."""
    p = preset
    cal = calibrate(p, dt=dt, widths=widths)
    vin = (np.linspace(0.5 * p.onset_vin_volt, 1.5 * p.latch_vin_volt, int(n_points)) if vin_volt is None
           else _sweep("vin_volt", vin_volt))
    rate_float = f_v_curve(p, vin)
    codes, latched = latch_aware_encode(cal, vin)
    osc = rate_float > 0
    slowest = np.min(rate_float[osc], initial=np.max(cal.rate_float_hz))
    n_steps = min(400_000, int(np.ceil(4.0 / (slowest * cal.dt_s))) + 64)
    rate_fixed = _fixed_rates(cal.params, codes, cal.dt_s, n_steps)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(osc, np.abs(rate_fixed / rate_float - 1.0), np.where(rate_fixed == 0, 0.0, np.inf))
    fidelity = {"metric": "f-V across the latch limit, |fixed/float - 1| where the device oscillates",
                "max_error": float(np.max(rel[osc])) if osc.any() else 0.0,
                "max_error_operating_range": cal.max_rel_error,
                "silent_above_latch_float": bool(np.all(rate_float[latched] == 0)),
                "silent_above_latch_fixed": bool(np.all(rate_fixed[latched] == 0)),
                "onset_vin_volt": p.onset_vin_volt, "latch_vin_volt": p.latch_vin_volt}
    return ZooCalibration(p, family_of(p), cal.params, cal.dt_s, cal.encoder.scale_lsb_per_volt, fidelity,
                          {"vin_volt": vin, "rate_float_hz": rate_float, "rate_fixed_hz": rate_fixed, "i_exc": codes,
                           "latched": latched}, {"ts_calibration": cal.to_dict()})


# ------------------------------------------------------------------------------------------------
def calibrate_dendrite(preset, in_bits=8, n_points=49, n_pulses=10, amplitudes_volt=None):
    """Dendrite device -> the multi-dendrite rule (module docstring). Curve: filtering, float vs fixed."""
    p = get_any_preset(preset) if isinstance(preset, str) else preset
    if isinstance(in_bits, bool) or not isinstance(in_bits, int) or not 4 <= in_bits <= 12:
        raise ParameterError("in_bits", in_bits, "4..12")
    in_max = (1 << in_bits) - 1
    code_per_volt = in_max / p.v_max_volt
    d_th = min(in_max, math.ceil(p.v_th_volt * code_per_volt))
    # dendrite leak from the build-up of the charge per pulse under a strong train: q_n ~ 1 - a^n
    _, q = dend_dev.pulse_train(p, np.full(200, p.v_max_volt))
    a = float(np.clip(1.0 - q[0] / q[-1], 0.0, 0.999))
    d_decay_bits = 8
    d_decay = round(a * (1 << d_decay_bits))
    d_sat = in_max / max(1e-9, 1.0 - d_decay / (1 << d_decay_bits))        # dendrite's steady level
    d_bits = max(in_bits, math.ceil(math.log2(d_sat + 1)) + 1)
    d_shift = 2
    # soma: 4 dendrites carrying the filter threshold amplitude settle the soma at 2 v_th, so every
    # input that passes the filter fires it, faster the stronger it is; filtered input never
    decay_bits, decay = 8, 240
    n_dend = 4

    def soma_steady(x):
        return n_dend * (int(x / (1.0 - d_decay / (1 << d_decay_bits))) >> d_shift) / (1.0 - decay / (1 << decay_bits))

    v_th = int(0.5 * soma_steady(d_th))
    v_bits = max(int(2 * soma_steady(in_max)).bit_length(), 8)
    params = DendriteParams(n_dend=n_dend, in_bits=in_bits, d_bits=min(d_bits, 24), d_decay_bits=d_decay_bits,
                            d_decay=d_decay, d_th=d_th, d_shift=d_shift, v_bits=v_bits, decay_bits=decay_bits,
                            decay=decay, v_th=v_th, v_reset=0, ref_bits=4, t_ref=2)
    amps = np.linspace(0.0, p.v_max_volt, int(n_points)) if amplitudes_volt is None else _sweep("amplitudes_volt", amplitudes_volt)
    if amps.max() > p.v_max_volt:
        raise ParameterError("amplitudes_volt", float(amps.max()), f"0..{p.v_max_volt:g} V (v_max_volt)")
    amps = np.union1d(amps, [p.v_max_volt])   # the curves are normalised at v_max
    q_float = dend_dev.filtering_curve(p, amps, n_pulses)
    codes = np.floor(amps * code_per_volt + 0.5).astype(np.int64)
    x = np.zeros((n_pulses, amps.size, params.n_dend), dtype=np.int64)
    x[:, :, 0] = codes
    trace = DendriteModel(params, amps.size).run(x)
    out_fixed = (trace["d"][:, :, 0] >> d_shift).sum(axis=0).astype(float)
    qf, of = q_float / q_float[-1], out_fixed / out_fixed[-1]
    # the soma's response: spikes in 100 steps with the same amplitude on all dendrites
    xs = np.broadcast_to(codes[None, :, None], (100, amps.size, params.n_dend))
    soma = DendriteModel(params, amps.size).run(xs)["spike"].sum(axis=0)
    half_float = float(np.interp(0.5, qf, amps))
    fidelity = {"metric": "filtering curve (charge of 10 pulses, normalised), max |fixed - float|",
                "max_error": float(np.max(np.abs(of - qf))),
                "pass_amplitude_float_volt": float(amps[np.argmax(qf >= 0.1)]),
                "pass_amplitude_fixed_volt": float(amps[np.argmax(of >= 0.1)]),
                "half_amplitude_float_volt": half_float}
    return ZooCalibration(p, "dendrite", params, p.pulse_period_s, code_per_volt, fidelity,
                          {"amplitude_volt": amps, "charge_float_coulomb": q_float, "out_fixed": out_fixed,
                           "norm_float": qf, "norm_fixed": of, "soma_spikes_100_steps": soma, "x_code": codes})


# ------------------------------------------------------------------------------------------------
def calibrate_zoo(preset, **options):
    """Calibrate a zoo preset (name or object) with the calibration of its family."""
    p = get_any_preset(preset) if isinstance(preset, str) else preset
    fam = family_of(p)
    if fam in ("fefet", "afefet"):
        return calibrate_fefet(p, **options)
    if fam == "mtj":
        return calibrate_mtj(p, **options)
    if fam == "stochastic":
        return calibrate_stochastic(p, **options)
    if fam == "dendrite":
        return calibrate_dendrite(p, **options)
    return calibrate_oscillator(p, **options)


# ------------------------------------------------------------------------------------------------
def plot_zoo(cal, path):
    """Save the family's fidelity figure (float physics vs fixed point) as a PNG, atomically."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from neuroxide.fileio import save_figure

    c, cv = cal, cal.curve
    fam = c.family
    two = fam in ("mtj", "dendrite")
    fig = Figure(figsize=(6.4, 6.4 if two else 4.2))
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 1) if two else [fig.subplots()]
    ax = axes[0]
    title = f"{c.preset.name} ({fam}): max error {100 * c.fidelity['max_error']:.2f} %"
    if fam in ("fefet", "afefet"):
        v = np.asarray(cv["v_inh_volt"])
        nf, nx = np.asarray(cv["pulses_float"], dtype=float), np.asarray(cv["pulses_fixed"], dtype=float)
        ax.plot(v, np.where(np.isfinite(nf), nf, np.nan), "-", label="device model (float)")
        ax.plot(v, np.where(np.isfinite(nx), nx, np.nan), "o", ms=4, label="fixed-point LIF")
        never = ~np.isfinite(nf)
        if never.any():
            ax.axvspan(v[never].min(), v.max(), color="0.85", label="never fires")
        ax.set_xlabel(f"inhibitory pulse amplitude (V), excitatory {c.preset.v_exc_volt:g} V")
        ax.set_ylabel("excitatory pulses to fire")
        ax.set_yscale("log")
    elif fam == "stochastic":
        v = np.asarray(cv["vin_volt"])
        ax.plot(v, cv["p_float"], "-", label="device: Phi((V_off - V_th)/sigma), sigma/mu = "
                f"{100 * c.preset.sigma_rel:g} %")
        ax.plot(v, cv["p_float_mc"], ".", ms=4, label="device, Monte Carlo")
        ax.plot(v, cv["p_fixed"], "o", ms=3, mfc="none", label=f"fixed point, xorshift32 noise ({c.params.noise_bits} bits)")
        ax.set_xlabel("Vin (V)")
        ax.set_ylabel("P(fire) per trial")
    elif fam in ("oscillator", "ts"):
        v = np.asarray(cv["vin_volt"])
        ax.plot(v, np.asarray(cv["rate_float_hz"]) / 1e6, "-", label="device model (float, exact)")
        ax.plot(v, np.asarray(cv["rate_fixed_hz"]) / 1e6, "o", ms=3, label="fixed-point LIF, latch-aware encoder")
        ax.axvline(c.preset.latch_vin_volt, ls="--", color="k", lw=0.8)
        ax.axvspan(c.preset.latch_vin_volt, v.max(), color="0.88", label="latched on: self-protection")
        ax.set_xlabel("Vin (V)")
        ax.set_ylabel("rate (MHz)")
    elif fam == "mtj":
        i = np.asarray(cv["i_amp"]) * 1e6
        ax.plot(i, np.asarray(cv["rate_float_hz"]) / 1e6, "-", label="domain-wall model (float)")
        ax.plot(i, np.asarray(cv["rate_fixed_hz"]) / 1e6, "o", ms=3, label="fixed-point LIF")
        ax.set_xlabel("drive current (uA)")
        ax.set_ylabel("rate (MHz)")
        ax2 = axes[1]
        for raster, marker, dy, lab in ((c.extra["wta_raster_float"], "|", -0.15, "float"),
                                        (c.extra["wta_raster_fixed"], "|", 0.15, "fixed")):
            r = np.asarray(raster)
            for k in range(r.shape[1]):
                t = np.flatnonzero(r[:, k]) * c.dt_s * 1e9
                ax2.plot(t, np.full(t.size, k + dy), marker, ms=8, color=f"C{0 if lab == 'float' else 1}",
                         label=lab if k == 0 else None)
        cur = np.asarray(c.extra["wta_currents_amp"]) * 1e6
        ax2.set_yticks(range(cur.size), [f"{x:.0f} uA" for x in cur])
        ax2.set_xlabel("time (ns)")
        ax2.set_title("winner-take-all: lateral inhibition, spikes float vs fixed")
        ax2.legend(loc="upper right", fontsize=8)
    elif fam == "dendrite":
        a = np.asarray(cv["amplitude_volt"])
        ax.plot(a, cv["norm_float"], "-", label="device: charge of 10 pulses (normalised)")
        ax.plot(a, cv["norm_fixed"], "o", ms=3, label="fixed point: dendrite output (normalised)")
        ax.axvline(c.preset.v_th_volt, ls="--", color="k", lw=0.8)
        ax.set_xlabel("input pulse amplitude (V)")
        ax.set_ylabel("dendrite output")
        ax2 = axes[1]
        ax2.plot(a, cv["soma_spikes_100_steps"], "s-", ms=3)
        ax2.set_xlabel("input amplitude on all 4 dendrites (V)")
        ax2.set_ylabel("soma spikes / 100 steps")
        ax2.set_title("weak inputs filtered, strong inputs integrated to firing")
    ax.set_title(title)
    ax.legend(loc="best", fontsize=8)
    for a_ in axes:
        a_.grid(True, alpha=0.3)
    fig.tight_layout()
    return save_figure(fig, path)
