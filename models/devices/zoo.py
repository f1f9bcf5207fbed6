"""The neuron zoo: presets of every device family beyond the plain TS neuron, with their sources.

Families (``FAMILIES``) and the module with their physics:

* ``fefet`` (ferroelectric) and ``afefet`` (antiferroelectric): :mod:`.fefet`
* ``mtj`` (spin-orbit-torque domain-wall MTJ): :mod:`.mtj`
* ``stochastic`` (TS with a threshold drawn per event): :mod:`.stochastic`
* ``oscillator`` (TS relaxation oscillator with NbO2's self-protection): :mod:`.threshold_switch`
* ``dendrite`` (Li 2020 dendrite device): :mod:`.dendrite`
* ``ts`` (the threshold-switch neurons of :mod:`.presets`)

As in :mod:`.presets`, published figures are used where they exist (the review's Table 1,
``models/data/oxide_neurons_table1.csv``, and docs/physics.md); every other value is listed in the
preset's ``assumed``; where one published figure pins an assumed value it is fitted to it, as the
comment beside the value says. :data:`ALL_PRESETS` holds every family's presets by name;
:func:`family_of` names a preset's family; :func:`zoo_energy_table` sets each model's energy per
spike beside the review's figure.
"""

import dataclasses
import math

from neuroxide.errors import ParameterError

from . import dendrite as _dendrite
from . import fefet as _fefet
from . import mtj as _mtj
from .dendrite import DendritePreset
from .fefet import FeFETPreset
from .mtj import MTJPreset
from .presets import PRESETS as TS_PRESETS
from .presets import _parse_si, _read_table, energy_comparison
from .stochastic import StochasticTSPreset
from .threshold_switch import ThresholdSwitchPreset, analytic_branch_energy_per_spike_joule, analytic_rate_hz

__all__ = ["ZOO_PRESETS", "ALL_PRESETS", "FAMILIES", "family_of", "get_any_preset", "register_family",
           "zoo_energy_table", "operating_drive_volt", "ZOO_TABLE_SOURCES"]

_MULAOSMANOVIC2018 = "Mulaosmanovic et al. Nanoscale 10:21755 (2018)"
_CAO2022 = "Cao et al. Nat. Commun. 13:7018 (2022)"
_WANG2023 = "Wang et al. Nat. Commun. 14:1068 (2023)"
_ZHANG2020 = "Zhang et al. Nat. Commun. 11:51 (2020)"
_LI2020 = "Li et al. 2020 (multi-dendrite neurons, as cited by the review)"
_REVIEW = "Li, Hu, Wang, Zhuge, J. Inorg. Mater. 39(4):345 (2024)"

ZOO_PRESETS = {
    # Si:HfO2 FeFET LIF neuron, 6T, 2.4 V pulses (Mulaosmanovic 2018): excitatory and inhibitory
    # inputs integrated as nucleation progress; remanent, so a reset (erase) pulse after each spike.
    # Merz-law constants chosen so that 2.4 V, 100 ns pulses fire after ~13 pulses (the tens of
    # pulses such neurons take); gate capacitance of a 0.5 um^2, 10 nm HfO2 (eps_r 30) gate.
    "fefet-sihfo2": FeFETPreset(
        name="fefet-sihfo2", kind="ferroelectric",
        tau0_s=1e-9, v_act_volt=17.1, pulse_width_s=100e-9, pulse_period_s=1e-6,
        tau_relax_s=math.inf, t_reset_s=1e-6, c_gate_farad=13.3e-15,
        v_exc_volt=2.4, v_reset_volt=3.0, v_max_volt=3.0,
        source=f"{_MULAOSMANOVIC2018}: Si:HfO2 FeFET, 2.4 V, excitatory + inhibitory integration",
        assumed=("tau0_s", "v_act_volt", "pulse_width_s", "pulse_period_s", "t_reset_s", "c_gate_farad",
                 "v_reset_volt", "v_max_volt"),
    ),
    # Hf0.2Zr0.8O2 antiferroelectric FET, 6T1R, 1.8 V, 37 fJ/spike (Cao 2022): the induced
    # polarisation relaxes by itself (leak), no reset circuit, refractory while it returns.
    # Pulse timing and relaxation assumed (fires after 5 pulses at 1.8 V); the gate capacitance is
    # fitted to 37 fJ per spike at 1.8 V.
    "afefet-hzo": FeFETPreset(
        name="afefet-hzo", kind="antiferroelectric",
        tau0_s=1e-9, v_act_volt=9.5, pulse_width_s=50e-9, pulse_period_s=100e-9,
        tau_relax_s=1e-6, t_reset_s=200e-9,
        c_gate_farad=2.28e-15,   # fitted: 37 fJ/spike at 1.8 V (5 pulses x C V^2)
        v_exc_volt=1.8, v_reset_volt=0.0, v_max_volt=2.5,
        source=f"{_CAO2022}: Hf0.2Zr0.8O2 antiferroelectric FET, 1.8 V, 37 fJ/spike, no reset circuit",
        assumed=("tau0_s", "v_act_volt", "pulse_width_s", "pulse_period_s", "tau_relax_s", "t_reset_s",
                 "c_gate_farad", "v_max_volt"),
    ),
    # MgO-barrier SOT-MTJ domain-wall neuron (Wang 2023): 17 MHz, 486 fJ/spike, self-reset, WTA.
    # Track, relaxation, reset time and depinning current assumed; the wall mobility is fitted to
    # 17 MHz at the largest drive (150 uA) and the channel resistance to 486 fJ/spike there.
    "mtj-sot": MTJPreset(
        name="mtj-sot", track_length_m=1e-6,
        mobility_m_per_s_per_amp=2.002e5,   # fitted: 17 MHz at 150 uA
        i_dep_amp=30e-6, tau_relax_s=100e-9, t_reset_s=5e-9,
        r_channel_ohm=401.3,                 # fitted: 486 fJ/spike at 150 uA
        i_min_amp=85e-6, i_max_amp=150e-6, dx_inh_m=0.5e-6,
        source=f"{_WANG2023}: MgO-barrier SOT-MTJ, 17 MHz, 486 fJ/spike, self-reset, winner-take-all",
        assumed=("track_length_m", "i_dep_amp", "tau_relax_s", "t_reset_s", "i_min_amp", "i_max_amp", "dx_inh_m"),
    ),
    # The NbOx TS neuron with a threshold drawn per switching event, sigma/mu = 2.5 % (the review's
    # simplest stochastic-neuron model); the circuit is the `nbox` preset unchanged.
    "nbox-stochastic": StochasticTSPreset(
        name="nbox-stochastic", circuit=TS_PRESETS["nbox"], sigma_rel=0.025,
        source=f"{_REVIEW}: V_th ~ N(mu, sigma), sigma/mu ~ 2.5 %; circuit: " + TS_PRESETS["nbox"].source,
        assumed=(),
    ),
    # Si/NbO2/TiN Mott oscillator neuron, 2 V, 900 kHz, 38 pJ, self-protection (Zhang 2020).
    # R_off, V_th, V_hold, R_S are NbO2-typical; R_on and R_L were picked on a grid so that the
    # branch energy at 2 V is the published 38 pJ and the latch limit (where the oscillation stops:
    # self-protection) is 3 V, 1.5x the drive; C is then fitted to 900 kHz at 2 V.
    "nbo2-osc": ThresholdSwitchPreset(
        name="nbo2-osc", r_load_ohm=21.8e3,
        c_farad=86.9e-12,        # fitted: 900 kHz at 2 V
        r_off_ohm=50e3, r_on_ohm=6.63e3, r_sense_ohm=10.0, v_th_volt=1.0, v_hold_volt=0.7,
        vin_min_volt=1.6, vin_max_volt=2.8,
        source=f"{_ZHANG2020}: Si/NbO2/TiN 1R, 2 V, 900 kHz, 38 pJ, stops oscillating far above threshold",
        oscillator=True,
        assumed=("r_load_ohm", "c_farad", "r_off_ohm", "r_on_ohm", "r_sense_ohm", "v_th_volt", "v_hold_volt",
                 "vin_min_volt", "vin_max_volt"),
    ),
    # Dendrite device of the multi-dendrite neuron (Li 2020): filters low-voltage noise, integrates
    # strong inputs. The review gives the behaviour only; every device value is assumed.
    "dendrite-li2020": DendritePreset(
        name="dendrite-li2020", g_min_siemens=1e-9, g_max_siemens=10e-6, v_th_volt=0.6, v_width_volt=0.05,
        tau_rise_s=1e-6, tau_decay_s=5e-6, pulse_width_s=1e-6, pulse_period_s=2e-6, v_max_volt=1.2,
        source=f"{_LI2020}: dendrites filter low-voltage noise and integrate strong inputs",
        assumed=("g_min_siemens", "g_max_siemens", "v_th_volt", "v_width_volt", "tau_rise_s", "tau_decay_s",
                 "pulse_width_s", "pulse_period_s", "v_max_volt"),
    ),
}

# Table 1 rows behind each zoo preset (matched on the ``source`` column)
ZOO_TABLE_SOURCES = {
    "fefet-sihfo2": (_MULAOSMANOVIC2018,),
    "afefet-hzo": (_CAO2022,),
    "mtj-sot": (_WANG2023,),
    "nbox-stochastic": ("Gao et al. APL 111:103503 (2017)", _ZHANG2020),
    "nbo2-osc": (_ZHANG2020,),
    "dendrite-li2020": (),
}

FAMILIES = ("ts", "fefet", "afefet", "mtj", "stochastic", "oscillator", "dendrite")

ALL_PRESETS = dict(sorted({**TS_PRESETS, **ZOO_PRESETS}.items()))

def register_family(preset, family):
    """``preset`` as a member of ``family``: a threshold-switch preset of the ``oscillator`` family is
    marked so (``ThresholdSwitchPreset.oscillator``); every other preset is returned as it is."""
    if isinstance(preset, ThresholdSwitchPreset) and family == "oscillator" and not preset.oscillator:
        return dataclasses.replace(preset, oscillator=True)
    return preset


def family_of(preset):
    """The family name of a preset object (one of :data:`FAMILIES`)."""
    if isinstance(preset, FeFETPreset):
        return "fefet" if preset.kind == "ferroelectric" else "afefet"
    if isinstance(preset, MTJPreset):
        return "mtj"
    if isinstance(preset, StochasticTSPreset):
        return "stochastic"
    if isinstance(preset, DendritePreset):
        return "dendrite"
    if isinstance(preset, ThresholdSwitchPreset):
        return "oscillator" if preset.oscillator else "ts"
    raise ParameterError("preset", type(preset).__name__, "a device preset")


def get_any_preset(name):
    """The preset called ``name`` in any family (see :data:`ALL_PRESETS`), or the preset of the
    preset file at path ``name`` (``*.toml``, :mod:`.preset_file`)."""
    from .preset_file import looks_like_file, resolve_preset
    if isinstance(name, str) and name not in ALL_PRESETS and looks_like_file(name):
        return resolve_preset(name)
    if not isinstance(name, str) or name not in ALL_PRESETS:
        raise ParameterError("preset", name, sorted(ALL_PRESETS), why="not a built-in preset; a preset file is NAME.toml")
    return ALL_PRESETS[name]


def _table_rows(sources):
    return [row for row in _read_table() if row["source"] in sources]


def model_energy_joule(preset):
    """``(energy per spike J, operating point text)`` of a preset's model at its published drive."""
    fam = family_of(preset)
    if fam in ("fefet", "afefet"):
        return _fefet.energy_per_spike_joule(preset), f"{preset.v_exc_volt:g} V pulses, no inhibition"
    if fam == "mtj":
        return _mtj.energy_per_spike_joule(preset, preset.i_max_amp), f"{preset.i_max_amp * 1e6:g} uA"
    if fam == "stochastic":
        c = preset.circuit
        vin = energy_comparison(c)[0]["model_vin_volt"] if energy_comparison(c) else 0.5 * (c.vin_min_volt + c.vin_max_volt)
        return analytic_branch_energy_per_spike_joule(c, vin), f"{vin:g} V (mean threshold)"
    if fam == "dendrite":
        v = preset.v_max_volt
        _, q = _dendrite.pulse_train(preset, [v])
        return float(v * q[0]), f"one {v:g} V pulse (per dendrite event, not a spike)"
    vin = operating_drive_volt(preset)
    return analytic_branch_energy_per_spike_joule(preset, vin), f"{vin:g} V ({analytic_rate_hz(preset, vin) / 1e6:.3g} MHz)"


def operating_drive_volt(preset):
    """The drive (V) at which a threshold-switch (or oscillator) preset's energy per spike is taken: the
    published drive of its first Table 1 row where it oscillates, else the middle of its operating range
    (Zhang 2020's 2 V for ``nbo2-osc``)."""
    if preset.name == "nbo2-osc":
        return 2.0
    if preset.name in TS_PRESETS:
        rows = energy_comparison(preset)
        if rows:
            return float(rows[0]["model_vin_volt"])
    return 0.5 * (preset.vin_min_volt + preset.vin_max_volt)


def zoo_energy_table():
    """Every preset's model energy per spike beside the review's Table 1 figure (None where none).

    Returns a list of dicts: ``preset, family, model_energy_joule, operating_point,
    published_energy_joule, published_source, model_over_published``.
    """
    from .presets import TABLE_SOURCES
    out = []
    for name, p in ALL_PRESETS.items():
        e_model, where = model_energy_joule(p)
        sources = ZOO_TABLE_SOURCES.get(name) or TABLE_SOURCES.get(name, ())
        published, src = None, None
        for row in _table_rows(sources):
            e = _parse_si(row["energy_per_spike"], "J")
            if e is not None:
                published, src = e, row["source"]
                break
        out.append({"preset": name, "family": family_of(p), "model_energy_joule": e_model,
                    "operating_point": where, "published_energy_joule": published, "published_source": src,
                    "model_over_published": (e_model / published) if published and e_model == e_model else None})
    return out
