"""Hodgkin-Huxley: float reference, fixed-point LUT model vs float (RMSE target), model == Amaranth
RTL (hypothesis), and the two-VO2-channel neuristor device model spiking."""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.amaranth_sim import run_steps

from neuroxide.errors import ParameterError
from neuroxide.models import hh
from neuroxide.models.fixedpoint import signed_range
from neuroxide.rtl.hh import STEP_CYCLES, HHNeuron

K = hh.make_fixed()
# each example elaborates the 12-ROM datapath (~0.3 s); the slow profile runs thousands
RTL_EXAMPLES = 10_000 if os.environ.get("HYPOTHESIS_PROFILE") == "slow" else 30


def test_float_rest_is_stable_and_steps_fire():
    _, current = hh.stimulus_set(["rest", "step3", "step15"])
    out = hh.run_float(current)
    assert np.abs(out["v"][:, 0] - hh.SQUID.v0_mv).max() < 0.05  # rest holds at -65 mV
    assert out["spike"][:, 0].sum() == 0
    assert out["spike"][:, 2].sum() >= 5                          # tonic firing at 15 uA/cm^2
    assert out["v"][:, 2].max() > 30                              # full action potentials


def test_rates_limits():
    r = hh.rates(np.array([-40.0, -55.0]))
    assert r["m"][0][0] == pytest.approx(1.0) and r["n"][0][1] == pytest.approx(0.1)  # vtrap limits


def test_fixed_point_meets_rmse_and_spike_targets():
    rows = hh.compare()
    assert len(rows) == len(hh.STIMULI)
    for r in rows:
        assert r["rmse_mv"] < 1.83, r["stimulus"]
        assert r["spikes_fixed"] == r["spikes_float"], r["stimulus"]
        assert r["max_shift_steps"] is not None and r["max_shift_steps"] <= 1, r["stimulus"]
    assert sum(r["spikes_float"] for r in rows) > 20


def test_coarse_gates_miss_the_spike_target():
    """The check can fail: with 20-bit gates the spikes drift by many steps."""
    rows = hh.compare(["step7"], steps=5000, k=hh.make_fixed(g_frac=20))
    assert rows[0]["max_shift_steps"] is None or rows[0]["max_shift_steps"] > 1


def test_bad_stimulus_and_widths():
    with pytest.raises(ParameterError, match="stimulus"):
        hh.stimulus_set(["sine"])
    with pytest.raises(ParameterError, match="g_frac"):
        hh.make_fixed(g_frac=40)


def test_noise_stimulus_is_seeded():
    a = hh.stimulus_set(["noise"], 500, seed=3)[1]
    b = hh.stimulus_set(["noise"], 500, seed=3)[1]
    c = hh.stimulus_set(["noise"], 500, seed=4)[1]
    assert (a == b).all() and not (a == c).all()
    assert a.min() >= -2 and a.max() <= 18


def test_gates_saturate_and_voltage_clamps():
    lo, hi = signed_range(K.v_bits)
    out = hh.HHModel(K).run(np.full((5, 2), hi), initial=([hi, lo], [K.one, 0], [0, K.one], [K.one, K.one]))
    for g in "mhn":
        assert (out[g] >= 0).all() and (out[g] <= K.one).all()
    assert (out["v"] <= hi).all() and (out["v"] >= lo).all()


# model == Amaranth RTL ----------------------------------------------------------------------

def simulate_neuron(i_dt, mask, initial=None):
    """``(v, m, h, n, spike)`` after each step; ``initial``: (v, m, h, n) written into the registers first."""
    layout = K.state_layout
    start = None if initial is None else dict(zip(layout.names, initial))
    got = run_steps(HHNeuron(K), layout, {"i_dt": i_dt}, step_mask=mask, cycles=STEP_CYCLES, initial=start)
    return list(zip(*(got[f].tolist() for f in layout.names)))


@st.composite
def hh_case(draw):
    lo, hi = signed_range(K.v_bits)
    volts = st.sampled_from([lo, hi, 0, -1, K.lut_lo, K.lut_lo - 1, K.lut_lo + (K.lut_size << 18) - 1,
                             K.lut_lo + (K.lut_size << 18)]) | st.integers(lo, hi)
    gate = st.sampled_from([0, K.one]) | st.integers(0, K.one)
    initial = (draw(volts), draw(gate), draw(gate), draw(gate))
    steps = draw(st.integers(1, 12))
    i_dt = draw(st.lists(st.sampled_from([lo, hi, 0]) | st.integers(-(1 << 22), 1 << 22),
                         min_size=steps, max_size=steps))
    mask = draw(st.lists(st.booleans(), min_size=steps, max_size=steps))
    return initial, i_dt, mask


@settings(max_examples=RTL_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=hh_case())
def test_rtl_equals_model_every_step(case):
    initial, i_dt, mask = case
    got = simulate_neuron(i_dt, mask, initial)
    taken = [x for x, m in zip(i_dt, mask) if m]
    want = hh.HHModel(K).run(np.array(taken, dtype=np.int64).reshape(-1, 1),
                             initial=[[x] for x in initial]) if taken else None
    state, n = tuple(initial) + (0,), 0
    for t, m in enumerate(mask):
        if m:
            state = tuple(int(want[f][n, 0]) for f in ("v", "m", "h", "n", "spike"))
            n += 1
        assert got[t] == state, f"step {t}"


def test_rtl_runs_a_spike_train_exactly():
    _, current = hh.stimulus_set(["step40"], 1800)
    i_dt = hh.current_to_fixed(current, K)[:, 0]
    want = hh.HHModel(K).run(i_dt.reshape(-1, 1))
    got = simulate_neuron(i_dt, [True] * len(i_dt))
    assert [g[0] for g in got] == want["v"][:, 0].tolist()
    assert [g[4] for g in got] == want["spike"][:, 0].astype(int).tolist()
    assert want["spike"].sum() >= 1


# the two-VO2-channel neuron ------------------------------------------------------------------

def test_vo2_neuristor_spikes_all_or_nothing():
    from neuroxide.models.devices import vo2_hh
    quiet = vo2_hh.simulate(drive_volt=0.5, duration_s=30e-6, points=1500)
    low = vo2_hh.simulate(drive_volt=1.5, duration_s=50e-6, points=2500)
    high = vo2_hh.simulate(drive_volt=3.0, duration_s=50e-6, points=2500)
    assert quiet["spikes"] == 0
    assert low["spikes"] >= 2 and high["spikes"] > low["spikes"]          # rate rises with drive
    assert high["spike_amplitude_volt"] == pytest.approx(low["spike_amplitude_volt"], rel=0.1)  # all-or-nothing
    assert low["spike_amplitude_volt"] > 1.0
    with pytest.raises(ParameterError):
        vo2_hh.DEFAULT.replace(c1_farad=0.0)
