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

Register map on ``bus``: declared once in :func:`neuroxide.models.onn_registers.onn_register_map`
(``ONNCore.registers``; the table is in docs/onn.md), the decoder elaborated from it by
:class:`~neuroxide.rtl.hostbus.RegisterDecoder`. Every access acks 3 clocks after stb; memory writes
only take effect while the core is idle, bus accesses never stall a run.
"""

import numpy as np
import scipy.sparse as sp
from amaranth.hdl import Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from neuroxide.errors import ParameterError
from neuroxide.models.onn import T_BITS, check_couplings, initial_state, onn_update, output_of, schedule, spins_of
from neuroxide.models.onn_registers import onn_register_map

from .fixedpoint import AmaranthOps
from .hostbus import HostBusSignature, RegisterDecoder, pack
from .layout import shape_of

__all__ = ["ONNCore", "coupling_words"]


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
        self.registers = onn_register_map(n, self.depth, self.entries)  # the bus target's map
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
            # the state of the oscillator just updated (ONNParams.state_layout): upd_phase, upd_rng
            **{f"upd_{f.name}": Out(shape_of(f)) for f in params.state_layout},
        })

    def elaborate(self, platform):
        m = Module()
        p, n = self.params, self.n
        P, WB = p.phase_bits, p.weight_bits
        ops = AmaranthOps(m, prefix="u_")

        m.submodules.coupling = coup = Memory(shape=unsigned(self.word_bits), depth=self.depth, init=self.words)
        m.submodules.phases = phases = Memory(shape=unsigned(P), depth=2 * n, init=self.phase0 + self.phase0)
        m.submodules.rngs = rngs = Memory(shape=shape_of(p.state_layout["rng"]), depth=n, init=self.rng0)
        coup_rd, coup_wr = coup.read_port(), coup.write_port()
        col_rd, row_rd, ph_wr = phases.read_port(), phases.read_port(), phases.write_port()
        rng_rd, rng_wr = rngs.read_port(), rngs.write_port()

        regs = self.registers
        entries = Signal(range(self.depth + 1), init=regs["ENTRIES"].reset)
        steps_left = Signal(16)
        steps_reg = Signal(16, init=regs["STEPS"].reset)
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

        # ---- host bus: decoded from self.registers -----------------------------------------------
        bus = self.bus
        pending, pending2 = Signal(), Signal()
        h_addr, h_we, h_data = Signal(24), Signal(), Signal(32)
        decoder = RegisterDecoder(regs, h_addr)
        phase_i, rng_i, coup_e = decoder.index("PHASE"), decoder.index("RNG"), decoder.index("COUPLING")
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
                coup_rd.addr.eq(coup_e),
                row_rd.addr.eq(phase_i + bank * n),
                rng_rd.addr.eq(rng_i),
                ph_wr.addr.eq(phase_i + bank * n), ph_wr.data.eq(h_data),
                rng_wr.addr.eq(rng_i), rng_wr.data.eq(h_data),
            ]
        m.d.comb += [coup_wr.addr.eq(coup_e), coup_wr.data.eq(h_data)]
        host_start = Signal()
        host_clear = Signal()

        def control(word):
            m.d.comb += [host_start.eq(word.start), host_clear.eq(word.clear)]

        def set_entries(word):
            with m.If((word >= 1) & (word <= self.depth)):
                m.d.sync += entries.eq(word)

        def memory_write(port):
            def write(word, index):  # the port's address is the index already (above)
                m.d.comb += port.en.eq(1)
            return write

        with m.If(pending):  # addresses presented; writes happen on this clock
            m.d.sync += [pending.eq(0), pending2.eq(1)]
            with m.If(h_we & host_idle):
                decoder.write(m, h_data, {
                    "CTRL": control, "STEPS": steps_reg, "ENTRIES": None if self.dense else set_entries,
                    "PHASE": memory_write(ph_wr), "RNG": memory_write(rng_wr), "COUPLING": memory_write(coup_wr)})
        with m.If(pending2):  # read data are valid now: answer
            m.d.sync += [pending2.eq(0), bus.ack.eq(1)]
            r_data = Signal(32)
            decoder.read(m, r_data, {
                "CTRL": pack(regs["CTRL"], busy=self.busy),
                "STEPS": steps_reg,
                "T": self.t,
                "ENERGY": self.energy,
                "ENTRIES": entries,
                "INFO": regs.encode("INFO", n=n, dense=int(self.dense), phase_bits=P, weight_bits=WB),
                "PHASE": row_rd.data,
                "RNG": rng_rd.data,
                "COUPLING": coup_rd.data,
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

