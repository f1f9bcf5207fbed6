"""Weight memory of one SNN core layer: ``lanes`` synapses per word, in block RAM or SPRAM.

Interface (fixed; the layer unit of rtl/snn_core.py depends on it):

* ``WeightMemory(lanes=, weight_bits=, depth=, init=(), kind="bram", registered=True,
  weight_format="pair")``
* read: ``rd_addr`` (word), ``rd_en``; ``rd_data`` holds word ``rd_addr`` ``read_latency`` cycles
  after a cycle with ``rd_en`` high (and keeps it while ``rd_en`` is low). Lane k of a word is
  bits ``[2*wb*k, 2*wb*k + wb)`` (w_exc) and ``[2*wb*k + wb, 2*wb*(k+1))`` (w_inh), as
  ``rtl.snn_core.weight_words`` packs it.
* write (bus, one synapse at a time): ``wr_addr``, ``wr_lane``, ``wr_data`` (w_exc | w_inh << wb),
  ``wr_en``.
* ``read_latency``: with ``registered=True`` (the default) 2 for ``spram`` and for ``bram`` up to
  1024 words (RAM, output register); a deeper ``bram`` is banked (below) and takes 3 (2-4 banks),
  4 (5-16 banks), 5 (17-64 banks) (``models.snn_capacity.bram_read_latency``); 1 with
  ``registered=False`` (``bram`` only, one unbanked array). A core that wants equal latencies
  across layers delays the shorter ones.
* ``weight_format`` (``models.snn_capacity.WEIGHT_FORMATS``) is how a lane is *stored*; the ports
  above are the same for both. ``pair`` (the default) stores the pair as it arrives, ``2*wb`` bits
  a lane. ``signed`` stores the signed level ``w = w_exc - w_inh`` in ``wb + 1`` bits, sign and
  magnitude (bits ``[0, wb)`` ``|w|``, bit ``wb`` set for ``w < 0``: ``weight_code``), and decodes it
  on read, ``w_exc = max(w, 0)``, ``w_inh = max(-w, 0)``: an AND per bit between the RAM (or the
  last OR level of a banked memory) and the output register, so ``read_latency`` is unchanged and
  no carry chain sits on the read path (two's complement would need a negation there). A bus write
  stores ``w_exc - w_inh`` (a subtraction on the write path). The read returns the written pair
  exactly when ``min(w_exc, w_inh) = 0``; a pair with both levels non-zero is stored as its
  difference, so the caller must not write one (``models.snn_capacity.check_signed_weights``
  refuses such a network for the core, ``SNNHost.load_network`` such a write), and ``init``
  (given in the pair layout above) must not hold one (ParameterError naming the word and lane). At
  8-bit weights a lane is 9 bits instead of 16 (one 9-bit byte group of a DP16KD instead of two:
  half the blocks); the bits saved per format and kind: docs/snn_core.md.

Kinds:

* ``bram`` (ECP5 DP16KD, iCE40 SB_RAM40_4K, any platform): one ``amaranth.lib.memory.Memory`` of
  ``depth`` x ``2*wb*lanes`` bits with one write enable per lane (granularity ``2*wb``; for
  ``wb > 4`` one per weight, both set by a lane write, so that each enable covers at most one
  9-bit byte group of a DP16KD), mapped by yosys onto block RAM (``models.snn_capacity
  .weight_bram_blocks`` gives the count yosys reaches). Deeper than 1024 words
  (``WEIGHT_BANK_DEPTH``) it is split into banks of 1024 words; only the addressed bank reads,
  each bank's word (or 0) goes into a register of its own beside its blocks, and a registered OR
  tree of 4-input levels merges them, so no path crosses the chip through one wide multiplexer
  (docs/snn_core.md has the measured Fmax). A read and a write may happen in the same cycle
  (separate ports; reading the written word returns its old value). Initial contents: ``init``
  (the bitstream carries the weights; a bus write changes them until the next configuration).
* ``spram`` (iCE40UP5K): up to four ``SB_SPRAM256KA`` (16 bits x 16,384), ``cols`` side by side
  and ``rows`` deep (``models.snn_capacity.spram_geometry``). Lane k sits at physical bit
  ``k * spram_lane_bits(wb, weight_format)`` (the stored lane padded to whole nibbles), so a bus write of one lane is one
  masked write (``MASKWREN``, no read-modify-write); ``rd_data`` is repacked to the dense layout
  above by wiring. Elaborated for an iCE40 UltraPlus platform it instantiates the primitives;
  for any other platform (``None``: the Amaranth simulator, ``neuroxide verilog``, cocotb on
  Icarus/Verilator) each block is a behavioural ``Memory`` (16 bits, nibble write enables) with
  the same address decode, masks, latency and arbitration, so the same design simulates anywhere.
  The SPRAM is single-ported: **a write wins**: in a cycle with ``wr_en`` the block writes and
  the read of that cycle is dropped (``rd_data`` keeps its value). The core must therefore issue
  bus writes only while no step runs (the SYNAPSE register is documented "load while no step
  runs"); reads during a step are never blocked. ``read_latency`` is always 2 (a write leaves the
  primitive's DATAOUT undefined; the output register only loads after a read, so ``rd_data``
  keeps the last word read across writes). Initial contents: none: SPRAM cannot be initialised
  by the bitstream, so ``init`` must be empty or all zero (the behavioural model starts at zero,
  the silicon at unknown values) and the weights are written over the bus after configuration
  (the host's ``SNNHost.load_network``) before the first step.
"""

from amaranth.hdl import Cat, ClockSignal, Const, Instance, Module, Mux, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from neuroxide.errors import ParameterError, check_int
from neuroxide.models.snn_capacity import (SPRAM_BITS, SPRAM_DEPTH, WEIGHT_BANK_DEPTH, WEIGHT_FORMATS, bram_granule,
                                           bram_read_latency, check_weight_format, spram_geometry, spram_lane_bits,
                                           weight_banks, weight_lane_bits)

__all__ = ["WeightMemory", "MEMORY_KINDS", "WEIGHT_FORMATS", "is_ice40_up", "weight_code", "pair_of_code",
           "signed_init"]

MEMORY_KINDS = ("bram", "spram")


def is_ice40_up(platform):
    """True for an amaranth iCE40 UltraPlus platform (the family with SB_SPRAM256KA)."""
    device = str(getattr(platform, "device", "") or "")
    return platform is not None and device.upper().startswith("ICE40UP")


def weight_code(w_exc, w_inh, weight_bits):
    """The ``signed`` format's lane code of a pair: ``|w_exc - w_inh|`` in bits ``[0, weight_bits)``,
    bit ``weight_bits`` set when ``w_inh > w_exc`` (what a bus write stores)."""
    w = int(w_exc) - int(w_inh)
    return -w | (1 << weight_bits) if w < 0 else w


def pair_of_code(code, weight_bits):
    """The pair ``w_exc | w_inh << weight_bits`` a ``signed`` lane code reads back as."""
    mag = int(code) & ((1 << weight_bits) - 1)
    return mag << weight_bits if code >> weight_bits & 1 else mag


def signed_init(words, lanes, weight_bits):
    """Pair-layout words (lane k at ``2*wb*k``: ``rtl.snn_core.weight_words``) as ``signed`` words
    (lane k's code at ``(wb + 1) * k``); ParameterError for a lane with both levels non-zero."""
    wb, out = weight_bits, []
    mask = (1 << wb) - 1
    for a, word in enumerate(words):
        packed = 0
        for k in range(lanes):
            e, h = (int(word) >> (2 * wb * k)) & mask, (int(word) >> (2 * wb * k + wb)) & mask
            if e and h:
                raise ParameterError(f"init[{a}]", f"lane {k}: w_exc={e}, w_inh={h}",
                                     "min(w_exc, w_inh) = 0 in every lane (weight_format='signed')",
                                     "the signed format stores one level w_exc - w_inh per synapse")
            packed |= weight_code(e, h, wb) << ((wb + 1) * k)
        out.append(packed)
    return out


class WeightMemory(wiring.Component):
    """``depth`` words of ``lanes`` (w_exc, w_inh) pairs of ``weight_bits`` each, stored as pairs or
    as signed levels (``weight_format``; module docstring)."""

    def __init__(self, *, lanes, weight_bits, depth, init=(), kind="bram", registered=True, weight_format="pair"):
        if kind not in MEMORY_KINDS:
            raise ParameterError("memory", kind, " | ".join(MEMORY_KINDS))
        check_int("lanes", lanes, 1, 128)
        check_int("weight_bits", weight_bits, 1, 8)
        check_int("depth", depth, 1, 1 << 20)
        self.weight_format = check_weight_format(weight_format)
        self.lanes, self.weight_bits, self.depth, self.kind = lanes, weight_bits, depth, kind
        self.init = [int(w) for w in init]
        if len(self.init) > depth:
            raise ParameterError("init", f"{len(self.init)} words", f"at most depth={depth} words")
        # bits a lane takes as stored; the stored words (init is given in the pair layout)
        self.store_bits = weight_lane_bits(weight_bits, weight_format)
        self.stored_init = self.init if weight_format == "pair" else signed_init(self.init, lanes, weight_bits)
        if kind == "spram":
            if not registered:
                raise ParameterError("registered", registered, "True",
                                     "an SPRAM write leaves DATAOUT undefined; the output register keeps rd_data")
            if any(self.init):
                raise ParameterError("init", "non-zero words", "empty or all zero",
                                     "SPRAM has no initial contents: load the weights over the bus")
            self.cols, self.rows = spram_geometry(lanes, weight_bits, depth, weight_format=weight_format)
            self.lane_bits = spram_lane_bits(weight_bits, weight_format)
        self.registered = bool(registered)
        # block RAM deeper than one bank: banks of WEIGHT_BANK_DEPTH words, each with its own output
        # register, then a registered OR tree (4 inputs per level) instead of one wide read multiplexer
        self.banks = weight_banks(depth) if kind == "bram" and registered else 1
        self.read_latency = bram_read_latency(self.banks) if registered else 1
        super().__init__({
            "rd_addr": In(range(max(2, depth))),
            "rd_en": In(1),
            "rd_data": Out(unsigned(2 * weight_bits * lanes)),
            "wr_addr": In(range(max(2, depth))),
            "wr_lane": In(range(max(2, lanes))),
            "wr_data": In(unsigned(2 * weight_bits)),
            "wr_en": In(1),
        })

    def _write_lane(self, m):
        """The lane value a bus write stores: ``wr_data`` (pair), or its signed code."""
        if self.weight_format == "pair":
            return self.wr_data
        wb = self.weight_bits
        exc, inh = self.wr_data[:wb], self.wr_data[wb:]
        code = Signal(wb + 1, name="wr_code")
        m.d.comb += code.eq(Mux(inh > exc, Cat((inh - exc)[:wb], Const(1, 1)), (exc - inh)[:wb]))
        return code

    def _decode(self, m, stored):
        """The pair-layout word of ``stored`` (identity for ``pair``): per lane exc = |w| if w >= 0,
        inh = |w| if w < 0 (sign and magnitude: an AND per bit)."""
        if self.weight_format == "pair":
            return stored
        wb, S = self.weight_bits, self.store_bits
        lanes = []
        for k in range(self.lanes):
            mag, neg = stored[k * S:k * S + wb], stored[k * S + wb]
            lanes += [Mux(neg, 0, mag), Mux(neg, mag, 0)]
        return Cat(*lanes)

    def _bram(self, m, name, depth, init, rd_addr, rd_en, wr_addr, wr_en, lane):
        """One block-RAM array with per-lane write enables; returns its read data (stored format)."""
        wb, L = self.weight_bits, self.lanes
        m.submodules[name] = mem = Memory(shape=unsigned(self.store_bits * L), depth=depth, init=init)
        granule = bram_granule(wb, self.weight_format)   # a lane, or each weight of a lane when a lane > 9 bits
        per_lane = self.store_bits // granule
        rd, wr = mem.read_port(), mem.write_port(granularity=granule)
        m.d.comb += [rd.addr.eq(rd_addr), rd.en.eq(rd_en),
                     wr.addr.eq(wr_addr), wr.data.eq(Cat(*([lane] * L)))]
        for k in range(L):
            for h in range(per_lane):
                m.d.comb += wr.en[k * per_lane + h].eq(wr_en & (self.wr_lane == k))
        return rd.data

    def _elaborate_banked(self):
        m = Module()
        B, width = self.banks, self.store_bits * self.lanes
        lane = self._write_lane(m)
        shift = WEIGHT_BANK_DEPTH.bit_length() - 1
        rd_bank, wr_bank = self.rd_addr[shift:], self.wr_addr[shift:]
        # stage 1: the addressed bank reads; stage 2: each bank's word, or 0, in its own register
        # (placed beside its blocks); then OR levels of 4, each registered, the last one rd_data
        level, valid = [], Signal()
        for b in range(B):
            depth = min(WEIGHT_BANK_DEPTH, self.depth - b * WEIGHT_BANK_DEPTH)
            init = self.stored_init[b * WEIGHT_BANK_DEPTH:b * WEIGHT_BANK_DEPTH + depth]
            sel = Signal(name=f"sel{b}")
            m.d.comb += sel.eq(rd_bank == b)
            data = self._bram(m, f"bank{b}", depth, init, self.rd_addr[:shift], self.rd_en & sel,
                              self.wr_addr[:shift], self.wr_en & (wr_bank == b), lane)
            hit = Signal(name=f"hit{b}")
            out = Signal(width, name=f"bank{b}_q")
            m.d.sync += [hit.eq(self.rd_en & sel), out.eq(Mux(hit, data, 0))]
            level.append(out)
        m.d.sync += valid.eq(self.rd_en)
        valid2 = Signal()
        m.d.sync += valid2.eq(valid)
        valid = valid2
        depth = 0
        while len(level) > 4:
            nxt = []
            for i in range(0, len(level), 4):
                q = Signal(width, name=f"or{depth}_{i // 4}")
                m.d.sync += q.eq(_or(level[i:i + 4]))
                nxt.append(q)
            v = Signal(name=f"valid_or{depth}")
            m.d.sync += v.eq(valid)
            level, valid, depth = nxt, v, depth + 1
        with m.If(valid):
            m.d.sync += self.rd_data.eq(self._decode(m, _or(level)))
        return m

    def elaborate(self, platform):
        if self.kind == "spram":
            return self._elaborate_spram(platform)
        if self.banks > 1:
            return self._elaborate_banked()
        m = Module()
        data = self._bram(m, "mem", self.depth, self.stored_init, self.rd_addr, self.rd_en, self.wr_addr, self.wr_en,
                          self._write_lane(m))
        data = self._decode(m, data)
        if self.registered:
            en1 = Signal()
            m.d.sync += en1.eq(self.rd_en)
            with m.If(en1):
                m.d.sync += self.rd_data.eq(data)
        else:
            m.d.comb += self.rd_data.eq(data)
        return m

    def _elaborate_spram(self, platform):
        m = Module()
        L, S = self.lanes, self.lane_bits
        cols, rows = self.cols, self.rows
        phys_bits = cols * SPRAM_BITS
        nibbles = phys_bits // 4
        hardware = is_ice40_up(platform)

        # the port: a write wins over a read in the same cycle (single-ported SPRAM)
        do_read = Signal()
        addr = Signal(range(max(2, self.depth)))
        m.d.comb += [do_read.eq(self.rd_en & ~self.wr_en), addr.eq(self.rd_addr)]
        with m.If(self.wr_en):
            m.d.comb += addr.eq(self.wr_addr)
        low = addr[:14] if self.depth > SPRAM_DEPTH else addr
        row = addr[14:] if self.depth > SPRAM_DEPTH else Const(0, 1)

        # write data: the lane value at every lane's slot; one nibble-enable per slot nibble
        slot = Signal(S)
        m.d.comb += slot.eq(self._write_lane(m))
        wdata = Cat(*([slot] * L), Const(0, phys_bits - L * S))
        mask = Signal(nibbles)
        for n in range(nibbles):
            lane = n * 4 // S
            if lane < L:
                m.d.comb += mask[n].eq(self.wr_lane == lane)

        outs = []
        for r in range(rows):
            sel = Signal(name=f"sel{r}")
            m.d.comb += sel.eq((row == r) & (self.rd_en | self.wr_en))
            row_out = []
            for c in range(cols):
                dout = Signal(SPRAM_BITS, name=f"dout_r{r}c{c}")
                din = wdata[c * SPRAM_BITS:(c + 1) * SPRAM_BITS]
                nib = mask[c * 4:(c + 1) * 4]
                if hardware:
                    m.submodules[f"spram_r{r}c{c}"] = Instance(
                        "SB_SPRAM256KA",
                        i_ADDRESS=low[:14] if len(low) >= 14 else Cat(low, Const(0, 14 - len(low))),
                        i_DATAIN=din, i_MASKWREN=nib, i_WREN=self.wr_en, i_CHIPSELECT=sel,
                        i_CLOCK=ClockSignal("sync"), i_STANDBY=Const(0), i_SLEEP=Const(0),
                        i_POWEROFF=Const(1), o_DATAOUT=dout)
                else:
                    depth = min(SPRAM_DEPTH, self.depth - r * SPRAM_DEPTH)
                    blk = Memory(shape=unsigned(SPRAM_BITS), depth=depth, init=[])
                    m.submodules[f"spram_r{r}c{c}"] = blk
                    rd, wr = blk.read_port(), blk.write_port(granularity=4)
                    m.d.comb += [rd.addr.eq(low), rd.en.eq(sel & ~self.wr_en), dout.eq(rd.data),
                                 wr.addr.eq(low), wr.data.eq(din)]
                    for n in range(4):
                        m.d.comb += wr.en[n].eq(sel & self.wr_en & nib[n])
                row_out.append(dout)
            outs.append(Cat(*row_out))

        # output register: loads the cycle after a read (keeps rd_data across writes and idle cycles)
        en1 = Signal()
        row1 = Signal(range(max(2, rows)))
        m.d.sync += en1.eq(do_read)
        with m.If(do_read):
            m.d.sync += row1.eq(row)
        phys = Signal(phys_bits)
        if rows == 1:
            m.d.comb += phys.eq(outs[0])
        else:
            with m.Switch(row1):
                for r in range(rows):
                    with m.Case(r):
                        m.d.comb += phys.eq(outs[r])
        with m.If(en1):
            m.d.sync += self.rd_data.eq(self._decode(m, Cat(*(phys[k * S:k * S + self.store_bits] for k in range(L)))))
        return m


def _or(values):
    out = values[0]
    for v in values[1:]:
        out = out | v
    return out
