"""A deep block-RAM array split into banks, with a registered read path that stays short.

A memory deeper than a block or two is a cascade of blocks in depth: read through one wide
multiplexer, its output path crosses the chip and sets the core's clock (the ONN core's dense
800-node coupling memory: 58 MHz on the ECP5). :class:`BankedRAM` stores a word as parts whose
widths fill whole blocks: ``36 k`` bits (blocks of 36 x 512 side by side) and the rest (``w mod
36`` bits, blocks of the narrowest ECP5 aspect ratio that holds them, e.g. 4 x 4096), as yosys
would otherwise pick one aspect ratio for the whole word (a 40-bit word as 40 x (16384 x 1)
blocks). A part deeper than two of its blocks is split into banks of one block's depth; the
addressed bank's word (or 0) goes into a register of its own beside its blocks, and a tree of
registered 4-input ORs merges the banks. The same scheme as the SNN core's weight memory
(``rtl.snn_memory``).

Ports: ``rd_addr`` -> ``rd_data`` after :attr:`read_latency` clocks (every clock a read; the data
of the address presented ``read_latency`` clocks earlier); ``wr_addr``, ``wr_data``, ``wr_en`` (a
whole word). A read and a write of the same word in one clock return the old word.

``read_latency`` (:func:`banked_read_latency`): 1 when no part is banked (the blocks' own
synchronous read; the user registers it), else the longest part's
:func:`neuroxide.models.snn_capacity.bram_read_latency` (RAM, bank register, one level per 4-input
OR), the other parts delayed to match. ``init``: initial words (the bitstream carries them).
``bank_depth`` (tests only) forces every part's bank depth.
"""

from amaranth.hdl import Elaboratable, Module, Mux, Signal, unsigned
from amaranth.lib.memory import Memory

from neuroxide.errors import check_int
from neuroxide.models.snn_capacity import bram_configs, bram_read_latency

__all__ = ["BankedRAM", "banked_read_latency", "word_parts"]

BLOCK_WIDTH = 36  # the widest ECP5 DP16KD aspect ratio (36 x 512, pseudo-dual-port)


def word_parts(width, depth, bank_depth=None):
    """``[(lo, hi, bank_depth, banks)]``: the bit ranges a word is stored in, each part's bank depth
    (one block deep at its width) and bank count (1: one unbanked array, up to two blocks deep)."""
    main = BLOCK_WIDTH * (width // BLOCK_WIDTH)
    ranges = [(0, main)] if main else []
    if width > main:
        ranges.append((main, width))
    parts = []
    for lo, hi in ranges:
        block = bank_depth or next(d for w, d in bram_configs("ecp5") if w >= min(hi - lo, BLOCK_WIDTH))
        banks = max(1, -(-depth // block))
        parts.append((lo, hi, block, 1 if banks <= 2 and bank_depth is None else banks))
    return parts


def banked_read_latency(width, depth, bank_depth=None):
    """Read latency of a :class:`BankedRAM` of ``depth`` words of ``width`` bits (module docstring)."""
    banks = [b for _, _, _, b in word_parts(width, depth, bank_depth)]
    return 1 if max(banks) == 1 else max(bram_read_latency(b) for b in banks)


def _or(values):
    out = values[0]
    for v in values[1:]:
        out = out | v
    return out


class BankedRAM(Elaboratable):
    """``depth`` words of ``width`` bits in banked block RAM (module docstring)."""

    def __init__(self, width, depth, init=(), bank_depth=None, name="ram"):
        check_int("width", width, 1, 1 << 16)
        check_int("depth", depth, 1, 1 << 24)
        self.width, self.depth, self.name = width, depth, name
        self.init = [int(x) for x in init]
        self.parts = word_parts(width, depth, bank_depth)
        self.read_latency = banked_read_latency(width, depth, bank_depth)
        abits = max(1, (max(depth, 2) - 1).bit_length())
        self.rd_addr = Signal(abits, name=f"{name}_rd_addr")
        self.rd_data = Signal(width, name=f"{name}_rd_data")
        self.wr_addr = Signal(abits, name=f"{name}_wr_addr")
        self.wr_data = Signal(width, name=f"{name}_wr_data")
        self.wr_en = Signal(name=f"{name}_wr_en")

    def _array(self, m, name, lo, hi, start, depth, rd_addr, wr_addr, wr_en):
        """Words ``start .. start + depth - 1`` of bits ``[lo, hi)`` in one array; returns its read data."""
        mask = (1 << (hi - lo)) - 1
        init = [(x >> lo) & mask for x in self.init[start:start + depth]]
        m.submodules[name] = mem = Memory(shape=unsigned(hi - lo), depth=depth, init=init)
        rd, wr = mem.read_port(), mem.write_port()
        m.d.comb += [rd.addr.eq(rd_addr), wr.addr.eq(wr_addr), wr.data.eq(self.wr_data[lo:hi]), wr.en.eq(wr_en)]
        return rd.data

    def _part(self, m, k, lo, hi, block, banks):
        """Part ``k`` (bits ``[lo, hi)``): its read data and the latency it has."""
        if banks == 1:
            return self._array(m, f"p{k}", lo, hi, 0, self.depth, self.rd_addr, self.wr_addr, self.wr_en), 1
        shift = block.bit_length() - 1
        rd_bank, wr_bank = self.rd_addr[shift:], self.wr_addr[shift:]
        level = []
        for b in range(banks):
            data = self._array(m, f"p{k}_bank{b}", lo, hi, b * block, min(block, self.depth - b * block),
                               self.rd_addr[:shift], self.wr_addr[:shift], self.wr_en & (wr_bank == b))
            hit, out = Signal(name=f"p{k}_hit{b}"), Signal(hi - lo, name=f"p{k}_bank{b}_out")
            m.d.sync += [hit.eq(rd_bank == b), out.eq(Mux(hit, data, 0))]
            level.append(out)
        depth = 0
        while len(level) > 4:
            nxt = []
            for i in range(0, len(level), 4):
                q = Signal(hi - lo, name=f"p{k}_or{depth}_{i // 4}")
                m.d.sync += q.eq(_or(level[i:i + 4]))
                nxt.append(q)
            level, depth = nxt, depth + 1
        q = Signal(hi - lo, name=f"p{k}_q")
        m.d.sync += q.eq(_or(level))
        return q, bram_read_latency(banks)

    def elaborate(self, platform):
        m = Module()
        for k, (lo, hi, block, banks) in enumerate(self.parts):
            data, latency = self._part(m, k, lo, hi, block, banks)
            for d in range(self.read_latency - latency):  # align with the slowest part
                reg = Signal(hi - lo, name=f"p{k}_delay{d}")
                m.d.sync += reg.eq(data)
                data = reg
            m.d.comb += self.rd_data[lo:hi].eq(data)
        return m
