"""Two-phase threshold-switch neuron: the fixed-point rule against the exact float device, its
phases and saturation, and its gates equal to the model on the full state (hypothesis, from
reset and from any state)."""

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.amaranth_sim import run_steps
from support.equivalence import column, first_mismatch
from support.tools import needs

from neuroxide.designs import configure
from neuroxide.errors import ParameterError
from neuroxide.models.fixedpoint import NUMPY
from neuroxide.models.ts_neuron import (TSNeuronModel, TSNeuronParams, TSWidths, calibrate_from_preset, fidelity,
                                        ts_step)
from neuroxide.rtl.ts_neuron import TSNeuronArray

RULE = settings(deadline=None)
# the default suite's time budget: 40 / 20 examples here, the profile's full count under the slow
# profile (HYPOTHESIS_PROFILE=slow: 10,000)
SLOW_PROFILE = settings.default.max_examples >= 10_000
ONE_STEP = settings(RULE, max_examples=settings.default.max_examples if SLOW_PROFILE else 40)
FROM_RESET = settings(RULE, max_examples=settings.default.max_examples if SLOW_PROFILE else 20)


# ---- the rule against the device -----------------------------------------------------------------
@pytest.mark.parametrize("preset", ["nbox", "vo2"])
def test_physical_encoder_meets_the_device(preset):
    """Rate within 2 %, node voltage within 2 % of V_th (RMSE, 10 periods), first spike within a step."""
    f = fidelity(calibrate_from_preset(preset), n_points=5)
    assert f["max_rel_error"] <= 0.02
    assert f["max_node_rmse_pct_vth"] <= 2.0
    assert all(0.0 <= e < 1.0 for e in f["first_spike_error_steps"]), f["first_spike_error_steps"]


def test_too_coarse_a_step_misses_the_waveform():
    """The fidelity check can fail: two steps per on phase drift out of the 2 % node-voltage band."""
    f = fidelity(calibrate_from_preset("vo2", steps_per_on=2), n_points=3)
    assert f["max_node_rmse_pct_vth"] > 2.0


def test_calibration_follows_the_preset():
    cal = calibrate_from_preset("nbox")
    p, dev = cal.params, cal.preset
    assert p.v_th == 1 << (p.v_bits - 2)
    assert p.v_hold == round(dev.node_v_hold_volt * cal.scale_v_lsb_per_volt)
    # the asymptotes are V_off = k_off Vin and V_on = k_on Vin in LSB of v
    x = int(cal.encode(3.0))
    assert abs(((x * p.g_off) >> p.g_bits) / cal.scale_v_lsb_per_volt - dev.k_off * 3.0) < 1e-4
    assert abs(((x * p.g_on) >> p.g_bits) / cal.scale_v_lsb_per_volt - dev.k_on * 3.0) < 1e-4
    with pytest.raises(ParameterError) as e:
        cal.encode(2.0 * dev.vin_max_volt * 1.01)
    assert e.value.field == "vin_volt"


@pytest.mark.parametrize("kw, field", [({"steps_per_on": 1}, "steps_per_on"), ({"widths": "x"}, "widths"),
                                       ({"preset": "nope"}, "preset")])
def test_bad_calibration_inputs_name_the_field(kw, field):
    args = {"preset": "nbox"} | kw
    with pytest.raises(ParameterError) as e:
        calibrate_from_preset(args.pop("preset"), **args)
    assert e.value.field == field


# ---- phases, spikes, saturation --------------------------------------------------------------------
def test_phase_changes_only_at_the_levels_and_spikes_only_on_turn_on():
    p = calibrate_from_preset("nbox").params
    rng = np.random.default_rng(3)
    x = np.repeat(rng.integers(0, p.in_max + 1, 60), 40)          # piecewise-constant drives
    out = TSNeuronModel(p, 1).run(x[:, None])
    v, on, spike = out["v"][:, 0], out["on"][:, 0], out["spike"][:, 0]
    prev_on = np.concatenate(([False], on[:-1]))
    prev_v = np.concatenate(([0], v[:-1]))
    assert spike.sum() > 10 and np.array_equal(spike, ~prev_on & on)           # spike = off -> on
    turned_off = prev_on & ~on
    assert turned_off.sum() > 10
    # recompute the un-switched step: a turn-on needs the charge to reach v_th, a turn-off the
    # discharge to reach v_hold; and no switch happens without
    _, _, fire = ts_step(NUMPY, p, prev_v, np.zeros_like(prev_on), x)
    _, on_if_on, _ = ts_step(NUMPY, p, prev_v, np.ones_like(prev_on), x)
    assert np.array_equal(spike, fire & ~prev_on)
    assert np.array_equal(turned_off, prev_on & ~on_if_on)


def test_node_saturates_and_the_device_latches_on_above_the_latch_drive():
    p = TSNeuronParams(in_bits=8, v_bits=10, g_bits=0, g_off=16, g_on=8, c_bits=8, c_off=128, c_on=128,
                       v_th=512, v_hold=300, sub_bits=3)
    out = TSNeuronModel(p, 1).run(np.full((40, 1), 255))
    assert out["v"].max() == p.v_max                 # (255 * 16) is far above 1023: clamps, never wraps
    assert out["spike"].sum() == 1 and out["on"][-1, 0]   # V_on = 8 * 255 > v_hold: stays on


@pytest.mark.parametrize("field, value", [("v_hold", 16384), ("c_off", (1 << 16) + 1), ("sub_bits", 0),
                                          ("v_bits", 33), ("in_bits", True), ("g_off", -1)])
def test_bad_parameters_name_the_field(field, value):
    with pytest.raises(ParameterError) as e:
        TSNeuronParams(**{field: value})
    assert e.value.field == field


def test_products_beyond_int64_are_refused():
    with pytest.raises(ParameterError) as e:
        TSNeuronParams(in_bits=24, v_bits=32, c_bits=30, g_bits=0, g_off=(1 << 40) - 1, v_th=1 << 30, v_hold=0)
    assert e.value.field == "c_bits"


def test_bad_inputs_are_rejected():
    with pytest.raises(ParameterError):
        TSNeuronModel(TSNeuronParams(), 1).run(np.full((2, 1), 1 << 12))


def test_design_configures_from_a_preset():
    cfg = configure("ts-neuron", {"preset": "vo2", "n": 2, "sub_bits": 4})
    assert cfg.params.sub_bits == 4 and cfg.n == 2 and cfg.params == calibrate_from_preset("vo2").params.replace(
        sub_bits=4)
    with pytest.raises(ParameterError) as e:
        configure("ts-neuron", {"preset": "lif"})
    assert e.value.field == "preset"


# ---- gates == model ---------------------------------------------------------------------------------
@functools.cache
def shipped(name):
    return calibrate_from_preset(name).params


def edge_int(lo, hi):
    edges = sorted({x for x in (lo, hi, 0, 1, lo + 1, hi - 1) if lo <= x <= hi})
    return st.sampled_from(edges) | st.integers(lo, hi)


@st.composite
def ts_params(draw):
    """Any valid TSNeuronParams (validate's ranges, products within int64)."""
    in_bits = draw(st.integers(1, 18))
    v_bits = draw(st.integers(4, 26))
    g_bits = draw(st.integers(0, 20))
    c_bits = draw(st.integers(1, 28))
    v_max = (1 << v_bits) - 1
    v_th = draw(edge_int(1, v_max))
    gain_hi = (1 << (v_bits + g_bits - in_bits + 2)) if v_bits + g_bits + 2 > in_bits else 1
    try:
        return TSNeuronParams(
            in_bits=in_bits, v_bits=v_bits, g_bits=g_bits, g_off=draw(edge_int(0, gain_hi)),
            g_on=draw(edge_int(0, gain_hi)), c_bits=c_bits, c_off=draw(edge_int(0, 1 << c_bits)),
            c_on=draw(edge_int(0, 1 << c_bits)), v_th=v_th, v_hold=draw(edge_int(0, v_th - 1)),
            sub_bits=draw(st.integers(1, 12)))
    except ParameterError:
        return TSNeuronParams()


@st.composite
def one_step_case(draw):
    p = draw(ts_params() | st.sampled_from(["nbox", "ag-hfalox"]).map(shipped))
    vec = st.fixed_dictionaries({"v": edge_int(0, p.v_max), "on": st.integers(0, 1), "x": edge_int(0, p.in_max)})
    return p, draw(st.lists(vec, min_size=1, max_size=4))


@ONE_STEP
@given(one_step_case())
def test_gates_equal_the_model_from_any_state(case):
    """rtl.ts_neuron.TSNeuronArray (one neuron) == ts_step, one step from a drawn state."""
    p, vectors = case
    c = functools.partial(column, vectors)
    got = run_steps(TSNeuronArray(p, 1), p.state_layout, {"x": c("x")[:, None]}, items=1,
                    deposit={"v": c("v")[:, None], "on": c("on")[:, None]})
    v, on, spike = ts_step(NUMPY, p, c("v"), c("on").astype(bool), c("x"))
    want = {"v": v, "on": on, "spike": spike}
    assert first_mismatch(got, want, vectors) is None


@st.composite
def run_case(draw):
    p = draw(ts_params() | st.sampled_from(["nbox", "vo2", "ag-sio2"]).map(shipped))
    n = draw(st.integers(1, 2))
    steps = draw(st.integers(1, 40))
    level = st.sampled_from([0, p.in_max, p.in_max // 2]) | st.integers(0, p.in_max)
    x = draw(st.lists(st.lists(level, min_size=n, max_size=n), min_size=steps, max_size=steps))
    mask = draw(st.lists(st.booleans(), min_size=steps, max_size=steps))
    return p, n, np.array(x, dtype=np.int64), np.array(mask)


@FROM_RESET
@given(run_case())
def test_gates_equal_the_model_from_reset(case):
    p, n, x, mask = case
    got = run_steps(TSNeuronArray(p, n), p.state_layout, {"x": x}, items=n, step_mask=mask)
    stepped = TSNeuronModel(p, n).run(x[mask]) if mask.any() else None
    idx = np.cumsum(mask) - 1
    for f in p.state_layout.names:
        want = np.zeros_like(got[f])
        for t in range(x.shape[0]):
            if idx[t] >= 0:
                want[t] = stepped[f][idx[t]]
        np.testing.assert_array_equal(got[f], want, err_msg=f)


def test_negative_one_step_runner_detects_a_different_rule():
    p = shipped("nbox")
    vectors = [{"v": p.v_th - 5000, "on": 0, "x": 40000}, {"v": p.v_th + 1000, "on": 1, "x": 9000}]
    c = functools.partial(column, vectors)
    got = run_steps(TSNeuronArray(p, 1), p.state_layout, {"x": c("x")[:, None]}, items=1,
                    deposit={"v": c("v")[:, None], "on": c("on")[:, None]})
    # a discharge coefficient 256 counts (1e-6) larger moves v by a few LSB on these states
    v, on, spike = ts_step(NUMPY, p.replace(c_on=p.c_on + 256), c("v"), c("on").astype(bool), c("x"))
    assert first_mismatch(got, {"v": v, "on": on, "spike": spike}, vectors) is not None


def test_widths_table_is_valid():
    assert TSWidths().c_bits == calibrate_from_preset("ag-sio2").params.c_bits


# ---- formal (SymbiYosys k-induction; make formal proves the whole group) --------------------------
def test_formal_group_is_discovered():
    from neuroxide.testbench.formal import harness_groups
    harnesses, properties = harness_groups()
    assert set(harnesses["ts-neuron"]()) == {"ts-neuron-narrow", "ts-neuron-latching"}
    assert properties["ts-neuron"]


@pytest.mark.slow
@needs("sby")
def test_formal_properties_proven(tmp_path):
    from neuroxide.testbench.formal import prove
    from neuroxide.testbench.formal_ts_neuron import TS_NARROW, TSNeuronProperties
    r = prove(TSNeuronProperties(TS_NARROW), "ts_neuron", tmp_path, depth=3)
    assert r["status"] == "PASS", r["log"]


@pytest.mark.slow
@pytest.mark.parametrize("wrong", [{"c_off": 8}, {"sub_bits": 2}, {"g_on": 7}])
@needs("sby")
def test_formal_proof_fails_against_a_different_specification(tmp_path, wrong):
    from neuroxide.testbench.formal import prove
    from neuroxide.testbench.formal_ts_neuron import TS_NARROW, TSNeuronProperties
    r = prove(TSNeuronProperties(TS_NARROW, spec=TS_NARROW.replace(**wrong)), "ts_neuron_wrong", tmp_path, depth=3)
    assert r["status"] == "FAIL"


# ---- the pipelined datapath (a time-multiplexed core's neuron) ----------------------------------------
@ONE_STEP
@given(one_step_case())
def test_pipelined_rule_equals_the_model(case):
    """ts_step under PipelinedOps (4 cuts), one state per clock, == the numpy rule."""
    from support.equivalence import run_rule

    from neuroxide.models.layout import StateLayout
    from neuroxide.rtl.ts_neuron import PIPELINE_DEPTH
    p, vectors = case
    inputs = p.state_layout.without("spike") + p.input_layout
    outputs = StateLayout(*p.state_layout)

    def rule(ops, v, on, x):
        return dict(zip(outputs.names, ts_step(ops, p, v, on, x)))

    got, depth = run_rule(rule, inputs, outputs, vectors, pipelined=True)
    assert depth == PIPELINE_DEPTH
    c = functools.partial(column, vectors)
    v, on, spike = ts_step(NUMPY, p, c("v"), c("on").astype(bool), c("x"))
    assert first_mismatch(got, {"v": v, "on": on, "spike": spike}, vectors) is None


# ---- the sequenced array (the board top's neurons: n neurons on one pipeline) -----------------------
def run_sequenced(p, n, x, scramble_seed=0):
    """Step a TSSequencedArray once per row of ``x`` (a step every ``latency`` clocks, the tightest
    the sequencer allows), the drives changed to junk right after each step edge (the stimulus
    advances on that edge); returns every state field after every step and whether ``busy`` fell
    in time."""
    from amaranth.sim import Simulator

    from neuroxide.rtl.ts_neuron import TSSequencedArray
    dut = TSSequencedArray(p, n)
    junk = np.random.default_rng(scramble_seed)
    got = {f: np.zeros((x.shape[0], n), dtype=np.int64) for f in p.state_layout.names}
    idle = []

    async def bench(ctx):
        for t in range(x.shape[0]):
            for k in range(n):
                ctx.set(dut.x[k], int(x[t, k]))
            ctx.set(dut.step, 1)
            await ctx.tick()
            ctx.set(dut.step, 0)
            for k in range(n):
                ctx.set(dut.x[k], int(junk.integers(0, p.in_max + 1)))
            for _ in range(dut.latency - 1):
                await ctx.tick()
            idle.append(not ctx.get(dut.busy))
            for f in got:
                got[f][t] = [ctx.get(getattr(dut, f)[k]) for k in range(n)]

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return got, all(idle)


def assert_sequenced_equals_model(p, n, x):
    got, idle = run_sequenced(p, n, x)
    want = TSNeuronModel(p, n).run(x)
    assert idle
    for f in p.state_layout.names:
        np.testing.assert_array_equal(got[f], np.asarray(want[f]).astype(np.int64), err_msg=f)


@pytest.mark.parametrize("preset", ["nbox", "vo2"])
def test_sequenced_array_equals_the_model_from_reset(preset):
    """rtl.ts_neuron.TSSequencedArray (what the board top builds): 3 neurons on one pipeline, 150
    steps of random drives over the whole x range, full state == TSNeuronModel after every step."""
    p = shipped(preset)
    x = np.random.default_rng(7).integers(0, p.in_max + 1, (150, 3))
    assert_sequenced_equals_model(p, 3, x)
    want = TSNeuronModel(p, 3).run(x)
    assert want["spike"].sum() > 3 and want["on"].any() and not want["on"].all()   # both phases visited


@settings(RULE, max_examples=settings.default.max_examples if SLOW_PROFILE else 8)
@given(run_case())
def test_sequenced_array_equals_the_model_any_params(case):
    p, n, x, _ = case
    assert_sequenced_equals_model(p, n, x)


def test_sequenced_array_negative():
    """The comparison can fail: the same run against a model with a different discharge step."""
    p = shipped("nbox")
    x = np.random.default_rng(7).integers(0, p.in_max + 1, (150, 2))
    got, _ = run_sequenced(p, 2, x)
    want = TSNeuronModel(p.replace(c_on=p.c_on + 256), 2).run(x)
    assert not np.array_equal(got["v"], want["v"])


def test_board_build_for_ice40_is_refused_before_synthesis():
    from neuroxide.flow import build_design
    with pytest.raises(ParameterError) as e:
        build_design(configure("ts-neuron", {}), "icebreaker", build_dir="/nonexistent/never-written")
    assert e.value.field == "board" and "5,280" in str(e.value) and "iCE40UP5K" in str(e.value)
