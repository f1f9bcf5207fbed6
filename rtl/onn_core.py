"""ONN core: N digital oscillators with couplings in block RAM and one time-multiplexed accumulator.

The update rule is ``neuroxide.models.onn.onn_update`` (one rule, elaborated here); this module is
the schedule. Per time step the core walks the coupling memory once, one entry per clock, in a
4-stage pipeline::

    A  issue coupling address e                      (dense: e = i*N + j; sparse: entry e of the list)
    B  coupling word -> (w, col, last); issue reads of phase_old[col], phase_old[row], rng[row]
    C  term = w * out(phase_old[col]); acc += term; on the row's last entry hand h = acc + term to D
    D  phase', rng' = onn_update(phase_old[row], h, rng[row], inj(t), amp(t)); write phase_new[row],
       rng[row]; energy_acc += s_row * sum_j J_row,j s_j

Phases are double-buffered (bank ``t & 1`` holds the phases before step ``t``; step ``t`` writes
bank ``(t+1) & 1``), so every oscillator sees the outputs at the start of the step: the model's
synchronous order. A step costs ``entries + 4`` clocks (``entries`` = N*N dense; sparse: the
adjacency-list length, >= one entry per row), plus one idle clock between host-started runs.

Coupling memory word: dense ``w`` (weight_bits, signed); sparse ``{last, col, w}`` = bits
``[weight_bits + col_bits]``, ``[weight_bits +: col_bits]``, ``[0 +: weight_bits]``; an empty row is one
entry ``w = 0, last = 1``. :func:`coupling_words` builds the list from a matrix.

Register map on ``bus`` (word addresses; every access acks 3 clocks after stb; memory writes only
take effect while the core is idle, bus accesses never stall a run)::

    0x000000  CTRL     W: bit0 start a run of STEPS steps, bit1 clear t and energy. R: bit0 busy
    0x000001  STEPS    R/W number of steps a start runs (16 bits)
    0x000002  T        R   steps done since the last clear (saturates at 2**16 - 1)
    0x000003  ENERGY   R   Ising energy -1/2 s^T J s of the phases before the last step (signed 32;
                           exact: the constructor requires sum |J| < 2**31)
    0x000004  ENTRIES  R/W coupling entries walked per step (sparse; dense reads N*N)
    0x000005  INFO     R   N | dense << 16 | phase_bits << 20 | weight_bits << 26
    0x010000+i PHASE   R/W phase of oscillator i (the current bank)
    0x020000+i RNG     R/W xorshift32 state of oscillator i
    0x100000+e COUPLING R/W coupling word e
"""

import numpy as np
import scipy.sparse as sp
from amaranth.hdl import Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from neuroxide.errors import ParameterError
from neuroxide.models.onn import T_BITS, check_couplings, initial_state, onn_update, output_of, schedule, spins_of

from .fixedpoint import AmaranthOps
from .hostbus import HostBusSignature

__all__ = ["ONNCore", "coupling_words", "REG_CTRL", "REG_STEPS", "REG_T", "REG_ENERGY", "REG_ENTRIES",
           "REG_INFO", "PHASE_BASE", "RNG_BASE", "COUPLING_BASE"]

REG_CTRL, REG_STEPS, REG_T, REG_ENERGY, REG_ENTRIES, REG_INFO = range(6)
PHASE_BASE = 0x010000
RNG_BASE = 0x020000
COUPLING_BASE = 0x100000


def col_bits_for(n):
    return max(1, (n - 1).bit_length())


def coupling_words(params, J, dense):
    """Coupling memory contents (list of unsigned ints) for matrix ``J`` (dense array or sparse)."""
    n = J.shape[0]
    wb = params.weight_bits
    wmask = (1 << wb) - 1
    if dense:
        a = J.toarray() if sp.issparse(J) else np.asarray(J)
        return [int(x) & wmask for x in a.astype(np.int64).ravel()]
    cb = col_bits_for(n)
    csr = sp.csr_matrix(J).astype(np.int64)
    csr.sort_indices()
    words = []
    for i in range(n):
        lo, hi = csr.indptr[i], csr.indptr[i + 1]
        cols, ws = csr.indices[lo:hi], csr.data[lo:hi]
        if len(cols) == 0:
            cols, ws = [0], [0]
        for k, (c, w) in enumerate(zip(cols, ws)):
            last = int(k == len(cols) - 1)
            words.append((int(w) & wmask) | (int(c) << wb) | (last << (wb + cb)))
    return words


class ONNCore(wiring.Component):
    """The ONN core (module docstring). ``J`` and ``seed`` give the memories' power-up contents
    (the host may overwrite them); ``phase0`` overrides the power-up phases (default: from the
    seed, as ``initial_state``); ``max_entries`` sizes the sparse coupling memory.

    Ports besides ``bus``: ``start``/``run_steps`` (start a run without the bus: board and bench
    tops), ``busy``, ``t``, ``energy``, and the update stream ``upd_valid``/``upd_row``/
    ``upd_phase``/``upd_rng`` (high for one clock per oscillator update, the values written).
    """

    def __init__(self, params, n, J=None, dense=True, seed=1, max_entries=None, phase0=None):
        if not isinstance(n, int) or n < 2:
            raise ParameterError("n", n, "an integer >= 2")
        self.params, self.n, self.dense, self.seed = params, n, dense, seed
        if J is None:
            J = sp.csr_matrix((n, n), dtype=np.int64)
        if J.shape != (n, n):
            raise ParameterError("couplings", J.shape, f"({n}, {n})")
        check_couplings(params, J)  # weights fit weight_bits, h fits acc_bits: no accumulator wraps
        total = int(abs(J).sum()) if sp.issparse(J) else int(np.abs(np.asarray(J)).sum())
        if total >= 1 << 31:
            raise ParameterError("couplings", f"sum |J| = {total}", "< 2**31", why="the energy register is 32 bits")
        self.words = coupling_words(params, J, dense)
        if dense:
            self.entries = n * n
        else:
            self.entries = len(self.words)
        self.depth = n * n if dense else max(max_entries or 0, len(self.words))
        self.col_bits = col_bits_for(n)
        self.word_bits = params.weight_bits if dense else params.weight_bits + self.col_bits + 1
        phase0_given = phase0
        if phase0_given is not None and (len(phase0_given) != n or min(phase0_given) < 0
                                         or max(phase0_given) > params.phase_mask):
            raise ParameterError("phase0", "...", f"{n} phases in 0..{params.phase_mask}")
        phase0, rng0 = initial_state(params, n, seed, 1)
        self.phase0 = [int(x) for x in phase0[:, 0]] if phase0_given is None else [int(x) for x in phase0_given]
        self.rng0 = [int(x) for x in rng0[:, 0]]
        super().__init__({
            "bus": In(HostBusSignature()),
            "start": In(1),
            "run_steps": In(16),
            "busy": Out(1),
            "t": Out(T_BITS),
            "energy": Out(signed(32)),
            "upd_valid": Out(1),
            "upd_row": Out(range(n)),
            "upd_phase": Out(params.phase_bits),
            "upd_rng": Out(32),
        })

    def elaborate(self, platform):
        m = Module()
        p, n = self.params, self.n
        P, WB = p.phase_bits, p.weight_bits
        ops = AmaranthOps(m, prefix="u_")

        m.submodules.coupling = coup = Memory(shape=unsigned(self.word_bits), depth=self.depth, init=self.words)
        m.submodules.phases = phases = Memory(shape=unsigned(P), depth=2 * n, init=self.phase0 + self.phase0)
        m.submodules.rngs = rngs = Memory(shape=unsigned(32), depth=n, init=self.rng0)
        coup_rd, coup_wr = coup.read_port(), coup.write_port()
        col_rd, row_rd, ph_wr = phases.read_port(), phases.read_port(), phases.write_port()
        rng_rd, rng_wr = rngs.read_port(), rngs.write_port()

        entries = Signal(range(self.depth + 1), init=self.entries)
        steps_left = Signal(16)
        steps_reg = Signal(16, init=1)
        bank = Signal()  # bank holding the phases before step t
        issuing = Signal()
        e = Signal(range(max(self.depth, 2)))
        col_a = Signal(range(n))  # dense: column of entry e
        energy_acc = Signal(signed(40))

        # ---- stage A: issue -------------------------------------------------------------------
        issue = Signal()
        m.d.comb += issue.eq(self.busy & issuing)
        with m.If(issue):
            m.d.sync += e.eq(e + 1)
            m.d.sync += col_a.eq(Mux(col_a == n - 1, 0, col_a + 1))
            with m.If(e == entries - 1):
                m.d.sync += issuing.eq(0)

        # ---- stage B: coupling word -> reads -------------------------------------------------------
        b_valid, b_col_dense = Signal(), Signal(range(n))
        row_b = Signal(range(n))
        m.d.sync += [b_valid.eq(issue), b_col_dense.eq(col_a)]
        word = coup_rd.data
        b_w = Signal(signed(WB))
        m.d.comb += b_w.eq(word[:WB])
        if self.dense:
            b_col = b_col_dense
            b_last = Signal()
            m.d.comb += b_last.eq(b_col_dense == n - 1)
        else:
            b_col = word[WB:WB + self.col_bits]
            b_last = word[WB + self.col_bits]
        with m.If(b_valid & b_last):
            m.d.sync += row_b.eq(Mux(row_b == n - 1, 0, row_b + 1))

        # ---- stage C: accumulate --------------------------------------------------------------------
        c_valid, c_last, c_row = Signal(), Signal(), Signal(range(n))
        c_w = Signal(signed(WB))
        m.d.sync += [c_valid.eq(b_valid), c_last.eq(b_last), c_row.eq(row_b), c_w.eq(b_w)]
        phase_col = col_rd.data
        out_col = ops.let("out_col", output_of(ops, p, phase_col))
        term = ops.let("term", c_w * out_col)
        sterm = ops.let("sterm", ops.select(spins_of(ops, p, phase_col), c_w, -c_w))
        acc = Signal(signed(p.acc_bits + 1))
        acc_s = Signal(signed(p.acc_bits + 1))
        d_valid, d_row = Signal(), Signal(range(n))
        d_h = Signal(signed(p.acc_bits + 1))
        d_hs = Signal(signed(p.acc_bits + 1))
        d_phase, d_rng = Signal(P), Signal(32)
        m.d.sync += d_valid.eq(c_valid & c_last)
        with m.If(c_valid):
            with m.If(c_last):
                m.d.sync += [acc.eq(0), acc_s.eq(0), d_h.eq(acc + term), d_hs.eq(acc_s + sterm), d_row.eq(c_row),
                             d_phase.eq(row_rd.data), d_rng.eq(rng_rd.data)]
            with m.Else():
                m.d.sync += [acc.eq(acc + term), acc_s.eq(acc_s + sterm)]

        # ---- stage D: update, write back -------------------------------------------------------------
        inj, amp = schedule(ops, p, self.t)
        phase_n, rng_n = onn_update(ops, p, d_phase, d_h, d_rng, inj, amp)
        s_row = spins_of(ops, p, d_phase)
        with m.If(d_valid):
            m.d.sync += energy_acc.eq(energy_acc + ops.select(s_row, d_hs, -d_hs))
        m.d.sync += [self.upd_valid.eq(d_valid), self.upd_row.eq(d_row), self.upd_phase.eq(phase_n),
                     self.upd_rng.eq(rng_n)]

        # ---- host bus -------------------------------------------------------------------------------
        bus = self.bus
        pending, pending2 = Signal(), Signal()
        h_addr, h_we, h_data = Signal(24), Signal(), Signal(32)
        region = h_addr[16:]
        index = h_addr[:16]
        is_phase = region == (PHASE_BASE >> 16)
        is_rng = region == (RNG_BASE >> 16)
        is_coup = region == (COUPLING_BASE >> 16)
        with m.If(bus.stb & ~pending & ~pending2 & ~bus.ack):
            m.d.sync += [pending.eq(1), h_addr.eq(bus.addr), h_we.eq(bus.we), h_data.eq(bus.w_data)]
        m.d.sync += bus.ack.eq(0)
        host_idle = ~self.busy

        # read/write port addresses: the pipeline while running, the host while idle
        with m.If(self.busy):
            m.d.comb += [
                coup_rd.addr.eq(e),
                col_rd.addr.eq(b_col + bank * n),
                row_rd.addr.eq(row_b + bank * n),
                rng_rd.addr.eq(row_b),
                ph_wr.addr.eq(d_row + (~bank) * n),
                ph_wr.data.eq(phase_n), ph_wr.en.eq(d_valid),
                rng_wr.addr.eq(d_row), rng_wr.data.eq(rng_n), rng_wr.en.eq(d_valid),
            ]
        with m.Else():
            m.d.comb += [
                coup_rd.addr.eq(index),
                row_rd.addr.eq(index + bank * n),
                rng_rd.addr.eq(index),
                ph_wr.addr.eq(index + bank * n), ph_wr.data.eq(h_data),
                rng_wr.addr.eq(index), rng_wr.data.eq(h_data),
            ]
        m.d.comb += [coup_wr.addr.eq(index), coup_wr.data.eq(h_data)]
        in_range = index < n
        with m.If(pending):  # addresses presented; writes happen on this clock
            m.d.sync += [pending.eq(0), pending2.eq(1)]
            with m.If(h_we & host_idle):
                m.d.comb += [ph_wr.en.eq(is_phase & in_range), rng_wr.en.eq(is_rng & in_range),
                             coup_wr.en.eq(is_coup & (index < self.depth))]
        with m.If(pending2):  # read data are valid now: answer
            m.d.sync += [pending2.eq(0), bus.ack.eq(1)]
            r_data = Signal(32)
            with m.If(is_phase & in_range):
                m.d.comb += r_data.eq(row_rd.data)
            with m.Elif(is_rng & in_range):
                m.d.comb += r_data.eq(rng_rd.data)
            with m.Elif(is_coup & (index < self.depth)):
                m.d.comb += r_data.eq(coup_rd.data)
            with m.Elif(h_addr == REG_CTRL):
                m.d.comb += r_data.eq(self.busy)
            with m.Elif(h_addr == REG_STEPS):
                m.d.comb += r_data.eq(steps_reg)
            with m.Elif(h_addr == REG_T):
                m.d.comb += r_data.eq(self.t)
            with m.Elif(h_addr == REG_ENERGY):
                m.d.comb += r_data.eq(self.energy)
            with m.Elif(h_addr == REG_ENTRIES):
                m.d.comb += r_data.eq(entries)
            with m.Elif(h_addr == REG_INFO):
                m.d.comb += r_data.eq(n | (int(self.dense) << 16) | (P << 20) | (WB << 26))
            m.d.sync += bus.r_data.eq(r_data)
        host_start = Signal()
        host_clear = Signal()
        with m.If(pending & h_we & host_idle):
            with m.If(h_addr == REG_CTRL):
                m.d.comb += [host_start.eq(h_data[0]), host_clear.eq(h_data[1])]
            with m.If(h_addr == REG_STEPS):
                m.d.sync += steps_reg.eq(h_data)
            if not self.dense:
                with m.If((h_addr == REG_ENTRIES) & (h_data >= 1) & (h_data <= self.depth)):
                    m.d.sync += entries.eq(h_data)

        # ---- run control ------------------------------------------------------------------------------
        start = Signal()
        start_steps = Signal(16)
        m.d.comb += [start.eq((self.start | host_start) & ~self.busy),
                     start_steps.eq(Mux(self.start, self.run_steps, steps_reg))]
        with m.If(host_clear):
            m.d.sync += [self.t.eq(0), self.energy.eq(0)]
        with m.If(start & (start_steps != 0)):
            m.d.sync += [self.busy.eq(1), issuing.eq(1), e.eq(0), col_a.eq(0), row_b.eq(0),
                         steps_left.eq(start_steps), energy_acc.eq(0)]
        drained = ~issuing & ~b_valid & ~c_valid & ~d_valid
        with m.If(self.busy & drained):
            # step done: the new bank becomes current
            m.d.sync += [bank.eq(~bank), energy_acc.eq(0), self.energy.eq(-(energy_acc >> 1)),
                         self.t.eq(Mux(self.t == (1 << T_BITS) - 1, self.t, self.t + 1)),
                         steps_left.eq(steps_left - 1), e.eq(0), col_a.eq(0), row_b.eq(0)]
            with m.If(steps_left == 1):
                m.d.sync += self.busy.eq(0)
            with m.Else():
                m.d.sync += issuing.eq(1)
        return m

