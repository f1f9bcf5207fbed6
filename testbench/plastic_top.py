"""Bench top of the learning layer: a preloaded schedule, the core, a weight snapshot and a trace memory.

Python does not touch the clock while a chunk runs. :class:`PlasticBenchTop` holds the whole
:class:`~neuroxide.models.plasticity.LearningSchedule` in a ROM, one word per step
(:func:`schedule_words`: ``in_spikes | teacher | teacher_on | learn | rest``, LSB first). On ``go``
it runs ``chunk`` steps: per step it pulses the core's ``rest`` when the word asks, then ``start``,
waits for ``step_done``, reads every level back through the core's host port into a snapshot
register (``N + 1`` cycles) and writes one trace word: the core's full state and every weight
(:func:`trace_layout` decodes it). Then ``done`` rises and the bench compares.
"""

import numpy as np
from amaranth.hdl import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from neuroxide.errors import ParameterError
from neuroxide.rtl.layout import items_word
from neuroxide.rtl.plastic_layer import PlasticLayerCore

__all__ = ["PlasticBenchTop", "schedule_words", "unpack_trace", "run_top_amaranth"]


def schedule_words(layer, schedule):
    """ROM words of ``schedule``: ``in_spikes`` (bits 0..n_in-1), ``teacher`` (n_out bits),
    ``teacher_on``, ``learn``, ``rest``."""
    n_in, n_out = layer.n_in, layer.n_out
    teacher = schedule.teacher_rows(n_out)
    words = []
    for t in range(schedule.steps):
        word = 0
        for b in np.flatnonzero(schedule.in_spikes[t]):
            word |= 1 << int(b)
        for b in np.flatnonzero(teacher[t]):
            word |= 1 << (n_in + int(b))
        word |= int(bool(schedule.teacher_on[t])) << (n_in + n_out)
        word |= int(bool(schedule.learn[t])) << (n_in + n_out + 1)
        word |= int(bool(schedule.rest[t])) << (n_in + n_out + 2)
        words.append(word)
    return words


def unpack_trace(layer, words):
    """Trace words -> ``{field: array (steps, ...)}`` as :func:`~neuroxide.models.plasticity.run_schedule`."""
    nl, rl = layer.neuron_layout, layer.row_layout
    nb, rb = nl.bits * layer.n_out, rl.bits * layer.n_in
    words = [int(w) for w in words]
    out = nl.unpack_words([w & ((1 << nb) - 1) for w in words], layer.n_out)
    out.update(rl.unpack_words([(w >> nb) & ((1 << rb) - 1) for w in words], layer.n_in))
    wb, n = layer.weight_bits, layer.n_in * layer.n_out
    mask = (1 << wb) - 1
    w = np.array([[(word >> (nb + rb + wb * k)) & mask for k in range(n)] for word in words], dtype=np.int64)
    out["w"] = w.reshape(len(words), layer.n_in, layer.n_out)
    return out


class PlasticBenchTop(wiring.Component):
    """``PlasticLayerCore`` + schedule ROM (``words``) + weight snapshot + ``chunk``-step trace memory.
    ``step_cycles`` counts the cycles the core was busy."""

    def __init__(self, layer, w_init, words, chunk):
        if not words:
            raise ParameterError("schedule", "no steps", "at least one step")
        self.layer, self.words, self.chunk = layer, list(words), chunk
        self.core = PlasticLayerCore(layer, w_init)
        n = layer.n_in * layer.n_out
        self.word_bits = layer.neuron_layout.bits * layer.n_out + layer.row_layout.bits * layer.n_in + n * layer.weight_bits
        self.rom = Memory(shape=layer.n_in + layer.n_out + 3, depth=len(self.words), init=self.words)
        self.trace = Memory(shape=self.word_bits, depth=chunk, init=[])
        super().__init__({"go": In(1), "busy": Out(1), "done": Out(1), "step_cycles": Out(32)})

    def elaborate(self, platform):
        m = Module()
        layer = self.layer
        n_in, n_out, wb = layer.n_in, layer.n_out, layer.weight_bits
        n = n_in * n_out
        m.submodules.core = core = self.core
        m.submodules.schedule = rom = self.rom
        m.submodules.trace = trace = self.trace
        rd = rom.read_port()
        wr = trace.write_port()
        ptr = Signal(range(len(self.words) + 1))
        count = Signal(range(self.chunk + 1))
        m.d.comb += rd.addr.eq(ptr)
        word = rd.data
        m.d.comb += [core.in_spikes.eq(word[:n_in]), core.teacher.eq(word[n_in:n_in + n_out]),
                     core.teacher_on.eq(word[n_in + n_out]), core.learn.eq(word[n_in + n_out + 1])]
        with m.If(core.busy):
            m.d.sync += self.step_cycles.eq(self.step_cycles + 1)

        snap = Signal(n * wb)
        a = Signal(range(n + 1))
        a_prev = Signal(range(n))
        m.d.comb += core.host_addr.eq(a)
        state_word = Cat(items_word(layer.neuron_layout, core, n_out), items_word(layer.row_layout, core, n_in), snap)
        m.d.comb += [wr.addr.eq(count), wr.data.eq(state_word)]
        with m.FSM():
            with m.State("IDLE"):
                with m.If(self.go):
                    m.d.sync += [self.busy.eq(1), self.done.eq(0), count.eq(0)]
                    m.next = "FETCH"
            with m.State("FETCH"):  # the ROM answers ptr one clock later
                m.next = "DISPATCH"
            with m.State("DISPATCH"):
                with m.If(word[n_in + n_out + 2]):
                    m.d.comb += core.rest.eq(1)
                    m.next = "START"
                with m.Else():
                    m.d.comb += core.start.eq(1)
                    m.next = "WAIT"
            with m.State("START"):
                m.d.comb += core.start.eq(1)
                m.next = "WAIT"
            with m.State("WAIT"):
                with m.If(core.step_done):
                    m.d.sync += a.eq(0)
                    m.next = "SNAP"
            with m.State("SNAP"):  # host read: address a now, its level next clock
                m.d.sync += a_prev.eq(a)
                with m.If(a != 0):
                    m.d.sync += snap.word_select(a_prev, wb).eq(core.host_rdata)
                with m.If(a == n):
                    m.next = "RECORD"
                with m.Else():
                    m.d.sync += a.eq(a + 1)
            with m.State("RECORD"):
                m.d.comb += wr.en.eq(1)
                m.d.sync += [count.eq(count + 1), ptr.eq(ptr + 1)]
                with m.If((count + 1 == self.chunk) | (ptr + 1 == len(self.words))):
                    m.next = "FINISH"
                with m.Else():
                    m.next = "FETCH"
            with m.State("FINISH"):  # done a clock after the last trace write: the bench reads it complete
                m.d.sync += [self.busy.eq(0), self.done.eq(1)]
                m.next = "IDLE"
        return m


def run_top_amaranth(layer, w_init, schedule):
    """Run :class:`PlasticBenchTop` over the whole ``schedule`` in Amaranth's simulator (one chunk);
    returns ``(trace dict as unpack_trace, core busy cycles)``."""
    from amaranth.sim import Simulator
    words = schedule_words(layer, schedule)
    top = PlasticBenchTop(layer, w_init, words, len(words))
    result = {}

    async def bench(ctx):
        ctx.set(top.go, 1)
        await ctx.tick()
        ctx.set(top.go, 0)
        while not ctx.get(top.done):
            await ctx.tick()
        result["words"] = [ctx.get(top.trace.data[i]) for i in range(len(words))]
        result["cycles"] = ctx.get(top.step_cycles)

    sim = Simulator(top)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return unpack_trace(layer, result["words"]), result["cycles"]


def simulate_plastic(layer, w_init, schedule, simulator, build_dir, chunk=512, model_layer=None, waves=None,
                     progress=None):
    """cocotb run of :class:`PlasticBenchTop` on ``simulator`` (``neuroxide.testbench.plastic_bench``):
    every weight and every neuron/row state compared with ``PlasticModel`` after every step.
    ``model_layer``: give the model a different layer than the RTL (proves the bench can fail).

    Returns the bench result (``neuroxide.testbench.chunked.run_chunked``: ``steps, cycles, mismatches,
    field_mismatches, first_mismatch, spikes, cycles_per_s``) with ``simulator, build_s, run_s, wall_s``.
    """
    import time
    from pathlib import Path

    from amaranth.back import verilog

    from neuroxide.models.plasticity import layer_to_dict

    from .runner import run_bench

    if isinstance(chunk, bool) or not isinstance(chunk, int) or not 1 <= chunk <= 65536:
        raise ParameterError("chunk", chunk, "1..65536")
    t0 = time.perf_counter()
    words = schedule_words(layer, schedule)
    chunk = min(chunk, len(words))
    text = verilog.convert(PlasticBenchTop(layer, w_init, words, chunk), name="plastic_top", emit_src=False)
    config = {"layer": layer_to_dict(layer), "model_layer": layer_to_dict(model_layer or layer),
              "w_init": np.asarray(w_init).tolist(), "chunk": chunk, "steps": len(words),
              "schedule": {name: np.asarray(getattr(schedule, name)).astype(int).tolist()
                           for name in ("in_spikes", "teacher", "teacher_on", "learn", "rest")}}
    result = run_bench(simulator, text, "plastic_top", "neuroxide.testbench.plastic_bench", config,
                       Path(build_dir) / simulator, waves=waves, progress=progress)
    result.update(simulator=simulator, wall_s=round(time.perf_counter() - t0, 3))
    return result
