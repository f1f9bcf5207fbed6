"""Bench top: the device under test, its on-chip stimulus and a trace memory, for free-running sims.

Python does not touch the clock while a chunk runs: on a ``go`` pulse the bench advances the neuron
array ``chunk`` steps back to back (one step per clock) driven by :class:`StimulusGenerator`, writes
the full state after every step into ``trace`` (one word per step), then raises ``done``. The
cocotb bench reads the trace words through VPI and compares them with the model, then pulses ``go``
for the next chunk. A chunk of ``chunk`` steps costs ``chunk + 2`` clock cycles.

A trace word is the ``n`` neurons' states packed by ``params.state_layout`` (neuron 0 lowest, each
field in the layout's order, ``rtl.layout.items_word``); ``params.state_layout.unpack_words(words,
n)`` decodes it.
"""

from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from neuroxide.rtl.layout import items_word
from neuroxide.rtl.lif import LIFNeuronArray
from neuroxide.rtl.stimulus import StimulusGenerator

__all__ = ["LIFBenchTop", "add_chunk_recorder"]


def add_chunk_recorder(m, top, chunk, word):
    """The run-free control every bench top shares: on ``top.go`` run ``chunk`` steps back to back,
    writing ``word`` (the DUT's full state, a Value) after each step into a ``chunk``-deep trace
    memory (``m.submodules.trace``), then raise ``top.done``. Returns the ``step`` strobe to drive
    the DUT and the stimulus with. A chunk costs ``chunk + 2`` cycles.
    """
    m.submodules.trace = trace = Memory(shape=len(word), depth=chunk, init=[])
    wr = trace.write_port()
    count = Signal(range(chunk + 1))
    step = Signal()
    m.d.comb += step.eq(top.busy & (count != chunk))
    with m.If(step):
        m.d.sync += count.eq(count + 1)
    # the state after step t is in the registers one cycle later: write it then, at address t
    rec, rec_addr = Signal(), Signal(range(chunk))
    m.d.sync += [rec.eq(step), rec_addr.eq(count)]
    m.d.comb += [wr.en.eq(rec), wr.addr.eq(rec_addr), wr.data.eq(word)]
    with m.If(top.go & ~top.busy):
        m.d.sync += [top.busy.eq(1), top.done.eq(0), count.eq(0)]
    with m.Elif(top.busy & (count == chunk) & ~rec):
        m.d.sync += [top.busy.eq(0), top.done.eq(1)]
    return step


class LIFBenchTop(wiring.Component):
    """A LIF-port neuron array (default ``LIFNeuronArray``; ``neurons=`` another array with
    :func:`~neuroxide.rtl.lif.lif_array_ports`, e.g. ``WTABoardAdapter``) + ``StimulusGenerator``
    + a ``chunk``-deep trace memory."""

    def __init__(self, params, n, seed, stimulus, chunk, neurons=None):
        self.params, self.n, self.seed, self.stimulus, self.chunk = params, n, seed, stimulus, chunk
        self.neurons = neurons
        super().__init__({"go": In(1), "busy": Out(1), "done": Out(1)})

    def elaborate(self, platform):
        m = Module()
        p, n = self.params, self.n
        m.submodules.stim = stim = StimulusGenerator(self.stimulus, n, p.in_bits, self.seed)
        m.submodules.dut = dut = self.neurons if self.neurons is not None else LIFNeuronArray(p, n, self.seed)
        step = add_chunk_recorder(m, self, self.chunk, items_word(p.state_layout, dut, n))
        m.d.comb += [dut.step.eq(step), stim.step.eq(step), dut.i_exc.eq(stim.i_exc), dut.i_inh.eq(stim.i_inh)]
        return m
