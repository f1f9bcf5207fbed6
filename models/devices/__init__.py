"""Float device physics (SI units): oxide neuron devices before calibration into fixed point.

* :mod:`.threshold_switch` -- the threshold-switching memristor LIF neuron, simulated exactly
  event by event, with the analytic period and energy formulas.
* :mod:`.presets` -- published circuits (NbOx, VO2, Ag/HfAlOx, Ag/SiO2) and the review's figures.
* the neuron zoo: :mod:`.fefet` (FeFET, antiferroelectric FET), :mod:`.mtj` (SOT-MTJ domain wall),
  :mod:`.stochastic` (TS with per-event threshold), :mod:`.dendrite` (Li 2020 dendrite),
  :mod:`.vo2_hh` (the two-VO2-channel Hodgkin-Huxley neuristor), and
  :mod:`.zoo`, their presets with sources (:data:`ZOO_PRESETS`; :data:`ALL_PRESETS` holds every
  family's, :data:`PRESETS` stays the threshold-switch presets).
* :mod:`.preset_file` -- a device of any family as a TOML preset file; :func:`resolve_preset`
  turns a built-in name or a file path into a preset (docs/devices.md).
* :mod:`.fit` -- presets fitted to measurement CSVs (:func:`fit_device`), with the synthetic
  example measurements of :mod:`.synthetic` (models/data/measurements).
"""

from .dendrite import DendritePreset
from .fefet import FeFETPreset
from .mtj import MTJPreset
from .preset_file import dump_preset, load_preset, load_preset_file, resolve_preset
from .presets import PRESETS, energy_comparison, get_preset, published_rate_points, table_rows
from .stochastic import StochasticTSPreset
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
from .vo2_hh import VO2Channel, VO2Neuristor
from .vo2_hh import simulate as simulate_vo2_hh
from .zoo import ALL_PRESETS, FAMILIES, ZOO_PRESETS, family_of, get_any_preset, zoo_energy_table

__all__ = [
    "CIRCUIT_FIELDS", "ThresholdSwitchPreset", "ThresholdSwitchRun", "simulate", "f_v_curve", "analytic_rate_hz",
    "analytic_timing_s", "analytic_branch_energy_per_spike_joule",
    "analytic_supply_energy_per_period_joule",
    "PRESETS", "get_preset", "table_rows", "energy_comparison", "published_rate_points",
    "FeFETPreset", "MTJPreset", "StochasticTSPreset", "DendritePreset",
    "ZOO_PRESETS", "ALL_PRESETS", "FAMILIES", "family_of", "get_any_preset", "zoo_energy_table",
    "VO2Channel", "VO2Neuristor", "simulate_vo2_hh",
    "resolve_preset", "load_preset", "load_preset_file", "dump_preset",
]
