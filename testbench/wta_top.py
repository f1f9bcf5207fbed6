"""Bench top of the winner-take-all group: like ``LIFBenchTop`` with ``WTANeuronArray`` as the DUT.

Same trace word layout as :mod:`neuroxide.testbench.top` (v, ref, adapt, rng per neuron, then the
spike vector), so :func:`neuroxide.testbench.top.unpack_trace` decodes it. A chunk of ``chunk``
steps costs ``chunk + 2`` cycles.
"""

from amaranth.hdl import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from neuroxide.rtl.stimulus import StimulusGenerator
from neuroxide.rtl.wta import WTANeuronArray
from neuroxide.testbench.top import trace_fields

__all__ = ["WTABenchTop"]


class WTABenchTop(wiring.Component):
    def __init__(self, params, n, w_lat, seed, stimulus, chunk):
        self.params, self.n, self.w_lat, self.seed, self.stimulus, self.chunk = params, n, w_lat, seed, stimulus, chunk
        self.word_bits = n * sum(bits for _, bits, _ in trace_fields(params)) + n
        super().__init__({"go": In(1), "busy": Out(1), "done": Out(1)})

    def elaborate(self, platform):
        m = Module()
        p, n = self.params, self.n
        m.submodules.stim = stim = StimulusGenerator(self.stimulus, n, p.in_bits, self.seed)
        m.submodules.dut = dut = WTANeuronArray(p, n, self.w_lat, self.seed)
        m.submodules.trace = trace = Memory(shape=self.word_bits, depth=self.chunk, init=[])
        wr = trace.write_port()
        count = Signal(range(self.chunk + 1))
        step = Signal()
        m.d.comb += [step.eq(self.busy & (count != self.chunk)), dut.step.eq(step), stim.step.eq(step),
                     dut.i_exc.eq(stim.i_exc)]
        with m.If(step):
            m.d.sync += count.eq(count + 1)
        rec, rec_addr = Signal(), Signal(range(self.chunk))
        m.d.sync += [rec.eq(step), rec_addr.eq(count)]
        fields = []
        for k in range(n):
            fields += [dut.v[k], dut.ref[k], dut.adapt[k], dut.rng[k]]
        m.d.comb += [wr.en.eq(rec), wr.addr.eq(rec_addr), wr.data.eq(Cat(*fields, dut.spike))]
        with m.If(self.go & ~self.busy):
            m.d.sync += [self.busy.eq(1), self.done.eq(0), count.eq(0)]
        with m.Elif(self.busy & (count == self.chunk) & ~rec):
            m.d.sync += [self.busy.eq(0), self.done.eq(1)]
        return m
