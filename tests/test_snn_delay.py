"""Synaptic delays in the SNN core (``CoreLayer.delay``: per-source axonal delays, docs/snn_core.md
"Delay line"): the model against a hand-shifted reference, the core (Amaranth simulator) equal to
the model on the full state at every step and cycle for cycle to ``run_cycles``, negative controls
(delays off by one step, a cycle model without the delay line), refusals, and that a network
without delays builds the same Verilog as before."""

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neuroxide.errors import ParameterError
from neuroxide.models.lif import LIFParams
from neuroxide.models.snn import MAX_DELAY, CoreLayer, CoreNetwork, SNNModel, network_from_dict, network_to_dict
from neuroxide.models.snn_conv import ConvGeometry
from neuroxide.rtl.snn_core import SNNCore, run_cycles
from neuroxide.testbench.snn_top import run_top_amaranth
from support.amaranth_sim import snn_core_mismatches

BENCH_CYCLES = 5  # SNNBenchTop: go -> first word read, and last step_done -> done (test_snn_core_rtl)


def _layer(rng, n_in, n_out, wb=4, v_th=30, **extra):
    p = LIFParams(v_bits=12, in_bits=7, v_th=v_th, decay=3600, t_ref=1, noise_bits=2, adapt_inc=3)
    top = (1 << wb) - 1
    return CoreLayer(rng.integers(0, top + 1, (n_in, n_out)),
                     rng.integers(0, top + 1, (n_in, n_out)) * (rng.random((n_in, n_out)) < 0.3), wb, p,
                     adc_shift=1, **extra)


def shifted(x, d):
    """The hand-written reference of a delay line: column j of ``x`` (steps, batch, n) moved ``d[j]``
    steps later, zeros before."""
    out = np.zeros_like(x)
    for j, dj in enumerate(d):
        out[dj:, :, j] = x[:x.shape[0] - dj, :, j]
    return out


def test_model_delays_equal_a_hand_shifted_input():
    """Layer 0's delays = the same network without them fed the shifted input; layer 1's delays = layer
    0 run alone, its spikes shifted, fed to layer 1 alone (full state, every step; SOPs at delivery)."""
    rng = np.random.default_rng(1)
    d0, d1 = rng.integers(0, 5, 8), rng.integers(0, 4, 6)
    l0, l1 = _layer(rng, 8, 6), _layer(rng, 6, 4, v_th=8)
    x = rng.random((20, 3, 8)) < 0.5
    net = CoreNetwork((dataclasses.replace(l0, delay=d0), dataclasses.replace(l1, delay=d1)), seed=7)
    tr = SNNModel(net, 3).run(x, record_state=True)
    seeds = net.initial_rng()
    ref0 = SNNModel(CoreNetwork((l0,), seed=7), 3).run(shifted(x, d0), record_state=True)
    assert np.array_equal(tr.spikes[0], ref0.spikes[0])
    for f in ref0.state[0]:
        assert np.array_equal(tr.state[0][f], ref0.state[0][f])
    s1 = shifted(tr.spikes[0], d1)
    ref1 = SNNModel(CoreNetwork((l1,), seed=7), 3)
    st1 = ref1.state[0]
    ref1.state[0] = type(st1)(st1.v, st1.ref, st1.adapt, np.broadcast_to(seeds[1], st1.v.shape).astype(st1.rng.dtype), st1.spike)
    r1 = ref1.run(s1, record_state=True)
    assert np.array_equal(tr.spikes[1], r1.spikes[0]) and tr.spikes[1].any()
    for f in r1.state[0]:
        assert np.array_equal(tr.state[1][f], r1.state[0][f])
    # SOPs: every event counted once, when it is delivered (events due after the window: never)
    due = sum(int(x[:x.shape[0] - dj, :, j].sum()) for j, dj in enumerate(d0)) * 6 + \
        sum(int(tr.spikes[0][:20 - dj, :, j].sum()) for j, dj in enumerate(d1)) * 4
    assert int(tr.sops.sum()) == due
    # negative control: one delay a step longer is a different network
    d_bad = d0.copy()
    d_bad[int(np.argmax(x.sum(axis=(0, 1))))] += 1
    bad = SNNModel(CoreNetwork((dataclasses.replace(l0, delay=d_bad), net.layers[1]), seed=7), 3).run(x, record_state=True)
    assert not np.array_equal(bad.state[0]["v"], tr.state[0]["v"])


def test_delay_field_json_and_refusals():
    rng = np.random.default_rng(2)
    layer = _layer(rng, 5, 3, delay=np.array([0, 1, 0, 3, MAX_DELAY]))
    net = CoreNetwork((layer,))
    back = network_from_dict(network_to_dict(net))
    assert np.array_equal(back.layers[0].delay, layer.delay)
    assert "delay" not in network_to_dict(CoreNetwork((_layer(rng, 5, 3, delay=np.zeros(5, int)),)))["layers"][0]
    assert _layer(rng, 5, 3, delay=np.zeros(5, int)).delay is None
    for bad, msg in ((np.array([0, 1, 0, -1, 0]), r"delay=-1 .*0\.\.31"), (np.array([0, 1, 0, 32, 0]), r"delay=32 "),
                     (np.array([0, 1]), r"delay='shape \(2,\)'"), (np.array([0, 1.5, 0, 0, 0]), "integer")):
        with pytest.raises(ParameterError, match=msg):
            _layer(rng, 5, 3, delay=bad)
    g = ConvGeometry(in_shape=(1, 4, 4), out_channels=2, kernel=(3, 3))
    conv = CoreLayer(np.ones(g.kernel_shape, int), np.zeros(g.kernel_shape, int), 2, LIFParams(), conv=g,
                     delay=np.ones(16, int))
    # the events of the last step are still in the line: 2 of 3 steps delivered
    assert SNNModel(CoreNetwork((conv,))).run(np.ones((3, 1, 16), bool)).sops.sum() == 2 * g.fanout().sum()


def test_zero_delays_build_the_same_verilog():
    """All-zero delays are no delay line: the same CoreLayer, the same Verilog."""
    from amaranth.back import verilog
    rng = np.random.default_rng(3)
    plain = CoreNetwork((_layer(rng, 4, 3),))
    zero = CoreNetwork((dataclasses.replace(plain.layers[0], delay=np.zeros(4, int)),))
    v = [verilog.convert(SNNCore(n, lanes=2), name="snn_core") for n in (plain, zero)]
    assert v[0] == v[1]


@st.composite
def delayed_case(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    n_layers = draw(st.integers(1, 3))
    sizes = [draw(st.integers(2, 10)) for _ in range(n_layers + 1)]
    layers = []
    for k in range(n_layers):
        n_in, n_out = sizes[k], sizes[k + 1]
        wb = draw(st.sampled_from([2, 4, 8]))
        top = (1 << wb) - 1
        extra = {}
        if draw(st.booleans()):
            extra |= {"w_rec_exc": rng.integers(0, top + 1, (n_out, n_out)),
                      "w_rec_inh": rng.integers(0, top + 1, (n_out, n_out)) * (rng.random((n_out, n_out)) < 0.3)}
        if draw(st.booleans()):
            extra["syn_decay"] = draw(st.integers(0, 1 << 12))
        if draw(st.sampled_from([True, True, False])):
            dmax = draw(st.integers(1, 5))
            extra["delay"] = rng.integers(0, dmax + 1, n_in) * (rng.random(n_in) < 0.7)
        p = LIFParams(v_bits=12, in_bits=7, v_th=draw(st.integers(6, 40)), decay=draw(st.sampled_from([3000, 4096])),
                      t_ref=draw(st.integers(0, 1)), noise_bits=draw(st.integers(0, 2)))
        layers.append(CoreLayer(rng.integers(0, top + 1, (n_in, n_out)),
                                rng.integers(0, top + 1, (n_in, n_out)) * (rng.random((n_in, n_out)) < 0.3), wb, p,
                                adc_shift=draw(st.integers(0, 2)), lateral=draw(st.integers(0, 2)), **extra))
    net = CoreNetwork(tuple(layers), seed=draw(st.integers(0, 2**32 - 1)))
    lanes, npc = draw(st.sampled_from([(1, 1), (2, 2), (4, 1), (8, 4)]))
    batch = draw(st.integers(1, 2))
    s = rng.random((draw(st.integers(6, 10)), batch, net.n_in)) < draw(st.sampled_from([0.4, 0.8]))
    return net, lanes, npc, s


def _check(net, lanes, npc, s):
    got, cycles, _ = run_top_amaranth(net, lanes, s, npc)
    trace = SNNModel(net, s.shape[1]).run(s, record_state=True)
    assert snn_core_mismatches(net, got, trace) == 0
    if s.shape[1] == 1:
        done = run_cycles(net, lanes, s[:, 0], [trace.spikes[k][:, 0] for k in range(len(net.layers))], npc)
        assert cycles == done[-1] + BENCH_CYCLES
    return got, cycles, trace


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(delayed_case())
def test_core_with_delays_equals_the_model_and_the_cycle_model(c):
    _check(*c)


def test_conv_layers_with_delays_equal_the_model_and_the_cycle_model():
    """Weight-shared conv layers with delay lines (decoded entries in the slots): conv as layer 0, a
    strided conv after it, a dense layer last, each with delays; lanes 4 with 2 neuron lanes (cycles
    exact), and a batch of 2 (a reset between the samples)."""
    rng = np.random.default_rng(0)
    p = LIFParams(v_bits=12, in_bits=8, v_th=12, decay=3600)
    g = ConvGeometry(in_shape=(2, 5, 5), out_channels=4, kernel=(3, 3), padding=(1, 1))
    conv = CoreLayer(rng.integers(0, 8, g.kernel_shape),
                     rng.integers(0, 8, g.kernel_shape) * (rng.random(g.kernel_shape) < .3), 3, p, conv=g,
                     delay=rng.integers(0, 4, 50) * (rng.random(50) < .7))
    g2 = ConvGeometry(in_shape=(4, 5, 5), out_channels=2, kernel=(3, 3), stride=(2, 2))
    conv2 = CoreLayer(rng.integers(0, 8, g2.kernel_shape), np.zeros(g2.kernel_shape, int), 3, p, conv=g2,
                      delay=rng.integers(0, 3, 100))
    dense = CoreLayer(rng.integers(0, 8, (g2.n_out, 5)), np.zeros((g2.n_out, 5), int), 3, p,
                      delay=rng.integers(0, 3, g2.n_out))
    net = CoreNetwork((conv, conv2, dense), seed=3)
    _, _, trace = _check(net, 4, 2, rng.random((8, 1, 50)) < 0.4)
    assert all(sp.sum() > 5 for sp in trace.spikes)
    _check(net, 2, 2, rng.random((4, 2, 50)) < 0.4)


def test_core_with_delays_fixed_case_and_negative_controls():
    """Two delayed layers (the second recurrent), lanes 4 with 2 neuron lanes (two groups of the
    10-neuron layer): model equal every step, cycles equal; the model with one delay a step longer,
    or the cycle model of the same network without delays, do not match the RTL."""
    rng = np.random.default_rng(11)
    d0, d1 = np.array([2, 0, 1, 3, 0, 2, 1]), np.array([0, 1, 2, 0, 1, 0, 3, 0, 1, 2])
    l0 = _layer(rng, 7, 10, delay=d0)
    l1 = _layer(rng, 10, 3, v_th=12, delay=d1, w_rec_exc=rng.integers(0, 16, (3, 3)), w_rec_inh=np.zeros((3, 3), int))
    net = CoreNetwork((l0, l1), seed=5)
    s = rng.random((12, 1, 7)) < 0.6
    got, cycles, trace = _check(net, 4, 2, s)
    assert trace.spikes[0].sum() > 5 and trace.spikes[1].sum() > 0
    for k, d in ((0, d0), (1, d1)):
        d_bad = d.copy()
        d_bad[0] += 1     # an input that spikes in the window (checked: the mismatch count)
        layers = list(net.layers)
        layers[k] = dataclasses.replace(layers[k], delay=d_bad)
        other = SNNModel(CoreNetwork(tuple(layers), seed=5), 1).run(s, record_state=True)
        assert snn_core_mismatches(net, got, other) > 0
    plain = CoreNetwork(tuple(dataclasses.replace(la, delay=None) for la in net.layers), seed=5)
    assert cycles != run_cycles(plain, 4, s[:, 0], [trace.spikes[k][:, 0] for k in range(2)], 2)[-1] + BENCH_CYCLES
