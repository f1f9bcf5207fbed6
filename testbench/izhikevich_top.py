"""Bench top of the ``izhikevich`` design: one neuron per panel, stimulus ROMs, a trace memory.

On a ``go`` pulse every neuron runs the whole protocol free (Python does not touch the clock):
neuron ``j`` holds panel ``j``'s coefficients as constants and reads its input ``i_dt`` of step
``t`` from its own ROM (the model's :func:`~neuroxide.models.izhikevich.stimulus_fixed`, zero past
the panel's end); after every step the full state of every neuron goes into ``trace`` at address
``t``. ``done`` rises when all ``steps`` steps are recorded. One-cycle datapath: ``steps + 2``
cycles; pipelined: ``STAGES + 1`` cycles per step.

A trace word is the ``n`` neurons' states packed by ``models.izhikevich.state_layout(state_bits)``
(neuron 0 lowest: ``v``, ``u``, ``spike``); its ``unpack_words(words, n)`` decodes it.
"""

import numpy as np
from amaranth.hdl import Cat, Module, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from neuroxide.models.izhikevich import COEF_BITS, FRAC_BITS, STATE_BITS, state_layout
from neuroxide.rtl.izhikevich import IzhikevichNeuron, IzhikevichNeuronPipelined
from neuroxide.rtl.layout import item_word

__all__ = ["IzhikevichBenchTop"]


class IzhikevichBenchTop(wiring.Component):
    """Neurons with coefficient sets ``coeffs`` driven by the columns of ``i_dt`` (steps, n)."""

    def __init__(self, coeffs, i_dt, pipelined=False, frac_bits=FRAC_BITS, coef_bits=COEF_BITS,
                 state_bits=STATE_BITS):
        self.coeffs = list(coeffs)
        self.i_dt = np.asarray(i_dt)
        self.steps, self.n = self.i_dt.shape
        self.pipelined = pipelined
        self.widths = (frac_bits, coef_bits, state_bits)
        self.layout = state_layout(state_bits)
        super().__init__({"go": In(1), "busy": Out(1), "done": Out(1)})

    def elaborate(self, platform):
        m = Module()
        W = self.widths[2]
        count = Signal(range(self.steps + 1))
        step = Signal()
        finished = Signal()        # the state registers hold the result of the step at fin_addr
        fin_addr = Signal(range(self.steps))
        neuron_cls = IzhikevichNeuronPipelined if self.pipelined else IzhikevichNeuron
        words = []
        neurons = []
        for j, coeffs in enumerate(self.coeffs):
            rom = m.submodules[f"stim{j}"] = Memory(shape=signed(W), depth=self.steps,
                                                    init=[int(x) for x in self.i_dt[:, j]])
            rd = rom.read_port(domain="comb")
            neuron = m.submodules[f"neuron{j}"] = neuron_cls(coeffs, *self.widths)
            m.d.comb += [rd.addr.eq(count), neuron.i_dt.eq(rd.data), neuron.step.eq(step)]
            words.append(item_word(self.layout, neuron))
            neurons.append(neuron)

        m.submodules.trace = trace = Memory(shape=self.n * self.layout.bits, depth=self.steps, init=[])
        wr = trace.write_port()
        m.d.comb += [wr.en.eq(finished), wr.addr.eq(fin_addr), wr.data.eq(Cat(*words))]

        if self.pipelined:
            in_flight = neurons[0].busy     # every neuron runs the same schedule
            was_busy = Signal()
            m.d.sync += was_busy.eq(in_flight)
            m.d.comb += [step.eq(self.busy & (count != self.steps) & ~in_flight),
                         finished.eq(was_busy & ~in_flight)]
            with m.If(step):
                m.d.sync += fin_addr.eq(count)
            idle = ~in_flight & ~was_busy
        else:
            m.d.comb += step.eq(self.busy & (count != self.steps))
            m.d.sync += [finished.eq(step), fin_addr.eq(count)]
            idle = ~finished
        with m.If(step):
            m.d.sync += count.eq(count + 1)

        with m.If(self.go & ~self.busy):
            m.d.sync += [self.busy.eq(1), self.done.eq(0), count.eq(0)]
        with m.Elif(self.busy & (count == self.steps) & idle):
            m.d.sync += [self.busy.eq(0), self.done.eq(1)]
        return m
