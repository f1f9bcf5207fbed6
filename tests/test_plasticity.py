"""Plasticity rules: each RTL rule unit equals the numpy rule from random states (hypothesis), and
the model's rules do what their equations say (hand-computed cases, saturation, rounding)."""

import numpy as np
import pytest
from amaranth.sim import Simulator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neuroxide.errors import ParameterError
from neuroxide.models.fixedpoint import NUMPY
from neuroxide.models.lif import LIFParams
from neuroxide.models.plasticity import (DEVICE_PRESETS, GAIN_BITS, RULES, PlasticityParams, PlasticLayer,
                                         PlasticModel, UpdateTables, calcium_step, column_gains, lookup,
                                         tables_from_device, trace_step, weight_update)
from neuroxide.rtl.plasticity import CalciumUnit, SynapseUpdateUnit, TraceUnit

# each example simulates a batch of input vectors on one elaborated unit; the slow profile tries many more
EXAMPLES = max(12, settings.default.max_examples // 8)
VECTORS = 24


@st.composite
def plasticity_params(draw, rule=None):
    rule = draw(st.sampled_from(RULES)) if rule is None else rule
    wb = draw(st.integers(1, 8))
    fb = draw(st.integers(0, 16))
    tb = draw(st.integers(1, 16))
    db = draw(st.integers(1, 12))
    cb = draw(st.integers(1, 12))
    step_max = ((1 << wb) - 1) << fb
    theta_l = draw(st.integers(0, (1 << cb) - 1))
    tables = None
    if draw(st.booleans()):
        tf = draw(st.integers(0, 12))
        entry = st.integers(0, 4 << tf)
        n = 1 << wb
        tables = UpdateTables(tuple(draw(st.lists(entry, min_size=n, max_size=n))),
                              tuple(draw(st.lists(entry, min_size=n, max_size=n))), tf)
    return PlasticityParams(
        rule=rule, weight_bits=wb, frac_bits=fb, stochastic=draw(st.booleans()), trace_bits=tb, decay_bits=db,
        trace_decay=draw(st.integers(0, (1 << db) - 1)), trace_inc=draw(st.integers(0, (1 << tb) - 1)),
        trace_mode=draw(st.sampled_from(["add", "nearest"])),
        a_plus=draw(st.integers(0, step_max)), a_minus=draw(st.integers(0, step_max)),
        a_post=0 if rule == "sdsp" else draw(st.just(0) | st.integers(0, step_max)),
        ca_bits=cb, ca_decay=draw(st.integers(0, (1 << db) - 1)), ca_inc=draw(st.integers(0, (1 << cb) - 1)),
        theta_m=draw(st.integers(-2000, 2000)), theta_l=theta_l,
        theta_h_up=draw(st.integers(theta_l, 1 << cb)), theta_h_down=draw(st.integers(theta_l, 1 << cb)),
        sdsp_up=draw(st.none() | st.integers(0, step_max)), sdsp_down=draw(st.none() | st.integers(0, step_max)),
        tables=tables)


def _simulate(unit, inputs, outputs):
    """Comb ``unit``: ``{port: array (k,)}`` in -> ``{port: array (k,)}`` out, one vector at a time."""
    k = len(next(iter(inputs.values())))
    got = {name: np.zeros(k, dtype=np.int64) for name in outputs}

    async def bench(ctx):
        for t in range(k):
            for name, values in inputs.items():
                ctx.set(getattr(unit, name), int(values[t]))
            for name in outputs:
                got[name][t] = ctx.get(getattr(unit, name))

    sim = Simulator(unit)
    sim.add_testbench(bench)
    sim.run()
    return got


def _extremes(rng, lo, hi, k):
    """Uniform values with the bounds over-represented (saturation is where rules go wrong)."""
    x = rng.integers(lo, hi + 1, k)
    pick = rng.integers(0, 4, k)
    return np.where(pick == 0, lo, np.where(pick == 1, hi, x))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plasticity_params(), st.booleans(), st.integers(0, 2**32 - 1))
def test_synapse_unit_equals_model(p, with_gain, seed):
    v_bits = 12
    r = np.random.default_rng(seed)
    k = VECTORS
    ins = {"w": _extremes(r, 0, p.w_max, k), "pre_spike": r.integers(0, 2, k), "post_spike": r.integers(0, 2, k),
           "pre_trace": _extremes(r, 0, p.trace_max, k), "post_trace": _extremes(r, 0, p.trace_max, k),
           "v_post": _extremes(r, -(1 << (v_bits - 1)), (1 << (v_bits - 1)) - 1, k),
           "ca_post": _extremes(r, 0, p.ca_max, k), "rng": r.integers(1, 2**32, k)}
    gain = None
    if with_gain:
        ins["gain"] = _extremes(r, 0, 4 << GAIN_BITS, k)
        gain = ins["gain"]
    got = _simulate(SynapseUpdateUnit(p, v_bits, with_gain), ins, ["w_next"])["w_next"]
    want, _ = weight_update(NUMPY, ins["w"], ins["pre_spike"].astype(bool), ins["post_spike"].astype(bool),
                            ins["pre_trace"], ins["post_trace"], ins["v_post"], ins["ca_post"], ins["rng"], p, gain)
    assert (got == want).all(), (p, np.flatnonzero(got != want))
    assert want.min() >= 0 and want.max() <= p.w_max


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plasticity_params(), st.data())
def test_runtime_rate_unit_equals_model_with_those_rates(p, data):
    """Rates from registers: the unit equals the rule of ``p.replace(rates)`` for any legal rates."""
    v_bits = 10
    top = p.step_max
    rates = {"a_plus": data.draw(st.integers(0, top)), "a_minus": data.draw(st.integers(0, top)),
             "sdsp_up": data.draw(st.integers(0, top)), "sdsp_down": data.draw(st.integers(0, top)),
             "theta_m": data.draw(st.integers(-(1 << (v_bits - 1)), (1 << (v_bits - 1)) - 1))}
    q = p.replace(**rates)
    r = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    k = VECTORS
    ins = {"w": _extremes(r, 0, p.w_max, k), "pre_spike": r.integers(0, 2, k), "post_spike": r.integers(0, 2, k),
           "pre_trace": _extremes(r, 0, p.trace_max, k), "post_trace": _extremes(r, 0, p.trace_max, k),
           "v_post": _extremes(r, -(1 << (v_bits - 1)), (1 << (v_bits - 1)) - 1, k),
           "ca_post": _extremes(r, 0, p.ca_max, k), "rng": r.integers(1, 2**32, k)}
    unit_in = ins | {name: np.full(k, value) for name, value in rates.items()}
    got = _simulate(SynapseUpdateUnit(p, v_bits, runtime_rates=True), unit_in, ["w_next"])["w_next"]
    want, _ = weight_update(NUMPY, ins["w"], ins["pre_spike"].astype(bool), ins["post_spike"].astype(bool),
                            ins["pre_trace"], ins["post_trace"], ins["v_post"], ins["ca_post"], ins["rng"], q)
    assert (got == want).all()


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plasticity_params(), st.integers(0, 2**32 - 1))
def test_trace_and_calcium_units_equal_model(p, seed):
    r = np.random.default_rng(seed)
    k = VECTORS
    spike = r.integers(0, 2, k)
    trace = _extremes(r, 0, p.trace_max, k)
    ca = _extremes(r, 0, p.ca_max, k)
    got = _simulate(TraceUnit(p), {"trace": trace, "spike": spike}, ["trace_next"])["trace_next"]
    assert (got == trace_step(NUMPY, trace, spike.astype(bool), p)).all()
    got = _simulate(CalciumUnit(p), {"ca": ca, "spike": spike}, ["ca_next"])["ca_next"]
    assert (got == calcium_step(NUMPY, ca, spike.astype(bool), p)).all()


def test_lookup_tree_equals_indexing():
    """Gates get a select tree for a table, numpy an index: the same value (checked on the tree run
    through numpy's select)."""
    class TreeOps(type(NUMPY)):
        name = "tree"
    table = list(np.random.default_rng(3).integers(0, 1000, 32))
    idx = np.arange(32)
    assert (lookup(TreeOps(), table, idx, 5) == lookup(NUMPY, table, idx, 5)).all()


# the rules as their equations say ----------------------------------------------------------------
def _wu(p, w, pre, post, pre_tr=0, post_tr=0, v=0, ca=0, rng=0, gain=None):
    out, _ = weight_update(NUMPY, np.asarray(w), np.asarray(pre, bool), np.asarray(post, bool), np.asarray(pre_tr),
                           np.asarray(post_tr), np.asarray(v), np.asarray(ca), np.asarray(rng), p, gain)
    return int(out)


def test_stdp_add_hand_computed():
    p = PlasticityParams(rule="stdp-add", weight_bits=4, frac_bits=8, stochastic=False, trace_bits=8,
                         a_plus=512, a_minus=256)
    # post spike, full-ish pre trace 128/256: m+ = 512 * 128 >> 8 = 256 -> +1 level
    assert _wu(p, 5, 0, 1, pre_tr=128) == 6
    # pre spike, post trace 255: m- = 256 * 255 >> 8 = 255 -> floor: 0 levels
    assert _wu(p, 5, 1, 0, post_tr=255) == 5
    # both: +2 (pre_tr 255: 510 >> 8 = 1 after floor ... m+ = 510 -> 1) and -0
    assert _wu(p, 5, 1, 1, pre_tr=255, post_tr=0) == 6
    # saturation at the top, never wraps
    big = p.replace(a_plus=15 << 8)
    assert _wu(big, 15, 0, 1, pre_tr=255) == 15
    assert _wu(p.replace(a_minus=15 << 8), 0, 1, 0, post_tr=255) == 0


def test_a_post_hand_computed():
    """dw = s_post (A+ x_pre f+ - A_post f-) - s_pre A- x_post f-: the offset depresses every synapse
    of a spiking column, also those without a pre trace (Diehl & Cook's x_tar)."""
    p = PlasticityParams(rule="stdp-add", weight_bits=4, frac_bits=8, stochastic=False, trace_bits=8,
                         a_plus=512, a_minus=256, a_post=512)
    assert _wu(p, 5, 0, 1, pre_tr=0) == 3          # post spike, no pre trace: -2 levels
    assert _wu(p, 5, 0, 1, pre_tr=255) == 4        # m+ = 512 * 255 >> 8 = 510 -> +1, m- = 512 -> -2
    assert _wu(p, 5, 0, 0, pre_tr=255) == 5        # no post spike: no offset
    assert _wu(p, 1, 0, 1) == 0                    # saturates at 0
    # stdp-mult: the offset scales with w (f- = w / 2**weight_bits): a_post * 8 >> 4 = 256 -> -1 at w=8
    m = p.replace(rule="stdp-mult", a_post=512)
    assert _wu(m, 8, 0, 1) == 7 and _wu(m, 0, 0, 1) == 0
    # the offset is added to the pre-spike depression before rounding: 255 + 200 -> one level (each alone: 0)
    assert _wu(p.replace(a_post=200), 5, 1, 1, post_tr=255) == 4


def test_wta_one_winner_largest_margin_lowest_index():
    """``wta``: of the neurons that cross, the largest v_int - theta fires (lowest index on ties); the
    others keep v_int, take no refractory period and no threshold increase."""
    lp = LIFParams(v_th=60, decay=0, adapt_inc=30, t_ref=2)
    layer = PlasticLayer(1, 4, params=lp, w_shift=4, wta=True, homeostasis=True,
                         plasticity=PlasticityParams(a_plus=0, a_minus=0))
    w = np.array([[5, 8, 8, 3]])  # v_int = 16 w = 80 128 128 48: margins 20 68 68 -, neurons 1 and 2 tie
    m = PlasticModel(layer, w)
    assert m.step(np.ones(1, bool)).tolist() == [False, True, False, False]
    assert m.state["v"][[0, 2, 3]].tolist() == [80, 128, 48] and m.state["ref"].tolist() == [0, 2, 0, 0]
    assert m.state["adapt"].tolist() == [0, 30, 0, 0]
    free = PlasticModel(PlasticLayer(**{**layer.__dict__, "wta": False}), w)
    assert free.step(np.ones(1, bool)).tolist() == [True, True, True, False]
    high = PlasticModel(PlasticLayer(**{**layer.__dict__, "params": lp.replace(v_th=200)}), w)
    assert not high.step(np.ones(1, bool)).any()  # nobody crosses: no winner
    with pytest.raises(ParameterError) as e:
        PlasticLayer(3, 4, wta=1)
    assert e.value.field == "wta"


def test_stdp_mult_soft_bounds():
    p = PlasticityParams(rule="stdp-mult", weight_bits=4, frac_bits=8, stochastic=False, trace_bits=8,
                         a_plus=15 << 8, a_minus=15 << 8)
    # m+ = a_plus * pre_tr * (15 - w) >> (8 + 4): at w=15 nothing, at w=0 the most
    assert _wu(p, 15, 0, 1, pre_tr=255) == 15
    assert _wu(p, 0, 0, 1, pre_tr=255) == 14  # 3840 * 255 * 15 >> 12 = 3585; >> 8 = 14 levels
    assert _wu(p, 14, 0, 1, pre_tr=255) == 14  # 3840 * 255 * 1 >> 12 = 239: under one level
    assert _wu(p, 0, 1, 0, post_tr=255) == 0  # depression scales with w: none at 0


def test_sdsp_odin_conditions():
    p = PlasticityParams(rule="sdsp", weight_bits=3, stochastic=False, theta_m=100, theta_l=2, theta_h_up=10,
                         theta_h_down=6, ca_bits=4, ca_inc=1)
    assert _wu(p, 3, 1, 0, v=100, ca=5) == 4      # V >= theta_m, theta_l <= Ca < theta_h_up: up one level
    assert _wu(p, 3, 1, 0, v=99, ca=5) == 2       # V < theta_m, theta_l <= Ca < theta_h_down: down one level
    assert _wu(p, 3, 1, 0, v=99, ca=7) == 3       # Ca above the down window: no change
    assert _wu(p, 3, 1, 0, v=100, ca=10) == 3     # Ca at the top of the up window: no change
    assert _wu(p, 3, 1, 0, v=100, ca=1) == 3      # Ca below theta_l: no change
    assert _wu(p, 3, 0, 1, v=100, ca=5) == 3      # no pre spike: no change
    assert _wu(p, 7, 1, 0, v=200, ca=5) == 7 and _wu(p, 0, 1, 0, v=0, ca=3) == 0  # saturates


def test_stochastic_rounding_is_unbiased():
    """E[step] = m / 2**F: a quarter-level step moves a quarter of the synapses one level."""
    p = PlasticityParams(rule="sdsp", weight_bits=4, frac_bits=8, sdsp_up=64, theta_m=0, theta_l=0)
    words = np.random.default_rng(1).integers(1, 2**32, 40_000)
    w, _ = weight_update(NUMPY, np.full(words.size, 5), np.ones(words.size, bool), np.zeros(words.size, bool),
                         0, 0, np.zeros(words.size), np.zeros(words.size), words, p)
    assert set(np.unique(w)) == {5, 6}
    assert abs((w - 5).mean() - 0.25) < 0.01
    # floor rounding instead: a quarter level is no step at all
    w, _ = weight_update(NUMPY, np.full(4, 5), np.ones(4, bool), np.zeros(4, bool), 0, 0, np.zeros(4),
                         np.zeros(4), words[:4], p.replace(stochastic=False))
    assert (w == 5).all()


def test_device_tables_shape():
    lin = tables_from_device(0.0, 0.0, 1.0, weight_bits=3, frac_bits=8)
    assert lin.up == (256,) * 8 and lin.down == (256,) * 8
    soft = tables_from_device(**DEVICE_PRESETS["soft-bound"], weight_bits=3, frac_bits=8)
    assert soft.up[0] == 256 and soft.up[-1] == 0 and soft.down[0] == 0 and soft.down[-1] == 256
    asym = tables_from_device(**DEVICE_PRESETS["taox-assumed"], weight_bits=4, frac_bits=8)
    assert asym.down[-1] == 384 and list(asym.up) == sorted(asym.up, reverse=True)
    # a device with tables: the step at a level follows the table
    p = PlasticityParams(rule="sdsp", weight_bits=3, stochastic=False, theta_m=0, theta_l=0, tables=soft)
    assert _wu(p, 0, 1, 0, v=5) == 1 and _wu(p, 7, 1, 0, v=-5) == 6
    assert _wu(p, 6, 1, 0, v=5) == 6  # soft bound: (1 - 6/7) of a level floors to 0


def test_column_gains_scale_steps():
    p = PlasticityParams(rule="sdsp", weight_bits=4, stochastic=False, theta_m=0, theta_l=0, sdsp_up=2 << 8)
    assert _wu(p, 5, 1, 0, v=1, gain=np.asarray(1 << GAIN_BITS)) == 7
    assert _wu(p, 5, 1, 0, v=1, gain=np.asarray(1 << (GAIN_BITS - 1))) == 6
    gains = column_gains(50, 0.3, seed=4)
    assert len(gains) == 50 and min(gains) >= 0 and max(gains) <= 4 << GAIN_BITS and len(set(gains)) > 10


@pytest.mark.parametrize("change, field", [
    ({"rule": "hebb"}, "rule"),
    ({"weight_bits": 9}, "weight_bits"),
    ({"a_plus": (15 << 8) + 1}, "a_plus"),        # a step wider than the weight range
    ({"a_minus": -1}, "a_minus"),
    ({"trace_decay": 256}, "trace_decay"),         # a factor >= 1 never decays
    ({"trace_inc": 256}, "trace_inc"),
    ({"frac_bits": 17}, "frac_bits"),
    ({"theta_h_up": 3, "theta_l": 4}, "theta_h_up"),
    ({"sdsp_up": 1 << 20}, "sdsp_up"),
    ({"tables": UpdateTables((256,) * 8, (256,) * 8)}, "tables.up"),  # 8 levels for 4-bit weights
    ({"trace_mode": "pairs"}, "trace_mode"),
    ({"a_post": (15 << 8) + 1}, "a_post"),
    ({"a_post": -1}, "a_post"),
    ({"rule": "sdsp", "a_post": 1}, "a_post"),     # an STDP offset only
])
def test_bad_params_name_the_field(change, field):
    with pytest.raises(ParameterError) as e:
        PlasticityParams(**change)
    assert e.value.field == field


def test_layer_validation_and_model_checks():
    with pytest.raises(ParameterError) as e:
        PlasticLayer(4, 2, weight_bits=3)
    assert e.value.field == "weight_bits"
    with pytest.raises(ParameterError) as e:
        PlasticLayer(4, 2, plasticity=PlasticityParams(theta_m=40_000))
    assert e.value.field == "plasticity.theta_m"
    with pytest.raises(ParameterError) as e:
        PlasticLayer(4, 2, column_gain=(256,))
    assert e.value.field == "column_gain"
    layer = PlasticLayer(4, 2)
    with pytest.raises(ParameterError) as e:
        PlasticModel(layer, np.full((4, 2), 16))
    assert e.value.field == "w_init"
    m = PlasticModel(layer, np.zeros((4, 2), int))
    with pytest.raises(ParameterError) as e:
        m.step(np.zeros(5, bool))
    assert e.value.field == "in_spikes"


def test_model_weights_stay_in_range_and_learning_moves_them():
    rng = np.random.default_rng(7)
    for rule in RULES:
        p = PlasticityParams(rule=rule, theta_m=500, a_plus=15 << 8, a_minus=15 << 8, trace_inc=255)
        layer = PlasticLayer(12, 3, params=LIFParams(v_th=1500), plasticity=p, lateral=300, teacher_drive=2000)
        m = PlasticModel(layer, rng.integers(0, 16, (12, 3)))
        w0 = m.w.copy()
        for t in range(150):
            m.step(rng.random(12) < 0.4, teacher=(np.arange(3) == t % 3))
            assert m.w.min() >= 0 and m.w.max() <= 15
        assert (m.w != w0).any(), rule
        # learn=False: nothing moves
        w1 = m.w.copy()
        for t in range(20):
            m.step(rng.random(12) < 0.4, learn=False)
        assert (m.w == w1).all()


def test_rest_keeps_weights_rng_and_homeostasis():
    layer = PlasticLayer(6, 2, params=LIFParams(v_th=600, adapt_inc=50, adapt_shift=12, adapt_bits=14),
                         homeostasis=True)
    m = PlasticModel(layer, np.full((6, 2), 9))
    for _ in range(30):
        m.step(np.ones(6, bool))
    adapt, w, rng_row = m.state["adapt"].copy(), m.w.copy(), m.state["rng_row"].copy()
    assert adapt.max() > 0
    m.rest()
    assert (m.state["adapt"] == adapt).all() and (m.w == w).all() and (m.state["rng_row"] == rng_row).all()
    assert (m.state["v"] == 0).all() and (m.state["pre_trace"] == 0).all() and not m.state["spike"].any()


def test_pipelined_synapse_unit_equals_model_two_clocks_later():
    """``pipelined=True``: the rule's two ``ops.stage`` cuts are registers; one synapse per clock, the
    result ``depth`` = 2 clocks after its inputs, equal to the numpy rule."""
    p = PlasticityParams(rule="sdsp", weight_bits=4, theta_m=0, theta_l=0, sdsp_up=300, sdsp_down=200,
                         tables=tables_from_device(**DEVICE_PRESETS["taox-assumed"]))
    unit = SynapseUpdateUnit(p, 12, with_gain=True, pipelined=True)
    r = np.random.default_rng(8)
    k = 40
    ins = {"w": _extremes(r, 0, p.w_max, k), "pre_spike": r.integers(0, 2, k), "post_spike": r.integers(0, 2, k),
           "pre_trace": r.integers(0, 256, k), "post_trace": r.integers(0, 256, k), "v_post": r.integers(-50, 50, k),
           "ca_post": r.integers(0, 256, k), "rng": r.integers(1, 2**32, k), "gain": r.integers(0, 4 << GAIN_BITS, k)}
    got = []

    async def bench(ctx):
        for t in range(k + unit.depth):
            for name, values in ins.items():
                ctx.set(getattr(unit, name), int(values[min(t, k - 1)]))
            if t >= unit.depth:
                got.append(ctx.get(unit.w_next))
            await ctx.tick()

    sim = Simulator(unit)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    want, _ = weight_update(NUMPY, ins["w"], ins["pre_spike"].astype(bool), ins["post_spike"].astype(bool),
                            ins["pre_trace"], ins["post_trace"], ins["v_post"], ins["ca_post"], ins["rng"], p,
                            ins["gain"])
    assert unit.depth == 2 and got == want.tolist()
