"""Izhikevich (2004): protocol, float reference, fixed-point model, and model == Amaranth RTL.

The float reference is checked against a plain-Python restatement of the protocol text (not the
same code); the fixed-point model must reproduce all 20 panels (count equal, every spike within
one step) and narrower widths must visibly fail panel H (so the check can fail). Hypothesis drives
the one-cycle and the pipelined datapath in Amaranth's simulator with random coefficients,
states and inputs (saturation included) and compares v, u, spike after every step.
"""


import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.amaranth_sim import run_steps

from neuroxide.errors import ParameterError
from neuroxide.models import izhikevich as iz
from neuroxide.models.fixedpoint import signed_range
from neuroxide.rtl.izhikevich import IzhikevichNeuron, IzhikevichNeuronPipelined


def test_protocols_loaded():
    protos = iz.load_protocols()
    assert list(protos) == list(iz.PANELS)
    assert protos["R"].u0 == -16.0 and protos["A"].u0 == pytest.approx(0.2 * -70)
    assert protos["K"].steps == 1601 and protos["Q"].steps == 501 and protos["D"].dt_ms == 0.2
    assert protos["G"].quadratic == (4.1, 108.0) and protos["A"].quadratic == (5.0, 140.0)


def test_stimulus_schedules_follow_the_text():
    t = np.array([10.0, 10.25, 40.0, 40.25, 44.0, 280.25, 320.25, 324.0])
    assert iz.stimulus_current("K", t).tolist() == [0, 0, 0, 0.65, 0, 0.65, 0.65, 0]
    assert iz.stimulus_current("A", np.array([10.0, 10.25])).tolist() == [0, 14]
    assert iz.stimulus_current("H", np.array([0.0, 130.0])) == pytest.approx([-0.5, 1.0])
    assert iz.stimulus_current("P", np.array([0.0, 40.0, 217.0, 221.0])).tolist() == [0.24, 1.24, 1.24, 0.24]
    assert iz.stimulus_current("O", np.array([12.0, 72.0, 82.0, 90.0])).tolist() == [1, -6, 1, 0]
    assert iz.stimulus_current("R", np.array([100.0, 250.0, 306.25, 400.0])).tolist() == [4, 0, 2, 0]
    assert iz.stimulus_current("L", np.array([9.0, 9.25, 11.0, 11.25])).tolist() == [0, 9, 9, 0]
    with pytest.raises(ParameterError):
        iz.stimulus_current("Z", t)


def _plain_reference(p):
    """The protocol restated in plain Python, one scalar at a time."""
    v, u, spikes = p.v0, p.u0, []
    for k in range(p.steps):
        t = k * p.dt_ms
        current = float(iz.stimulus_current(p.panel, np.array([t]))[0])
        if p.panel in "GL":
            v = v + p.dt_ms * (0.04 * v ** 2 + 4.1 * v + 108 - u + current)
        else:
            v = v + p.dt_ms * (0.04 * v ** 2 + 5 * v + 140 - u + current)
        u = u + p.dt_ms * p.a * (p.b * (v + 65)) if p.panel == "R" else u + p.dt_ms * p.a * (p.b * v - u)
        if v > 30:
            spikes.append(k)
            v, u = p.c, u + p.d
    return spikes


@pytest.mark.parametrize("panel", ["A", "G", "H", "R", "T"])
def test_float_reference_equals_plain_restatement(panel):
    p = iz.load_protocols()[panel]
    _, _, spikes = iz.run_float(p)
    assert spikes.tolist() == _plain_reference(p)
    assert len(spikes) > 0


def test_fixed_point_reproduces_all_20_panels():
    results = iz.run_panels()
    assert len(results) == 20
    for r in results:
        assert r["spikes_fixed"] == r["spikes_float"], r["panel"]
        assert r["max_shift_steps"] is not None and r["max_shift_steps"] <= 1, r["panel"]
    assert sum(r["spikes_float"] for r in results) > 100


def test_narrow_widths_fail_panel_h():
    """The check can fail: at Q.20 with 24-bit coefficients panel H's spikes drift by several steps."""
    (r,) = iz.run_panels(["H"], frac_bits=20, coef_bits=24, state_bits=30)
    assert not r["match"] and r["max_shift_steps"] > 1


def test_compare_spikes():
    assert iz.compare_spikes([1, 5], [2, 5]) == (True, 1)
    assert iz.compare_spikes([1, 5], [5]) == (False, None)
    assert iz.compare_spikes([], []) == (True, 0)


def test_bad_panel():
    with pytest.raises(ParameterError, match="panel"):
        iz.check_panels(["Z"])
    assert iz.check_panels(["a", "T"]) == ["A", "T"]


def test_int64_and_object_paths_agree():
    """Narrow widths run on int64, default widths on Python ints: same rule, same numbers."""
    assert iz.model_dtype(16, 20, 26) is np.int64 and iz.model_dtype() is object
    _, coeffs, i_dt = iz.panel_inputs(["A", "C"], 16, 20)
    a = iz.run_fixed(coeffs, i_dt, 16, 20, 26)
    k = iz._StackedCoeffs(coeffs, object)
    v, u = k.v_init.copy(), k.u_init.copy()
    from neuroxide.models.fixedpoint import NUMPY
    for t in range(len(i_dt)):
        v, u, fire = iz.izhikevich_step(NUMPY, k, v, u, i_dt[t].astype(object), 16, 20, 26)
        assert [int(x) for x in v] == a["v"][t].tolist() and [int(x) for x in u] == a["u"][t].tolist()


def test_saturation_never_wraps():
    F, K, W = 16, 20, 26
    lo, hi = signed_range(W)
    c = iz.coeffs_for(iz.load_protocols()["A"], F, K)
    i_dt = np.full((3, 1), hi, dtype=np.int64)
    out = iz.run_fixed([c], i_dt, F, K, W, initial=([hi], [lo]))
    assert (out["v"] <= hi).all() and (out["v"] >= lo).all() and (out["u"] >= lo).all()


# model == Amaranth RTL ------------------------------------------------------------------------

def simulate_neuron(cls, coeffs, i_dt, step_mask, widths):
    """Drive one datapath in Amaranth's simulator; ``(v, u, spike)`` after each step (pipelined:
    after it lands)."""
    layout = iz.state_layout(widths[2])
    got = run_steps(cls(coeffs, *widths), layout, {"i_dt": i_dt}, step_mask=step_mask,
                    cycles=getattr(cls, "STAGES", 1))
    return list(zip(*(got[f].tolist() for f in layout.names)))


@st.composite
def neuron_case(draw):
    frac_bits = draw(st.sampled_from([8, 12, 20, iz.FRAC_BITS]))
    coef_bits = draw(st.sampled_from([10, 16, 28, iz.COEF_BITS]))
    W = frac_bits + 10
    lo, hi = signed_range(W)
    panel = draw(st.sampled_from(iz.PANELS))
    base = iz.coeffs_for(iz.load_protocols()[panel], frac_bits, coef_bits)
    value = st.sampled_from([lo, hi, 0, -1]) | st.integers(lo, hi)
    coeffs = base
    if draw(st.booleans()):  # random constants too, not only the 20 panels'
        big = 1 << (coef_bits + 2)
        coeffs = iz.IzhikevichCoeffs(
            a2=draw(st.integers(-big, big)), a1=draw(st.integers(-big, big)), au=draw(st.integers(-big, big)),
            a0=draw(value), bv=draw(st.integers(-big, big)), bu=draw(st.integers(-big, big)),
            b0=draw(st.integers(-(1 << (frac_bits + coef_bits)), 1 << (frac_bits + coef_bits))),
            v_peak=draw(value), c=draw(value), d=draw(value), v_init=draw(value), u_init=draw(value))
    steps = draw(st.integers(1, 25))
    i_dt = draw(st.lists(value, min_size=steps, max_size=steps))
    mask = draw(st.lists(st.booleans(), min_size=steps, max_size=steps))
    return coeffs, i_dt, mask, (frac_bits, coef_bits, W)


@pytest.mark.parametrize("cls", [IzhikevichNeuron, IzhikevichNeuronPipelined])
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=neuron_case())
def test_rtl_equals_model_every_step(cls, case):
    coeffs, i_dt, mask, widths = case
    got = simulate_neuron(cls, coeffs, i_dt, mask, widths)
    taken = [x for x, m in zip(i_dt, mask) if m]
    want = iz.run_fixed([coeffs], np.array(taken, dtype=object).reshape(-1, 1), *widths) if taken else None
    n = 0
    state = (coeffs.v_init, coeffs.u_init, 0)
    for t, m in enumerate(mask):
        if m:
            state = (int(want["v"][n, 0]), int(want["u"][n, 0]), int(want["spike"][n, 0]))
            n += 1
        assert got[t] == state, f"step {t}"


def test_rtl_runs_panel_h_exactly():
    """A whole panel (the ill-conditioned one) in Amaranth's simulator, both datapaths."""
    protos, coeffs, i_dt = iz.panel_inputs(["H"])
    want = iz.run_fixed(coeffs, i_dt)
    steps = 600
    for cls in (IzhikevichNeuron, IzhikevichNeuronPipelined):
        got = simulate_neuron(cls, coeffs[0], i_dt[:steps, 0], [True] * steps,
                              (iz.FRAC_BITS, iz.COEF_BITS, iz.STATE_BITS))
        assert [g[0] for g in got] == [int(x) for x in want["v"][:steps, 0]]
        assert [g[2] for g in got] == [int(x) for x in want["spike"][:steps, 0]]
    assert sum(g[2] for g in got) > 0
