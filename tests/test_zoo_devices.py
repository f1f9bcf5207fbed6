"""Neuron zoo: device physics (FeFET/AFeFET, MTJ, stochastic TS, NbO2 oscillator, dendrite), presets
with sources, calibrations into fixed point with their fidelity, and the winner-take-all layer
(model and gates)."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.amaranth_sim import run_steps

from neuroxide.errors import ParameterError
from neuroxide.models.calibrate import calibrate
from neuroxide.models.calibrate_zoo import (calibrate_dendrite, calibrate_fefet, calibrate_mtj, calibrate_oscillator,
                                            calibrate_stochastic, calibrate_zoo)
from neuroxide.models.devices import PRESETS
from neuroxide.models.devices import dendrite as dend
from neuroxide.models.devices import fefet as fe
from neuroxide.models.devices import mtj
from neuroxide.models.devices import stochastic as sto
from neuroxide.models.devices.threshold_switch import analytic_branch_energy_per_spike_joule, analytic_rate_hz
from neuroxide.models.devices.zoo import ALL_PRESETS, ZOO_PRESETS, family_of, get_any_preset, zoo_energy_table
from neuroxide.models.lif import LIFParams
from neuroxide.models.wta import WTAModel
from neuroxide.rtl.wta import WTANeuronArray

FE, AFE = ZOO_PRESETS["fefet-sihfo2"], ZOO_PRESETS["afefet-hzo"]
MTJ = ZOO_PRESETS["mtj-sot"]
STO = ZOO_PRESETS["nbox-stochastic"]
OSC = ZOO_PRESETS["nbo2-osc"]
DEN = ZOO_PRESETS["dendrite-li2020"]


# presets ----------------------------------------------------------------------------------------
def test_every_family_has_a_preset_with_source_and_the_ts_presets_are_kept():
    assert set(PRESETS) <= set(ALL_PRESETS)
    fams = {family_of(p) for p in ALL_PRESETS.values()}
    assert fams == {"ts", "fefet", "afefet", "mtj", "stochastic", "oscillator", "dendrite"}
    for name, p in ZOO_PRESETS.items():
        assert p.name == name and p.source, name
    with pytest.raises(ParameterError) as e:
        get_any_preset("hbn")
    assert e.value.field == "preset"


def test_energy_table_sets_every_model_beside_the_review():
    rows = {r["preset"]: r for r in zoo_energy_table()}
    assert set(rows) == set(ALL_PRESETS)
    assert rows["afefet-hzo"]["published_energy_joule"] == pytest.approx(37e-15)
    assert rows["mtj-sot"]["published_energy_joule"] == pytest.approx(486e-15)
    assert rows["nbo2-osc"]["published_energy_joule"] == pytest.approx(38e-12)
    for name in ("afefet-hzo", "mtj-sot", "nbo2-osc"):   # fitted to the published figure
        assert rows[name]["model_over_published"] == pytest.approx(1.0, abs=0.02)
    assert rows["fefet-sihfo2"]["published_energy_joule"] is None   # the review gives none
    assert rows["fefet-sihfo2"]["model_energy_joule"] > 0


@pytest.mark.parametrize("make, field", [
    (lambda: FE.replace(kind="paraelectric"), "kind"),
    (lambda: FE.replace(tau0_s=-1.0), "tau0_s"),
    (lambda: FE.replace(tau_relax_s=1e-6), "tau_relax_s"),
    (lambda: AFE.replace(tau_relax_s=math.inf), "tau_relax_s"),
    (lambda: FE.replace(pulse_width_s=0.9e-6), "pulse_width_s"),
    (lambda: MTJ.replace(i_min_amp=50e-6), "i_min_amp"),
    (lambda: MTJ.replace(dx_inh_m=-1e-9), "dx_inh_m"),
    (lambda: STO.replace(sigma_rel=0.0), "sigma_rel"),
    (lambda: DEN.replace(g_min_siemens=1e-3), "g_min_siemens"),
    (lambda: DEN.replace(v_th_volt=5.0), "v_th_volt"),
])
def test_bad_device_values_name_the_field(make, field):
    with pytest.raises(ParameterError) as e:
        make()
    assert e.value.field == field


# FeFET / AFeFET --------------------------------------------------------------------------------
@pytest.mark.parametrize("preset", [FE, AFE], ids=["fefet", "afefet"])
def test_pulses_to_fire_formula_equals_stepping_the_device(preset):
    for v_inh in np.linspace(0, preset.v_exc_volt * 0.95, 9):
        n = fe.pulses_to_fire(preset, v_inh)
        steps = 400
        _, spikes = fe.simulate_pulses(preset, np.full(steps, preset.v_exc_volt), np.full(steps, v_inh))
        first = np.argmax(spikes) + 1 if spikes.any() else math.inf
        assert first == n, v_inh


@pytest.mark.parametrize("preset", [FE, AFE], ids=["fefet", "afefet"])
def test_pulses_to_fire_grow_with_inhibition_until_it_never_fires(preset):
    n = fe.pulses_to_fire(preset, np.linspace(0, preset.v_exc_volt, 25))
    assert np.all(n[1:] >= n[:-1])
    assert n[-1] == math.inf and n[0] < 20
    assert n[-3] > n[0]


def test_ferroelectric_keeps_its_polarisation_antiferroelectric_leaks():
    ve = np.array([FE.v_exc_volt] * 3 + [0.0] * 50)
    s_fe, _ = fe.simulate_pulses(FE, ve, 0.0)
    assert s_fe[-1] == pytest.approx(s_fe[2])            # remanent: no pulses, no change
    s_afe, _ = fe.simulate_pulses(AFE, np.array([AFE.v_exc_volt] * 3 + [0.0] * 50), 0.0)
    assert s_afe[-1] < 0.01 * s_afe[2]                    # relaxes by itself


@pytest.mark.parametrize("preset", [FE, AFE], ids=["fefet", "afefet"])
def test_fefet_calibration_reproduces_pulses_to_fire(preset):
    c = calibrate_fefet(preset)
    assert c.fidelity["max_error"] <= 0.05
    assert c.fidelity["fires_disagree"] == 0
    fixed = np.asarray(c.curve["pulses_fixed"])
    assert np.all(fixed[1:] >= fixed[:-1]) and fixed[-1] == math.inf
    assert (c.params.decay == 1 << c.params.decay_bits) == (preset.kind == "ferroelectric")
    assert c.params.v_min == 0


# MTJ ---------------------------------------------------------------------------------------------
def test_mtj_matches_published_rate_and_energy():
    assert mtj.analytic_rate_hz(MTJ, MTJ.i_max_amp) == pytest.approx(17e6, rel=0.01)
    assert mtj.energy_per_spike_joule(MTJ, MTJ.i_max_amp) == pytest.approx(486e-15, rel=0.01)
    assert mtj.analytic_rate_hz(MTJ, 0.99 * MTJ.onset_amp) == 0.0


def test_mtj_stepped_exactly_matches_the_analytic_rate():
    dt = 0.05e-9
    i = 120e-6
    _, sp = mtj.simulate_wta(MTJ, [i], dt, 20000, lateral=False)
    t = np.flatnonzero(sp[:, 0]) * dt
    rate = (t.size - 1) / (t[-1] - t[0])
    assert rate == pytest.approx(mtj.analytic_rate_hz(MTJ, i), rel=0.01)


def test_mtj_calibration_and_winner_take_all():
    c = calibrate_mtj(MTJ)
    assert c.fidelity["max_error"] <= 0.03
    f, x = np.asarray(c.fidelity["wta_counts_float"]), np.asarray(c.fidelity["wta_counts_fixed"])
    assert np.max(np.abs(f - x)) <= 1
    assert np.argmax(x) == x.size - 1                      # the strongest drive wins
    free = np.asarray(c.fidelity["no_wta_counts_fixed"])
    assert x[0] < free[0] and x.sum() < free.sum()          # lateral inhibition suppresses the others


# stochastic TS --------------------------------------------------------------------------------
def test_stochastic_probability_is_the_probit_of_the_threshold_spread():
    assert sto.firing_probability(STO, STO.vin_50_volt) == pytest.approx(0.5)
    lo, hi = STO.vin_range_volt(4.0)
    assert sto.firing_probability(STO, lo) < 1e-4 and sto.firing_probability(STO, hi) > 1 - 1e-4
    vin = np.linspace(lo, hi, 9)
    mc = sto.trial_fires(STO, vin, 20000, seed=3).mean(axis=0)
    assert np.max(np.abs(mc - sto.firing_probability(STO, vin))) < 0.02


def test_stochastic_spike_train_varies_with_the_drawn_thresholds():
    t = sto.simulate_train(STO, 2.5, 200, seed=1)
    isi = np.diff(t)
    assert t.size == 200 and isi.std() > 0.005 * isi.mean()
    assert np.mean(1 / isi) == pytest.approx(analytic_rate_hz(STO.circuit, 2.5), rel=0.05)


def test_stochastic_calibration_sigmoid_float_vs_fixed():
    c = calibrate_stochastic(STO, trials=4096)
    p = np.asarray(c.curve["p_fixed"])
    assert p[0] == 0.0 and p[-1] == 1.0
    assert np.all(np.diff(p) >= -0.03)
    assert c.fidelity["max_error"] <= 0.07      # uniform xorshift noise vs Gaussian: 4.8 % + sampling
    assert c.params.noise_bits == 8 and c.params.decay == 0


# NbO2 oscillator with self-protection --------------------------------------------------------
def test_nbo2_oscillator_matches_zhang_2020_and_stops_above_the_latch():
    assert analytic_rate_hz(OSC, 2.0) == pytest.approx(900e3, rel=0.01)
    assert analytic_branch_energy_per_spike_joule(OSC, 2.0) == pytest.approx(38e-12, rel=0.02)
    assert OSC.latch_vin_volt < 2 * 2.0
    c = calibrate_oscillator(OSC)
    assert c.fidelity["silent_above_latch_float"] and c.fidelity["silent_above_latch_fixed"]
    assert c.fidelity["max_error"] <= 0.05
    latched = np.asarray(c.curve["latched"])
    assert latched.any() and np.all(np.asarray(c.curve["i_exc"])[latched] == 0)


# dendrite device -------------------------------------------------------------------------------
def test_dendrite_charge_is_the_exact_integral():
    v = 0.8
    _, q = dend.pulse_train(DEN, [v, v])
    # brute-force Euler of the same ODE, 1e5 sub-steps per pulse
    g, dt, total = DEN.g_min_siemens, DEN.pulse_width_s / 100_000, []
    for _ in range(2):
        acc = 0.0
        ginf = dend.g_inf_siemens(DEN, v)
        for _ in range(100_000):
            acc += g * v * dt
            g += (ginf - g) * dt / DEN.tau_rise_s
        g = DEN.g_min_siemens + (g - DEN.g_min_siemens) * math.exp(-(DEN.pulse_period_s - DEN.pulse_width_s) / DEN.tau_decay_s)
        total.append(acc)
    assert q == pytest.approx(total, rel=1e-3)


def test_dendrite_filters_weak_and_integrates_strong_inputs():
    amps = np.linspace(0, DEN.v_max_volt, 25)
    q = dend.filtering_curve(DEN, amps)
    assert np.all(np.diff(q) >= 0)
    assert q[amps < 0.4].max() < 0.01 * q[-1]
    _, per_pulse = dend.pulse_train(DEN, np.full(10, DEN.v_max_volt))
    assert np.all(np.diff(per_pulse) > 0)           # strong pulses build up
    c = calibrate_dendrite(DEN)
    assert c.fidelity["max_error"] <= 0.3          # hard threshold vs the device's sigmoid (reported)
    assert abs(c.fidelity["pass_amplitude_fixed_volt"] - c.fidelity["pass_amplitude_float_volt"]) <= 0.1
    soma = np.asarray(c.curve["soma_spikes_100_steps"])
    amps_c = np.asarray(c.curve["amplitude_volt"])
    assert soma[amps_c < DEN.v_th_volt - 0.05].max() == 0
    passed = soma[amps_c >= DEN.v_th_volt]
    assert passed.min() > 0 and np.all(np.diff(passed) >= 0) and passed[-1] >= 2 * passed[0]   # stronger: faster


@pytest.mark.parametrize("name", sorted(ZOO_PRESETS))
def test_calibrate_zoo_dispatches_every_preset(name):
    c = calibrate_zoo(name)
    assert c.preset.name == name and math.isfinite(c.fidelity["max_error"])
    assert c.to_dict()["family"] == family_of(c.preset)


# WTA in gates ---------------------------------------------------------------------------------
@given(st.integers(2, 3), st.integers(0, 2000), st.integers(0, 6), st.integers(0, 3), st.integers(1, 2**32 - 1),
       st.integers(0, 2**31))
def test_wta_gates_equal_the_model(n, w_lat, noise_bits, t_ref, seed, data_seed):
    p = LIFParams(noise_bits=noise_bits, t_ref=t_ref, v_min=-2000)
    x = np.random.default_rng(data_seed).integers(0, 1600, size=(8, n))
    want = WTAModel(p, n, w_lat, seed).run(x)
    got = run_steps(WTANeuronArray(p, n, w_lat, seed), p.state_layout, {"i_exc": x}, items=n)
    for f in want:
        np.testing.assert_array_equal(got[f], want[f], err_msg=f)


def test_wta_model_rejects_bad_groups():
    with pytest.raises(ParameterError):
        WTAModel(LIFParams(), 1, 10)
    with pytest.raises(ParameterError):
        WTAModel(LIFParams(), 3, 1 << 20)


def test_self_protection_reaches_the_gates():
    """The latch-aware codes drive the LIF gates: the RTL fires below the latch and is silent above it."""
    from neuroxide.models.calibrate_zoo import latch_aware_encode
    from neuroxide.models.lif import LIFModel
    from neuroxide.rtl.lif import LIFNeuronArray
    c = calibrate_oscillator(OSC)
    cal_ts = calibrate(OSC)
    vin = np.array([2.0, 2.9, 3.1, 4.5])
    codes, latched = latch_aware_encode(cal_ts, vin)
    assert latched.tolist() == [False, False, True, True]
    steps = 300
    x = np.broadcast_to(codes, (steps, vin.size))
    got = run_steps(LIFNeuronArray(c.params, vin.size, 1), c.params.state_layout,
                    {"i_exc": x, "i_inh": np.zeros_like(x)}, items=vin.size)
    want = LIFModel(c.params, vin.size).run(x)
    np.testing.assert_array_equal(got["spike"], want.spike)
    np.testing.assert_array_equal(got["v"], want.v)
    counts = got["spike"].sum(axis=0)
    assert counts[0] > 0 and counts[1] > 0 and counts[2] == 0 and counts[3] == 0
