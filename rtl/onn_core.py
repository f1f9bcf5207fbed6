"""ONN core: N digital oscillators, couplings in ``lanes`` banks of block RAM, ``lanes``
multiply-accumulates per clock into a registered adder tree.

The update rule is ``neuroxide.models.onn.onn_update`` (one rule, elaborated here with its pipeline
cuts); this module is the schedule. The coupling memory is ``lanes`` banks (L, a power of two) side
by side in one wide block-RAM word (``L * field`` bits, + 1 ``last`` bit when sparse: the BRAM packs
a wide word densely, e.g. 8 x 5-bit dense weights in 36 + 4 bits); a *coupling word* ``a`` is one
field of every bank, so one clock reads L couplings of one row. A row ``i`` is packed into ``w_i``
consecutive words, its k-th coupling in bank ``k mod L`` of word ``k div L`` (zero-weight padding
fills the last word)::

    dense   w_i = ceil(N / L): bank l of the row's word c holds J[i, c*L + l] (0 past N)
    sparse  w_i = max(1, ceil(deg_i / L)): the row's adjacency list, L entries a word

Per time step the core walks the W = sum_i w_i words once, one word per clock, in a pipeline whose
every stage is registered (memory outputs, products, adder-tree levels, accumulator, the rule's
three parts)::

    S0  issue word address a to every bank
    S1  bank outputs -> registers (w_l, col_l, last)                            memory outputs registered
    S2  issue reads of phase_old[col_l] (one read port a lane), phase_old[row], rng[row]
    S3  phase outputs -> registers
    S4  out(phase_col_l), s(phase_col_l) -> registers; term_l = w_l * out, sterm_l = w_l * s -> registers
    T1..Tk  adder tree over the L lanes, one registered level per halving (k = log2 L)
    SA  acc += tree sum; on the row's last word h = acc + sum -> D (acc cleared)
    D1  drive, rng' (onn_update up to its first ops.stage cut) -> registers;
        energy_acc += s_row * sum_j J_row,j s_j
    D2  noise, the coupling and injection nudges -> registers (its second cut)
    D3  phase' -> registers: the update stream upd_*, written to phase_new[row], rng[row]

Phases are double-buffered: the phase memory holds oscillator ``i`` of bank ``b`` at address
``2 i + b`` (no adder in any address), bank ``t & 1`` holds the phases before step ``t`` and step
``t`` writes the other, so every oscillator sees the outputs at the start of the step: the model's
synchronous order. The sum over the lanes is exact (integer addition in any order; acc_bits is
checked against Q max_i sum_j |J_ij|), so the result is bit-identical to the model for any L.

**Cycles per step** (:func:`cycles_per_step`): ``W + 11 + log2 L`` (W words issued, one a clock;
the last word then takes S1, S2, S3, the two clocks of S4, the k tree levels, SA, D1, D2 and D3 to
its write, 10 + k clocks after its issue, and one clock swaps the banks). Dense:
``W = N * ceil(N / L)``; sparse: ``W = sum_i max(1, ceil(deg_i / L))``. A run of s steps is
``s * cycles_per_step`` clocks from the clock after ``start``.

**Colour mode** (``colour_rows``, default None: the synchronous mode above, whose Verilog is
unchanged): the second update order, ``ONNModel(..., colours=...)``. The host permutes the rows so
every colour of a proper colouring (``gset.greedy_colouring``) is contiguous: colour k is rows
``r_k .. r_{k+1} - 1`` (``colour_rows = (r_0 = 0, r_1, ..., r_C = N)``, fixed at build; the table of
each colour's last coupling word is a constant array). One phase bank is used and written in
place: within a colour no row reads another row of its colour (no coupling between them), so
every h of colour k sees the phases colours < k wrote this step and colours >= k left from the
last. At a colour's last word the issue stops and the pipeline drains (the write of its last row)
before the next colour's first read. **Cycles per step** ``W + C (11 + log2 L)`` (C colours: each
colour pays the drain that the synchronous step pays once). ENERGY in colour mode is
``models.onn.colour_step_energy`` (each row's spins as its colour read them), not the Ising energy
of the phases before the step: the host reads the phases for that.

**Row groups** (``row_groups`` = k, colour mode only; default 1: the colour-mode core above, whose
Verilog is unchanged): the rows of one colour are independent, so the core updates k of them at
once. The L lanes are k groups of G = L / k; group g updates the rows ``i mod k = g`` and has its own
coupling memory (G fields + ``last`` a word: row i's words as above at G lanes a word, the group's
rows in ascending order), word address, colour-end table, S1..D3 pipeline, adder tree of log2 G
levels, accumulator and copy of the rule. The phase and PRNG memories are k banks, row i at address
``i >> log2 k`` of bank ``i mod k``; bank g is written by group g only (one write port). Every lane
reads its column j from bank ``j mod k``: a bank is L + 1 copies (one a lane, one for its group's
row and the host), each one read and one write port, all written together, and a k:1 mux before
the S3 register picks the bank (no extra clock). A colour ends when every group has issued its
last word and the whole pipeline of every group has drained; a group with no row in a colour skips
it. The host (:func:`row_group_layout`, declared in ``models.onn_registers`` with the other
host-side layout functions) keeps every colour contiguous and orders its rows so the k
groups' word counts are balanced (:func:`balance_row_groups`, longest row first). The arithmetic
of each update is unchanged, so the core equals ``ONNModel(..., colours=...)`` on the laid-out
couplings. **Cycles per step** (:func:`cycles_per_step_row_groups`)::

    sum_c max_g W_gc + C (11 + log2 G)      W_gc: words of group g's rows of colour c at G lanes a word

Host words (COUPLING e) with k groups: ``e = a * L + g * G + l`` is lane l of word a of group g
(:func:`group_coupling_words`); the write of a group's lane G - 1 stores that group's word. The
update stream of every group is ``gupd_valid[g]``, ``gupd_row[g]``, ``gupd_phase[g]``,
``gupd_rng[g]`` (``upd_*`` is group 0's). ENTRIES is kept but not walked (the colour tables are
fixed at build, as in colour mode).

Coupling memory words as the host sees them (COUPLING e): ``e = a * L + l`` is bank ``l`` of word
``a`` (dense: ``e = i * Npad + j``, ``Npad = L ceil(N / L)``, the weight; sparse: ``{last, col, w}``
= bits ``[weight_bits + col_bits]``, ``[weight_bits +: col_bits]``, ``[0 +: weight_bits]``, ``last``
set in every bank of a row's last word; an empty row is one word of ``w = 0, last = 1``). A write
of bank ``l < L - 1`` is staged, the write of bank ``L - 1`` stores the whole word (its ``last``
bit from that write): the host writes whole words, bank 0 first, as :func:`coupling_words` lists
them. ENTRIES counts host words (the core walks ``ceil(ENTRIES / L)`` coupling words).

Register map on ``bus``: declared once in :func:`neuroxide.models.onn_registers.onn_register_map`
(``ONNCore.registers``; the table is in docs/onn.md), the decoder elaborated from it by
:class:`~neuroxide.rtl.hostbus.RegisterDecoder`. Every access acks 4 clocks after stb (the memory
outputs are registered before the read mux); memory writes
only take effect while the core is idle, bus accesses never stall a run.
"""

from types import SimpleNamespace

import numpy as np
import scipy.sparse as sp
from amaranth.hdl import Array, Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from neuroxide.errors import ParameterError
from neuroxide.models.onn import T_BITS, check_couplings, initial_state, onn_update, output_of, schedule, spins_of
from neuroxide.models.onn_registers import (DEFAULT_LANES, LANE_CHOICES, balance_row_groups, check_lanes,
                                            check_row_groups, onn_register_map, row_group_layout, row_words)
from neuroxide.models.onn_registers import group_colour_words as _group_colour_words

from .fixedpoint import AmaranthOps, PipelinedOps
from .hostbus import HostBusSignature, RegisterDecoder, pack
from .layout import shape_of

__all__ = ["ONNCore", "LaneAccumulator", "coupling_words", "cycles_per_step", "row_words", "check_colour_rows", "DEFAULT_LANES", "LANE_CHOICES",
           "PIPELINE_CLOCKS", "check_row_groups", "cycles_per_step_row_groups", "group_coupling_words", "balance_row_groups",
           "row_group_layout"]

PIPELINE_CLOCKS = 11  # S0 of the last word, S1, S2, S3, S4 (2), SA, D1, D2, D3, the bank swap (+ log2 L tree levels)


def col_bits_for(n):
    return max(1, (n - 1).bit_length())


def cycles_per_step(J, dense, lanes=DEFAULT_LANES, colours=1):
    """Clocks of one step of the core on couplings ``J``: ``W + 11 + log2(lanes)`` (module docstring);
    in colour mode with ``colours`` colours ``W + colours * (11 + log2(lanes))`` (the pipeline drains
    at every colour's end). With row groups: :func:`cycles_per_step_row_groups`."""
    return int(row_words(J, dense, check_lanes(lanes)).sum()) + colours * (PIPELINE_CLOCKS + lanes.bit_length() - 1)


def check_colour_rows(J, colour_rows):
    """``colour_rows`` (row boundaries ``0 = r_0 < r_1 < ... < r_C = N``: colour k is rows r_k..r_{k+1}-1)
    as a tuple if no two rows of one colour are coupled (off the diagonal), else ParameterError."""
    n = J.shape[0]
    b = [int(x) for x in colour_rows]
    if len(b) < 2 or b[0] != 0 or b[-1] != n or any(y <= x for x, y in zip(b, b[1:])):
        raise ParameterError("colour_rows", b[:6], f"increasing row boundaries 0 < ... < {n}")
    colours = np.repeat(np.arange(len(b) - 1), np.diff(b))
    from neuroxide.models.gset import check_colouring
    check_colouring(J, colours)
    return tuple(b)


def coupling_words(params, J, dense, lanes=DEFAULT_LANES):
    """Coupling memory contents (list of unsigned ints, host order ``e = a * lanes + l``) for ``J``."""
    n = J.shape[0]
    check_lanes(lanes)
    wb = params.weight_bits
    wmask = (1 << wb) - 1
    if dense:
        a = J.toarray() if sp.issparse(J) else np.asarray(J)
        npad = -(-n // lanes) * lanes
        full = np.zeros((n, npad), dtype=np.int64)
        full[:, :n] = a.astype(np.int64)
        return [int(x) & wmask for x in full.ravel()]
    cb = col_bits_for(n)
    csr = sp.csr_matrix(J).astype(np.int64)
    csr.sort_indices()
    words = []
    for i in range(n):
        lo, hi = csr.indptr[i], csr.indptr[i + 1]
        cols, ws = list(csr.indices[lo:hi]), list(csr.data[lo:hi])
        nw = max(1, -(-len(cols) // lanes))
        pad = nw * lanes - len(cols)
        cols, ws = cols + [0] * pad, ws + [0] * pad
        for k, (c, w) in enumerate(zip(cols, ws)):
            last = int(k // lanes == nw - 1)
            words.append((int(w) & wmask) | (int(c) << wb) | (last << (wb + cb)))
    return words


def cycles_per_step_row_groups(J, dense, lanes, colour_rows, row_groups=1):
    """Clocks of one colour-mode step with ``row_groups`` = k groups of L / k lanes (row i in group
    i mod k): ``sum_c max_g W_gc + C (11 + log2 (L / k))``, W_gc the coupling words of group g's
    rows of colour c at L / k lanes a word (every group walks its colour's words one a clock, the
    colour drains when the longest group's last write is done). k = 1 is
    ``cycles_per_step(J, dense, L, C)``."""
    k = check_row_groups(row_groups, check_lanes(lanes))
    wgc = _group_colour_words(J, dense, lanes, colour_rows, k)
    return int(wgc.max(axis=0).sum()) + wgc.shape[1] * (PIPELINE_CLOCKS + (lanes // k).bit_length() - 1)


def group_coupling_words(params, J, dense, lanes, row_groups):
    """Coupling memory contents of a core with ``row_groups`` = k groups, host order
    ``e = a * lanes + g * (lanes / k) + l``: word ``a`` of group g, its lane l. Group g walks its rows
    (i mod k = g, ascending) as :func:`coupling_words` lays out a row at lanes / k lanes a word; a
    group with fewer words is padded with zero words (never walked). k = 1 is :func:`coupling_words`."""
    k = check_row_groups(row_groups, check_lanes(lanes))
    if k == 1:
        return coupling_words(params, J, dense, lanes)
    G, n = lanes // k, J.shape[0]
    flat = coupling_words(params, J, dense, G)
    offs = np.concatenate([[0], np.cumsum(row_words(J, dense, G))]) * G
    streams = [[x for i in range(g, n, k) for x in flat[offs[i]:offs[i + 1]]] for g in range(k)]
    depth = max(len(s) for s in streams) // G
    host = [0] * (depth * lanes)
    for g, s in enumerate(streams):
        for q, x in enumerate(s):
            host[(q // G) * lanes + g * G + q % G] = x
    return host


class LaneAccumulator(wiring.Component):
    """S4, the adder tree and SA of the core: ``lanes`` products ``w_l * out(phase_l)`` (and the
    energy's ``w_l * s(phase_l)``) a clock, summed by a registered tree, accumulated over a row's
    words. In: ``valid``, ``last`` (the row's last word), ``w[l]``, ``phase[l]``. Out:
    ``sum_valid``/``sum_last`` (the word at SA, ``latency`` clocks after its input) and, one clock
    later, ``h_valid`` with the row's ``h = sum_j J_ij out_j`` and ``hs = sum_j J_ij s_j``; ``busy``
    while any word is inside. Exact: the sums stay in ``acc_bits + 1`` signed bits for couplings
    that pass ``check_couplings`` (proven in testbench/formal_onn.py)."""

    def __init__(self, params, lanes):
        self.params, self.lanes = params, check_lanes(lanes)
        self.latency = 2 + lanes.bit_length() - 1  # S4 (outputs, products) and the tree levels
        tw = params.acc_bits + 1
        super().__init__({
            "valid": In(1), "last": In(1),
            "w": In(signed(params.weight_bits)).array(lanes), "phase": In(params.phase_bits).array(lanes),
            "sum_valid": Out(1), "sum_last": Out(1),
            "h_valid": Out(1), "h": Out(signed(tw)), "hs": Out(signed(tw)), "busy": Out(1),
            "acc": Out(signed(tw)), "acc_s": Out(signed(tw)),  # the running sums (for the formal harness)
        })

    def elaborate(self, platform):
        m = Module()
        p, L = self.params, self.lanes
        ops = AmaranthOps(m, prefix="u_")
        tw = p.acc_bits + 1
        terms, sterms = [], []
        for k in range(L):  # S4: outputs and spins of the column phases, then the products
            out_c = Signal(signed(p.phase_bits), name=f"out_col{k}")
            spin_c, w_c = Signal(name=f"spin_col{k}"), Signal(signed(p.weight_bits), name=f"w_col{k}")
            m.d.sync += [out_c.eq(output_of(ops, p, self.phase[k])), spin_c.eq(spins_of(ops, p, self.phase[k])),
                         w_c.eq(self.w[k])]
            t_reg, s_reg = Signal(signed(tw), name=f"term{k}"), Signal(signed(tw), name=f"sterm{k}")
            m.d.sync += [t_reg.eq(w_c * out_c), s_reg.eq(Mux(spin_c, w_c, -w_c))]
            terms.append(t_reg)
            sterms.append(s_reg)
        v_o, l_o = Signal(name="s4a_valid"), Signal(name="s4a_last")
        valid, last = Signal(name="s4_valid"), Signal(name="s4_last")
        m.d.sync += [v_o.eq(self.valid), l_o.eq(self.last), valid.eq(v_o), last.eq(l_o)]
        valids = [v_o, valid]
        level = 0
        while len(terms) > 1:  # T1..Tk
            level += 1
            nt, ns = [], []
            for k in range(0, len(terms), 2):
                t_reg = Signal(signed(tw), name=f"tree{level}_{k // 2}")
                s_reg = Signal(signed(tw), name=f"stree{level}_{k // 2}")
                m.d.sync += [t_reg.eq(terms[k] + terms[k + 1]), s_reg.eq(sterms[k] + sterms[k + 1])]
                nt.append(t_reg)
                ns.append(s_reg)
            terms, sterms = nt, ns
            v, la = Signal(name=f"tree{level}_valid"), Signal(name=f"tree{level}_last")
            m.d.sync += [v.eq(valid), la.eq(last)]
            valid, last = v, la
            valids.append(valid)
        m.d.comb += [self.sum_valid.eq(valid), self.sum_last.eq(last),
                     self.busy.eq(Cat(*valids, self.h_valid).any())]
        acc, acc_s = Signal(signed(tw)), Signal(signed(tw))  # SA
        m.d.comb += [self.acc.eq(acc), self.acc_s.eq(acc_s)]
        m.d.sync += self.h_valid.eq(valid & last)
        with m.If(valid):
            with m.If(last):
                m.d.sync += [acc.eq(0), acc_s.eq(0), self.h.eq(acc + terms[0]), self.hs.eq(acc_s + sterms[0])]
            with m.Else():
                m.d.sync += [acc.eq(acc + terms[0]), acc_s.eq(acc_s + sterms[0])]
        return m


class ONNCore(wiring.Component):
    """The ONN core (module docstring). ``J`` and ``seed`` give the memories' power-up contents
    (the host may overwrite them); ``phase0`` overrides the power-up phases (default: from the
    seed, as ``initial_state``); ``max_entries`` sizes the sparse coupling memory (in words, as
    ENTRIES); ``lanes`` multiply-accumulates a clock (a power of two).

    Ports besides ``bus``: ``start``/``run_steps`` (start a run without the bus: board and bench
    tops), ``busy``, ``t``, ``energy``, and the update stream ``upd_valid``/``upd_row``/
    ``upd_phase``/``upd_rng`` (high for one clock per oscillator update, the values written).
    """

    def __init__(self, params, n, J=None, dense=True, seed=1, max_entries=None, phase0=None, lanes=DEFAULT_LANES,
                 colour_rows=None, row_groups=1):
        if isinstance(n, bool) or not isinstance(n, int) or n < 2:
            raise ParameterError("n", n, "an integer >= 2")
        self.lanes = check_lanes(lanes)
        self.row_groups = check_row_groups(row_groups, lanes)
        if self.row_groups > 1 and colour_rows is None:
            raise ParameterError("row_groups", row_groups, "1 in the synchronous mode",
                                 why="several updates a clock need colour mode (colour_rows)")
        self.params, self.n, self.dense, self.seed = params, n, dense, seed
        if J is None:
            J = sp.csr_matrix((n, n), dtype=np.int64)
        if J.shape != (n, n):
            raise ParameterError("couplings", J.shape, f"({n}, {n})")
        # colour mode (None: the synchronous mode): the colours' row boundaries, fixed at build
        self.colour_rows = None if colour_rows is None else check_colour_rows(J, colour_rows)
        check_couplings(params, J)  # weights fit weight_bits, h fits acc_bits: no accumulator wraps
        total = int(abs(J).sum()) if sp.issparse(J) else int(np.abs(np.asarray(J)).sum())
        if total >= 1 << 31:
            raise ParameterError("couplings", f"sum |J| = {total}", "< 2**31", why="the energy register is 32 bits")
        self.words = group_coupling_words(params, J, dense, lanes, self.row_groups)
        self.npad = -(-n // (lanes // self.row_groups)) * (lanes // self.row_groups)
        self.entries = len(self.words)
        self.depth = self.entries if dense else max(max_entries or 0, self.entries)
        self.depth = -(-self.depth // lanes) * lanes
        self.bank_depth = self.depth // lanes
        if self.colour_rows is None:
            self.cycles_per_step = cycles_per_step(J, dense, lanes)
        elif self.row_groups == 1:
            ends = np.cumsum(row_words(J, dense, lanes)) - 1  # word address of every row's last word
            self.colour_end_words = [int(ends[r - 1]) for r in self.colour_rows[1:]]
            self.cycles_per_step = cycles_per_step(J, dense, lanes, len(self.colour_end_words))
        else:  # row groups: group g's words of colour c end at group_colour_ends[g][c] (-1: none)
            wgc = _group_colour_words(J, dense, lanes, self.colour_rows, self.row_groups)
            self.group_colour_words = wgc
            self.group_colour_ends = [[int(e) if w else -1 for e, w in zip(np.cumsum(row) - 1, row)] for row in wgc]
            self.cycles_per_step = cycles_per_step_row_groups(J, dense, lanes, self.colour_rows, self.row_groups)
        self.registers = onn_register_map(n, self.depth, self.entries, self.row_groups)  # the bus target's map
        self.col_bits = col_bits_for(n)
        self.lane_bits = params.weight_bits if dense else params.weight_bits + self.col_bits + 1  # host word
        self.field_bits = params.weight_bits if dense else params.weight_bits + self.col_bits  # {col, w}
        self.word_bits = lanes * self.field_bits + (0 if dense else 1)  # + the row's last bit
        # row groups: one coupling memory a group, lanes / k fields (+ last) a word
        self.group_word_bits = (lanes // self.row_groups) * self.field_bits + (0 if dense else 1)
        # row groups: how many of the last pipeline stages the colour's drain does *not* wait for; 0
        # (the core). A test sets it > 0 to build a core whose next colour reads stale phases, and
        # checks that the comparison with the model fails (tests/test_onn_row_groups.py)
        self._drain_skip = 0
        phase0_given = phase0
        if phase0_given is not None and (len(phase0_given) != n or min(phase0_given) < 0
                                         or max(phase0_given) > params.phase_mask):
            raise ParameterError("phase0", "...", f"{n} phases in 0..{params.phase_mask}")
        phase0, rng0 = initial_state(params, n, seed, 1)
        self.phase0 = [int(x) for x in phase0[:, 0]] if phase0_given is None else [int(x) for x in phase0_given]
        self.rng0 = [int(x) for x in rng0[:, 0]]
        # the lane scheduler's state, read by the formal harness (testbench/formal_onn.py)
        self.probe_issue = Signal(name="probe_issue")
        self.probe_addr = Signal(range(max(self.bank_depth, 2)), name="probe_addr")
        self.probe_swap, self.probe_words = Signal(name="probe_swap"), Signal(range(self.bank_depth + 1),
                                                                               name="probe_words")
        super().__init__({
            "bus": In(HostBusSignature()),
            "start": In(1),
            "run_steps": In(16),
            "busy": Out(1),
            "t": Out(T_BITS),
            "energy": Out(signed(32)),
            "upd_valid": Out(1),
            "upd_row": Out(range(n)),
            # the state of the oscillator just updated (ONNParams.state_layout): upd_phase, upd_rng
            **{f"upd_{f.name}": Out(shape_of(f)) for f in params.state_layout},
            # row groups: every group's update stream (upd_* is group 0's)
            **({} if self.row_groups == 1 else {
                "gupd_valid": Out(self.row_groups), "gupd_row": Out(range(n)).array(self.row_groups),
                **{f"gupd_{f.name}": Out(shape_of(f)).array(self.row_groups) for f in params.state_layout}}),
        })

    def elaborate(self, platform):
        if self.row_groups > 1:
            return self._elaborate_row_groups(platform)
        m = Module()
        p, n, L = self.params, self.n, self.lanes
        LB = L.bit_length() - 1
        P, WB, CB = p.phase_bits, p.weight_bits, self.col_bits
        ops = AmaranthOps(m, prefix="u_")

        FB = self.field_bits
        init = []
        for a in range(self.bank_depth):  # the banks side by side in one wide word (BRAM packs it densely)
            lane_words = self.words[a * L:(a + 1) * L] + [0] * L
            word = sum((lane_words[k] & ((1 << FB) - 1)) << (k * FB) for k in range(L))
            if not self.dense:
                word |= ((lane_words[0] >> FB) & 1) << (L * FB)
            init.append(word)
        # a word of 36k + 1..4 bits is two memories, 36k bits and the rest, so a 40-bit word takes
        # 512 x 36 + 4096 x 4 blocks, not 40 x (16384 x 1) (yosys picks one block shape per memory)
        coup_rd = SimpleNamespace(addr=Signal(range(max(self.bank_depth, 2)), name="coup_rd_addr"),
                                  data=Signal(self.word_bits, name="coup_rd_data"))
        coup_wr = SimpleNamespace(addr=Signal(range(max(self.bank_depth, 2)), name="coup_wr_addr"),
                                  data=Signal(self.word_bits, name="coup_wr_data"), en=Signal(name="coup_wr_en"))
        _coupling_memory(m, "coupling", self.word_bits, self.bank_depth, init, coup_rd, coup_wr)
        lane_field = [coup_rd.data[k * FB:(k + 1) * FB] for k in range(L)]
        phase_init = [0] * (2 * self.npad)
        for i, ph in enumerate(self.phase0):
            phase_init[2 * i] = phase_init[2 * i + 1] = ph
        m.submodules.phases = phases = Memory(shape=unsigned(P), depth=2 * self.npad, init=phase_init)
        m.submodules.rngs = rngs = Memory(shape=shape_of(p.state_layout["rng"]), depth=n, init=self.rng0)
        col_rds = [phases.read_port() for _ in range(L)]
        row_rd, ph_wr = phases.read_port(), phases.write_port()
        rng_rd, rng_wr = rngs.read_port(), rngs.write_port()

        regs = self.registers
        entries = Signal(range(self.depth + 1), init=regs["ENTRIES"].reset)
        last_word = Signal(range(max(self.bank_depth, 2)), init=max(0, -(-self.entries // L) - 1))
        steps_left = Signal(16)
        steps_reg = Signal(16, init=regs["STEPS"].reset)
        bank = Signal()  # bank holding the phases before step t
        issuing = Signal()
        a = Signal(range(max(self.bank_depth, 2)))
        chunks = -(-n // L)
        chunk = Signal(range(max(chunks, 2)))  # dense: word of the row
        energy_acc = Signal(signed(40))

        # ---- S0: issue --------------------------------------------------------------------------
        issue = Signal()
        m.d.comb += issue.eq(self.busy & issuing)
        colour = self.colour_rows is not None
        if colour:  # colour mode: issue stops at every colour's last word, the pipeline drains
            ncol = len(self.colour_end_words)
            colour_ends = Array(Const(x, range(max(self.bank_depth, 2))) for x in self.colour_end_words + [0])
            colour_idx = Signal(range(ncol + 1), name="colour_idx")
            colour_end = Signal(range(max(self.bank_depth, 2)), init=self.colour_end_words[0], name="colour_end")
        with m.If(issue):
            m.d.sync += [a.eq(a + 1), chunk.eq(Mux(chunk == chunks - 1, 0, chunk + 1))]
            with m.If(a == (colour_end if colour else last_word)):
                m.d.sync += issuing.eq(0)

        # ---- S1: bank outputs -> registers -----------------------------------------------------------
        v1, chunk1 = Signal(), Signal.like(chunk)
        m.d.sync += [v1.eq(issue), chunk1.eq(chunk)]
        v2, last2 = Signal(), Signal()
        w2 = [Signal(signed(WB), name=f"w2_{lane}") for lane in range(L)]
        col2 = [Signal(range(self.npad), name=f"col2_{lane}") for lane in range(L)]
        m.d.sync += v2.eq(v1)
        for lane in range(L):
            m.d.sync += w2[lane].eq(lane_field[lane][:WB])
            if self.dense:
                m.d.sync += col2[lane].eq(Cat(Const(lane, LB), chunk1) if LB else chunk1)
            else:
                m.d.sync += col2[lane].eq(lane_field[lane][WB:WB + CB])
        if self.dense:
            m.d.sync += last2.eq(chunk1 == chunks - 1)
        else:
            m.d.sync += last2.eq(coup_rd.data[L * FB])

        # ---- S2: phase and row reads ---------------------------------------------------------------
        row2 = Signal(range(n))
        with m.If(v2 & last2):
            m.d.sync += row2.eq(Mux(row2 == n - 1, 0, row2 + 1))
        v3, last3, row3 = Signal(), Signal(), Signal(range(n))
        w3 = [Signal(signed(WB), name=f"w3_{lane}") for lane in range(L)]
        m.d.sync += [v3.eq(v2), last3.eq(last2), row3.eq(row2)] + [w3[k].eq(w2[k]) for k in range(L)]

        # ---- S3: phase outputs -> registers ---------------------------------------------------------
        v4, last4, row4 = Signal(), Signal(), Signal(range(n))
        w4 = [Signal(signed(WB), name=f"w4_{lane}") for lane in range(L)]
        ph4 = [Signal(P, name=f"ph4_{lane}") for lane in range(L)]
        rowph4, rng4 = Signal(P), Signal(32)
        m.d.sync += [v4.eq(v3), last4.eq(last3), row4.eq(row3), rowph4.eq(row_rd.data), rng4.eq(rng_rd.data)]
        m.d.sync += [w4[k].eq(w3[k]) for k in range(L)] + [ph4[k].eq(col_rds[k].data) for k in range(L)]
        valids = [v1, v2, v3]

        # ---- S4, T1..Tk, SA: products, adder tree, accumulator (LaneAccumulator) ----------------------------
        m.submodules.lanes = lanes = LaneAccumulator(p, L)
        m.d.comb += [lanes.valid.eq(v4), lanes.last.eq(last4)]
        m.d.comb += [lanes.w[k].eq(w4[k]) for k in range(L)] + [lanes.phase[k].eq(ph4[k]) for k in range(L)]
        meta = (last4, row4, rowph4, rng4)
        for level in range(lanes.latency):  # the row's state alongside the sum, aligned with it
            regs_ = (Signal(name=f"m{level}_last"), Signal(range(n), name=f"m{level}_row"),
                     Signal(P, name=f"m{level}_rowph"), Signal(32, name=f"m{level}_rng"))
            m.d.sync += [o.eq(i) for o, i in zip(regs_, meta)]
            meta = regs_
        lasta, rowa, rowpha, rnga = meta
        d_valid, d_row, d_h, d_hs = lanes.h_valid, Signal(range(n)), lanes.h, lanes.hs
        d_phase, d_rng = Signal(P), Signal(32)
        with m.If(lanes.sum_valid & lasta):
            m.d.sync += [d_row.eq(rowa), d_phase.eq(rowpha), d_rng.eq(rnga)]
        valids += [v4, lanes.busy]

        # ---- D1, D2, D3: the rule, cut where it says (ops.stage); the schedule registered per step -----------
        inj_c, amp_c = schedule(PipelinedOps(m, prefix="sched_"), p, self.t)  # its cut: one register
        # narrowed to their ranges (inj in 0..inj_max, amp in noise_min..noise_max: proven in formal_onn),
        # so the noise multiply is 16 x (bits of 2 noise_max + 1)
        inj1, amp1 = Signal(range(p.inj_max + 1), name="inj_r1"), Signal(range(p.noise_max + 1), name="amp_r1")
        inj, amp = Signal(range(p.inj_max + 1), name="inj_r"), Signal(range(p.noise_max + 1), name="amp_r")
        # three registers: t is constant within a step, whose first D1 comes >= 7 clocks after t changes
        m.d.sync += [inj1.eq(inj_c), amp1.eq(amp_c), inj.eq(inj1), amp.eq(amp1)]
        uops = PipelinedOps(m, prefix="u_", carry={"valid": d_valid, "row": d_row})
        phase_n, rng_n = onn_update(uops, p, d_phase, d_h, d_rng, inj, amp)
        valids += uops.history["valid"]
        with m.If(d_valid):
            m.d.sync += energy_acc.eq(energy_acc + Mux(spins_of(ops, p, d_phase), d_hs, -d_hs))
        m.d.sync += [self.upd_valid.eq(uops.carried["valid"]), self.upd_row.eq(uops.carried["row"]),
                     self.upd_phase.eq(phase_n), self.upd_rng.eq(rng_n)]
        valids.append(self.upd_valid)

        # ---- host bus: decoded from self.registers -----------------------------------------------
        bus = self.bus
        (pending, pending2, pending3, h_we, h_data, decoder, phase_i, rng_i, coup_lane,
         coup_a) = _host_front(m, bus, regs, LB)
        host_idle = ~self.busy

        # read/write port addresses: the pipeline while running, the host while idle
        with m.If(self.busy):
            m.d.comb += coup_rd.addr.eq(a)
            m.d.comb += [col_rds[k].addr.eq(Cat(bank, col2[k])) for k in range(L)]
            m.d.comb += [
                row_rd.addr.eq(Cat(bank, row2)),
                rng_rd.addr.eq(row2),
                ph_wr.addr.eq(Cat(bank if colour else ~bank, self.upd_row)),  # colour mode: in place
                ph_wr.data.eq(self.upd_phase), ph_wr.en.eq(self.upd_valid),
                rng_wr.addr.eq(self.upd_row), rng_wr.data.eq(self.upd_rng), rng_wr.en.eq(self.upd_valid),
            ]
        with m.Else():
            m.d.comb += coup_rd.addr.eq(coup_a)
            m.d.comb += [
                row_rd.addr.eq(Cat(bank, phase_i)),
                rng_rd.addr.eq(rng_i),
                ph_wr.addr.eq(Cat(bank, phase_i)), ph_wr.data.eq(h_data),
                rng_wr.addr.eq(rng_i), rng_wr.data.eq(h_data),
            ]
        # a host write of bank l < L - 1 is staged; the write of bank L - 1 stores the whole word
        stage = [Signal(FB, name=f"coup_stage{k}") for k in range(L - 1)]
        m.d.comb += [coup_wr.addr.eq(coup_a),
                     coup_wr.data.eq(Cat(*stage, h_data[:FB], *([] if self.dense else [h_data[FB]])))]
        host_start = Signal()
        host_clear = Signal()

        def control(word):
            m.d.comb += [host_start.eq(word.start), host_clear.eq(word.clear)]

        def set_entries(word):
            with m.If((word >= 1) & (word <= self.depth)):
                m.d.sync += [entries.eq(word), last_word.eq(((word + L - 1) >> LB) - 1)]

        def memory_write(port):
            def write(word, index):  # the port's address is the index already (above)
                m.d.comb += port.en.eq(1)
            return write

        def coupling_write(word, index):
            for lane in range(L - 1):
                with m.If(coup_lane == lane):
                    m.d.sync += stage[lane].eq(h_data[:FB])
            m.d.comb += coup_wr.en.eq(coup_lane == L - 1)

        with m.If(pending):  # addresses presented; writes happen on this clock
            m.d.sync += [pending.eq(0), pending2.eq(1)]
            with m.If(h_we & host_idle):
                decoder.write(m, h_data, {
                    "CTRL": control, "STEPS": steps_reg, "ENTRIES": None if self.dense else set_entries,
                    "PHASE": memory_write(ph_wr), "RNG": memory_write(rng_wr), "COUPLING": coupling_write})
        q_coup, q_phase, q_rng = Signal(self.word_bits), Signal(P), Signal(32)
        with m.If(pending2):  # read data are valid now: register them (memory outputs registered)
            m.d.sync += [pending2.eq(0), pending3.eq(1), q_coup.eq(coup_rd.data), q_phase.eq(row_rd.data),
                         q_rng.eq(rng_rd.data)]
        with m.If(pending3):  # answer
            m.d.sync += [pending3.eq(0), bus.ack.eq(1)]
            r_data = Signal(32)
            coup_data = Signal(self.lane_bits)
            with m.Switch(coup_lane):
                for lane in range(L):
                    with m.Case(lane):
                        m.d.comb += coup_data.eq(Cat(q_coup[lane * FB:(lane + 1) * FB],
                                                     *([] if self.dense else [q_coup[L * FB]])))
            decoder.read(m, r_data, {
                "CTRL": pack(regs["CTRL"], busy=self.busy),
                "STEPS": steps_reg,
                "T": self.t,
                "ENERGY": self.energy,
                "ENTRIES": entries,
                "INFO": regs.encode("INFO", n=n, dense=int(self.dense), lanes_log2=LB, phase_bits=P, weight_bits=WB,
                                     colour=int(self.colour_rows is not None)),
                "PHASE": q_phase,
                "RNG": q_rng,
                "COUPLING": coup_data,
            })
            m.d.sync += bus.r_data.eq(r_data)

        # ---- run control ------------------------------------------------------------------------------
        start = Signal()
        start_steps = Signal(16)
        m.d.comb += [start.eq((self.start | host_start) & ~self.busy),
                     start_steps.eq(Mux(self.start, self.run_steps, steps_reg))]
        with m.If(host_clear):
            m.d.sync += [self.t.eq(0), self.energy.eq(0)]
        with m.If(start & (start_steps != 0)):
            m.d.sync += [self.busy.eq(1), issuing.eq(1), a.eq(0), chunk.eq(0), row2.eq(0),
                         steps_left.eq(start_steps), energy_acc.eq(0)]
            if colour:
                m.d.sync += [colour_idx.eq(0), colour_end.eq(self.colour_end_words[0])]
        drained = Signal()
        m.d.comb += drained.eq(~issuing & ~Cat(*valids).any())
        m.d.comb += [self.probe_issue.eq(issue), self.probe_addr.eq(a), self.probe_swap.eq(self.busy & drained),
                     self.probe_words.eq(last_word + 1)]
        if not colour:
            with m.If(self.busy & drained):
                # step done: the new bank becomes current
                m.d.sync += [bank.eq(~bank), energy_acc.eq(0), self.energy.eq(-(energy_acc >> 1)),
                             self.t.eq(Mux(self.t == (1 << T_BITS) - 1, self.t, self.t + 1)),
                             steps_left.eq(steps_left - 1), a.eq(0), chunk.eq(0), row2.eq(0)]
                with m.If(steps_left == 1):
                    m.d.sync += self.busy.eq(0)
                with m.Else():
                    m.d.sync += issuing.eq(1)
            return m
        with m.If(self.busy & drained):
            with m.If(colour_idx != ncol - 1):  # colour done: the next colour reads its phases
                m.d.sync += [issuing.eq(1), colour_idx.eq(colour_idx + 1), colour_end.eq(colour_ends[colour_idx + 1])]
            with m.Else():  # step done (one bank, written in place: no swap)
                m.d.sync += [energy_acc.eq(0), self.energy.eq(-(energy_acc >> 1)),
                             self.t.eq(Mux(self.t == (1 << T_BITS) - 1, self.t, self.t + 1)),
                             steps_left.eq(steps_left - 1), a.eq(0), chunk.eq(0), row2.eq(0),
                             colour_idx.eq(0), colour_end.eq(self.colour_end_words[0])]
                with m.If(steps_left == 1):
                    m.d.sync += self.busy.eq(0)
                with m.Else():
                    m.d.sync += issuing.eq(1)
        return m

    def _elaborate_row_groups(self, platform):
        """Colour mode with ``row_groups`` = k > 1 (module docstring, "Row groups"): k copies of the
        S0..D3 pipeline, group g on lanes g L/k .. (g + 1) L/k - 1 with its own coupling memory, word
        stream, adder tree, accumulator and rule, updating the rows i = g mod k of every colour; the
        phase and PRNG memories in k banks (row i at address i >> log2 k of bank i mod k), bank g
        written by group g only; every lane has a read port into every bank and picks bank
        ``col mod k`` (a k:1 mux before the S3 register). A colour ends when every group's stream has
        drained."""
        m = Module()
        p, n, L, K = self.params, self.n, self.lanes, self.row_groups
        G = L // K
        LB, GB, KB = L.bit_length() - 1, G.bit_length() - 1, K.bit_length() - 1
        P, WB, CB, FB = p.phase_bits, p.weight_bits, self.col_bits, self.field_bits
        ops = AmaranthOps(m, prefix="u_")
        busy = self.busy
        depth = max(self.bank_depth, 2)
        ncol = len(self.colour_rows) - 1
        gbits = self.group_word_bits

        # ---- coupling memories: one a group ---------------------------------------------------------
        coup = []
        for g in range(K):
            init = []
            for a in range(self.bank_depth):
                fields = self.words[a * L + g * G:a * L + (g + 1) * G]
                word = sum((f & ((1 << FB) - 1)) << (k * FB) for k, f in enumerate(fields))
                if not self.dense:
                    word |= ((fields[0] >> FB) & 1) << (G * FB)
                init.append(word)
            rd = SimpleNamespace(addr=Signal(range(depth), name=f"g{g}_coup_rd_addr"),
                                 data=Signal(gbits, name=f"g{g}_coup_rd_data"))
            wr = SimpleNamespace(addr=Signal(range(depth), name=f"g{g}_coup_wr_addr"),
                                 data=Signal(gbits, name=f"g{g}_coup_wr_data"), en=Signal(name=f"g{g}_coup_wr_en"))
            _coupling_memory(m, f"g{g}_coupling", gbits, self.bank_depth, init, rd, wr)
            coup.append((rd, wr))

        # ---- phase and PRNG banks: row i in bank i mod k at i >> log2 k --------------------------------
        # a phase bank is L + 1 copies (one a lane, one for the group's row and the host), each one read
        # and one write port, written together: the replication yosys would make of an (L + 1)-port
        # memory, made here (its memory mapping of a 33-read-port memory did not finish)
        nb = max(2, -(-self.npad // K))
        banks = []
        for b in range(K):
            ph_init = [self.phase0[a * K + b] if a * K + b < n else 0 for a in range(nb)]
            copies = [Memory(shape=unsigned(P), depth=nb, init=ph_init) for _ in range(L + 1)]
            rg = Memory(shape=shape_of(p.state_layout["rng"]), depth=nb,
                        init=[self.rng0[a * K + b] if a * K + b < n else 0 for a in range(nb)])
            for c, mem in enumerate(copies):
                m.submodules[f"phases{b}_{c}"] = mem
            m.submodules[f"rngs{b}"] = rg
            wr = SimpleNamespace(addr=Signal(range(nb), name=f"phases{b}_wr_addr"), data=Signal(P, name=f"phases{b}_wr_data"),
                                 en=Signal(name=f"phases{b}_wr_en"))
            for mem in copies:
                port = mem.write_port()
                m.d.comb += [port.addr.eq(wr.addr), port.data.eq(wr.data), port.en.eq(wr.en)]
            banks.append(SimpleNamespace(col=[mem.read_port() for mem in copies[:L]], row=copies[L].read_port(), wr=wr,
                                         rng_rd=rg.read_port(), rng_wr=rg.write_port()))

        regs = self.registers
        entries = Signal(range(self.depth + 1), init=regs["ENTRIES"].reset)
        steps_left = Signal(16)
        steps_reg = Signal(16, init=regs["STEPS"].reset)
        energy_acc = Signal(signed(40))
        colour_idx = Signal(range(ncol + 1), name="colour_idx")

        inj_c, amp_c = schedule(PipelinedOps(m, prefix="sched_"), p, self.t)
        inj1, amp1 = Signal(range(p.inj_max + 1), name="inj_r1"), Signal(range(p.noise_max + 1), name="amp_r1")
        inj, amp = Signal(range(p.inj_max + 1), name="inj_r"), Signal(range(p.noise_max + 1), name="amp_r")
        m.d.sync += [inj1.eq(inj_c), amp1.eq(amp_c), inj.eq(inj1), amp.eq(amp1)]

        chunks = -(-n // G)
        valids, issuing_all, grp = [], [], []
        energy_terms = []
        for g in range(K):
            rd, _ = coup[g]
            rows_g = len(range(g, n, K))
            ends = self.group_colour_ends[g]
            end_tab = Array(Const(max(e, 0), range(depth)) for e in ends + [0])
            has_tab = Array(Const(int(e >= 0), 1) for e in ends + [0])
            issuing = Signal(name=f"g{g}_issuing")
            colour_end = Signal(range(depth), name=f"g{g}_colour_end")
            a = Signal(range(depth), name=f"g{g}_a")
            chunk = Signal(range(max(chunks, 2)), name=f"g{g}_chunk")
            issue = Signal(name=f"g{g}_issue")
            m.d.comb += issue.eq(busy & issuing)
            with m.If(issue):
                m.d.sync += [a.eq(a + 1), chunk.eq(Mux(chunk == chunks - 1, 0, chunk + 1))]
                with m.If(a == colour_end):
                    m.d.sync += issuing.eq(0)
            # S1
            v1, chunk1 = Signal(name=f"g{g}_v1"), Signal.like(chunk, name=f"g{g}_chunk1")
            m.d.sync += [v1.eq(issue), chunk1.eq(chunk)]
            # S2: bank outputs -> registers
            v2, last2 = Signal(name=f"g{g}_v2"), Signal(name=f"g{g}_last2")
            w2 = [Signal(signed(WB), name=f"g{g}_w2_{k}") for k in range(G)]
            col2 = [Signal(range(self.npad), name=f"g{g}_col2_{k}") for k in range(G)]
            m.d.sync += v2.eq(v1)
            field = [rd.data[k * FB:(k + 1) * FB] for k in range(G)]
            for k in range(G):
                m.d.sync += w2[k].eq(field[k][:WB])
                if self.dense:
                    m.d.sync += col2[k].eq(Cat(Const(k, GB), chunk1) if GB else chunk1)
                else:
                    m.d.sync += col2[k].eq(field[k][WB:WB + CB])
            m.d.sync += last2.eq(chunk1 == chunks - 1) if self.dense else last2.eq(rd.data[G * FB])
            row2 = Signal(range(max(rows_g, 2)), name=f"g{g}_row2")  # the group's row (local index i >> log2 k)
            with m.If(v2 & last2):
                m.d.sync += row2.eq(row2 + 1)
            # S3: phase reads issued (every bank), bank choice registered
            v3, last3, row3 = Signal(name=f"g{g}_v3"), Signal(name=f"g{g}_last3"), Signal.like(row2, name=f"g{g}_row3")
            w3 = [Signal(signed(WB), name=f"g{g}_w3_{k}") for k in range(G)]
            sel3 = [Signal(KB, name=f"g{g}_sel3_{k}") for k in range(G)]
            m.d.sync += [v3.eq(v2), last3.eq(last2), row3.eq(row2)] + [w3[k].eq(w2[k]) for k in range(G)]
            m.d.sync += [sel3[k].eq(col2[k][:KB]) for k in range(G)]
            # S4: phase outputs -> registers (lane k of group g reads bank sel3 through its port g G + k)
            v4, last4, row4 = Signal(name=f"g{g}_v4"), Signal(name=f"g{g}_last4"), Signal.like(row2, name=f"g{g}_row4")
            w4 = [Signal(signed(WB), name=f"g{g}_w4_{k}") for k in range(G)]
            ph4 = [Signal(P, name=f"g{g}_ph4_{k}") for k in range(G)]
            rowph4, rng4 = Signal(P, name=f"g{g}_rowph4"), Signal(32, name=f"g{g}_rng4")
            m.d.sync += [v4.eq(v3), last4.eq(last3), row4.eq(row3), rowph4.eq(banks[g].row.data),
                         rng4.eq(banks[g].rng_rd.data)]
            m.d.sync += [w4[k].eq(w3[k]) for k in range(G)]
            m.d.sync += [ph4[k].eq(Array(banks[b].col[g * G + k].data for b in range(K))[sel3[k]]) for k in range(G)]
            # S4, T1..Tk, SA
            acc = LaneAccumulator(p, G)
            m.submodules[f"g{g}_lanes"] = acc
            m.d.comb += [acc.valid.eq(v4), acc.last.eq(last4)]
            m.d.comb += [acc.w[k].eq(w4[k]) for k in range(G)] + [acc.phase[k].eq(ph4[k]) for k in range(G)]
            meta = (last4, row4, rowph4, rng4)
            for level in range(acc.latency):
                regs_ = (Signal(name=f"g{g}_m{level}_last"), Signal.like(row2, name=f"g{g}_m{level}_row"),
                         Signal(P, name=f"g{g}_m{level}_rowph"), Signal(32, name=f"g{g}_m{level}_rng"))
                m.d.sync += [o.eq(i) for o, i in zip(regs_, meta)]
                meta = regs_
            lasta, rowa, rowpha, rnga = meta
            d_valid, d_row, d_h, d_hs = acc.h_valid, Signal.like(row2, name=f"g{g}_d_row"), acc.h, acc.hs
            d_phase, d_rng = Signal(P, name=f"g{g}_d_phase"), Signal(32, name=f"g{g}_d_rng")
            with m.If(acc.sum_valid & lasta):
                m.d.sync += [d_row.eq(rowa), d_phase.eq(rowpha), d_rng.eq(rnga)]
            # D1, D2, D3
            uops = PipelinedOps(m, prefix=f"g{g}_u_", carry={"valid": d_valid, "row": d_row})
            phase_n, rng_n = onn_update(uops, p, d_phase, d_h, d_rng, inj, amp)
            term = Signal(signed(acc.h.shape().width + 1), name=f"g{g}_energy_term")
            m.d.comb += term.eq(Mux(d_valid, Mux(spins_of(ops, p, d_phase), d_hs, -d_hs), 0))
            energy_terms.append(term)
            u_valid, u_row = Signal(name=f"g{g}_upd_valid"), Signal.like(row2, name=f"g{g}_upd_row")
            u_phase, u_rng = Signal(P, name=f"g{g}_upd_phase"), Signal(32, name=f"g{g}_upd_rng")
            m.d.sync += [u_valid.eq(uops.carried["valid"]), u_row.eq(uops.carried["row"]), u_phase.eq(phase_n),
                         u_rng.eq(rng_n)]
            m.d.comb += [self.gupd_valid[g].eq(u_valid), self.gupd_row[g].eq(Cat(Const(g, KB), u_row)),
                         self.gupd_phase[g].eq(u_phase), self.gupd_rng[g].eq(u_rng)]
            chain = [v1, v2, v3, v4, acc.busy] + uops.history["valid"] + [u_valid]
            valids += chain[:len(chain) - self._drain_skip]  # (_drain_skip > 0: the negative control's stale reads)
            issuing_all.append(issuing)
            grp.append(SimpleNamespace(a=a, chunk=chunk, row2=row2, col2=col2, issuing=issuing, colour_end=colour_end,
                                       end_tab=end_tab, has_tab=has_tab, ends=ends, u_valid=u_valid, u_row=u_row,
                                       u_phase=u_phase, u_rng=u_rng, issue=issue))
        m.d.comb += [self.upd_valid.eq(grp[0].u_valid), self.upd_row.eq(self.gupd_row[0]),
                     self.upd_phase.eq(grp[0].u_phase), self.upd_rng.eq(grp[0].u_rng)]
        with m.If(busy):
            m.d.sync += energy_acc.eq(energy_acc + sum(energy_terms))

        # ---- host bus -------------------------------------------------------------------------------
        bus = self.bus
        (pending, pending2, pending3, h_we, h_data, decoder, phase_i, rng_i, coup_lane,
         coup_a) = _host_front(m, bus, regs, LB)
        host_idle = ~busy
        with m.If(busy):
            for g in range(K):
                m.d.comb += coup[g][0].addr.eq(grp[g].a)
                bk = banks[g]
                for k in range(G):
                    for b in range(K):
                        m.d.comb += banks[b].col[g * G + k].addr.eq(grp[g].col2[k][KB:])
                m.d.comb += [bk.row.addr.eq(grp[g].row2), bk.rng_rd.addr.eq(grp[g].row2),
                             bk.wr.addr.eq(grp[g].u_row), bk.wr.data.eq(grp[g].u_phase), bk.wr.en.eq(grp[g].u_valid),
                             bk.rng_wr.addr.eq(grp[g].u_row), bk.rng_wr.data.eq(grp[g].u_rng),
                             bk.rng_wr.en.eq(grp[g].u_valid)]
        with m.Else():
            for g in range(K):
                bk = banks[g]
                m.d.comb += [coup[g][0].addr.eq(coup_a), bk.row.addr.eq(phase_i[KB:]), bk.rng_rd.addr.eq(rng_i[KB:]),
                             bk.wr.addr.eq(phase_i[KB:]), bk.wr.data.eq(h_data),
                             bk.rng_wr.addr.eq(rng_i[KB:]), bk.rng_wr.data.eq(h_data)]
        # a host write of lane l < L/k - 1 of a group is staged; its lane L/k - 1 stores the group's word
        stage = [Signal(FB, name=f"coup_stage{k}") for k in range(L)]
        for g in range(K):
            _, wr = coup[g]
            m.d.comb += [wr.addr.eq(coup_a),
                         wr.data.eq(Cat(*stage[g * G:g * G + G - 1], h_data[:FB],
                                        *([] if self.dense else [h_data[FB]])))]
        host_start, host_clear = Signal(), Signal()

        def control(word):
            m.d.comb += [host_start.eq(word.start), host_clear.eq(word.clear)]

        def set_entries(word):
            with m.If((word >= 1) & (word <= self.depth)):
                m.d.sync += entries.eq(word)

        def bank_write(kind, index_sig):
            def write(word, index):
                for b in range(K):
                    with m.If(index_sig[:KB] == b if KB else Const(1, 1)):
                        m.d.comb += getattr(banks[b], kind).en.eq(1)
            return write

        def coupling_write(word, index):
            for lane in range(L):
                if lane % G != G - 1:
                    with m.If(coup_lane == lane):
                        m.d.sync += stage[lane].eq(h_data[:FB])
            for g in range(K):
                m.d.comb += coup[g][1].en.eq(coup_lane == g * G + G - 1)

        with m.If(pending):
            m.d.sync += [pending.eq(0), pending2.eq(1)]
            with m.If(h_we & host_idle):
                decoder.write(m, h_data, {
                    "CTRL": control, "STEPS": steps_reg, "ENTRIES": None if self.dense else set_entries,
                    "PHASE": bank_write("wr", phase_i), "RNG": bank_write("rng_wr", rng_i), "COUPLING": coupling_write})
        q_coup = [Signal(gbits, name=f"q_coup{g}") for g in range(K)]
        q_phase, q_rng = Signal(P), Signal(32)
        with m.If(pending2):
            m.d.sync += [pending2.eq(0), pending3.eq(1)] + [q_coup[g].eq(coup[g][0].data) for g in range(K)]
            m.d.sync += [q_phase.eq(Array(banks[b].row.data for b in range(K))[phase_i[:KB]]),
                         q_rng.eq(Array(banks[b].rng_rd.data for b in range(K))[rng_i[:KB]])]
        with m.If(pending3):
            m.d.sync += [pending3.eq(0), bus.ack.eq(1)]
            r_data = Signal(32)
            coup_data = Signal(self.lane_bits)
            with m.Switch(coup_lane):
                for lane in range(L):
                    g, k = divmod(lane, G)
                    with m.Case(lane):
                        m.d.comb += coup_data.eq(Cat(q_coup[g][k * FB:(k + 1) * FB],
                                                     *([] if self.dense else [q_coup[g][G * FB]])))
            decoder.read(m, r_data, {
                "CTRL": pack(regs["CTRL"], busy=busy), "STEPS": steps_reg, "T": self.t, "ENERGY": self.energy,
                "ENTRIES": entries,
                "INFO": regs.encode("INFO", n=n, dense=int(self.dense), lanes_log2=LB, phase_bits=P, weight_bits=WB,
                                     colour=int(self.colour_rows is not None)),
                "GROUPS": regs.encode("GROUPS", row_groups_log2=KB),
                "PHASE": q_phase, "RNG": q_rng, "COUPLING": coup_data,
            })
            m.d.sync += bus.r_data.eq(r_data)

        # ---- run control: a colour ends when every group has drained --------------------------------------
        start = Signal()
        start_steps = Signal(16)
        m.d.comb += [start.eq((self.start | host_start) & ~busy),
                     start_steps.eq(Mux(self.start, self.run_steps, steps_reg))]

        def first_colour():
            return sum(([q.a.eq(0), q.chunk.eq(0), q.row2.eq(0), q.colour_end.eq(max(q.ends[0], 0)),
                         q.issuing.eq(int(q.ends[0] >= 0))] for q in grp), []) + [colour_idx.eq(0)]

        with m.If(host_clear):
            m.d.sync += [self.t.eq(0), self.energy.eq(0)]
        with m.If(start & (start_steps != 0)):
            m.d.sync += [busy.eq(1), steps_left.eq(start_steps), energy_acc.eq(0)] + first_colour()
        drained = Signal()
        m.d.comb += drained.eq(~Cat(*issuing_all).any() & ~Cat(*valids).any())
        m.d.comb += [self.probe_issue.eq(Cat(*(q.issue for q in grp)).any()), self.probe_addr.eq(grp[0].a),
                     self.probe_swap.eq(busy & drained)]
        with m.If(busy & drained):
            with m.If(colour_idx != ncol - 1):
                m.d.sync += colour_idx.eq(colour_idx + 1)
                m.d.sync += sum(([q.issuing.eq(q.has_tab[colour_idx + 1]), q.colour_end.eq(q.end_tab[colour_idx + 1])]
                                 for q in grp), [])
            with m.Else():
                m.d.sync += [energy_acc.eq(0), self.energy.eq(-(energy_acc >> 1)),
                             self.t.eq(Mux(self.t == (1 << T_BITS) - 1, self.t, self.t + 1)),
                             steps_left.eq(steps_left - 1)] + first_colour()
                with m.If(steps_left == 1):
                    m.d.sync += busy.eq(0)
        return m


def _host_front(m, bus, regs, LB):
    """The host bus front end both cores share: an access is latched (address, write, data) when the
    bus strobes an idle front, then walks ``pending`` (addresses presented, writes happen), ``pending2``
    (memory outputs registered) and ``pending3`` (ack). Returns the stage flags, the latched write and
    data, the register decoder and the decoded indices (PHASE, RNG; COUPLING split into its lane, the
    low ``LB`` bits, and its word)."""
    pending, pending2, pending3 = Signal(), Signal(), Signal()
    h_addr, h_we, h_data = Signal(24), Signal(), Signal(32)
    decoder = RegisterDecoder(regs, h_addr)
    phase_i, rng_i, coup_e = decoder.index("PHASE"), decoder.index("RNG"), decoder.index("COUPLING")
    coup_lane = coup_e[:LB] if LB else Const(0, 1)
    coup_a = coup_e[LB:]
    with m.If(bus.stb & ~pending & ~pending2 & ~pending3 & ~bus.ack):
        m.d.sync += [pending.eq(1), h_addr.eq(bus.addr), h_we.eq(bus.we), h_data.eq(bus.w_data)]
    m.d.sync += bus.ack.eq(0)
    return pending, pending2, pending3, h_we, h_data, decoder, phase_i, rng_i, coup_lane, coup_a


def _coupling_memory(m, name, bits, depth, init, rd, wr):
    """A coupling memory of ``bits``-bit words (``init``) behind the read port ``rd`` and write port
    ``wr`` (namespaces of addr/data/en signals): a word 4 bits or fewer past a multiple of 36 is stored
    as two memories, the multiple of 36 and the rest (``{name}0``, ``{name}1``), so the DP16KDs are used
    at their 36-bit width (8 dense 5-bit lanes: 36 + 4 bits, not 2 x 36)."""
    cut = 36 * (bits // 36) if bits > 36 and 0 < bits % 36 <= 4 else bits
    for part, (lo, hi) in enumerate([(0, cut)] + ([(cut, bits)] if cut < bits else [])):
        mask = (1 << (hi - lo)) - 1
        mem = Memory(shape=unsigned(hi - lo), depth=depth, init=[(x >> lo) & mask for x in init])
        m.submodules[f"{name}{part}"] = mem
        prd, pwr = mem.read_port(), mem.write_port()
        m.d.comb += [prd.addr.eq(rd.addr), rd.data[lo:hi].eq(prd.data),
                     pwr.addr.eq(wr.addr), pwr.data.eq(wr.data[lo:hi]), pwr.en.eq(wr.en)]
