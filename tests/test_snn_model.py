"""The SNN core's golden model (models/snn.py) against docs/snn_contract.md.

A plain-Python reference (loops over ints, one sample, one neuron at a time) restates the contract
independently of the vectorised model; hypothesis drives both with random networks and inputs.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from neuroxide.errors import ParameterError
from neuroxide.models.lif import LIFParams
from neuroxide.models.prng import MASK32, seed_for
from neuroxide.models.snn import (ENCODER_STREAM, SNN_STREAM, CoreLayer, CoreNetwork, SNNModel, encode_current,
                                  encode_rate, float_forward, intensity_to_p, readout, readout_count,
                                  readout_first_spike)


# --- an independent reference: the contract, spelled out with Python ints ------------------------

def _xs(x):
    x ^= (x << 13) & MASK32
    x ^= x >> 17
    x ^= (x << 5) & MASK32
    return x


def _lif(p, v, ref, adapt, rng, i_exc, i_inh):
    rng = _xs(rng)
    a_dec = adapt - (adapt >> p.adapt_shift)
    v_int = min(max(((v * p.decay) >> p.decay_bits) + p.bias + i_exc - i_inh, p.v_lo), p.v_hi)
    theta = p.v_th + a_dec
    if p.noise_bits:
        theta += (rng >> (32 - p.noise_bits)) - (1 << (p.noise_bits - 1))
    fire = ref == 0 and v_int >= theta
    if ref > 0:
        v, ref = v, ref - 1
    elif fire:
        v = p.v_reset if p.reset_mode == "value" else min(max(v_int - p.v_th, p.v_lo), p.v_hi)
        ref = p.t_ref
    else:
        v, ref = v_int, 0
    adapt = min(max(a_dec + (p.adapt_inc if fire else 0), 0), p.adapt_max)
    return v, ref, adapt, rng, int(fire)


def reference_run(net, in_spikes):
    """in_spikes (steps, n_in) -> per step, per layer: list of (v, ref, adapt, rng, spike) tuples."""
    g = 0
    states = []
    for layer in net.layers:
        p = layer.params
        states.append([[p.v_init, 0, 0, seed_for(net.seed, SNN_STREAM, g + j), 0] for j in range(layer.n_out)])
        g += layer.n_out
    out = []
    for s_t in in_spikes:
        s = [int(x) for x in s_t]
        step_out = []
        for layer, st_l in zip(net.layers, states):
            p = layer.params
            prev = [n[4] for n in st_l]
            new = []
            for j in range(layer.n_out):
                acc_e = sum(s[i] * int(layer.w_exc[i, j]) for i in range(layer.n_in))
                acc_i = sum(s[i] * int(layer.w_inh[i, j]) for i in range(layer.n_in))
                acc_i += layer.lateral * (sum(prev) - prev[j])
                i_e = min(acc_e >> layer.adc_shift, p.in_max)
                i_i = min(acc_i >> layer.adc_shift, p.in_max)
                new.append(list(_lif(p, *st_l[j][:4], i_e, i_i)))
            st_l[:] = new
            step_out.append([tuple(n) for n in new])
            s = [n[4] for n in new]
        out.append(step_out)
    return out


# --- strategies ----------------------------------------------------------------------------------

@st.composite
def networks(draw, max_layers=2, max_n=5):
    n_layers = draw(st.integers(1, max_layers))
    sizes = [draw(st.integers(1, max_n)) for _ in range(n_layers + 1)]
    layers = []
    for k in range(n_layers):
        bits = draw(st.integers(1, 8))
        in_bits = draw(st.integers(3, 10))
        v_th = draw(st.integers(1, 600))
        params = LIFParams(
            v_bits=12, in_bits=in_bits, decay_bits=8, decay=draw(st.integers(0, 256)),
            v_th=v_th, v_reset=draw(st.integers(-50, v_th - 1)), reset_mode=draw(st.sampled_from(["value", "subtract"])),
            t_ref=draw(st.integers(0, 3)), adapt_inc=draw(st.integers(0, 60)), adapt_bits=10,
            adapt_shift=draw(st.integers(1, 5)), noise_bits=draw(st.integers(0, 6)),
            v_init=draw(st.integers(-100, 100)), bias=draw(st.integers(-5, 20)))
        shape = (sizes[k], sizes[k + 1])
        hi = (1 << bits) - 1
        w_exc = np.array(draw(st.lists(st.integers(0, hi), min_size=shape[0] * shape[1],
                                       max_size=shape[0] * shape[1]))).reshape(shape)
        w_inh = np.array(draw(st.lists(st.integers(0, hi), min_size=shape[0] * shape[1],
                                       max_size=shape[0] * shape[1]))).reshape(shape)
        layers.append(CoreLayer(w_exc, w_inh, weight_bits=bits, params=params,
                                adc_shift=draw(st.integers(0, 3)), lateral=draw(st.integers(0, 1 << (in_bits - 1)))))
    return CoreNetwork(tuple(layers), seed=draw(st.integers(0, MASK32)))


def random_inputs(net, steps, batch, seed, rate=0.5):
    rng = np.random.default_rng(seed)
    return (rng.random((steps, batch, net.n_in)) < rate).astype(np.int64)


# --- hand-computed cases -------------------------------------------------------------------------

def _if_params(**kw):
    base = dict(v_bits=12, in_bits=8, decay_bits=8, decay=256, v_th=10, v_reset=0, t_ref=0)
    base.update(kw)
    return LIFParams(**base)


def test_hand_computed_two_inputs_one_neuron():
    # w = [3, 4] excitatory, [0, 1] inhibitory; IF neuron (no leak), threshold 10, reset to 0
    layer = CoreLayer(np.array([[3], [4]]), np.array([[0], [1]]), weight_bits=3, params=_if_params())
    model = SNNModel(CoreNetwork((layer,)))
    s = np.array([[1, 0], [1, 1], [0, 1], [1, 1], [0, 0]])
    trace = model.run(s, record_state=True)
    # v: 3; 3+(3+4)-1 = 9; 9+4-1 = 12 >= 10 fires, reset to 0; 0+(3+4)-1 = 6; no input holds 6
    assert trace.state[0]["v"][:, 0, 0].tolist() == [3, 9, 0, 6, 6]
    assert trace.spikes[0][:, 0, 0].tolist() == [False, False, True, False, False]
    # SOPs: one per column per input event
    assert int(trace.sops[0]) == 1 + 2 + 1 + 2 + 0


def test_adc_shift_floors_then_saturates():
    params = _if_params(in_bits=3, v_th=1000)  # in_max = 7, no spike
    w = np.full((4, 1), 15)
    layer = CoreLayer(w, np.zeros_like(w), weight_bits=4, params=params, adc_shift=2)
    model = SNNModel(CoreNetwork((layer,)))
    # one input: 15 >> 2 = 3; two inputs: 30 >> 2 = 7; four inputs: 60 >> 2 = 15 -> saturates at 7
    trace = model.run(np.array([[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 1]]), record_state=True)
    assert trace.state[0]["v"][:, 0, 0].tolist() == [3, 10, 17]


def test_exact_accumulation_no_intermediate_saturation():
    # excitation 4*15=60 and inhibition 4*15=60 cancel exactly before the ADC bound of 7
    params = _if_params(in_bits=3, v_th=1000)
    w = np.full((8, 1), 15)
    w_inh = np.zeros_like(w)
    w_inh[4:] = 15
    w_exc = w.copy()
    w_exc[4:] = 0
    layer = CoreLayer(w_exc, w_inh, weight_bits=4, params=params)
    model = SNNModel(CoreNetwork((layer,)))
    trace = model.run(np.ones((1, 8), dtype=int), record_state=True)
    # each side saturates separately at 7: v = 7 - 7 = 0 (the bound applies after the sum, per side)
    assert trace.state[0]["v"][0, 0, 0] == 0


def test_lateral_inhibition_hand_computed():
    params = _if_params(v_th=5)
    w = np.array([[6, 6, 6]])  # one input drives three neurons over threshold
    layer = CoreLayer(w, np.zeros_like(w), weight_bits=3, params=params, lateral=4)
    model = SNNModel(CoreNetwork((layer,)))
    trace = model.run(np.ones((3, 1), dtype=int), record_state=True)
    # t0: all fire (prev all 0). t1: each gets 6 - 4*2 = -2 -> no spike, v = -2. t2: prev 0 -> v = 4
    assert trace.spikes[0][:, 0].tolist() == [[True] * 3, [False] * 3, [False] * 3]
    assert trace.state[0]["v"][:, 0].tolist() == [[0, 0, 0], [-2, -2, -2], [4, 4, 4]]


def test_winner_take_all_silences_the_others():
    params = _if_params(v_th=20, v_min=-64)
    w = np.array([[15, 6, 5, 7]])
    layer = CoreLayer(w, np.zeros_like(w), weight_bits=4, params=params, lateral=40)
    trace = SNNModel(CoreNetwork((layer,))).run(np.ones((40, 1), dtype=int))
    counts = trace.counts()[0]
    assert counts[0] > 0 and counts[1:].sum() == 0
    no_wta = CoreLayer(w, np.zeros_like(w), weight_bits=4, params=params, lateral=0)
    assert (SNNModel(CoreNetwork((no_wta,))).run(np.ones((40, 1), dtype=int)).counts()[0] > 0).all()


def test_second_layer_sees_first_layer_spikes_of_the_same_step():
    params = _if_params(v_th=1)
    l0 = CoreLayer(np.array([[1]]), np.array([[0]]), weight_bits=1, params=params)
    l1 = CoreLayer(np.array([[1]]), np.array([[0]]), weight_bits=1, params=params)
    trace = SNNModel(CoreNetwork((l0, l1))).run(np.array([[1], [0]]))
    assert trace.spikes[0][:, 0, 0].tolist() == [True, False]
    assert trace.spikes[1][:, 0, 0].tolist() == [True, False]
    # SOPs: the input event feeds 1 column, the layer-0 spike feeds 1 column of layer 1
    assert int(trace.sops[0]) == 2


def test_neuron_seeds_follow_global_index():
    params = _if_params(noise_bits=4)
    l0 = CoreLayer(np.ones((2, 3), dtype=int), np.zeros((2, 3), dtype=int), weight_bits=1, params=params)
    l1 = CoreLayer(np.ones((3, 2), dtype=int), np.zeros((3, 2), dtype=int), weight_bits=1, params=params)
    net = CoreNetwork((l0, l1), seed=77)
    model = SNNModel(net, batch=2)
    assert model.state[1].rng[1].tolist() == [seed_for(77, SNN_STREAM, 3), seed_for(77, SNN_STREAM, 4)]
    assert model.state[0].rng[0].tolist() == [seed_for(77, SNN_STREAM, j) for j in range(3)]


# --- properties ----------------------------------------------------------------------------------

@given(networks(), st.integers(1, 12), st.integers(0, 2**31))
def test_model_equals_reference_full_state(net, steps, seed):
    s = random_inputs(net, steps, 1, seed)
    trace = SNNModel(net).run(s, record_state=True)
    ref = reference_run(net, s[:, 0])
    for t in range(steps):
        for k in range(len(net.layers)):
            got = list(zip(trace.state[k]["v"][t, 0], trace.state[k]["ref"][t, 0], trace.state[k]["adapt"][t, 0],
                           trace.state[k]["rng"][t, 0], trace.spikes[k][t, 0].astype(int)))
            assert got == ref[t][k], (t, k)


@given(networks(), st.integers(1, 10), st.integers(1, 4), st.integers(0, 2**31))
def test_batch_equals_single(net, steps, batch, seed):
    s = random_inputs(net, steps, batch, seed)
    whole = SNNModel(net, batch).run(s, record_state=True)
    for b in range(batch):
        single = SNNModel(net, 1).run(s[:, b:b + 1], record_state=True)
        for k in range(len(net.layers)):
            assert np.array_equal(whole.spikes[k][:, b], single.spikes[k][:, 0])
            for f in ("v", "ref", "adapt", "rng"):
                assert np.array_equal(whole.state[k][f][:, b], single.state[k][f][:, 0])
        assert whole.sops[b] == single.sops[0]


@given(networks(max_layers=1, max_n=6), st.integers(1, 8), st.integers(0, 2**31), st.randoms())
def test_input_event_order_is_irrelevant(net, steps, seed, rnd):
    """Permuting the input channels together with the crossbar rows changes nothing: the sum over
    input events is exact, whatever order the RTL visits them in."""
    layer = net.layers[0]
    perm = list(range(layer.n_in))
    rnd.shuffle(perm)
    permuted = CoreNetwork((CoreLayer(layer.w_exc[perm], layer.w_inh[perm], layer.weight_bits, layer.params,
                                      layer.adc_shift, layer.lateral),), seed=net.seed)
    s = random_inputs(net, steps, 2, seed)
    a = SNNModel(net, 2).run(s, record_state=True)
    b = SNNModel(permuted, 2).run(s[:, :, perm], record_state=True)
    assert np.array_equal(a.spikes[0], b.spikes[0])
    for f in ("v", "ref", "adapt", "rng"):
        assert np.array_equal(a.state[0][f], b.state[0][f])


@given(networks(), st.integers(1, 10), st.integers(0, 2**31))
def test_state_stays_in_range(net, steps, seed):
    trace = SNNModel(net, 2).run(random_inputs(net, steps, 2, seed, rate=0.9), record_state=True)
    for layer, state in zip(net.layers, trace.state):
        p = layer.params
        assert state["v"].min() >= p.v_lo and state["v"].max() <= p.v_hi
        assert state["adapt"].min() >= 0 and state["adapt"].max() <= p.adapt_max
        assert state["ref"].min() >= 0 and state["ref"].max() <= max(p.t_ref, 0)
        assert state["rng"].min() > 0 and state["rng"].max() <= MASK32


def test_step_and_run_agree_and_run_continues():
    rng = np.random.default_rng(3)
    params = _if_params(noise_bits=3, v_th=20)
    net = CoreNetwork((CoreLayer(rng.integers(0, 16, (5, 4)), rng.integers(0, 16, (5, 4)), 4, params, lateral=3),))
    s = random_inputs(net, 12, 3, 9)
    whole = SNNModel(net, 3).run(s)
    m = SNNModel(net, 3)
    first = m.run(s[:5])
    stepped = [m.step(s[t])[0] for t in range(5, 12)]
    assert np.array_equal(whole.spikes[0][:5], first.spikes[0])
    assert np.array_equal(whole.spikes[0][5:], np.array(stepped))
    m.reset()
    assert np.array_equal(m.run(s).spikes[0], whole.spikes[0])


def test_network_seed_changes_noisy_thresholds_only_when_noise_on():
    rng = np.random.default_rng(5)
    w = rng.integers(0, 16, (6, 5))
    s = random_inputs(CoreNetwork((CoreLayer(w, w * 0, 4, _if_params()),)), 30, 2, 1)

    def spikes(noise_bits, seed):
        layer = CoreLayer(w, w * 0, 4, _if_params(noise_bits=noise_bits, v_th=30))
        return SNNModel(CoreNetwork((layer,), seed=seed), 2).run(s).spikes[0]

    assert np.array_equal(spikes(0, 1), spikes(0, 2))
    assert np.array_equal(spikes(5, 1), spikes(5, 1))
    assert not np.array_equal(spikes(5, 1), spikes(5, 2))


# --- encoders and readout -----------------------------------------------------------------------

def test_encode_rate_matches_xorshift_streams_and_rates():
    p = np.array([0, 64, 128, 256])
    s = encode_rate(p, 4000, seed=11)
    assert s.shape == (4000, 4)
    rates = s.mean(axis=0)
    assert rates[0] == 0 and rates[3] == 1
    assert abs(rates[1] - 0.25) < 0.03 and abs(rates[2] - 0.5) < 0.03
    # channel 2 by hand, from its own stream
    r = seed_for(11, ENCODER_STREAM, 2)
    for t in range(20):
        r = _xs(r)
        assert s[t, 2] == ((r >> 24) < 128)


@given(st.lists(st.integers(0, 256), min_size=1, max_size=6), st.integers(1, 40), st.integers(0, MASK32))
def test_encode_rate_is_per_channel_and_batch_independent(p, steps, seed):
    p = np.array(p)
    single = encode_rate(p, steps, seed)
    batch = encode_rate(np.stack([p, p[::-1], p]), steps, seed)
    assert np.array_equal(batch[:, 0], single) and np.array_equal(batch[:, 2], single)
    assert (single[:, p == 0] == 0).all() and (single[:, p == 256] == 1).all()


@given(st.lists(st.integers(0, 256), min_size=1, max_size=6), st.integers(1, 64))
def test_encode_current_counts(p, steps):
    p = np.array(p)
    s = encode_current(p, steps)
    assert s.sum(axis=0).tolist() == [(128 + steps * x) // 256 for x in p]


def test_intensity_to_p():
    assert intensity_to_p([0, 8, 16], 16).tolist() == [0, 128, 256]
    with pytest.raises(ParameterError, match="intensity"):
        intensity_to_p([17], 16)


def test_readouts_tie_rules():
    sp = np.zeros((5, 2, 3), dtype=bool)
    sp[[1, 3], 0, 2] = True      # sample 0: neuron 2 twice from t=1
    sp[[1, 2], 0, 1] = True      # neuron 1 twice from t=1 as well -> tie on first and count -> index 1
    sp[0, 0, 0] = True           # but neuron 0 fired first (t=0) once
    sp[[2, 3], 1, 0] = True      # sample 1: neuron 0 and 1 twice each, first at t=2
    sp[[2, 4], 1, 1] = True
    assert readout_count(sp).tolist() == [1, 0]
    assert readout_first_spike(sp).tolist() == [0, 0]
    sp[0, 0, 0] = False
    assert readout_first_spike(sp).tolist() == [1, 0]
    assert readout_first_spike(np.zeros((3, 1, 4), dtype=bool)).tolist() == [0]
    with pytest.raises(ParameterError, match="readout"):
        readout(sp, "last")


def test_float_forward_relu():
    w1 = np.array([[1.0, -1.0]])
    w2 = np.array([[2.0], [3.0]])
    scores, acts = float_forward([w1, w2], np.array([[2.0], [-1.0]]))
    assert scores.ravel().tolist() == [4.0, 3.0]
    assert acts[0].tolist() == [[2.0, 0.0], [0.0, 1.0]]


# --- validation ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, field", [
    (dict(w_exc=np.array([[16]]), w_inh=np.array([[0]])), "w_exc"),
    (dict(w_exc=np.array([[1]]), w_inh=np.array([[-1]])), "w_inh"),
    (dict(w_exc=np.array([[1.5]]), w_inh=np.array([[0]])), "w_exc"),
    (dict(w_exc=np.array([1]), w_inh=np.array([0])), "w_exc"),
    (dict(w_exc=np.array([[1, 2]]), w_inh=np.array([[0]])), "w_inh"),
    (dict(w_exc=np.array([[1]]), w_inh=np.array([[0]]), weight_bits=9), "weight_bits"),
    (dict(w_exc=np.array([[1]]), w_inh=np.array([[0]]), adc_shift=16), "adc_shift"),
    (dict(w_exc=np.array([[1]]), w_inh=np.array([[0]]), lateral=4096), "lateral"),
])
def test_bad_layers_name_the_field(kwargs, field):
    kwargs.setdefault("weight_bits", 4)
    with pytest.raises(ParameterError) as e:
        CoreLayer(**kwargs)
    assert e.value.field == field


def test_bad_network_and_inputs():
    a = CoreLayer(np.ones((2, 3), dtype=int), np.zeros((2, 3), dtype=int), 1)
    b = CoreLayer(np.ones((4, 1), dtype=int), np.zeros((4, 1), dtype=int), 1)
    with pytest.raises(ParameterError, match="n_in"):
        CoreNetwork((a, b))
    with pytest.raises(ParameterError, match="layers"):
        CoreNetwork(())
    with pytest.raises(ParameterError, match="seed"):
        CoreNetwork((a,), seed=-1)
    m = SNNModel(CoreNetwork((a,)), batch=2)
    with pytest.raises(ParameterError, match="in_spikes"):
        m.run(np.ones((3, 2, 5), dtype=int))
    with pytest.raises(ParameterError, match="in_spikes"):
        m.run(np.full((3, 2, 2), 2))
    with pytest.raises(ParameterError, match="p="):
        encode_rate(np.array([257]), 3)
    with pytest.raises(ParameterError, match="steps"):
        encode_current(np.array([1]), 0)
