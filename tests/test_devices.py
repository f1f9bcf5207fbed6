"""Threshold-switch neuron device model: exact event simulation vs the analytic period formula,
oscillation limits, energies, presets and their validation."""

import math

import numpy as np
import pytest

from neuroxide.errors import ParameterError
from neuroxide.models.devices import (
    PRESETS,
    ThresholdSwitchPreset,
    analytic_branch_energy_per_spike_joule,
    analytic_rate_hz,
    analytic_supply_energy_per_period_joule,
    analytic_timing_s,
    energy_comparison,
    f_v_curve,
    get_preset,
    published_rate_points,
    simulate,
    table_rows,
)

NAMES = sorted(PRESETS)


def reference_rate_hz(r_load, c, r_off, r_on, v_th, v_hold, vin):
    """docs/physics.md's period formula, term for term (no sense resistor)."""
    v_off = vin * r_off / (r_load + r_off)
    tau_off = c * (r_load * r_off / (r_load + r_off))
    t_int = tau_off * math.log((v_off - v_hold) / (v_off - v_th))
    v_on = vin * r_on / (r_load + r_on)
    tau_on = c * (r_load * r_on / (r_load + r_on))
    t_fire = tau_on * math.log((v_th - v_on) / (v_hold - v_on))
    return 1.0 / (t_int + t_fire)


def oscillating_sweep(p, n=25):
    """Drives across the whole oscillating range, just inside both limits."""
    return np.linspace(p.onset_vin_volt * 1.002, p.latch_vin_volt * 0.998, n)


@pytest.mark.parametrize("name", NAMES)
def test_event_rate_matches_analytic_over_oscillating_range(name):
    p = get_preset(name)
    vins = oscillating_sweep(p)
    f_event = f_v_curve(p, vins)
    f_analytic = analytic_rate_hz(p, vins)
    assert np.all(f_analytic > 0)
    rel = np.abs(f_event / f_analytic - 1)
    assert rel.max() < 0.01          # the requirement
    assert rel.max() < 1e-9          # what exact event timing actually gives


@pytest.mark.parametrize("name", NAMES)
def test_long_run_rate_matches_analytic(name):
    # long enough for the bulk periodic path; the first spike is the transient from V = 0
    p = get_preset(name)
    vin = 0.5 * (p.vin_min_volt + p.vin_max_volt)
    f = analytic_rate_hz(p, vin)
    run = simulate(p, vin, 500.5 / f)
    assert run.oscillating and not run.latched
    assert abs(run.rate_hz / f - 1) < 1e-9
    t_int, t_fire = analytic_timing_s(p, vin)
    np.testing.assert_allclose(np.diff(run.spike_times_s), 1 / f, rtol=1e-9)
    np.testing.assert_allclose(run.turn_off_times_s - run.spike_times_s[: run.turn_off_times_s.size],
                               t_fire, rtol=1e-9)
    v_off = p.v_off_volt(vin)
    t_first = p.tau_off_s * math.log(v_off / (v_off - p.node_v_th_volt))
    assert run.spike_times_s[0] == pytest.approx(t_first, rel=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_zero_sense_resistor_is_the_reference_formula(name):
    p = get_preset(name).replace(r_sense_ohm=0.0)
    for vin in oscillating_sweep(p, 9):
        ref = reference_rate_hz(p.r_load_ohm, p.c_farad, p.r_off_ohm, p.r_on_ohm, p.v_th_volt,
                                p.v_hold_volt, vin)
        assert analytic_rate_hz(p, vin) == pytest.approx(ref, rel=1e-12)
        assert f_v_curve(p, [vin])[0] == pytest.approx(ref, rel=1e-9)


def test_sense_resistor_divider_is_exact():
    p = get_preset("vo2").replace(r_sense_ohm=100.0)
    assert p.node_v_th_volt == pytest.approx(p.v_th_volt * (p.r_off_ohm + 100) / p.r_off_ohm)
    assert p.node_v_hold_volt == pytest.approx(p.v_hold_volt * (p.r_on_ohm + 100) / p.r_on_ohm)
    run = simulate(p, 5.0, 20e-6)
    # the device voltage (node less the R_S drop) is V_th just before each turn-on and V_hold just
    # before each turn-off
    before_on = np.nextafter(run.spike_times_s, -np.inf)
    before_off = np.nextafter(run.turn_off_times_s, -np.inf)
    v_dev_th = run.node_voltage_volt(before_on) * p.r_off_ohm / (p.r_off_ohm + 100)
    v_dev_hold = run.node_voltage_volt(before_off) * p.r_on_ohm / (p.r_on_ohm + 100)
    np.testing.assert_allclose(v_dev_th, p.v_th_volt, rtol=1e-9)
    np.testing.assert_allclose(v_dev_hold, p.v_hold_volt, rtol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_no_spike_below_onset(name):
    p = get_preset(name)
    for vin in (0.0, 0.5 * p.onset_vin_volt, 0.999 * p.onset_vin_volt, p.onset_vin_volt):
        assert analytic_rate_hz(p, vin) == 0.0
        run = simulate(p, vin, 200 * p.tau_off_s, sample_dt_s=p.tau_off_s)
        assert run.n_spikes == 0 and not run.oscillating and run.rate_hz == 0.0
        assert np.all(run.v_node_volt <= p.node_v_th_volt * (1 + 1e-12))
    assert f_v_curve(p, [0.999 * p.onset_vin_volt])[0] == 0.0


@pytest.mark.parametrize("name", NAMES)
def test_latches_on_above_limit(name):
    p = get_preset(name)
    for vin in (p.latch_vin_volt, 1.001 * p.latch_vin_volt, 2.0 * p.latch_vin_volt):
        assert analytic_rate_hz(p, vin) == 0.0
        run = simulate(p, vin, 200 * p.tau_off_s)
        assert run.n_spikes <= 1 and not run.oscillating and run.latched
        assert run.turn_off_times_s.size == 0
        assert run.node_voltage_volt(run.t_stop_s) >= p.node_v_hold_volt * (1 - 1e-12)
    assert f_v_curve(p, [1.001 * p.latch_vin_volt])[0] == 0.0


@pytest.mark.parametrize("name", NAMES)
def test_rate_scales_as_inverse_capacitance(name):
    p = get_preset(name)
    vins = np.linspace(p.vin_min_volt, p.vin_max_volt, 5)
    f1 = f_v_curve(p, vins)
    for k in (0.5, 3.0):
        fk = f_v_curve(p.replace(c_farad=k * p.c_farad), vins)
        np.testing.assert_allclose(fk * k, f1, rtol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_energies_match_numerical_integration_of_the_trace(name):
    p = get_preset(name)
    vin = 0.5 * (p.vin_min_volt + p.vin_max_volt)
    run = simulate(p, vin, 4.5 / analytic_rate_hz(p, vin))
    e_spike = run.branch_energy_per_spike_joule
    assert e_spike.size == run.turn_off_times_s.size >= 3
    # branch energy of spike 1: trapezoid of V * I over its on phase (stop one ulp before turn-off,
    # where the trace switches to the off branch)
    t = np.linspace(run.spike_times_s[1], np.nextafter(run.turn_off_times_s[1], -np.inf), 20001)
    numeric = np.trapezoid(run.node_voltage_volt(t) * run.device_current_amp(t), t)
    assert e_spike[1] == pytest.approx(numeric, rel=1e-6)
    assert e_spike[1] == pytest.approx(analytic_branch_energy_per_spike_joule(p, vin), rel=1e-9)
    # supply energy over one period, from the sampled trace and in closed form
    t = np.linspace(run.spike_times_s[1], run.spike_times_s[2], 200001)
    supply = np.trapezoid(vin * (vin - run.node_voltage_volt(t)) / p.r_load_ohm, t)
    per_period = analytic_supply_energy_per_period_joule(p, vin)
    assert supply == pytest.approx(per_period, rel=1e-6)
    assert run.supply_energy_per_period_joule == pytest.approx(per_period, rel=1e-9)
    # energy is conserved: supply = branch (on and off) + R_L losses + change of capacitor energy
    assert per_period > e_spike[1] > 0


def test_sampled_trace_and_current():
    p = get_preset("nbox")
    run = simulate(p, 3.0, 200e-9, sample_dt_s=0.1e-9)
    assert run.t_s.shape == run.v_node_volt.shape == run.i_device_amp.shape == (2001,)
    assert run.v_node_volt[0] == 0.0
    assert run.v_node_volt.max() <= p.node_v_th_volt * (1 + 1e-12)
    k = np.searchsorted(run.seg_t0_s, run.t_s, side="right") - 1
    r = np.where(run.seg_on[k], p.r_on_ohm, p.r_off_ohm) + p.r_sense_ohm
    np.testing.assert_allclose(run.i_device_amp, run.v_node_volt / r)
    # the current spikes are the on phases: large current only between turn-on and turn-off
    i_spike = p.node_v_hold_volt / (p.r_on_ohm + p.r_sense_ohm)
    assert np.all((run.i_device_amp >= i_spike * 0.999) == run.seg_on[k])
    with pytest.raises(ParameterError) as e:
        run.node_voltage_volt([run.t_stop_s * 1.01])
    assert e.value.field == "t_s"


def test_piecewise_drive():
    p = get_preset("vo2")
    sub, osc = 0.9 * p.onset_vin_volt, 5.0
    f = analytic_rate_hz(p, osc)
    bin_s = 20 / f
    run = simulate(p, np.array([sub, osc, sub, osc, osc]), bin_s=bin_s, sample_dt_s=bin_s / 500)
    bins = np.floor(run.spike_times_s / bin_s).astype(int)
    assert set(bins) <= {1, 2, 3, 4}                  # nothing fires in the sub-threshold first bin
    assert np.sum(bins == 2) <= 1                      # at most a spike already under way at the edge
    assert np.sum(bins == 1) >= 19
    # the node voltage is continuous across bin edges (capacitor)
    edges = np.arange(1, 5) * bin_s
    np.testing.assert_allclose(run.node_voltage_volt(np.nextafter(edges, -np.inf)),
                               run.node_voltage_volt(edges), rtol=1e-9, atol=1e-12)
    # within a long constant bin, once a cycle completes, the ISIs are the analytic period
    isi = np.diff(run.spike_times_s[(bins == 3) | (bins == 4)])
    np.testing.assert_allclose(isi[2:], 1 / f, rtol=1e-9)
    # equal bins give the same spikes as one constant drive
    whole = simulate(p, osc, 5 * bin_s)
    split = simulate(p, np.full(5, osc), bin_s=bin_s)
    np.testing.assert_allclose(split.spike_times_s, whole.spike_times_s, rtol=1e-12)


def test_t_stop_cuts_a_piecewise_drive():
    p = get_preset("ag-sio2")
    run = simulate(p, np.array([0.1, 0.15, 0.2]), bin_s=1e-6, t_stop_s=1.5e-6)
    assert run.t_stop_s == 1.5e-6
    assert np.all(run.spike_times_s <= 1.5e-6)
    assert set(np.unique(run.seg_vin_volt)) == {0.1, 0.15}


@pytest.mark.parametrize("kwargs, field", [
    (dict(vin_volt=-1.0, t_stop_s=1e-6), "vin_volt"),
    (dict(vin_volt=1.0), "t_stop_s"),
    (dict(vin_volt=1.0, t_stop_s=math.inf), "t_stop_s"),
    (dict(vin_volt=[1.0, 2.0]), "bin_s"),
    (dict(vin_volt=[1.0, 2.0], bin_s=1e-6, t_stop_s=3e-6), "t_stop_s"),
    (dict(vin_volt=np.ones((2, 2)), bin_s=1e-6), "vin_volt"),
    (dict(vin_volt=1.0, t_stop_s=1e-6, v0_volt=-1.0), "v0_volt"),
    (dict(vin_volt=1.0, t_stop_s=1e-6, max_spikes=0), "max_spikes"),
])
def test_simulate_rejects_bad_input(kwargs, field):
    with pytest.raises(ParameterError) as e:
        simulate(get_preset("nbox"), **kwargs)
    assert e.value.field == field


GOOD = dict(name="t", r_load_ohm=2e3, c_farad=100e-12, r_off_ohm=20e3, r_on_ohm=100.0, r_sense_ohm=10.0,
            v_th_volt=1.0, v_hold_volt=0.7, vin_min_volt=1.5, vin_max_volt=4.0)


@pytest.mark.parametrize("change, field", [
    (dict(v_hold_volt=1.0), "v_hold_volt"),
    (dict(v_hold_volt=1.2), "v_hold_volt"),
    (dict(v_hold_volt=0.0), "v_hold_volt"),
    (dict(r_load_ohm=0.0), "r_load_ohm"),
    (dict(r_load_ohm=-5.0), "r_load_ohm"),
    (dict(c_farad=0.0), "c_farad"),
    (dict(c_farad=float("nan")), "c_farad"),
    (dict(r_off_ohm=-1.0), "r_off_ohm"),
    (dict(r_on_ohm=20e3), "r_on_ohm"),
    (dict(r_on_ohm=30e3), "r_on_ohm"),
    (dict(r_sense_ohm=-1.0), "r_sense_ohm"),
    (dict(r_sense_ohm=500.0), "r_sense_ohm"),
    (dict(r_load_ohm=10.0, vin_min_volt=1.2, vin_max_volt=1.3), "r_load_ohm"),
    (dict(vin_min_volt=1.0), "vin_min_volt"),
    (dict(vin_max_volt=20.0), "vin_max_volt"),
    (dict(vin_max_volt=1.4), "vin_max_volt"),
    (dict(v_th_volt=True), "v_th_volt"),
    (dict(assumed=("c_farad", "colour")), "assumed"),
])
def test_bad_presets_raise_naming_the_field(change, field):
    ThresholdSwitchPreset(**GOOD)     # the baseline is valid
    with pytest.raises(ParameterError) as e:
        ThresholdSwitchPreset(**{**GOOD, **change})
    assert e.value.field == field
    assert field in str(e.value) and "allowed" in str(e.value)


def test_replace_revalidates():
    with pytest.raises(ParameterError) as e:
        get_preset("vo2").replace(v_hold_volt=3.0)
    assert e.value.field == "v_hold_volt"


def test_unknown_preset():
    with pytest.raises(ParameterError) as e:
        get_preset("hbn")
    assert e.value.field == "preset"
    assert e.value.allowed == sorted(PRESETS)
    assert set(PRESETS) == {"nbox", "vo2", "ag-hfalox", "ag-sio2"}


@pytest.mark.parametrize("name", NAMES)
def test_presets_are_sound_and_cited(name):
    p = get_preset(name)
    assert p.name == name
    assert p.onset_vin_volt < p.vin_min_volt < p.vin_max_volt < p.latch_vin_volt
    assert p.r_on_ohm < p.r_load_ohm < p.r_off_ohm
    assert p.source and set(p.assumed) <= set(GOOD) - {"name"}
    rows = table_rows(name)
    assert rows and all(r["source"] in p.source for r in rows)
    for r in energy_comparison(name):
        assert r["model_branch_energy_per_spike_joule"] > 0 and r["published_energy_per_spike_joule"] > 0


def test_published_figures_are_reproduced():
    # C was fitted to these figures (presets.py); the fits must stay within a few percent
    for name in ("vo2", "nbox"):
        for vin, rate, _ in published_rate_points(name):
            assert analytic_rate_hz(get_preset(name), vin) == pytest.approx(rate, rel=0.01)
    for name, joule in (("ag-hfalox", 16e-15), ("ag-sio2", 2e-15)):
        (row,) = energy_comparison(name)
        assert row["published_energy_per_spike_joule"] == pytest.approx(joule)
        assert row["model_over_published"] == pytest.approx(1.0, rel=0.01)
    vo2 = table_rows("vo2")[0]
    assert vo2["energy_per_spike_joule"] == pytest.approx(2.9e-9)
    assert vo2["highest_output_frequency_hz"] == pytest.approx(1e6)
    assert vo2["drive_volt"] == 5.0
    zhang = [r for r in table_rows("nbox") if r["energy_per_spike"]][0]
    assert zhang["energy_per_spike_joule"] == pytest.approx(38e-12)


def test_f_v_curve_methods():
    p = get_preset("ag-hfalox")
    vins = np.linspace(0.0, 25.0, 11)
    np.testing.assert_allclose(f_v_curve(p, vins), f_v_curve(p, vins, method="analytic"), rtol=1e-9)
    with pytest.raises(ParameterError) as e:
        f_v_curve(p, vins, method="euler")
    assert e.value.field == "method"
