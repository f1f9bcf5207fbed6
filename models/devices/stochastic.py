"""Stochastic threshold-switch neuron: the TS circuit with a threshold drawn per switching event.

Physics (docs/physics.md, "Stochastic neurons"): TS switching is random; the simplest model draws the
device threshold per event from ``N(mu, sigma)`` with ``sigma/mu`` about 2.5 %. The circuit is the
one of :mod:`.threshold_switch` (same preset); only ``V_th`` varies from event to event.

Two views, both exact given the drawn thresholds:

* single trial (a probabilistic bit): a drive ``Vin`` held long enough charges the node to its
  off-state asymptote ``V_off = k_off Vin``; the device fires iff ``V_off`` exceeds the drawn node
  threshold, so the firing probability is the sigmoid (probit)::

      P(Vin) = Phi((k_off Vin - V_th_node) / (sigma_rel V_th_node))

  (the drawn ``V_th`` is scaled to the node level like the mean; :func:`firing_probability`), and
  :func:`trial_fires` draws such trials;
* spike train (:func:`simulate_train`): every charging phase uses a fresh threshold ``V_th,k``,
  ``t_int,k = tau_off ln[(V_off - V_hold)/(V_off - V_th,k)]`` and the discharge from that level,
  ``t_fire,k = tau_on ln[(V_th,k - V_on)/(V_hold - V_on)]``; a draw above ``V_off`` ends the train.
"""

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from neuroxide.errors import ParameterError

from .threshold_switch import ThresholdSwitchPreset

__all__ = ["StochasticTSPreset", "STOCHASTIC_FIELDS", "firing_probability", "trial_fires", "simulate_train"]


@dataclass(frozen=True)
class StochasticTSPreset:
    """A TS circuit (:class:`ThresholdSwitchPreset`) with threshold spread ``sigma_rel`` per event."""

    name: str
    circuit: ThresholdSwitchPreset
    sigma_rel: float = 0.025
    source: str = ""
    assumed: tuple = ()

    def __post_init__(self):
        if not isinstance(self.circuit, ThresholdSwitchPreset):
            raise ParameterError("circuit", type(self.circuit).__name__, "a ThresholdSwitchPreset")
        if isinstance(self.sigma_rel, bool) or not isinstance(self.sigma_rel, (int, float)) \
                or not 0 < self.sigma_rel <= 0.2:
            raise ParameterError("sigma_rel", self.sigma_rel, "0 < sigma_rel <= 0.2",
                                 "a relative threshold spread (the review: about 0.025)")
        object.__setattr__(self, "sigma_rel", float(self.sigma_rel))
        object.__setattr__(self, "assumed", tuple(self.assumed))

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    @property
    def sigma_node_volt(self):
        """Threshold spread at the node, sigma_rel * V_th_node."""
        return self.sigma_rel * self.circuit.node_v_th_volt

    @property
    def vin_50_volt(self):
        """Drive at which half the trials fire (V_off = V_th_node)."""
        return self.circuit.onset_vin_volt

    def vin_range_volt(self, n_sigma=4.0):
        """Drives from ``-n_sigma`` to ``+n_sigma`` around the 50 % point (the sigmoid's span)."""
        span = n_sigma * self.sigma_node_volt / self.circuit.k_off
        return self.vin_50_volt - span, self.vin_50_volt + span


STOCHASTIC_FIELDS = ("sigma_rel",)


def firing_probability(preset, vin_volt):
    """``Phi((k_off Vin - V_th_node) / sigma_node)`` (vectorised)."""
    c = preset.circuit
    z = (c.v_off_volt(vin_volt) - c.node_v_th_volt) / preset.sigma_node_volt
    p = ndtr(z)
    return float(p) if np.ndim(p) == 0 else p


def trial_fires(preset, vin_volt, trials, seed=0):
    """Monte-Carlo single trials: bool array ``(trials, *vin.shape)``, one threshold drawn per trial."""
    c = preset.circuit
    vin = np.asarray(vin_volt, dtype=float)
    rng = np.random.default_rng(seed)
    v_th = rng.normal(c.node_v_th_volt, preset.sigma_node_volt, size=(int(trials), *vin.shape))
    return c.v_off_volt(vin) > v_th


def simulate_train(preset, vin_volt, n_spikes, seed=0):
    """Spike times (s) of ``n_spikes`` charge/fire cycles at constant drive, one threshold per event.

    The first charge starts from 0 V. Stops early (shorter array) when a drawn threshold is above
    the asymptote ``V_off`` (the device never fires again at this drive).
    """
    c = preset.circuit
    if not isinstance(n_spikes, (int, np.integer)) or n_spikes < 1:
        raise ParameterError("n_spikes", n_spikes, "an integer >= 1")
    rng = np.random.default_rng(seed)
    v_th = rng.normal(c.node_v_th_volt, preset.sigma_node_volt, size=n_spikes)
    v_th = np.maximum(v_th, c.node_v_hold_volt * (1 + 1e-9))   # a draw below hold cannot discharge to it
    v_off, v_on, v_hold = float(c.v_off_volt(vin_volt)), float(c.v_on_volt(vin_volt)), c.node_v_hold_volt
    times, t, v0 = [], 0.0, 0.0
    for k in range(n_spikes):
        if v_off <= v_th[k] or v_on >= v_hold:
            break
        t += c.tau_off_s * math.log((v_off - v0) / (v_off - v_th[k]))
        times.append(t)
        t += c.tau_on_s * math.log((v_th[k] - v_on) / (v_hold - v_on))
        v0 = v_hold
    return np.asarray(times)
