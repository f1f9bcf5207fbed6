"""Dendrite device (Li 2020): filters weak inputs, integrates strong ones, with its own relaxation.

Physics (docs/physics.md, "Multi-dendrite neurons"): the dendrite is a volatile (diffusive) device
between a synapse and the soma. Its conductance ``g`` follows the applied pulse amplitude through
a threshold nonlinearity and relaxes back between pulses, so low-voltage noise passes almost
nothing while a train of strong pulses builds up conductance and delivers growing charge::

    g_inf(V) = g_min + (g_max - g_min) * sigmoid((|V| - v_th) / v_width)     during a pulse
    dg/dt    = (g_inf(V) - g) / tau_rise                                     pulse on (width t_p)
    dg/dt    = (g_min - g) / tau_decay                                       pulse off (T - t_p)
    Q_pulse  = V * int g dt   over the pulse                                 charge into the soma

Everything is piecewise exponential, so :func:`pulse_train` is exact (closed-form integrals).
:func:`filtering_curve` gives the charge a train of ``n_pulses`` delivers vs the amplitude: flat
near zero below ``v_th`` (the filter), then rising steeply (integration of strong inputs).
Energy per pulse is ``V * Q_pulse`` (dissipated in the dendrite branch).
"""

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from neuroxide.errors import ParameterError

__all__ = ["DendritePreset", "DENDRITE_FIELDS", "g_inf_siemens", "pulse_train", "filtering_curve"]


@dataclass(frozen=True)
class DendritePreset:
    """One dendrite device (SI units) and where its values come from."""

    name: str
    g_min_siemens: float
    g_max_siemens: float
    v_th_volt: float          # centre of the conductance threshold
    v_width_volt: float       # its width (sigmoid scale)
    tau_rise_s: float
    tau_decay_s: float
    pulse_width_s: float
    pulse_period_s: float
    v_max_volt: float         # largest amplitude of sweeps
    source: str = ""
    assumed: tuple = ()

    def __post_init__(self):
        for f in DENDRITE_FIELDS:
            value = getattr(self, f)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                    or not math.isfinite(value) or not value > 0:
                raise ParameterError(f, value, "a finite number > 0")
            object.__setattr__(self, f, float(value))
        if self.g_min_siemens >= self.g_max_siemens:
            raise ParameterError("g_min_siemens", self.g_min_siemens, f"< g_max_siemens = {self.g_max_siemens:g}")
        if self.pulse_width_s >= self.pulse_period_s:
            raise ParameterError("pulse_width_s", self.pulse_width_s, f"< pulse_period_s = {self.pulse_period_s:g}")
        if self.v_th_volt >= self.v_max_volt:
            raise ParameterError("v_th_volt", self.v_th_volt, f"< v_max_volt = {self.v_max_volt:g}")
        if any(a not in DENDRITE_FIELDS for a in self.assumed):
            raise ParameterError("assumed", self.assumed, f"names from {list(DENDRITE_FIELDS)}")
        object.__setattr__(self, "assumed", tuple(self.assumed))

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)


DENDRITE_FIELDS = tuple(f.name for f in dataclasses.fields(DendritePreset) if f.name not in ("name", "source", "assumed"))


def g_inf_siemens(preset, v_volt):
    """Conductance the dendrite tends to under a pulse of ``v_volt`` (vectorised)."""
    p = preset
    v = np.abs(np.asarray(v_volt, dtype=float))
    g = p.g_min_siemens + (p.g_max_siemens - p.g_min_siemens) * expit((v - p.v_th_volt) / p.v_width_volt)
    return float(g) if g.ndim == 0 else g


def pulse_train(preset, v_volt, g0_siemens=None):
    """Exact response to pulses of amplitudes ``v_volt`` (1-D, one per period; 0 = no pulse).

    Returns ``(g_end, charge)``: the conductance at the end of each period and the charge (C) each
    pulse delivered to the soma.
    """
    p = preset
    v = np.asarray(v_volt, dtype=float).ravel()
    g = p.g_min_siemens if g0_siemens is None else float(g0_siemens)
    tp, toff = p.pulse_width_s, p.pulse_period_s - p.pulse_width_s
    g_end, q = np.empty(v.size), np.empty(v.size)
    ginf = np.asarray(g_inf_siemens(p, v)).reshape(v.size)
    e_rise = -math.expm1(-tp / p.tau_rise_s)
    e_off = math.exp(-toff / p.tau_decay_s)
    for k in range(v.size):
        if v[k] != 0.0:
            # int_0^tp g dt with g = ginf + (g - ginf) exp(-t/tau_rise)
            q[k] = abs(v[k]) * (ginf[k] * tp + (g - ginf[k]) * p.tau_rise_s * e_rise)
            g = ginf[k] + (g - ginf[k]) * (1.0 - e_rise)
            g = p.g_min_siemens + (g - p.g_min_siemens) * e_off
        else:
            q[k] = 0.0
            g = p.g_min_siemens + (g - p.g_min_siemens) * math.exp(-p.pulse_period_s / p.tau_decay_s)
        g_end[k] = g
    return g_end, q


def filtering_curve(preset, amplitudes_volt, n_pulses=10):
    """Total charge (C) delivered by ``n_pulses`` equal pulses, for each amplitude (vectorised)."""
    amps = np.asarray(amplitudes_volt, dtype=float).ravel()
    return np.array([pulse_train(preset, np.full(n_pulses, a))[1].sum() for a in amps])
