"""SNNCore in Amaranth's simulator equals models.snn.SNNModel: full state, every neuron, every step.

Fixed scenarios here (a multi-layer network with every feature, batches, the cycle formula of the
module docstring, the host-bus register map, and that a wrong model is caught); the randomised
comparison over any network is tests/test_equivalence.py::test_snn_core_step.
"""

import numpy as np
import pytest
from amaranth.sim import Simulator

from neuroxide.errors import ParameterError
from neuroxide.models.lif import LIFParams
from neuroxide.models.snn import CoreLayer, CoreNetwork, SNNModel
from neuroxide.models.snn_registers import SNN_ID
from neuroxide.rtl.snn_core import (BUS_LATENCY, NEURON_LATENCY, QUEUE_LATENCY, SNNCore, acc_latency, layer_timing,
                                     run_cycles)
from neuroxide.testbench.snn_top import run_top_amaranth
from support.amaranth_sim import snn_core_mismatches


def small_network(seed=3, lateral=2, noise_bits=3, sizes=(6, 9, 4)):
    rng = np.random.default_rng(seed)
    p = LIFParams(v_bits=12, in_bits=7, v_th=50, decay=3800, t_ref=1, noise_bits=noise_bits, adapt_inc=6)
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers.append(CoreLayer(rng.integers(0, 16, (n_in, n_out)), rng.integers(0, 16, (n_in, n_out)) * (rng.random((n_in, n_out)) < 0.3),
                                4, p, adc_shift=1, lateral=lateral))
    return CoreNetwork(tuple(layers), seed=seed)


def test_negative_a_different_model_is_caught():
    """The comparison can fail: one weight differs between the RTL's network and the model's."""
    net = small_network()
    s = np.random.default_rng(1).random((10, 1, net.n_in)) < 0.5
    got, _, _ = run_top_amaranth(net, 2, s)
    assert snn_core_mismatches(net, got, SNNModel(net, 1).run(s, record_state=True)) == 0
    w = net.layers[0].w_exc.copy()
    w[0, 0] ^= 1
    other = CoreNetwork((CoreLayer(w, net.layers[0].w_inh, 4, net.layers[0].params, 1, 2),) + net.layers[1:], seed=net.seed)
    assert snn_core_mismatches(net, got, SNNModel(other, 1).run(s, record_state=True)) > 0


def test_noise_free_layers_keep_the_prng_apart_and_exact():
    """noise_bits = 0: the PRNG state has a memory of its own, advanced when it is read (not carried
    down the neuron pipeline); the recorded rng still equals the model's at every step. Negative
    control: the same run against a model seeded differently mismatches (rng is compared)."""
    from types import SimpleNamespace

    from neuroxide.rtl.snn_core import LayerUnit
    net = small_network(noise_bits=0)
    apart = LayerUnit.rng_apart.fget
    assert apart(SimpleNamespace(layer=net.layers[0])) and not apart(SimpleNamespace(layer=small_network().layers[0]))
    s = np.random.default_rng(4).random((16, 1, net.n_in)) < 0.7
    got, _, _ = run_top_amaranth(net, 2, s, 2)
    trace = SNNModel(net, 1).run(s, record_state=True)
    assert trace.spikes[0].sum() > 3
    assert snn_core_mismatches(net, got, trace) == 0
    reseeded = CoreNetwork(net.layers, seed=net.seed + 1)
    assert snn_core_mismatches(net, got, SNNModel(reseeded, 1).run(s, record_state=True)) > 0


BENCH_CYCLES = 5  # SNNBenchTop: go -> first word read, and last step_done -> done


@pytest.mark.parametrize("lanes, neurons_per_clock, sizes", [(1, 1, (7, 10, 3)), (2, 2, (7, 10, 3)),
                                                            (8, 2, (7, 10, 3)), (16, 8, (24, 16, 5))])
def test_cycle_formula(lanes, neurons_per_clock, sizes):
    """The run's cycles equal the docstring's cycle model exactly (batch 1: no resets); the hidden
    layer spikes (the spike queues' timing counts) and, with 24 inputs, the next step's input
    events are still in the accumulator pipeline when a step's neuron side finishes."""
    net = small_network(sizes=sizes)
    s = np.random.default_rng(4).random((12, 1, net.n_in)) < 0.6
    got, cycles, _ = run_top_amaranth(net, lanes, s, neurons_per_clock)
    trace = SNNModel(net, 1).run(s, record_state=True)
    assert snn_core_mismatches(net, got, trace) == 0
    assert trace.spikes[0].sum() > 3
    done = run_cycles(net, lanes, s[:, 0].sum(axis=1), [trace.spikes[k][:, 0] for k in range(len(net.layers))],
                      neurons_per_clock)
    assert cycles == done[-1] + BENCH_CYCLES


def test_cycle_model_of_a_wide_layer():
    """layer_timing by hand: 64 outputs, lanes 16 (4 groups), 4 neuron lanes (4 drain words per group),
    3 events readable at cycles 1..3, input complete at 4, go at 0; no spikes."""
    layer = small_network(sizes=(7, 64)).layers[0]
    emitted, finished, walk_end = layer_timing(layer, 16, 4, [1, 2, 3], 4, np.zeros(64, bool))
    # end token at 4; the groups' last tokens 4, 8, 12, 16 (max(E, D) = 4 apart); sums loaded
    # acc_latency later; the last group's 4 words drain in 4 cycles, written back NEURON_LATENCY later
    assert walk_end == 16 and emitted == []
    assert finished == 16 + acc_latency() + 4 + NEURON_LATENCY + 1
    # a spike in word 0 and two in word 1: out one per clock from QUEUE_LATENCY after each write-back
    spikes = np.zeros(64, bool)
    spikes[[1, 4, 6]] = True
    emitted, _, _ = layer_timing(layer, 16, 4, [1, 2, 3], 4, spikes)
    wb0 = 4 + acc_latency() + 1 + NEURON_LATENCY
    assert emitted == [wb0 + QUEUE_LATENCY, wb0 + 1 + QUEUE_LATENCY, wb0 + 2 + QUEUE_LATENCY]


def test_bad_parameters():
    net = small_network()
    with pytest.raises(ParameterError, match="lanes"):
        SNNCore(net, lanes=3)
    with pytest.raises(ParameterError, match="network"):
        SNNCore("net")
    with pytest.raises(ParameterError, match="in_fifo_depth"):
        SNNCore(net, in_fifo_depth=1)
    with pytest.raises(ParameterError, match="neurons_per_clock.*1 \\| 2 \\| 4"):
        SNNCore(net, lanes=4, neurons_per_clock=8)  # more neuron lanes than synapse lanes
    with pytest.raises(ParameterError, match="neurons_per_clock"):
        SNNCore(net, lanes=8, neurons_per_clock=3)


# --- host bus ---------------------------------------------------------------------------------

async def bus_write(ctx, bus, addr, data):
    ctx.set(bus.stb, 1)
    ctx.set(bus.we, 1)
    ctx.set(bus.addr, addr)
    ctx.set(bus.w_data, data)
    for _ in range(10):
        await ctx.tick()
        if ctx.get(bus.ack):
            err = ctx.get(bus.err)
            ctx.set(bus.stb, 0)
            await ctx.tick()
            return err
    raise AssertionError(f"no ack for write to {addr:#x}")


async def bus_read(ctx, bus, addr):
    ctx.set(bus.stb, 1)
    ctx.set(bus.we, 0)
    ctx.set(bus.addr, addr)
    for _ in range(10):
        await ctx.tick()
        if ctx.get(bus.ack):
            value = ctx.get(bus.r_data)
            ctx.set(bus.stb, 0)
            await ctx.tick()
            return value
    raise AssertionError(f"no ack for read of {addr:#x}")


def test_bus_register_map_runs_a_network_loaded_over_the_bus():
    """Load every weight and the neuron parameters (v_th, decay, t_ref, adapt_inc, adc_shift) over the
    bus into a core built with zero weights and other parameters, push events, run with the RUN
    budget, read spikes from OUT_EVENT and the counters: equals the model of the loaded network."""
    net = small_network(lateral=0, noise_bits=0)
    blank = CoreNetwork(tuple(CoreLayer(np.zeros_like(la.w_exc), np.zeros_like(la.w_inh), la.weight_bits,
                                        la.params.replace(v_th=la.params.v_th + 37, decay=1000, t_ref=3, adapt_inc=1),
                                        la.adc_shift + 2, la.lateral) for la in net.layers), seed=net.seed)
    dut = SNNCore(blank, lanes=4, in_fifo_depth=64, out_fifo_depth=256, neurons_per_clock=2)
    reg = dut.registers.address  # word address of a register (element)
    steps = 6
    s = np.random.default_rng(7).random((steps, net.n_in)) < 0.6
    out = {}

    async def bench(ctx):
        bus = dut.bus
        assert await bus_read(ctx, bus, reg("ID")) == SNN_ID
        assert await bus_read(ctx, bus, 0x1234) == 0  # unmapped: acked, 0
        assert await bus_write(ctx, bus, 0x1235, 7) == 0
        assert await bus_read(ctx, bus, reg("CONFIG")) & 0xFFF == len(net.layers) | (4 << 4)
        assert await bus_read(ctx, bus, reg("SHAPE", 1)) == net.layers[1].n_in | (net.layers[1].n_out << 16)
        assert await bus_read(ctx, bus, reg("V_TH", 1)) == blank.layers[1].params.v_th  # build-time value
        for k, layer in enumerate(net.layers):
            p = layer.params
            for name, value in (("V_TH", p.v_th), ("DECAY", p.decay), ("T_REF", p.t_ref), ("ADAPT_INC", p.adapt_inc),
                                ("ADC_SHIFT", layer.adc_shift)):
                await bus_write(ctx, bus, reg(name, k), value)
            for i in range(layer.n_in):
                for j in range(layer.n_out):
                    await bus_write(ctx, bus, ((k + 1) << 20) | (i << 10) | j,
                                    int(layer.w_exc[i, j]) | int(layer.w_inh[i, j]) << 8)
        await bus_write(ctx, bus, reg("OUT_MASK"), 0b11)  # spikes of both layers
        for t in range(steps):
            for i in np.flatnonzero(s[t]):
                assert await bus_write(ctx, bus, reg("EVENT"), int(i)) == 0
            await bus_write(ctx, bus, reg("EVENT"), 1 << 30)
        for _ in range(50):
            await ctx.tick()
        assert await bus_read(ctx, bus, reg("STEP")) == 0  # no budget: nothing ran
        await bus_write(ctx, bus, reg("RUN"), steps)
        for _ in range(2000):
            await ctx.tick()
        out["step"] = await bus_read(ctx, bus, reg("STEP"))
        out["run_left"] = await bus_read(ctx, bus, reg("RUN"))
        out["status"] = await bus_read(ctx, bus, reg("STATUS"))
        out["sops"] = await bus_read(ctx, bus, reg("SOPS"))
        out["spikes"] = [await bus_read(ctx, bus, reg("SPIKES", k)) for k in range(len(net.layers))]
        events = []
        while True:
            word = await bus_read(ctx, bus, reg("OUT_EVENT"))
            if not word >> 31:
                break
            events.append(((word >> 27) & 0xF, (word >> 12) & 0x7FFF, word & 0xFFF))
        out["events"] = events
        assert await bus_read(ctx, bus, reg("CYCLES")) > 0
        await bus_write(ctx, bus, reg("CTRL"), 1)
        assert await bus_read(ctx, bus, reg("SOPS")) == 0
        # a reset marker: step counter back to 0
        await bus_write(ctx, bus, reg("EVENT"), 1 << 31)
        for _ in range(40):
            await ctx.tick()
        out["step_after_reset"] = await bus_read(ctx, bus, reg("STEP"))

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    trace = SNNModel(net, 1).run(s[:, None, :])
    assert out["step"] == steps and out["run_left"] == 0
    assert out["status"] & 1 == 0 and out["status"] & 0b110000 == 0
    assert out["sops"] == int(trace.sops[0])
    want = sorted((k, t, j) for k in range(len(net.layers)) for t, j in zip(*np.nonzero(trace.spikes[k][:, 0])))
    assert sorted(out["events"]) == want and len(want) > 0
    assert out["spikes"] == [int(trace.spikes[k].sum()) for k in range(len(net.layers))]
    assert out["step_after_reset"] == 0


@pytest.mark.parametrize("read_group", [6, 1, 0])
def test_bus_latency_reads_and_writes(read_group):
    """stb raised in cycle 0 -> ack high in cycle BUS_LATENCY (the read mux is two register stages),
    for a read, an unmapped read (0) and a write; the value read is the register's."""
    dut = SNNCore(small_network(), lanes=2, read_group=read_group)
    reg = dut.registers.address
    seen = []

    async def access(ctx, addr, we, data=0):
        ctx.set(dut.bus.stb, 1)
        ctx.set(dut.bus.we, we)
        ctx.set(dut.bus.addr, addr)
        ctx.set(dut.bus.w_data, data)
        for cycle in range(1, 10):
            await ctx.tick()
            if ctx.get(dut.bus.ack):
                seen.append((cycle, ctx.get(dut.bus.r_data)))
                ctx.set(dut.bus.stb, 0)
                await ctx.tick()
                return

    async def bench(ctx):
        await access(ctx, reg("ID"), 0)
        await access(ctx, 0xFFFF, 0)
        await access(ctx, reg("OUT_MASK"), 1, 0b10)
        await access(ctx, reg("OUT_MASK"), 0)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    assert [c for c, _ in seen] == [BUS_LATENCY] * 4
    assert [v for _, v in seen] == [SNN_ID, 0, 0, 0b10]
    with pytest.raises(ParameterError, match="read_group"):
        SNNCore(small_network(), read_group=-1)


def test_bus_event_queue_full_is_refused_with_err():
    dut = SNNCore(small_network(), lanes=2, in_fifo_depth=4)
    reg = dut.registers.address
    errs = []

    async def bench(ctx):
        for _ in range(8):  # end markers wait at the head of the queue (no RUN budget): it fills
            errs.append(await bus_write(ctx, dut.bus, reg("EVENT"), 1 << 30))

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    assert errs[:4] == [0, 0, 0, 0] and all(errs[5:])


def test_parameters_fixed_at_build_read_back_and_ignore_writes():
    """A core built without run-time parameters (the iCE40 default): the parameter registers read the
    build-time values and ignore writes (SNNHost.load_network reads back and refuses such a load)."""
    net = small_network()
    dut = SNNCore(net, lanes=2, runtime_params=False)
    reg = dut.registers.address
    got = {}

    async def bench(ctx):
        got["before"] = await bus_read(ctx, dut.bus, reg("V_TH", 1))
        await bus_write(ctx, dut.bus, reg("V_TH", 1), 77)
        got["after"] = await bus_read(ctx, dut.bus, reg("V_TH", 1))
        got["decay"] = await bus_read(ctx, dut.bus, reg("DECAY", 0))

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    assert got == {"before": net.layers[1].params.v_th, "after": net.layers[1].params.v_th,
                   "decay": net.layers[0].params.decay}


def test_cycle_formula_with_a_banked_weight_memory():
    """A layer deeper than one weight bank (300 rows x 12 groups = 3,600 words: 4 banks, read latency
    3) costs its OR tree's extra cycle per group load: run_cycles takes each layer's own latency
    (weight_read_latency), and equals the RTL; one latency for all layers (the small layers') does not."""
    from neuroxide.rtl.snn_core import weight_read_latency
    rng = np.random.default_rng(0)
    n_in, n_out = 300, 24
    net = CoreNetwork((CoreLayer(rng.integers(0, 4, (n_in, n_out)), np.zeros((n_in, n_out), int), 2,
                                 LIFParams(v_bits=12, in_bits=8, v_th=60)),))
    assert weight_read_latency(net.layers[0], 2) == 2
    s = rng.random((3, 1, n_in)) < 0.05
    got, cycles, _ = run_top_amaranth(net, 2, s, 2)
    trace = SNNModel(net, 1).run(s, record_state=True)
    assert snn_core_mismatches(net, got, trace) == 0
    args = (net, 2, s[:, 0].sum(axis=1), [trace.spikes[0][:, 0]], 2)
    assert cycles == run_cycles(*args)[-1] + BENCH_CYCLES
    assert cycles != run_cycles(*args, read_latency=1)[-1] + BENCH_CYCLES
