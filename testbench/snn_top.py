"""Bench top of the SNN core: preloaded input events, a free-running core and a trace memory.

Python does not touch the clock while a chunk runs. :class:`SNNBenchTop` holds the whole input as
event words in a ROM (``event_words``: per step the indices of the input spikes, then an end-of-step
marker; a reset marker between samples of a batch). On a ``go`` pulse the feeder streams words into
the core's ``aer_in`` at one per clock until ``chunk`` end markers have gone in; the core runs
free (``free_run`` high) and every neuron write-back (full new state and spike) is stored at word
``step_in_chunk * n_neurons + global_neuron`` (a conv layer's neurons in its internal
position-major order, ``models.snn_conv.conv_internal_order``) of the trace memory of its neuron lane
(``trace0`` .. ``trace{P-1}``, one write port each; :func:`trace_lane` says which lane writes a
neuron). When the chunk's last step is
written back ``done`` rises; the bench reads the trace through VPI (or the Amaranth simulator),
compares, and pulses ``go`` again. ``busy_cycles`` counts cycles the core spent running steps.

Trace word: the core's write-back state, packed as ``CoreNetwork.state_layout`` (the layers' neuron
state layouts merged, each field as wide as in the widest layer: v, ref, adapt, rng, spike, and syn
when a layer has a synaptic current); :func:`unpack_trace` decodes it with the same layout.
"""

import numpy as np
from amaranth.hdl import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from neuroxide.errors import ParameterError
from neuroxide.models.snn_conv import conv_internal_order
from neuroxide.rtl.snn_core import SNNCore

__all__ = ["SNNBenchTop", "event_words", "unpack_trace", "trace_lane", "WORD_END", "WORD_RESET", "run_top_amaranth"]

WORD_END = 1 << 16     # event word bits as in the core's EVENT_LAYOUT: index[15:0], end_step, reset
WORD_RESET = 1 << 17


def event_words(in_spikes):
    """Event words of ``in_spikes`` (0/1, ``(steps, batch, n_in)``): for each sample (a reset marker
    before every sample but the first) and step, the spiking indices then an end marker."""
    s = np.asarray(in_spikes)
    if s.ndim != 3:
        raise ParameterError("in_spikes", f"shape {s.shape}", "(steps, batch, n_in)")
    words = []
    for b in range(s.shape[1]):
        if b:
            words.append(WORD_RESET)
        for t in range(s.shape[0]):
            words.extend(int(i) for i in np.flatnonzero(s[t, b]))
            words.append(WORD_END)
    return words


def trace_lane(network, neurons_per_clock):
    """The neuron lane (trace memory) that writes each global neuron: ``j % P`` within its layer."""
    return np.concatenate([np.arange(layer.n_out) % neurons_per_clock for layer in network.layers])


def unpack_trace(words, network):
    """Trace words (ints, ``steps * n_neurons``, one neuron each) -> per layer ``{field: (steps, n_out)}``
    over the fields of the layer's ``state_layout`` (int64; ``spike`` bool)."""
    n = network.n_neurons
    fields = {name: col.reshape(-1, n) for name, col in network.state_layout.unpack_words(words, 1).items()}
    out = []
    for o, layer in zip(network.offsets, network.layers):
        cols = np.arange(o, o + layer.n_out)
        if layer.is_conv:  # the core writes a conv layer back in its internal (position-major) order
            cols = o + np.argsort(conv_internal_order(layer.conv))
        out.append({name: fields[name][:, cols] for name in layer.state_layout.names})
    return out


class SNNBenchTop(wiring.Component):
    """``SNNCore`` + event ROM (``words``) + feeder + a ``chunk``-step trace memory."""

    def __init__(self, network, lanes, words, chunk, neurons_per_clock=1, weight_format="pair"):
        if not words:
            raise ParameterError("in_spikes", "no steps", "at least one step")
        self.network, self.lanes, self.words, self.chunk = network, lanes, list(words), chunk
        self.word_bits = network.state_layout.bits
        self.core = SNNCore(network, lanes=lanes, in_fifo_depth=4, out_fifo_depth=4, neurons_per_clock=neurons_per_clock,
                           weight_format=weight_format)
        # one memory per neuron lane: a memory with several write ports simulates slowly
        self.traces = [Memory(shape=self.word_bits, depth=chunk * network.n_neurons, init=[])
                       for _ in range(self.core.neurons_per_clock)]
        super().__init__({"go": In(1), "done": Out(1), "busy_cycles": Out(32), "sops": Out(32)})

    def elaborate(self, platform):
        m = Module()
        n = self.network.n_neurons
        m.submodules.core = core = self.core
        m.submodules.events = ev = Memory(shape=18, depth=len(self.words), init=self.words)
        for q, trace in enumerate(self.traces):
            m.submodules[f"trace{q}"] = trace
        rd = ev.read_port()
        wrs = [trace.write_port() for trace in self.traces]
        m.d.comb += [core.free_run.eq(1), self.sops.eq(core.sops)]

        # feeder: rd.data is always the word at ptr (the address is the next ptr)
        ptr = Signal(range(len(self.words) + 1))
        running = Signal()
        ends = Signal(range(self.chunk + 1))    # end markers fed in this chunk
        steps = Signal(range(self.chunk + 1))   # steps finished in this chunk
        is_end = rd.data[16]
        valid = Signal()
        take = Signal()
        m.d.comb += [
            valid.eq(running & (ptr < len(self.words)) & ~(is_end & (ends == self.chunk))),
            core.aer_in.valid.eq(valid), core.aer_in.payload.eq(rd.data),
            take.eq(valid & core.aer_in.ready),
            rd.addr.eq(ptr + take),
        ]
        with m.If(take):
            m.d.sync += ptr.eq(ptr + 1)
            with m.If(is_end):
                m.d.sync += ends.eq(ends + 1)
        with m.If(core.step_done):
            m.d.sync += steps.eq(steps + 1)
        with m.If(core.busy):
            m.d.sync += self.busy_cycles.eq(self.busy_cycles + 1)

        # trace: every write-back at step_in_chunk * n + neuron (lane q: neuron wb_neuron + q)
        for q, wr in enumerate(wrs):
            m.d.comb += [wr.en.eq(core.wb_valid[q]), wr.addr.eq(steps * n + core.wb_neuron + q),
                         wr.data.eq(Cat(*(getattr(core, f"wb_{name}")[q] for name in self.network.state_layout.names)))]

        stopped = (ends == self.chunk) | (ptr == len(self.words))
        with m.If(self.go & ~running):
            m.d.sync += [running.eq(1), self.done.eq(0), ends.eq(0), steps.eq(0)]
        with m.Elif(running & stopped & (steps == ends) & ~core.step_done & ~core.busy):
            m.d.sync += [running.eq(0), self.done.eq(1)]
        return m


def run_top_amaranth(network, lanes, in_spikes, neurons_per_clock=1, weight_format="pair"):
    """Run :class:`SNNBenchTop` in Amaranth's simulator over all of ``in_spikes`` in one chunk.

    Returns ``(per-sample list of per-layer trace dicts, cycles, busy_cycles)`` (see :func:`unpack_trace`).
    """
    from amaranth.sim import Simulator
    s = np.asarray(in_spikes)
    steps, batch = s.shape[:2]
    total = steps * batch
    top = SNNBenchTop(network, lanes, event_words(s), total, neurons_per_clock, weight_format)
    result = {}

    async def bench(ctx):
        ctx.set(top.go, 1)
        await ctx.tick()
        ctx.set(top.go, 0)
        cycles = 1
        while not ctx.get(top.done):
            await ctx.tick()
            cycles += 1
        result["cycles"] = cycles
        result["busy"] = ctx.get(top.busy_cycles)
        lane = np.tile(trace_lane(network, top.core.neurons_per_clock), total)
        result["words"] = [ctx.get(top.traces[q].data[i]) for i, q in enumerate(lane)]

    sim = Simulator(top)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    layers = unpack_trace(result["words"], network)
    per_sample = []
    for b in range(batch):
        per_sample.append([{f: a[b * steps:(b + 1) * steps] for f, a in lay.items()} for lay in layers])
    return per_sample, result["cycles"], result["busy"]
