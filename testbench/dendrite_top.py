"""Bench top of the multi-dendrite neuron (``rtl.dendrite``).

:class:`DendriteBenchTop` mirrors :class:`neuroxide.testbench.top.LIFBenchTop`: on a ``go`` pulse
the array runs ``chunk`` steps back to back (one per clock), driven by the on-chip
:class:`~neuroxide.rtl.stimulus.StimulusGenerator` (its ``i_exc`` of input ``k * n_dend + j`` is
dendrite ``j`` of neuron ``k``), and writes the full state after every step into ``trace``; the
cocotb bench reads it between chunks. A chunk of ``chunk`` steps costs ``chunk + 2`` cycles.

A trace word is the ``n`` neurons' states packed by ``params.state_layout`` (neuron 0 lowest;
``d[k, 0..n_dend-1]``, ``v[k]``, ``ref[k]``, ``spike[k]``); ``params.state_layout.unpack_words(words,
n)`` decodes it.
"""

from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from neuroxide.rtl.dendrite import DendriteNeuronArray
from neuroxide.rtl.layout import items_word
from neuroxide.rtl.stimulus import StimulusGenerator
from neuroxide.testbench.top import add_chunk_recorder

__all__ = ["DendriteBenchTop"]


class DendriteBenchTop(wiring.Component):
    """``DendriteNeuronArray`` + ``StimulusGenerator`` + a ``chunk``-deep trace memory."""

    def __init__(self, params, n, seed, stimulus, chunk):
        self.params, self.n, self.seed, self.stimulus, self.chunk = params, n, seed, stimulus, chunk
        super().__init__({"go": In(1), "busy": Out(1), "done": Out(1)})

    def elaborate(self, platform):
        m = Module()
        p, n = self.params, self.n
        m.submodules.stim = stim = StimulusGenerator(self.stimulus, n * p.n_dend, p.in_bits, self.seed)
        m.submodules.dut = dut = DendriteNeuronArray(p, n)
        step = add_chunk_recorder(m, self, self.chunk, items_word(p.state_layout, dut, n))
        m.d.comb += [dut.step.eq(step), stim.step.eq(step), dut.x.eq(stim.i_exc)]
        return m
