"""A deep block-RAM array split into banks, with a registered read path that stays short.

A memory deeper than one block is a cascade of blocks in depth: read through one wide multiplexer,
its output path crosses the chip and sets the core's clock (the ONN core's dense 800-node coupling
memory: 58 MHz on the ECP5). :class:`BankedRAM` splits such an array into banks of
``bank_depth`` words (:data:`BANK_DEPTH`, 1024: one 18 x 1024 DP16KD deep); the addressed bank's
word (or 0) goes into a register of its own beside its blocks, and a tree of registered 4-input ORs
merges the banks. The same scheme as the SNN core's weight memory (``rtl.snn_memory``).

Ports: ``rd_addr`` -> ``rd_data`` after :attr:`read_latency` clocks (every clock a read; the data
of the address presented ``read_latency`` clocks earlier); ``wr_addr``, ``wr_data``, ``wr_en`` (a
whole word). A read and a write of the same word in one clock return the old word.

``read_latency``: 1 for an array of one bank (the block's own synchronous read, unregistered after
it: the user registers it), else :func:`neuroxide.models.snn_capacity.bram_read_latency` (RAM,
bank register, one level per 4-input OR). ``init``: initial words (the bitstream carries them).

A word of ``36 k + 1..4`` bits is stored as two arrays (36 k bits and the rest), so yosys maps
``512 x 36`` blocks plus a few narrow ones instead of ``16384 x 1`` blocks for the whole word
(yosys picks one aspect ratio per memory).
"""

from amaranth.hdl import Elaboratable, Module, Mux, Signal, unsigned
from amaranth.lib.memory import Memory

from neuroxide.errors import check_int
from neuroxide.models.snn_capacity import WEIGHT_BANK_DEPTH, bram_read_latency

__all__ = ["BankedRAM", "BANK_DEPTH", "banked_read_latency"]

BANK_DEPTH = WEIGHT_BANK_DEPTH


def banked_read_latency(depth, bank_depth=BANK_DEPTH):
    """Read latency of a :class:`BankedRAM` of ``depth`` words (module docstring)."""
    banks = max(1, -(-depth // bank_depth))
    return 1 if banks == 1 else bram_read_latency(banks)


def _or(values):
    out = values[0]
    for v in values[1:]:
        out = out | v
    return out


class BankedRAM(Elaboratable):
    """``depth`` words of ``width`` bits, banked by ``bank_depth`` (module docstring)."""

    def __init__(self, width, depth, init=(), bank_depth=BANK_DEPTH, name="ram"):
        check_int("width", width, 1, 1 << 16)
        check_int("depth", depth, 1, 1 << 24)
        self.width, self.depth, self.bank_depth, self.name = width, depth, bank_depth, name
        self.init = [int(x) for x in init]
        self.banks = max(1, -(-depth // bank_depth))
        self.read_latency = banked_read_latency(depth, bank_depth)
        abits = max(1, (max(depth, 2) - 1).bit_length())
        self.rd_addr = Signal(abits, name=f"{name}_rd_addr")
        self.rd_data = Signal(width, name=f"{name}_rd_data")
        self.wr_addr = Signal(abits, name=f"{name}_wr_addr")
        self.wr_data = Signal(width, name=f"{name}_wr_data")
        self.wr_en = Signal(name=f"{name}_wr_en")

    def _array(self, m, name, depth, init, rd_addr, wr_addr, wr_en):
        """One array (two when the width is 36 k + 1..4 bits); returns its read data."""
        w = self.width
        cut = 36 * (w // 36) if w > 36 and 0 < w % 36 <= 4 else w
        data = Signal(w, name=f"{name}_q")
        for k, (lo, hi) in enumerate([(0, cut)] + ([(cut, w)] if cut < w else [])):
            mask = (1 << (hi - lo)) - 1
            mem = Memory(shape=unsigned(hi - lo), depth=depth, init=[(x >> lo) & mask for x in init])
            m.submodules[f"{name}_{k}"] = mem
            rd, wr = mem.read_port(), mem.write_port()
            m.d.comb += [rd.addr.eq(rd_addr), data[lo:hi].eq(rd.data),
                         wr.addr.eq(wr_addr), wr.data.eq(self.wr_data[lo:hi]), wr.en.eq(wr_en)]
        return data

    def elaborate(self, platform):
        m = Module()
        if self.banks == 1:
            data = self._array(m, "bank0", self.depth, self.init, self.rd_addr, self.wr_addr, self.wr_en)
            m.d.comb += self.rd_data.eq(data)
            return m
        shift = self.bank_depth.bit_length() - 1
        rd_bank, wr_bank = self.rd_addr[shift:], self.wr_addr[shift:]
        level = []
        for b in range(self.banks):
            depth = min(self.bank_depth, self.depth - b * self.bank_depth)
            init = self.init[b * self.bank_depth:b * self.bank_depth + depth]
            data = self._array(m, f"bank{b}", depth, init, self.rd_addr[:shift], self.wr_addr[:shift],
                               self.wr_en & (wr_bank == b))
            hit, out = Signal(name=f"hit{b}"), Signal(self.width, name=f"bank{b}_out")
            m.d.sync += [hit.eq(rd_bank == b), out.eq(Mux(hit, data, 0))]
            level.append(out)
        depth = 0
        while len(level) > 4:
            nxt = []
            for i in range(0, len(level), 4):
                q = Signal(self.width, name=f"or{depth}_{i // 4}")
                m.d.sync += q.eq(_or(level[i:i + 4]))
                nxt.append(q)
            level, depth = nxt, depth + 1
        m.d.sync += self.rd_data.eq(_or(level))
        return m
