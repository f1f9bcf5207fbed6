"""The ``signed`` weight format of the SNN core (``SNNCore(weight_format="signed")``,
``rtl.snn_memory.WeightMemory``): each synapse stored as its level w_exc - w_inh in weight_bits + 1
bits and decoded to the pair on read. The core equals the model on the full state of every neuron
at every step, cycle for cycle as the pair core (same read latency), on networks with
min(w_exc, w_inh) = 0 at every synapse: dense (8-bit, recurrent, banked), conv layers, and weights
loaded over the host link into SPRAM; a network with a synapse holding both levels is refused by the
core, the design and the host loader, naming the layer and the synapse."""

import dataclasses

import numpy as np
import pytest

from neuroxide.errors import ParameterError
from neuroxide.models.lif import LIFParams
from neuroxide.models.snn import CoreLayer, CoreNetwork, SNNModel
from neuroxide.models.snn_capacity import check_signed_weights
from neuroxide.rtl.snn_core import SNNCore, run_cycles
from neuroxide.testbench.snn_top import run_top_amaranth
from support.amaranth_sim import snn_core_mismatches
from test_snn_conv_rtl import conv_case

BENCH_CYCLES = 5  # SNNBenchTop: go -> first word read, and last step_done -> done (as test_snn_core_rtl)


def signed_levels(layer):
    """``layer`` with each synapse's pair replaced by max(w, 0), max(-w, 0) of w = w_exc - w_inh
    (the same net input; min(w_exc, w_inh) = 0 everywhere)."""
    def split(e, h):
        w = np.asarray(e, dtype=np.int64) - np.asarray(h, dtype=np.int64)
        return np.maximum(w, 0), np.maximum(-w, 0)
    w_exc, w_inh = split(layer.w_exc, layer.w_inh)
    rec = {}
    if layer.recurrent:
        rec = dict(zip(("w_rec_exc", "w_rec_inh"), split(layer.w_rec_exc, layer.w_rec_inh)))
    return dataclasses.replace(layer, w_exc=w_exc, w_inh=w_inh, **rec)


def signed_network(net):
    return CoreNetwork(tuple(signed_levels(layer) for layer in net.layers), seed=net.seed)


def run_signed(monkeypatch, net, lanes, s, npc):
    """run_top_amaranth on the core built with ``weight_format="signed"``; asserts every layer's memory
    is signed (``monkeypatch`` records the core the bench top builds)."""
    import neuroxide.testbench.snn_top as snn_top
    built = []

    def recording_core(*args, **kw):
        built.append(SNNCore(*args, **kw))
        return built[-1]

    monkeypatch.setattr(snn_top, "SNNCore", recording_core)
    got, cycles, _ = run_top_amaranth(net, lanes, s, npc, weight_format="signed")
    assert len(built) == 1 and all(u.weights.weight_format == "signed" for u in built[0].units)
    return got, cycles, built[0]


def _dense_case(i):
    """(network, input, lanes, neurons_per_clock) of small dense network ``i``, signed levels."""
    rng = np.random.default_rng(40 + i)
    if i == 0:    # 8-bit, two layers, a recurrent hidden layer with a synaptic current, 2 neuron lanes
        p = LIFParams(v_bits=14, in_bits=10, v_th=300, decay=3900, t_ref=1, noise_bits=2)
        lv = rng.integers(-255, 256, (9, 6)) * (rng.random((9, 6)) < 0.7)
        rec = rng.integers(-255, 256, (6, 6)) * (rng.random((6, 6)) < 0.4)
        l0 = CoreLayer(np.maximum(lv, 0), np.maximum(-lv, 0), 8, p, syn_decay=3000,
                       w_rec_exc=np.maximum(rec, 0), w_rec_inh=np.maximum(-rec, 0))
        lv1 = rng.integers(-255, 256, (6, 5))
        l1 = CoreLayer(np.maximum(lv1, 0), np.maximum(-lv1, 0), 8, p, lateral=2)
        net, lanes, npc, steps = CoreNetwork((l0, l1), seed=7), 4, 2, 6
    else:         # 4-bit, 320 rows x 4 groups at 2 lanes = 1280 words: a banked memory (read latency 3)
        p = LIFParams(v_bits=14, in_bits=10, v_th=60, decay=4000, t_ref=0, noise_bits=0)
        lv = rng.integers(-15, 16, (320, 8)) * (rng.random((320, 8)) < 0.5)
        net = CoreNetwork((CoreLayer(np.maximum(lv, 0), np.maximum(-lv, 0), 4, p),), seed=3)
        lanes, npc, steps = 2, 1, 3
    return net, rng.random((steps, 1, net.n_in)) < 0.3, lanes, npc


@pytest.mark.parametrize("i", [0, 1])
def test_dense_core_signed_equals_the_model(i, monkeypatch):
    net, s, lanes, npc = _dense_case(i)
    check_signed_weights(net)
    got, cycles, core = run_signed(monkeypatch, net, lanes, s, npc)
    trace = SNNModel(net, 1).run(s, record_state=True)
    assert snn_core_mismatches(net, got, trace) == 0
    assert all(sp.any() for sp in trace.spikes)           # every layer fires: the comparison means something
    if i == 1:
        assert core.units[0].weights.banks == 2 and core.units[0].weights.read_latency == 3
    # the decode adds no cycle: the pair core's cycle formula holds
    done = run_cycles(net, lanes, list(s[:, 0]), [sp[:, 0] for sp in trace.spikes], npc)
    assert cycles == done[-1] + BENCH_CYCLES


@pytest.mark.parametrize("i", [0, 2])
def test_conv_core_signed_equals_the_model(i, monkeypatch):
    """Conv layers (ConvLayerUnit's kernel memory) in the signed format: stride/padding into a dense
    layer (4-bit), and a Conv1d shape at 8-bit."""
    net, s, lanes, npc = conv_case(i)
    net = signed_network(net)
    got, cycles, _ = run_signed(monkeypatch, net, lanes, s[:, :1], npc)
    trace = SNNModel(net, 1).run(s[:, :1], record_state=True)
    assert snn_core_mismatches(net, got, trace) == 0
    assert all(sp.any() for sp in trace.spikes)
    done = run_cycles(net, lanes, list(s[:, 0]), [sp[:, 0] for sp in trace.spikes], npc)
    assert cycles == done[-1] + BENCH_CYCLES


def test_signed_core_stores_fewer_bits():
    """One 8-bit layer at 4 lanes: the pair core's weight RAM is 4 x 16 bits a word, the signed one
    4 x 9; the default is the pair format."""
    from amaranth.back import verilog
    lv = np.random.default_rng(2).integers(-255, 256, (3, 4))
    net = CoreNetwork((CoreLayer(np.maximum(lv, 0), np.maximum(-lv, 0), 8, LIFParams(v_bits=12, in_bits=9, v_th=200)),))
    default = verilog.convert(SNNCore(net, lanes=4, runtime_params=False), name="core", emit_src=False)
    signed = verilog.convert(SNNCore(net, lanes=4, runtime_params=False, weight_format="signed"), name="core",
                             emit_src=False)
    assert "reg [63:0] mem [" in default and "reg [35:0] mem [" not in default
    assert "reg [35:0] mem [" in signed and "reg [63:0] mem [" not in signed


def test_refusals_name_the_layer_and_the_synapse():
    net, _, lanes, npc = _dense_case(0)
    l0, l1 = net.layers
    # layer 1, row 2, neuron 3 holds both levels
    e, h = l1.w_exc.copy(), l1.w_inh.copy()
    e[2, 3], h[2, 3] = 5, 7
    bad = CoreNetwork((l0, dataclasses.replace(l1, w_exc=e, w_inh=h)), seed=7)
    with pytest.raises(ParameterError) as err:
        SNNCore(bad, lanes=lanes, weight_format="signed")
    assert err.value.field == "layers[1].weights" and "row 2, neuron 3" in str(err.value)
    assert "w_exc=5, w_inh=7" in str(err.value) and "min(w_exc, w_inh) = 0" in str(err.value)
    SNNCore(bad, lanes=lanes)                               # the pair format stores it
    # a recurrent row: rows n_in + m
    re, rh = l0.w_rec_exc.copy(), l0.w_rec_inh.copy()
    re[1, 0], rh[1, 0] = 1, 1
    bad = CoreNetwork((dataclasses.replace(l0, w_rec_exc=re, w_rec_inh=rh), l1), seed=7)
    with pytest.raises(ParameterError, match=r"row 10, neuron 0"):
        SNNCore(bad, lanes=lanes, weight_format="signed")
    # a conv layer: kernel row (ci * kH + ky) * kW + kx, output channel
    cnet, _, clanes, _ = conv_case(0)
    conv = cnet.layers[0]
    with pytest.raises(ParameterError) as err:
        check_signed_weights(cnet)
    assert err.value.field == "layers[0].weights" and "kernel row" in str(err.value)
    we = conv.w_exc.reshape(conv.conv.out_channels, -1)
    wi = conv.w_inh.reshape(conv.conv.out_channels, -1)
    r, co = np.argwhere(((we != 0) & (wi != 0)).T)[0]
    assert f"kernel row {r}, output channel {co}" in str(err.value)
    with pytest.raises(ParameterError, match="weight_format"):
        SNNCore(net, lanes=lanes, weight_format="twos")


def test_design_parameter(tmp_path):
    """``-p weight_format=signed``: refused for the random network (both levels at some synapses),
    accepted for a network whose synapses hold one level, and an unknown format refused."""
    import json

    from neuroxide.designs import configure
    from neuroxide.designs.snn_core import DESIGN
    from neuroxide.models.snn import network_to_dict
    with pytest.raises(ParameterError) as err:
        configure("snn-core", {"weight_format": "signed"})
    assert err.value.field.startswith("layers[") and "synapse" in str(err.value)
    with pytest.raises(ParameterError) as err:
        configure("snn-core", {"weight_format": "twos"})
    assert err.value.field == "weight_format" and "pair | signed" in str(err.value)
    net, _, _, _ = _dense_case(0)
    path = tmp_path / "net.json"
    path.write_text(json.dumps(network_to_dict(net)))
    signed = configure("snn-core", {"network": str(path), "weight_format": "signed", "lanes": 4})
    pair = configure("snn-core", {"network": str(path), "lanes": 4})
    assert signed.to_dict()["weight_format"] == "signed" and "weight_format" not in pair.to_dict()
    assert DESIGN.elaborate(signed).weight_format == "signed" and DESIGN.elaborate(pair).weight_format == "pair"
    res = DESIGN.simulate(signed, "icarus", 3, tmp_path)              # the signed core's Verilog on Icarus
    assert res["mismatches"] == 0 and res["steps"] == 3
    # a network file that records its format (nir import --weight-format signed) builds in it; -p wins
    recorded = tmp_path / "signed.json"
    recorded.write_text(json.dumps(network_to_dict(net) | {"weight_format": "signed"}))
    assert configure("snn-core", {"network": str(recorded), "lanes": 4}).weight_format == "signed"
    assert configure("snn-core", {"network": str(recorded), "weight_format": "pair", "lanes": 4}).weight_format == "pair"
    recorded.write_text(json.dumps(network_to_dict(net) | {"weight_format": "twos"}))
    with pytest.raises(ParameterError) as err:
        configure("snn-core", {"network": str(recorded)})
    assert err.value.field == "weight_format"


def test_host_loads_a_signed_spram_core_and_refuses_both_levels():
    """boards/snn_host.py over the host link (Amaranth simulator): a signed core with its weights in
    (the behavioural model of) SPRAM, built with zero weights, loaded over the bus: spikes equal the
    model's. A network with a synapse holding both levels is refused before any write."""
    from neuroxide.boards.host import HostLink
    from neuroxide.boards.snn_host import SNNHost
    from neuroxide.testbench.hostlink_top import AmaranthTransport
    rng = np.random.default_rng(11)
    p = LIFParams(v_bits=12, in_bits=9, v_th=150, decay=3900, t_ref=0, noise_bits=0)
    lv0, lv1 = rng.integers(-255, 256, (6, 5)), rng.integers(-255, 256, (5, 3))
    net = CoreNetwork((CoreLayer(np.maximum(lv0, 0), np.maximum(-lv0, 0), 8, p),
                       CoreLayer(np.maximum(lv1, 0), np.maximum(-lv1, 0), 8, p)), seed=4)
    blank = CoreNetwork(tuple(dataclasses.replace(la, w_exc=la.w_exc * 0, w_inh=la.w_inh * 0) for la in net.layers),
                        seed=4)
    core = SNNCore(blank, lanes=2, memory=("spram", "spram"), weight_format="signed")
    host = SNNHost(HostLink(AmaranthTransport(core)), weight_format="signed")
    bad_layer = net.layers[1]
    e, h = bad_layer.w_exc.copy(), bad_layer.w_inh.copy()
    e[4, 2], h[4, 2] = 3, 200
    bad = CoreNetwork((net.layers[0], dataclasses.replace(bad_layer, w_exc=e, w_inh=h)), seed=4)
    with pytest.raises(ParameterError) as err:
        host.load_network(bad)
    assert err.value.field == "layers[1].weights" and "row 4, neuron 2" in str(err.value)
    host.load_network(net)
    s = rng.random((6, 6)) < 0.6
    got = host.run(s)
    want = SNNModel(net, 1).run(s[:, None, :]).spikes
    assert sum(int(w.sum()) for w in want) > 0
    for g, w in zip(got, want):
        assert (g == w[:, 0]).all()
    with pytest.raises(ParameterError, match="weight_format"):
        SNNHost(HostLink(AmaranthTransport(core)), weight_format="twos")
