"""Spintronic MTJ neuron: a domain wall integrates current, relaxes back, and self-resets on firing.

Physics (docs/physics.md, "Spintronic MTJ", Wang 2023): a current ``I`` through the heavy-metal
channel under the free layer exerts a spin-orbit torque that moves a domain wall along the track
once it exceeds the depinning current ``I_dep``; residual heat and exchange coupling with the
antiferromagnet push the wall back (the leak). When the wall reaches the MTJ at the track end
(``x = L``) the MTJ switches (the spike) and the exchange bias resets the wall to ``x = 0`` in
``t_reset_s`` (self-reset, no reset circuit)::

    v_dw(I) = mobility * max(0, I - I_dep)                     wall velocity, m/s
    dx/dt   = v_dw(I) - x / tau_relax                          integrate + leak
    x(t)    = x_inf + (x0 - x_inf) exp(-t / tau_relax),  x_inf = v_dw(I) tau_relax

Under constant current from ``x = 0`` the wall reaches ``L`` only if ``x_inf > L``, after::

    t_int = tau_relax ln[x_inf / (x_inf - L)],   f = 1 / (t_int + t_reset)

Stepped with a time step ``dt`` at constant current the update is exact:
``x' = a x + (1 - a) x_inf`` with ``a = exp(-dt/tau_relax)`` -- the LIF leak, which is why the
fixed-point neuron is the LIF rule with ``decay = a``.

Winner-take-all (:func:`simulate_wta`): several neurons, each driven by its own current; a spike
of one injects a lateral inhibitory push ``dx_inh_m`` on every other wall (Wang 2023's lateral
inhibition between MTJ neurons), so the most strongly driven neuron keeps firing and the others
are held back.

Energy per spike: the drive current dissipates ``I^2 R_channel`` while the wall integrates, and the
MTJ read adds nothing that the paper separates, so ``E = I^2 R_channel t_int``.
"""

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from neuroxide.errors import ParameterError

__all__ = ["MTJ_FIELDS", "MTJPreset", "dw_velocity", "analytic_rate_hz", "time_to_fire_s",
           "energy_per_spike_joule", "simulate_wta"]


@dataclass(frozen=True)
class MTJPreset:
    """One SOT-MTJ domain-wall neuron (SI units) and where its values come from."""

    name: str
    track_length_m: float      # wall travel from reset to the MTJ
    mobility_m_per_s_per_amp: float   # wall velocity per ampere above depinning
    i_dep_amp: float           # depinning current
    tau_relax_s: float         # relaxation (leak) time constant of the wall
    t_reset_s: float           # self-reset time after a spike (refractory)
    r_channel_ohm: float       # heavy-metal channel resistance (energy)
    i_min_amp: float           # operating range of the drive current
    i_max_amp: float
    dx_inh_m: float            # lateral inhibition: wall push-back per spike of another neuron
    source: str = ""
    assumed: tuple = ()

    def __post_init__(self):
        for f in MTJ_FIELDS:
            value = getattr(self, f)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                    or not math.isfinite(value):
                raise ParameterError(f, value, "a finite number")
            object.__setattr__(self, f, float(value))
        if any(a not in MTJ_FIELDS for a in self.assumed):
            raise ParameterError("assumed", self.assumed, f"names from {list(MTJ_FIELDS)}")
        object.__setattr__(self, "assumed", tuple(self.assumed))
        self.validate()

    def validate(self):
        for f in MTJ_FIELDS:
            if f != "dx_inh_m" and not getattr(self, f) > 0:
                raise ParameterError(f, getattr(self, f), "> 0")
        if self.dx_inh_m < 0:
            raise ParameterError("dx_inh_m", self.dx_inh_m, ">= 0 m")
        if not self.onset_amp < self.i_min_amp < self.i_max_amp:
            raise ParameterError("i_min_amp", self.i_min_amp, f"{self.onset_amp:.4g} A < i_min_amp < i_max_amp",
                                 "the operating range must fire")

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    @property
    def onset_amp(self):
        """Smallest current that fires: x_inf = L."""
        return self.i_dep_amp + self.track_length_m / (self.mobility_m_per_s_per_amp * self.tau_relax_s)


MTJ_FIELDS = tuple(f.name for f in dataclasses.fields(MTJPreset) if f.name not in ("name", "source", "assumed"))


def dw_velocity(preset, i_amp):
    """``mobility * max(0, I - I_dep)``, m/s (vectorised)."""
    v = preset.mobility_m_per_s_per_amp * np.maximum(0.0, np.asarray(i_amp, dtype=float) - preset.i_dep_amp)
    return float(v) if v.ndim == 0 else v


def time_to_fire_s(preset, i_amp):
    """``t_int`` from x = 0 at constant current; inf below the onset (vectorised)."""
    x_inf = np.asarray(dw_velocity(preset, i_amp)) * preset.tau_relax_s
    ok = x_inf > preset.track_length_m
    with np.errstate(divide="ignore", invalid="ignore"):
        t = preset.tau_relax_s * np.log(x_inf / (x_inf - preset.track_length_m))
    t = np.where(ok, t, np.inf)
    return float(t) if t.ndim == 0 else t


def analytic_rate_hz(preset, i_amp):
    """Firing rate ``1 / (t_int + t_reset)``; 0 below the onset (vectorised)."""
    r = 1.0 / (np.asarray(time_to_fire_s(preset, i_amp)) + preset.t_reset_s)
    return float(r) if r.ndim == 0 else r


def energy_per_spike_joule(preset, i_amp):
    """``I^2 R_channel t_int`` (J); nan below the onset."""
    t = time_to_fire_s(preset, i_amp)
    return float(i_amp) ** 2 * preset.r_channel_ohm * t if math.isfinite(t) else math.nan


def simulate_wta(preset, i_amp, dt_s, steps, *, lateral=True):
    """Neurons driven by constant currents ``i_amp`` (1-D), stepped exactly every ``dt_s``.

    Per step, for every neuron not resetting: ``x' = a x + (1 - a) x_inf - dx_inh * (spikes of the
    others on the previous step)``, floored at 0; ``x' >= L`` fires, resets ``x = 0`` and holds it
    for ``t_reset`` (whole steps). Returns ``(x, spike)`` arrays of shape ``(steps, n)``.
    """
    i = np.asarray(i_amp, dtype=float).ravel()
    if not dt_s > 0 or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ParameterError("dt_s/steps", (dt_s, steps), "dt_s > 0 and steps >= 1")
    a = math.exp(-dt_s / preset.tau_relax_s)
    drive = (1.0 - a) * np.asarray(dw_velocity(preset, i)) * preset.tau_relax_s
    hold_steps = math.ceil(preset.t_reset_s / dt_s - 1e-9)
    x = np.zeros(i.size)
    hold = np.zeros(i.size, dtype=int)
    last = np.zeros(i.size, dtype=bool)
    xs = np.empty((steps, i.size))
    sp = np.zeros((steps, i.size), dtype=bool)
    for t in range(steps):
        others = last.sum() - last if lateral else 0
        x_int = np.maximum(0.0, a * x + drive - preset.dx_inh_m * others)
        active = hold == 0
        fire = active & (x_int >= preset.track_length_m)
        x = np.where(active, np.where(fire, 0.0, x_int), x)
        hold = np.where(active, np.where(fire, hold_steps, 0), hold - 1)
        xs[t], sp[t], last = x, fire, fire
    return xs, sp
