"""The host link's demo bus target: a block-RAM word memory, an ID register and a small FIFO register.

Its register map is declared once in :func:`neuroxide.models.register_file.register_file_map`
(docs/hostlink.md shows it) and the decoder is elaborated from it; its reference model is
:class:`neuroxide.models.register_file.RegisterFileModel`. Every transfer is acked one clock after
``stb`` rises (k = 1): writes and FIFO pops happen in the first clock of the transfer, read data
come from the address registered then.
"""

from amaranth.hdl import Module, Signal
from amaranth.lib import fifo, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In

from neuroxide.models.register_file import FIFO_DEPTH, register_file_map

from .hostbus import ADDR_BITS, HostBusSignature, RegisterDecoder

__all__ = ["RegisterFileCore"]


class RegisterFileCore(wiring.Component):
    """Demo bus target: ``depth`` RAM words (initial contents ``init``) + ID + FIFO registers.

    ``registers``: its :class:`~neuroxide.models.registers.RegisterMap`."""

    bus: In(HostBusSignature())

    def __init__(self, depth=256, init=()):
        self.registers = register_file_map(depth)  # validates depth
        self.depth = depth
        self.init = list(init)
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        bus = self.bus
        m.submodules.ram = ram = Memory(shape=32, depth=self.depth, init=self.init)
        m.submodules.fifo = queue = fifo.SyncFIFOBuffered(width=32, depth=FIFO_DEPTH)
        rd = ram.read_port()
        wr = ram.write_port()

        start = bus.stb & ~bus.ack  # the first clock of a transfer
        now = RegisterDecoder(self.registers, bus.addr)
        # the address of the clock before, whose data r_data shows; after reset an unmapped one (0)
        r_addr = Signal(ADDR_BITS, init=(1 << ADDR_BITS) - 1)
        assert self.registers.find(r_addr.init) is None
        popped = Signal(32)
        m.d.comb += [rd.addr.eq(bus.addr), wr.addr.eq(bus.addr), wr.data.eq(bus.w_data),
                     queue.w_data.eq(bus.w_data),
                     queue.r_en.eq(start & ~bus.we & now.hit("FIFO"))]
        m.d.sync += [bus.ack.eq(start), bus.err.eq(0), r_addr.eq(bus.addr),
                     popped.eq(queue.r_data & queue.r_rdy.replicate(32))]

        def push(word):
            m.d.comb += queue.w_en.eq(1)
            m.d.sync += bus.err.eq(~queue.w_rdy)  # full: refused, nothing stored

        def store(word, index):
            m.d.comb += wr.en.eq(1)

        with m.If(start & bus.we):
            now.write(m, bus.w_data, {"RAM": store, "FIFO": push})
        RegisterDecoder(self.registers, r_addr).read(m, bus.r_data, {
            "RAM": rd.data, "ID": self.registers["ID"].reset, "FIFO": popped, "COUNT": queue.level})
        return m
