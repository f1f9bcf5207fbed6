"""Ferroelectric (FeFET) and antiferroelectric (AFeFET) neurons: polarisation accumulated under pulses.

Physics (docs/physics.md, "FeFET"): a gate pulse of amplitude ``V`` and width ``t_p`` advances the
nucleation of reversed ferroelectric domains in the gate stack; once enough domains have switched,
the channel turns on and the drain current crosses the read threshold: the neuron fires.
Nucleation-limited switching accumulates (Mulaosmanovic 2018): each pulse adds a fraction
``t_p / tau(V)`` of the nucleation time, with Merz's law for the field dependence::

    tau(V)   = tau0_s * exp(v_act_volt / |V|)            nucleation time at gate voltage V
    r(V)     = t_p / tau(V)                              progress per pulse (0 for V = 0)

The state is the dimensionless nucleation progress ``s`` (0 = unswitched, 1 = channel on). One
step is one pulse period ``T``: an excitatory pulse (``V_e > 0``) then an inhibitory pulse of the
opposite polarity (``V_i``, applied as ``-V_i``) that drives the domains back::

    s_int = max(0, s * leak + r(V_e) - r(V_i))           leak = exp(-T / tau_relax_s)
    fire  = s_int >= 1

* ferroelectric (``kind="ferroelectric"``): remanent, so no leak (``tau_relax_s = inf``); the
  polarisation stays until an erase pulse of ``t_reset_s`` resets ``s = 0`` (the reset circuit).
* antiferroelectric (``kind="antiferroelectric"``, Cao 2022): zero remanent polarisation, so the
  induced polarisation relaxes by itself (``tau_relax_s`` finite: the leak) and after a spike it
  returns to 0 without a reset circuit in ``t_reset_s`` (the refractory period).

With alternating excitatory and inhibitory pulses the pulses needed to fire from ``s = 0`` are::

    N = ceil(1 / (r(V_e) - r(V_i)))                      ferroelectric (no leak), inf if r_i >= r_e

so ``N`` grows with the inhibitory amplitude and diverges once inhibition matches excitation.
With a leak, :func:`pulses_to_fire` steps the recurrence.

Energy per spike: each pulse charges and discharges the gate capacitance, ``C_g V^2`` per pulse,
summed over the pulses that lead to a spike plus the reset (erase) pulse for the ferroelectric
(``C_g V_reset^2``): :func:`energy_per_spike_joule`.
"""

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from neuroxide.errors import ParameterError

__all__ = ["FEFET_FIELDS", "FeFETPreset", "FEFET_KINDS", "progress_per_pulse", "pulses_to_fire",
           "fefet_step", "simulate_pulses", "energy_per_spike_joule"]

FEFET_KINDS = ("ferroelectric", "antiferroelectric")
MAX_PULSES = 100_000   # a sweep gives up (reports no firing) beyond this many pulses


@dataclass(frozen=True)
class FeFETPreset:
    """One (anti)ferroelectric FET neuron (SI units) and where its values come from."""

    name: str
    kind: str
    tau0_s: float            # Merz-law prefactor of the nucleation time
    v_act_volt: float        # Merz-law activation voltage (activation field x ferroelectric thickness)
    pulse_width_s: float     # t_p of every gate pulse
    pulse_period_s: float    # T: one excitatory + one inhibitory pulse per period (one step)
    tau_relax_s: float       # polarisation relaxation (inf: ferroelectric, remanent)
    t_reset_s: float         # erase pulse (FE) or spontaneous return (AFE) after a spike
    c_gate_farad: float      # gate capacitance (energy per pulse C V^2)
    v_exc_volt: float        # the published excitatory drive
    v_reset_volt: float      # erase pulse amplitude (FE); 0 for AFE (no reset circuit)
    v_max_volt: float        # largest pulse amplitude of sweeps (gate breakdown margin)
    source: str = ""
    assumed: tuple = ()

    def __post_init__(self):
        if self.kind not in FEFET_KINDS:
            raise ParameterError("kind", self.kind, " | ".join(FEFET_KINDS))
        for f in FEFET_FIELDS:
            value = getattr(self, f)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
                raise ParameterError(f, value, "a number")
            object.__setattr__(self, f, float(value))
        if any(a not in FEFET_FIELDS for a in self.assumed):
            raise ParameterError("assumed", self.assumed, f"names from {list(FEFET_FIELDS)}")
        object.__setattr__(self, "assumed", tuple(self.assumed))
        self.validate()

    def validate(self):
        for f in ("tau0_s", "v_act_volt", "pulse_width_s", "pulse_period_s", "t_reset_s", "c_gate_farad",
                  "v_exc_volt", "v_max_volt"):
            value = getattr(self, f)
            if not (value > 0) or not math.isfinite(value):
                raise ParameterError(f, value, "> 0 (finite)")
        if self.pulse_width_s * 2 > self.pulse_period_s:
            raise ParameterError("pulse_width_s", self.pulse_width_s, f"<= pulse_period_s / 2 = {self.pulse_period_s / 2:g} s",
                                 "an excitatory and an inhibitory pulse share each period")
        if not self.tau_relax_s > 0:
            raise ParameterError("tau_relax_s", self.tau_relax_s, "> 0 s (inf for a ferroelectric)")
        if self.kind == "ferroelectric" and math.isfinite(self.tau_relax_s):
            raise ParameterError("tau_relax_s", self.tau_relax_s, "inf", "a ferroelectric is remanent: no leak")
        if self.kind == "antiferroelectric" and not math.isfinite(self.tau_relax_s):
            raise ParameterError("tau_relax_s", self.tau_relax_s, "a finite time > 0",
                                 "an antiferroelectric relaxes by itself")
        if self.pulse_period_s / self.tau_relax_s > 700:
            raise ParameterError("tau_relax_s", self.tau_relax_s, f">= pulse_period_s / 700 = {self.pulse_period_s / 700:g} s",
                                 "shorter, and the polarisation left after one period, exp(-T/tau), underflows to 0")
        if not 0 <= self.v_reset_volt <= self.v_max_volt:
            raise ParameterError("v_reset_volt", self.v_reset_volt, f"0..{self.v_max_volt:g} V")
        if self.v_exc_volt > self.v_max_volt:
            raise ParameterError("v_exc_volt", self.v_exc_volt, f"0 < V <= v_max_volt = {self.v_max_volt:g}")
        if progress_per_pulse(self, self.v_exc_volt) <= 0:
            raise ParameterError("v_act_volt", self.v_act_volt, "smaller", "the published drive never switches")

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    @property
    def leak(self):
        """Polarisation kept over one period, exp(-T / tau_relax) (1 for a ferroelectric)."""
        return math.exp(-self.pulse_period_s / self.tau_relax_s)

    @property
    def t_ref_steps(self):
        """Whole periods the neuron is held after a spike (reset / relaxation)."""
        return math.ceil(self.t_reset_s / self.pulse_period_s - 1e-9)


FEFET_FIELDS = tuple(f.name for f in dataclasses.fields(FeFETPreset) if f.name not in ("name", "kind", "source", "assumed"))


def progress_per_pulse(preset, v_volt):
    """``r(V) = t_p / tau0 exp(-v_act/|V|)`` (vectorised); 0 for V = 0."""
    v = np.abs(np.asarray(v_volt, dtype=float))
    with np.errstate(divide="ignore"):
        r = np.where(v > 0, preset.pulse_width_s / preset.tau0_s * np.exp(-preset.v_act_volt / np.where(v > 0, v, 1.0)), 0.0)
    return float(r) if r.ndim == 0 else r


def fefet_step(preset, s, v_exc_volt, v_inh_volt):
    """One pulse period (module docstring): returns ``(s_next, fire)`` before any reset (vectorised)."""
    s_int = np.maximum(0.0, np.asarray(s, dtype=float) * preset.leak + progress_per_pulse(preset, v_exc_volt)
                       - progress_per_pulse(preset, v_inh_volt))
    return s_int, s_int >= 1.0


def simulate_pulses(preset, v_exc_volt, v_inh_volt):
    """Run a pulse train: per-step amplitudes (1-D arrays, same length) -> ``(s, spike)`` after each step.

    After a spike ``s = 0`` and the next ``t_ref_steps`` periods ignore their pulses (erase / return).
    """
    ve = np.asarray(v_exc_volt, dtype=float)
    vi = np.broadcast_to(np.asarray(v_inh_volt, dtype=float), ve.shape)
    s_out = np.empty(ve.shape)
    spikes = np.zeros(ve.shape, dtype=bool)
    s, hold = 0.0, 0
    for t in range(ve.size):
        if hold:
            hold -= 1
        else:
            s, fire = fefet_step(preset, s, ve[t], vi[t])
            if fire:
                spikes[t], s, hold = True, 0.0, preset.t_ref_steps
        s_out[t] = s
    return s_out, spikes


def pulses_to_fire(preset, v_inh_volt, v_exc_volt=None, max_pulses=MAX_PULSES):
    """Excitatory pulses needed to fire from ``s = 0`` with inhibitory pulses of ``v_inh_volt`` between
    them (vectorised over ``v_inh_volt``); ``inf`` where it never fires (within ``max_pulses``)."""
    ve = preset.v_exc_volt if v_exc_volt is None else float(v_exc_volt)
    vi = np.asarray(v_inh_volt, dtype=float)
    net_r = progress_per_pulse(preset, ve) - np.asarray(progress_per_pulse(preset, vi))
    a = preset.leak
    with np.errstate(divide="ignore", invalid="ignore"):
        if a == 1.0:
            n = np.where(net_r > 0, np.ceil(1.0 / np.where(net_r > 0, net_r, 1.0) - 1e-12), np.inf)
        else:
            # s_n = net (1 - a^n)/(1 - a) reaches 1 iff net > 1 - a
            ok = net_r > 1.0 - a
            x = 1.0 - (1.0 - a) / np.where(ok, net_r, 1.0)
            n = np.where(ok, np.ceil(np.log(np.where(ok, x, 0.5)) / math.log(a) - 1e-12), np.inf)
    n = np.where(n > max_pulses, np.inf, np.maximum(n, 1.0))
    return float(n) if n.ndim == 0 else n


def energy_per_spike_joule(preset, v_exc_volt=None, v_inh_volt=0.0):
    """Gate energy of the pulses leading to one spike from rest, plus the erase pulse: J (nan if none)."""
    ve = preset.v_exc_volt if v_exc_volt is None else float(v_exc_volt)
    n = pulses_to_fire(preset, v_inh_volt, ve)
    if not math.isfinite(n):
        return math.nan
    c = preset.c_gate_farad
    return n * c * (ve ** 2 + float(v_inh_volt) ** 2) + c * preset.v_reset_volt ** 2
