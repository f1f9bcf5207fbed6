"""Convolution layers in the SNN core (rtl/snn_core.py ConvLayerUnit): bit-exact with SNNModel on the
full state of every neuron at every step, and the conv cycle recurrence (conv_layer_timing, run_cycles)
equal to the RTL cycle for cycle. Amaranth simulator on small conv networks (stride, padding,
dilation, groups, Conv1d, a sum pool, conv -> conv, dense before and after, more neuron lanes than
channel lanes), the Verilog on Icarus (default) and Verilator (slow), and the N-MNIST CNN shape on
Verilator (slow)."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neuroxide.errors import ParameterError
from neuroxide.models.lif import LIFParams
from neuroxide.models.snn import CoreLayer, CoreNetwork, SNNModel
from neuroxide.models.snn_conv import ConvGeometry, conv_event_cycles
from neuroxide.rtl.snn_core import (CONV_DECODE, CONV_OUT_LATENCY, NEURON_LATENCY, QUEUE_LATENCY, SNNCore,
                                    acc_latency, layer_timing, run_cycles)
from neuroxide.testbench.snn_bench import run_network
from neuroxide.testbench.snn_top import run_top_amaranth
from support.amaranth_sim import snn_core_mismatches
from support.tools import needs
from test_snn_conv import geometry

BENCH_CYCLES = 5  # SNNBenchTop: go -> first word read, and last step_done -> done (as test_snn_core_rtl)


def _layer(rng, shape, wb=4, conv=None, **kw):
    top = (1 << wb) - 1
    p = kw.pop("params", LIFParams(v_bits=12, in_bits=8, v_th=20, noise_bits=2, t_ref=1))
    return CoreLayer(rng.integers(0, top + 1, shape), rng.integers(0, top + 1, shape) * (rng.random(shape) < 0.3),
                     wb, p, conv=conv, **kw)


def conv_case(i):
    """(network, input (4, 2, n_in), lanes, neurons_per_clock) of small conv network ``i``."""
    rng = np.random.default_rng(i)
    if i == 0:    # stride 2, padding 1, into a dense layer; 2 neuron lanes of 4 channel lanes
        g = ConvGeometry((2, 5, 5), 4, (3, 3), (2, 2), (1, 1))
        layers, lanes, npc = [_layer(rng, g.kernel_shape, conv=g), _layer(rng, (g.n_out, 3))], 4, 2
    elif i == 1:  # groups, dilation, uneven stride/padding, synaptic current, per-neuron thresholds,
        # lateral inhibition, conv -> conv (2-bit) -> dense
        g = ConvGeometry((2, 6, 5), 4, (2, 3), (1, 2), (1, 0), (2, 1), groups=2)
        g2 = ConvGeometry(g.out_shape, 2, (2, 2))
        layers = [_layer(rng, g.kernel_shape, conv=g, syn_decay=3000, lateral=1,
                         v_th_neuron=rng.integers(5, 40, g.n_out)),
                  _layer(rng, g2.kernel_shape, 2, conv=g2), _layer(rng, (g2.n_out, 3))]
        lanes, npc = 8, 1
    elif i == 2:  # Conv1d shape, 8-bit, inputs that reach no output (stride 2, padding 1)
        g = ConvGeometry((3, 1, 9), 4, (1, 3), (1, 2), (0, 1))
        layers = [_layer(rng, g.kernel_shape, 8, conv=g, params=LIFParams(v_bits=12, in_bits=8, v_th=200))]
        lanes, npc = 2, 2
    else:         # dense -> conv -> SumPool2d(2) (depthwise all-ones: 1 channel lane, 2 neuron lanes)
        d = ConvGeometry((3, 4, 4), 6, (3, 3), padding=(1, 1))
        pool = ConvGeometry(d.out_shape, 6, (2, 2), (2, 2), groups=6)
        layers = [_layer(rng, (5, d.n_in)), _layer(rng, d.kernel_shape, conv=d),
                  CoreLayer(np.ones(pool.kernel_shape, int), np.zeros(pool.kernel_shape, int), 1,
                            LIFParams(v_bits=12, in_bits=8, v_th=2), conv=pool)]
        lanes, npc = 4, 2
    net = CoreNetwork(tuple(layers), seed=i + 3)
    return net, rng.random((4, 2, net.n_in)) < 0.5, lanes, npc


@pytest.mark.parametrize("i", [0, 1, 2, 3])
def test_conv_core_equals_the_model_and_the_cycle_formula(i):
    net, s, lanes, npc = conv_case(i)
    batch = 2 if i == 1 else 1               # samples back to back, state reset between them
    got, cycles, _ = run_top_amaranth(net, lanes, s[:, :batch], npc)
    trace = SNNModel(net, batch).run(s[:, :batch], record_state=True)
    assert snn_core_mismatches(net, got, trace) == 0
    assert all(sp.any() for sp in trace.spikes)   # every layer fires: the comparison means something
    if batch == 1:
        done = run_cycles(net, lanes, list(s[:, 0]), [sp[:, 0] for sp in trace.spikes], npc)
        assert cycles == done[-1] + BENCH_CYCLES


def test_conv_cycle_model_by_hand():
    """conv_layer_timing for one 2x2-output conv layer: events' costs from their taps, the drain, a spike."""
    g = ConvGeometry((1, 3, 3), 2, (2, 2))           # 2 channels, 2x2 outputs: 8 neurons
    layer = _layer(np.random.default_rng(0), g.kernel_shape, conv=g)
    cost = conv_event_cycles(g, 2)                    # 1 chunk of 2 channels: taps per input
    assert cost.tolist() == [1, 2, 1, 2, 4, 2, 1, 2, 1]
    # events 4 (centre, 4 taps) readable at 1 and 0 (corner, 1 tap) at 2; inputs complete at 3
    emitted, finished, walk_end = layer_timing(layer, 2, 1, [1, 2], 3, np.zeros(8, bool), events=[4, 0])
    take0 = 1 + CONV_DECODE             # 4
    end1 = max(2 + CONV_DECODE, take0 + 4) + 1   # the corner is taken at the centre's last token
    assert walk_end == end1 + 1 and emitted == []
    load0 = walk_end + acc_latency() + 1
    last_wb = load0 + 3 * 2 + 1 + 1 + NEURON_LATENCY   # 4 words of 2 sums, 2 drain cycles each (P = 1)
    assert finished == last_wb + 1
    spikes = np.zeros(8, bool)
    spikes[5] = True                    # C order (c=1, y=0, x=1) = internal (pos 1) * 2 + 1 = word 3
    emitted, _, _ = layer_timing(layer, 2, 1, [1, 2], 3, spikes, events=[4, 0])
    assert emitted == [load0 + 1 * 2 + 1 + 1 + NEURON_LATENCY + QUEUE_LATENCY + CONV_OUT_LATENCY]
    with pytest.raises(ParameterError, match="events"):
        layer_timing(layer, 2, 1, [1, 2], 3, spikes)


def test_conv_core_refuses_what_its_registers_cannot_address():
    rng = np.random.default_rng(1)
    big = ConvGeometry((1, 130, 130), 1, (2, 2))      # 16,641 outputs: OUT_EVENT holds 12 bits
    with pytest.raises(ParameterError, match="layers\\[0\\].n_out"):
        SNNCore(CoreNetwork((_layer(rng, big.kernel_shape, conv=big),)))
    g = ConvGeometry((2, 4, 4), 6, (3, 3), padding=(1, 1))
    with pytest.raises(ParameterError, match="neurons_per_clock"):
        SNNCore(CoreNetwork((_layer(rng, g.kernel_shape, conv=g),)), lanes=4, neurons_per_clock=4)  # 4 does not divide 6


def test_dense_verilog_unchanged_by_conv_support():
    """A network without conv layers elaborates as before: the spike index stays 10 bits."""
    net, _, _, _ = conv_case(0)
    dense = CoreNetwork((net.layers[1],))
    assert SNNCore(dense).spike_layout.size == 4 + 10 + 32


@pytest.mark.parametrize("simulator", [pytest.param("icarus", marks=needs("icarus")),
                                       pytest.param("verilator", marks=[needs("verilator"), pytest.mark.slow])])
def test_conv_core_verilog_equals_model(simulator, tmp_path):
    net, s, lanes, npc = conv_case(0)
    res = run_network(net, s, simulator=simulator, build_dir=tmp_path, lanes=lanes, neurons_per_clock=npc)
    assert res["mismatches"] == 0, res["first_mismatch"]
    assert all(a.sum() > 0 for a in res["spikes"])
    assert res["sops_rtl"] == res["sops"] > 0


@pytest.mark.slow
def test_nmnist_cnn_shape_cycle_exact_on_the_amaranth_simulator():
    """The N-MNIST CNN's shape, two steps in the Amaranth simulator (about 11,000 cycles, minutes): the
    full state of all 8,970 neurons equal to the model and the run's cycles equal to run_cycles
    (the conv recurrence, the dense 512x256 layer's banked weight memory)."""
    from neuroxide.designs.snn_core import make_cnn_network, make_event_input
    net = make_cnn_network(seed=2)
    s = make_event_input((2, 34, 34), 2, batch=1, seed=3)
    got, cycles, _ = run_top_amaranth(net, 16, s, 8)
    trace = SNNModel(net, 1).run(s, record_state=True)
    assert snn_core_mismatches(net, got, trace) == 0
    assert trace.spikes[0].sum() > 100 and trace.spikes[1].sum() > 100
    done = run_cycles(net, 16, list(s[:, 0].astype(bool)), [sp[:, 0] for sp in trace.spikes], 8)
    assert cycles == done[-1] + BENCH_CYCLES


@pytest.mark.slow
@pytest.mark.parametrize("simulator", [pytest.param("icarus", marks=needs("icarus")),
                                       pytest.param("verilator", marks=needs("verilator"))])
def test_nmnist_cnn_shape_verilog(simulator, tmp_path):
    """The N-MNIST CNN's shape (2x34x34 -> 4096 -> 4096 -> 512 -> 256 -> 10, random 8-bit kernels) on
    event-like input: full state of all 8,970 neurons at every step, two samples (Icarus: 2 steps,
    about 6 minutes; Verilator: 4 steps, after a long single-file C++ build)."""
    from neuroxide.designs.snn_core import make_cnn_network, make_event_input
    net = make_cnn_network(seed=2)
    s = make_event_input((2, 34, 34), 4 if simulator == "verilator" else 2, batch=2, seed=3)
    res = run_network(net, s, simulator=simulator, build_dir=tmp_path, lanes=16, neurons_per_clock=8)
    assert res["mismatches"] == 0, res["first_mismatch"]
    # the two conv layers fire from the first step; the third (pooled) layer first fires at step 3 of this
    # input (model: 1455 / 1573 / 0 spikes in 2 steps, 3174 / 3651 / 5 in 4), so Icarus' 2 steps check two
    assert all(a.sum() > 0 for a in res["spikes"][:2 if simulator == "icarus" else 3])
    assert res["sops_rtl"] == res["sops"] > 0


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_conv_geometries_on_the_core(data):
    """Random geometries (stride, padding, dilation, groups, Conv1d), lanes and neuron lanes: the core
    equals the model on the full state and the cycle recurrence equals the RTL."""
    g = data.draw(geometry(max_side=6))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    lanes = data.draw(st.sampled_from([1, 2, 4, 8]))
    npc = data.draw(st.sampled_from([n for n in (1, 2, 4) if n <= lanes and g.out_channels % n == 0]))
    p = LIFParams(v_bits=12, in_bits=8, v_th=data.draw(st.integers(4, 60)), noise_bits=data.draw(st.integers(0, 2)),
                  t_ref=data.draw(st.integers(0, 2)), reset_mode=data.draw(st.sampled_from(["value", "subtract"])))
    net = CoreNetwork((_layer(rng, g.kernel_shape, data.draw(st.sampled_from([1, 4, 8])), conv=g, params=p,
                              lateral=data.draw(st.integers(0, 2))),
                       _layer(rng, (g.n_out, 2))), seed=data.draw(st.integers(0, 2**32 - 1)))
    s = rng.random((3, 1, net.n_in)) < data.draw(st.sampled_from([0.2, 0.6, 1.0]))
    got, cycles, _ = run_top_amaranth(net, lanes, s, npc)
    trace = SNNModel(net, 1).run(s, record_state=True)
    assert snn_core_mismatches(net, got, trace) == 0
    done = run_cycles(net, lanes, list(s[:, 0]), [sp[:, 0] for sp in trace.spikes], npc)
    assert cycles == done[-1] + BENCH_CYCLES


def test_conv_kernel_loaded_over_the_bus():
    """SYNAPSE (i, j) of a conv layer is kernel row (ci * kH + ky) * kW + kx and output channel j: a core
    built with a zero kernel, loaded over the bus, runs the loaded network (spikes out of OUT_EVENT in
    C order, SOPs = the events' fan-out)."""
    from amaranth.sim import Simulator
    from test_snn_core_rtl import bus_read, bus_write
    net, s, lanes, npc = conv_case(0)
    conv = net.layers[0]
    blank = CoreNetwork((CoreLayer(np.zeros_like(conv.w_exc), np.zeros_like(conv.w_inh), conv.weight_bits,
                                   conv.params, conv=conv.conv), net.layers[1]), seed=net.seed)
    dut = SNNCore(blank, lanes=lanes, neurons_per_clock=npc, in_fifo_depth=256)  # every step queued ahead
    reg = dut.registers.address
    s = s[:2, 0]
    out = {}

    async def bench(ctx):
        bus = dut.bus
        we = conv.w_exc.reshape(conv.conv.out_channels, -1)
        wi = conv.w_inh.reshape(conv.conv.out_channels, -1)
        for j in range(we.shape[0]):
            for i in range(we.shape[1]):
                await bus_write(ctx, bus, (1 << 20) | (i << 10) | j, int(we[j, i]) | int(wi[j, i]) << 8)
        await bus_write(ctx, bus, reg("OUT_MASK"), 0b11)
        for t in range(len(s)):
            for i in np.flatnonzero(s[t]):
                await bus_write(ctx, bus, reg("EVENT"), int(i))
            await bus_write(ctx, bus, reg("EVENT"), 1 << 30)
        await bus_write(ctx, bus, reg("RUN"), len(s))
        for _ in range(800):
            await ctx.tick()
        out["step"] = await bus_read(ctx, bus, reg("STEP"))
        out["sops"] = await bus_read(ctx, bus, reg("SOPS"))
        events = []
        while True:
            word = await bus_read(ctx, bus, reg("OUT_EVENT"))
            if not word >> 31:
                break
            events.append(((word >> 27) & 0xF, (word >> 12) & 0x7FFF, word & 0xFFF))
        out["events"] = events

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    trace = SNNModel(net, 1).run(s[:, None, :])
    assert out["step"] == len(s) and out["sops"] == int(trace.sops[0])
    want = sorted((k, t, j) for k in range(2) for t, j in zip(*np.nonzero(trace.spikes[k][:, 0])))
    assert sorted(out["events"]) == want and len(want) > 0
