"""Bench top of the two-phase threshold-switch neuron (``rtl.ts_neuron``).

:class:`TSNeuronBenchTop` mirrors :class:`neuroxide.testbench.dendrite_top.DendriteBenchTop`: on a
``go`` pulse the array runs ``chunk`` steps back to back (one per clock), driven by the on-chip
:class:`~neuroxide.rtl.stimulus.StimulusGenerator` (its ``i_exc`` of input ``k`` is the drive
``x`` of neuron ``k``), and writes the full state after every step into ``trace``; the cocotb
bench reads it between chunks. A chunk of ``chunk`` steps costs ``chunk + 2`` cycles.

A trace word is the ``n`` neurons' states packed by ``params.state_layout`` (neuron 0 lowest;
``v[k]``, ``on[k]``, ``spike[k]``); ``params.state_layout.unpack_words(words, n)`` decodes it.
"""

from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from neuroxide.rtl.layout import items_word
from neuroxide.rtl.stimulus import StimulusGenerator
from neuroxide.rtl.ts_neuron import TSNeuronArray
from neuroxide.testbench.top import add_chunk_recorder

__all__ = ["TSNeuronBenchTop"]


class TSNeuronBenchTop(wiring.Component):
    """``TSNeuronArray`` + ``StimulusGenerator`` + a ``chunk``-deep trace memory."""

    def __init__(self, params, n, seed, stimulus, chunk):
        self.params, self.n, self.seed, self.stimulus, self.chunk = params, n, seed, stimulus, chunk
        super().__init__({"go": In(1), "busy": Out(1), "done": Out(1)})

    def elaborate(self, platform):
        m = Module()
        p, n = self.params, self.n
        m.submodules.stim = stim = StimulusGenerator(self.stimulus, n, p.in_bits, self.seed)
        m.submodules.dut = dut = TSNeuronArray(p, n)
        step = add_chunk_recorder(m, self, self.chunk, items_word(p.state_layout, dut, n))
        m.d.comb += [dut.step.eq(step), stim.step.eq(step), dut.x.eq(stim.i_exc)]
        return m
