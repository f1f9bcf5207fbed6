"""Bench top of the ``hh`` design: one HH neuron per stimulus, stimulus ROMs, a trace memory.

On a ``go`` pulse every neuron runs ``steps`` steps free (two cycles each): neuron ``j`` reads its
input ``i_dt`` of step ``t`` from its own ROM; when a step lands, the full state of every neuron is
written into ``trace`` at address ``t``; ``done`` rises after the last step.

A trace word is the ``n`` neurons' states packed by ``k.state_layout`` (neuron 0 lowest: ``v``,
``m``, ``h``, ``n``, ``spike``); ``k.state_layout.unpack_words(words, n)`` decodes it.
"""

import numpy as np
from amaranth.hdl import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from neuroxide.rtl.hh import HHNeuron
from neuroxide.rtl.layout import item_word, shape_of

__all__ = ["HHBenchTop"]


class HHBenchTop(wiring.Component):
    """HH neurons with constants ``k`` driven by the columns of ``i_dt`` (steps, n)."""

    def __init__(self, k, i_dt):
        self.k = k
        self.i_dt = np.asarray(i_dt)
        self.steps, self.n = self.i_dt.shape
        super().__init__({"go": In(1), "busy": Out(1), "done": Out(1)})

    def elaborate(self, platform):
        m = Module()
        count = Signal(range(self.steps + 1))
        step = Signal()
        words = []
        neurons = []
        for j in range(self.n):
            rom = m.submodules[f"stim{j}"] = Memory(shape=shape_of(self.k.input_layout["i_dt"]), depth=self.steps,
                                                    init=[int(x) for x in self.i_dt[:, j]])
            rd = rom.read_port(domain="comb")
            neuron = m.submodules[f"neuron{j}"] = HHNeuron(self.k)
            m.d.comb += [rd.addr.eq(count), neuron.i_dt.eq(rd.data), neuron.step.eq(step)]
            words.append(item_word(self.k.state_layout, neuron))
            neurons.append(neuron)
        in_flight = neurons[0].busy  # every neuron runs the same schedule
        was_busy = Signal()
        finished = Signal()
        fin_addr = Signal(range(self.steps))
        m.d.sync += was_busy.eq(in_flight)
        m.d.comb += [step.eq(self.busy & (count != self.steps) & ~in_flight),
                     finished.eq(was_busy & ~in_flight)]
        with m.If(step):
            m.d.sync += [count.eq(count + 1), fin_addr.eq(count)]

        m.submodules.trace = trace = Memory(shape=self.n * self.k.state_layout.bits, depth=self.steps, init=[])
        wr = trace.write_port()
        m.d.comb += [wr.en.eq(finished), wr.addr.eq(fin_addr), wr.data.eq(Cat(*words))]

        with m.If(self.go & ~self.busy):
            m.d.sync += [self.busy.eq(1), self.done.eq(0), count.eq(0)]
        with m.Elif(self.busy & (count == self.steps) & ~in_flight & ~was_busy):
            m.d.sync += [self.busy.eq(0), self.done.eq(1)]
        return m
