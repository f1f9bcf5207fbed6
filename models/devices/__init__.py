"""Float device physics (SI units): oxide neuron devices before calibration into fixed point.

* :mod:`.threshold_switch` -- the threshold-switching memristor LIF neuron, simulated exactly
  event by event, with the analytic period and energy formulas.
* :mod:`.presets` -- published circuits (NbOx, VO2, Ag/HfAlOx, Ag/SiO2) and the review's figures.
"""

from .presets import PRESETS, energy_comparison, get_preset, published_rate_points, table_rows
from .threshold_switch import (
    CIRCUIT_FIELDS,
    ThresholdSwitchPreset,
    ThresholdSwitchRun,
    analytic_branch_energy_per_spike_joule,
    analytic_rate_hz,
    analytic_supply_energy_per_period_joule,
    analytic_timing_s,
    f_v_curve,
    simulate,
)

__all__ = [
    "CIRCUIT_FIELDS", "ThresholdSwitchPreset", "ThresholdSwitchRun", "simulate", "f_v_curve", "analytic_rate_hz",
    "analytic_timing_s", "analytic_branch_energy_per_spike_joule",
    "analytic_supply_energy_per_period_joule",
    "PRESETS", "get_preset", "table_rows", "energy_comparison", "published_rate_points",
]
