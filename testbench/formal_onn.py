"""Formal property harnesses (SymbiYosys, see ``neuroxide.testbench.formal``) of the ONN core's
oscillator update: ``models.onn.schedule`` + ``models.onn.onn_update`` elaborated with
``rtl.fixedpoint.AmaranthOps``, exactly as stage D of ``rtl.onn_core.ONNCore`` builds them
(phase ``phase_bits`` unsigned, weighted sum ``h`` signed ``acc_bits + 1``, rng 32 bits, step
index ``t`` 16 bits; the new phase and rng are narrowed into ``phase_bits`` / 32-bit stores).

Group ``onn`` (plug-in of ``python -m neuroxide.testbench.formal --only onn``):
:class:`ONNUpdateProperties`. The update is combinational, so the harness is too: its inputs are
free in every cycle (every phase, h, rng, t at once) and the assertions hold in every cycle; the
k of the k-induction plays no role (every proof is its base case).

The specification is written here from the ``models.onn`` docstring in wide Amaranth arithmetic,
not by calling the rule, with its own formulation of the two nudges: the coupling nudge goes
toward its target T (0 for drive > 0, H for drive < 0) by the sign of the circular offset
``(T - phase) mod 2**P`` (up when it is in (0, H], the tie at the far point going up, down when it
is in (H, 2**P)); the injection goes toward the nearer of {0, H} by at most the distance to it,
from ``u = phase mod H``. The new phase is the low ``P`` bits of the wide sum (the modular wrap of
the phase circle, the one wrap the bit-exact contract allows).

Besides the equalities, bounds are asserted on the gates' own intermediate wires (those the rule
names with ``ops.let``: ``drive``, ``inj``, ``amp``), recorded by ``rtl.fixedpoint.RecordingOps``. The
specification's noise term reads the gates' ``amp`` and ``rng'`` wires, which the same harness
proves equal to the specification's own (so the statement is unchanged, and z3 shares one
multiplier instead of proving two equivalent).

The one other state of the ONN the model declares saturating, the step index ``t``, is counted
by the core's run control, not by the rule: :class:`ONNStepCounterProperties` proves on
``ONNCore`` itself (2 oscillators, free ``start``/``run_steps``, no host access) that it holds or
counts up by one and saturates at ``2**16 - 1``.
"""

from amaranth.hdl import Array, Assert, Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In

from neuroxide.models.onn import SCHED_SHIFT, T_BITS, ONNParams, onn_update, schedule
from neuroxide.rtl.fixedpoint import RecordingOps
from neuroxide.rtl.layout import item_ports, shape_of

from .formal import clamp, wire, xorshift32_spec

__all__ = ["HARNESSES", "PROPERTIES", "ONN_PROPERTIES", "ONNUpdateProperties", "ONNLaneAccumulatorProperties",
           "ONNLaneScheduleProperties", "ONNColourScheduleProperties", "ONN_NARROW", "ONN_P3",
           "ONN_MAXCUT_G1", "ONN_WIDE"]

ONN_PROPERTIES = (
    "phase' == (phase + d_c + d_inj + noise) mod 2**phase_bits, with every term computed from the model's "
    "equations in unbounded arithmetic (the modular wrap of the phase circle is the one exception to saturation)",
    "phase' (the wide value before it is stored) stays within 0..2**phase_bits - 1",
    "rng' == xorshift32(rng), and rng' != 0 when rng != 0",
    "the gates' drive == clamp((h * couple_gain) >> couple_shift, -couple_max, couple_max): it saturates at "
    "+-couple_max, and |d_c| == |drive| <= couple_max (0 at the target)",
    "the gates' injection strength inj == min(inj_max, (t * inj_rate) >> 12) <= inj_max (saturates), and "
    "|d_inj| <= min(inj, distance to the nearer of {0, H}): the injection never passes its target",
    "the gates' noise amplitude amp == noise_max - min(noise_max - noise_min, (t * noise_rate) >> 12) within "
    "noise_min..noise_max (saturates at noise_min), and noise within -amp..amp",
    "(onn-core-t-saturates, on ONNCore) the step index t holds or counts up by one and saturates at 2**16 - 1",
    "(onn-lanes-accumulator, on LaneAccumulator) for couplings check_couplings accepts, every row's h and hs "
    "equal the exact sums over the lanes and words, and |h| <= 2**(acc_bits - 1) - 1: the accumulator never "
    "wraps and never needs to saturate",
    "(onn-colour-schedule, on ONNCore in colour mode, bounded from reset over a step and the next step's first "
    "colour) every coupling word is read exactly once a sweep, a colour's first read comes only after every "
    "earlier colour's rows are written, and every oscillator is updated once a step",
)

# narrow: 16 phases, every clamp and min reachable (|h * 3 >> 1| up to 24 > couple_max 3; t * rate >> 12 up to
# 15 and 47 > inj_max 3 and noise_max - noise_min 2)
ONN_NARROW = ONNParams(phase_bits=4, weight_bits=2, acc_bits=4, couple_gain=3, couple_shift=1, couple_max=3,
                       inj_max=3, inj_rate=1, noise_max=3, noise_min=1, noise_rate=3)
# the narrowest phase counter the model allows (8 phases, Q = 2: every nudge at most 1)
ONN_P3 = ONNParams(phase_bits=3, weight_bits=2, acc_bits=3, couple_gain=1, couple_shift=0, couple_max=1,
                   inj_max=1, inj_rate=2, noise_max=1, noise_min=0, noise_rate=1)
# what `neuroxide maxcut G1` runs: maxcut_params (couple_shift 3 on G1) annealed over 2000 steps
ONN_MAXCUT_G1 = ONNParams(couple_shift=3, inj_rate=5, noise_rate=31)
# the widest the model allows: 4096 phases, 31-bit h, 16-bit gain shift, every rate at its maximum
ONN_WIDE = ONNParams(phase_bits=12, weight_bits=16, acc_bits=31, couple_gain=255, couple_shift=16, couple_max=1023,
                     inj_max=1000, inj_rate=0xFFFF, noise_max=1023, noise_min=17, noise_rate=0xFFFF)


class ONNUpdateProperties(wiring.Component):
    """The properties :data:`ONN_PROPERTIES` of the ONN oscillator update built with ``params``.

    ``spec`` (default ``params``) are the specification's constants; a harness whose ``spec``
    differs from ``params`` must FAIL.
    """

    def __init__(self, params: ONNParams, spec: ONNParams = None):
        self.params = params
        self.spec = spec or params
        # every oscillator state field (phase, rng), the core's d_h register and the step index
        super().__init__({**item_ports(params.state_layout, In), "h": In(signed(params.acc_bits + 1)),
                          "t": In(unsigned(T_BITS))})

    def elaborate(self, platform):
        m = Module()
        p, s = self.params, self.spec
        # ---- the gates, as stage D of rtl/onn_core.py --------------------------------------------
        ops = RecordingOps(m, prefix="u_")
        inj, amp = schedule(ops, p, self.t)
        phase_n, rng_n = onn_update(ops, p, self.phase, self.h, self.rng, inj, amp)
        g_phase_wide = wire(m, "g_phase_wide", phase_n)
        layout = p.state_layout  # the widths the core stores the new state in
        g_phase = wire(m, "g_phase", phase_n, shape_of(layout["phase"]))
        g_rng = wire(m, "g_rng", rng_n, shape_of(layout["rng"]))
        g_drive, g_inj, g_amp = ops.wires["drive"], ops.wires["inj"], ops.wires["amp"]

        # ---- the specification (models/onn.py docstring), wide arithmetic --------------------------
        w = 40
        H, Q, full = 1 << (s.phase_bits - 1), 1 << (s.phase_bits - 2), 1 << s.phase_bits
        rng_s = xorshift32_spec(m, self.rng, "rng_spec")
        inj_ramp = wire(m, "inj_ramp", (self.t * s.inj_rate) >> SCHED_SHIFT, signed(w))
        inj_s = wire(m, "inj_spec", clamp(inj_ramp, 0, s.inj_max), signed(w))
        noise_dec = wire(m, "noise_dec_spec", (self.t * s.noise_rate) >> SCHED_SHIFT, signed(w))
        amp_s = wire(m, "amp_spec", s.noise_max - clamp(noise_dec, 0, s.noise_max - s.noise_min), signed(w))
        drive_raw = wire(m, "drive_raw", (self.h * s.couple_gain) >> s.couple_shift, signed(w))
        drive_s = wire(m, "drive_spec", clamp(drive_raw, -s.couple_max, s.couple_max), signed(w))
        mag = wire(m, "mag_spec", clamp(drive_s, 0, s.couple_max) - clamp(drive_s, -s.couple_max, 0), signed(w))
        # coupling: toward T = 0 (drive > 0) or H (drive < 0) by the sign of the circular offset (T - phase) mod 2**P
        target = wire(m, "target", (drive_s < 0) * H, signed(w))
        offset = wire(m, "offset", target - self.phase + full, unsigned(s.phase_bits))  # low P bits: mod 2**P
        d_c = wire(m, "d_c_spec", Mux(drive_s == 0, 0, Mux(offset == 0, 0, Mux(offset <= H, mag, -mag))), signed(w))
        # injection: toward the nearer of {0, H}, at most the distance to it, none at +-Q
        u = wire(m, "u_spec", self.phase[:s.phase_bits - 1], signed(w))  # phase mod H
        down = wire(m, "inj_down_spec", Mux(inj_s < u, inj_s, u), signed(w))
        up = wire(m, "inj_up_spec", Mux(inj_s < H - u, inj_s, H - u), signed(w))
        d_inj = wire(m, "d_inj_spec", Mux(u == Q, 0, Mux(u < Q, -down, up)), signed(w))
        # the noise reads the gates' amp and rng' wires, proven equal to amp_spec and rng_spec below (so
        # the statement is the same), so that z3 shares the gates' multiplier instead of proving two
        # differently-built ones equivalent (at 12 phase bits it did not finish in 300 s otherwise)
        noise = wire(m, "noise_spec", (((g_rng >> 16) * (2 * g_amp + 1)) >> 16) - g_amp, signed(w))
        total = wire(m, "phase_sum_spec", self.phase + d_c + d_inj + noise, signed(w))
        phase_s = wire(m, "phase_spec", total[:s.phase_bits], unsigned(s.phase_bits))

        m.d.comb += [
            Assert(g_phase == phase_s, "phase' follows the specification (mod 2**P)"),
            Assert((g_phase_wide >= 0) & (g_phase_wide < full), "phase' within 0..2**P - 1"),
            Assert(g_rng == rng_s, "rng' is xorshift32 of rng"),
            Assert((self.rng == 0) | (g_rng != 0), "rng' != 0 when rng != 0"),
            Assert(g_drive == drive_s, "drive is the clamped coupling"),
            Assert((g_drive >= -s.couple_max) & (g_drive <= s.couple_max), "|drive| <= couple_max"),
            Assert((d_c == mag) | (d_c == -mag) | (d_c == 0), "|d_c| is |drive| or 0"),
            Assert((d_c >= -s.couple_max) & (d_c <= s.couple_max), "|d_c| <= couple_max"),
            Assert(g_inj == inj_s, "inj follows the schedule"),
            Assert((g_inj >= 0) & (g_inj <= s.inj_max), "inj within 0..inj_max"),
            Assert((d_inj <= inj_s) & (d_inj >= -inj_s), "|d_inj| <= inj"),
            Assert((d_inj <= H - u) & (d_inj >= -u), "the injection never passes its target"),
            Assert(g_amp == amp_s, "amp follows the schedule"),
            Assert((g_amp >= s.noise_min) & (g_amp <= s.noise_max), "amp within noise_min..noise_max"),
            Assert((noise >= -g_amp) & (noise <= g_amp), "noise within -amp..amp"),
        ]
        return m


class ONNStepCounterProperties(wiring.Component):
    """The step index ``t`` of :class:`~neuroxide.rtl.onn_core.ONNCore` (``n`` oscillators with
    ``params``) saturates at ``2**16 - 1``: with no host access (so no CTRL clear), after every clock
    ``t`` either holds or is one more, and at ``2**16 - 1`` it holds. ``start`` and ``run_steps`` are
    free, so the core runs any sequence of runs of any length.

    ``spec_t_max`` (default ``2**16 - 1``) is the specification's saturation value (another must FAIL).
    """

    def __init__(self, params: ONNParams, n=2, spec_t_max=None):
        self.params, self.n = params, n
        self.spec_t_max = (1 << T_BITS) - 1 if spec_t_max is None else spec_t_max
        super().__init__({"start": In(1), "run_steps": In(16)})

    def elaborate(self, platform):
        from neuroxide.rtl.onn_core import ONNCore
        m = Module()
        core = m.submodules.core = ONNCore(self.params, self.n)
        m.d.comb += [core.start.eq(self.start), core.run_steps.eq(self.run_steps), core.bus.stb.eq(0)]
        valid = Signal(name="valid")
        prev_t = Signal(T_BITS, name="prev_t")
        m.d.sync += [valid.eq(1), prev_t.eq(core.t)]
        t_max = self.spec_t_max
        with m.If(valid):
            m.d.comb += [
                Assert((core.t == prev_t) | ((prev_t != t_max) & (core.t == prev_t + 1)),
                       "t holds or counts up by one"),
                Assert((prev_t != t_max) | (core.t == t_max), "t saturates at 2**16 - 1"),
            ]
        return m


def _onn_cases():
    return {
        "onn-narrow": ONNUpdateProperties(ONN_NARROW),
        "onn-p3": ONNUpdateProperties(ONN_P3),
        "onn-default": ONNUpdateProperties(ONNParams()),
        "onn-maxcut-g1": ONNUpdateProperties(ONN_MAXCUT_G1),
        "onn-wide-p12": ONNUpdateProperties(ONN_WIDE),
        "onn-core-t-saturates": ONNStepCounterProperties(ONN_NARROW, 2),
        "onn-lanes-accumulator": ONNLaneAccumulatorProperties(ONN_NARROW, 2),
        "onn-colour-schedule": ONNColourScheduleProperties(ONN_P3.replace(acc_bits=4)),
    }


HARNESSES = {"onn": _onn_cases}
PROPERTIES = {"onn": ONN_PROPERTIES}


class ONNLaneAccumulatorProperties(wiring.Component):
    """The lane datapath of the core (:class:`~neuroxide.rtl.onn_core.LaneAccumulator`: products,
    registered adder tree, row accumulator) with ``lanes`` lanes and ``params``: every row's
    ``h`` and ``hs`` equal the exact sums ``sum w_l * out(phase_l)`` and ``sum w_l * s(phase_l)``
    over the row's words, computed here in 48-bit arithmetic with the model's triangle and spin
    written out again, ``latency + 1`` clocks after the row's last word; and ``|h| <= 2**(acc_bits - 1) - 1``: the
    ``acc_bits + 1``-bit accumulator never reaches its wrap (no saturation is needed, none happens).

    Inputs are free every clock (valid, last, every lane's weight and phase), under the assumption
    ``check_couplings`` enforces on the couplings: ``Q * sum |w|`` over a row stays within the
    signed ``spec_acc_bits`` range (default ``params.acc_bits``; a wider one must FAIL), and what
    :class:`ONNLaneScheduleProperties` proves of the scheduler: a row's words come on consecutive
    clocks (for the induction, a row spans at most ``row_words`` words).
    """

    def __init__(self, params: ONNParams, lanes, spec_acc_bits=None, row_words=3):
        self.params, self.lanes, self.row_words = params, lanes, row_words
        self.spec_acc_bits = params.acc_bits if spec_acc_bits is None else spec_acc_bits
        self.formal_depth = row_words + lanes.bit_length() + 5
        super().__init__({"valid": In(1), "last": In(1),
                          "w": In(signed(params.weight_bits)).array(lanes),
                          "phase": In(params.phase_bits).array(lanes)})

    def elaborate(self, platform):
        from amaranth.hdl import Assume

        from neuroxide.rtl.onn_core import LaneAccumulator
        m = Module()
        p, L = self.params, self.lanes
        dut = m.submodules.dut = LaneAccumulator(p, L)
        m.d.comb += [dut.valid.eq(self.valid), dut.last.eq(self.last)]
        m.d.comb += [dut.w[k].eq(self.w[k]) for k in range(L)] + [dut.phase[k].eq(self.phase[k]) for k in range(L)]
        w = 48
        H, Q, full = 1 << (p.phase_bits - 1), 1 << (p.phase_bits - 2), 1 << p.phase_bits
        word_sum = wire(m, "word_sum", 0, signed(w))
        word_ssum = wire(m, "word_ssum", 0, signed(w))
        word_abs = wire(m, "word_abs", 0, signed(w))
        terms, sterms, absw = [], [], []
        for k in range(L):
            ph = self.phase[k]
            dist = wire(m, f"dist{k}", Mux(ph <= H, ph, full - ph), signed(w))  # circular distance to 0
            out = wire(m, f"out_spec{k}", Q - dist, signed(w))
            spin = wire(m, f"spin_spec{k}", Mux((ph < Q) | (ph >= full - Q), 1, -1), signed(w))
            terms.append(self.w[k] * out)
            sterms.append(self.w[k] * spin)
            absw.append(Mux(self.w[k] < 0, -self.w[k], self.w[k]))
        m.d.comb += [word_sum.eq(sum(terms)), word_ssum.eq(sum(sterms)), word_abs.eq(sum(absw) * Q)]
        row_sum, row_ssum, row_abs = Signal(signed(w)), Signal(signed(w)), Signal(signed(w))
        words = Signal(range(self.row_words + 1))
        in_row = Signal(name="in_row")  # the last word was valid and not its row's last
        m.d.sync += in_row.eq(Mux(self.valid, ~self.last, in_row))
        m.d.comb += Assume(~in_row | self.valid)  # a row's words come on consecutive clocks (the scheduler)
        with m.If(self.valid):
            m.d.comb += Assume(row_abs + word_abs <= signed_max(self.spec_acc_bits))
            m.d.comb += Assume(self.last | (words < self.row_words - 1))
            with m.If(self.last):
                m.d.sync += [row_sum.eq(0), row_ssum.eq(0), row_abs.eq(0), words.eq(0)]
            with m.Else():
                m.d.sync += [row_sum.eq(row_sum + word_sum), row_ssum.eq(row_ssum + word_ssum),
                             row_abs.eq(row_abs + word_abs), words.eq(words + 1)]
        # the exact row sums, delayed as the datapath delays them (latency + 1 clocks)
        v, h, hs = Signal(), Signal(signed(w)), Signal(signed(w))
        m.d.sync += [v.eq(self.valid & self.last), h.eq(row_sum + word_sum), hs.eq(row_ssum + word_ssum)]
        for _ in range(dut.latency):
            v2, h2, hs2 = Signal(), Signal(signed(w)), Signal(signed(w))
            m.d.sync += [v2.eq(v), h2.eq(h), hs2.eq(hs)]
            v, h, hs = v2, h2, hs2
        # the running sums: the datapath's accumulator holds the row's sum of the words that entered
        # `latency` clocks ago (an invariant the induction needs)
        run, run_s = row_sum, row_ssum
        for _ in range(dut.latency):
            r2, rs2 = Signal(signed(w)), Signal(signed(w))
            m.d.sync += [r2.eq(run), rs2.eq(run_s)]
            run, run_s = r2, rs2
        valid = Signal(range(dut.latency + 2), name="past_valid")
        with m.If(valid <= dut.latency):
            m.d.sync += valid.eq(valid + 1)
        # the specification's own bookkeeping (invariants for the induction): between rows the sums are
        # 0; within one |row sum| <= Q * sum |w| <= the budget
        m.d.comb += [Assert(in_row | ((row_sum == 0) & (row_ssum == 0) & (row_abs == 0) & (words == 0))),
                     Assert((row_sum <= row_abs) & (-row_sum <= row_abs) & (row_abs <= signed_max(self.spec_acc_bits))),
                     Assert((row_ssum * Q <= row_abs) & (-row_ssum * Q <= row_abs))]
        with m.If(valid > dut.latency):
            m.d.comb += [Assert(dut.acc == run, "acc is the exact running sum of the row"),
                         Assert(dut.acc_s == run_s, "acc_s is the exact running sum of the row's spins")]
        with m.If(valid != 0):
            m.d.comb += [
                Assert(dut.h_valid == v, "h_valid follows the row's last word by latency + 1 clocks"),
                Assert(~v | (dut.h == h), "h is the exact sum of the row's terms (no wrap)"),
                Assert(~v | (dut.hs == hs), "hs is the exact sum of the row's weighted spins"),
                Assert(~v | ((dut.h <= signed_max(p.acc_bits)) & (dut.h >= -signed_max(p.acc_bits))),
                       "|h| <= 2**(acc_bits - 1) - 1: the accumulator never reaches its wrap"),
            ]
        return m


def signed_max(bits):
    """Largest value of a signed ``bits + 1``-bit accumulator that check_couplings lets h reach:
    the signed range of ``acc_bits`` (``neuroxide.models.fixedpoint.signed_range``)."""
    from neuroxide.models.fixedpoint import signed_range
    return signed_range(bits)[1]


class ONNLaneScheduleProperties(wiring.Component):
    """The lane scheduler of :class:`~neuroxide.rtl.onn_core.ONNCore` (``n`` oscillators, ``lanes``
    lanes, dense or sparse, random couplings of ``seed``): within every step the coupling word
    address issued is the count of words issued before it in the step (0, 1, 2, ... : no word read
    twice, none skipped), and at the bank swap that count is the W of the cycle formula (every
    coupling word, so every coupling of every bank, read exactly once a sweep); every oscillator is
    updated exactly once a step, in row order. ``start``/``run_steps`` are free (any sequence of runs);
    no host access. ``spec_words`` (default W) must FAIL when wrong.
    """

    def __init__(self, params: ONNParams, n=3, lanes=2, dense=False, seed=1, spec_words=None):
        import numpy as np
        import scipy.sparse as sp

        from neuroxide.rtl.onn_core import row_words
        rng = np.random.default_rng(seed)
        a = np.triu(rng.integers(-1, 2, size=(n, n)), 1)
        J = a + a.T
        self.J = J if dense else sp.csr_matrix(J)
        self.params, self.n, self.lanes, self.dense = params, n, lanes, dense
        self.words = int(row_words(self.J, dense, lanes).sum())
        self.spec_words = self.words if spec_words is None else spec_words
        self.formal_depth = 2 * (self.words + 10 + lanes.bit_length())  # two steps
        super().__init__({"start": In(1), "run_steps": In(16)})

    def elaborate(self, platform):
        from neuroxide.rtl.onn_core import ONNCore
        m = Module()
        core = m.submodules.core = ONNCore(self.params, self.n, self.J, dense=self.dense, lanes=self.lanes)
        m.d.comb += [core.start.eq(self.start), core.run_steps.eq(self.run_steps), core.bus.stb.eq(0)]
        issued = Signal(range(core.bank_depth + 2), name="issued")
        updated = Signal(range(self.n + 2), name="updated")
        starting = Signal()
        m.d.comb += starting.eq(self.start & ~core.busy)
        with m.If(core.probe_swap | starting):
            m.d.sync += [issued.eq(0), updated.eq(0)]
        with m.Else():
            with m.If(core.probe_issue):
                m.d.sync += issued.eq(issued + 1)
            with m.If(core.upd_valid):
                m.d.sync += updated.eq(updated + 1)
        with m.If(core.busy):
            m.d.comb += [
                Assert(~core.probe_issue | (core.probe_addr == issued), "word address = words issued before it"),
                Assert(~core.probe_swap | (issued == self.spec_words), "W words issued a step"),
                Assert(~core.probe_swap | (core.probe_words == self.spec_words), "the walk ends at word W - 1"),
                Assert(~core.upd_valid | (core.upd_row == updated), "rows updated in order"),
                Assert(~core.probe_swap | (updated == self.n), "every oscillator updated once a step"),
            ]
        with m.Else():
            m.d.comb += [Assert(issued == 0), Assert(updated == 0), Assert(~core.upd_valid)]
        return m


class ONNColourScheduleProperties(wiring.Component):
    """The colour scheduler of :class:`~neuroxide.rtl.onn_core.ONNCore` in colour mode (``colour_rows``):
    a graph of ``n`` oscillators coloured by ``gset.greedy_colouring`` and permuted so every colour is
    contiguous (``models.onn_registers.ColourLayout``), ``lanes`` lanes, dense or sparse. Within every
    step (colour 0, 1, ..., C - 1; a colour ends at the core's drain pulse ``probe_swap``):

    * the coupling word address issued is the count of words issued before it in the step (0, 1,
      2, ...: none read twice, none skipped), and at the step's end that count is
      W = sum_i w_i (every coupling word read exactly once a sweep);
    * colour k's words are W_k = sum of its rows' w_i, issued back to back: colour k ends with
      ``r_{k+1}`` rows updated and the words up to its last one issued;
    * colour k's first word is issued only after the previous colour's last write: every row of
      colours < k updated (written) and none of colour k, no word of colour k - 1 in flight (the drain);
    * every oscillator is updated exactly once a step, in row order.

    The specification's row words and colour boundaries are computed here from the module docstring's
    formula (dense ``ceil(N / L)``, sparse ``max(1, ceil(deg / L))``), not read from the core;
    ``spec_colour_rows`` (default the layout's) must FAIL when wrong. ``start``/``run_steps`` free
    (any sequence of runs), no host access; bounded model checking from reset (``formal_depth``: the
    start, a whole step and the next step's first colour).
    """

    formal_mode = "bmc"  # bounded from reset: the k-induction of the whole core is out of reach

    def __init__(self, params: ONNParams, n=4, lanes=1, dense=False, seed=1, spec_colour_rows=None):
        import numpy as np
        import scipy.sparse as sp

        from neuroxide.models.onn_registers import ColourLayout
        signs = np.random.default_rng(seed).choice([-1, 1], size=n - 1)
        J = np.zeros((n, n), dtype=np.int64)
        for i in range(n - 1):  # a path of +-1 couplings: two colours of several rows, rows of 1-2 couplings
            J[i, i + 1] = J[i + 1, i] = signs[i]
        self.layout = ColourLayout.of(J)
        Jp = self.layout.couplings(J)
        self.J = Jp if dense else sp.csr_matrix(Jp)
        self.params, self.n, self.lanes, self.dense = params, n, lanes, dense
        deg = np.count_nonzero(Jp, axis=1)
        self.row_words = [-(-n // lanes) if dense else max(1, -(-int(d) // lanes)) for d in deg]
        self.colour_rows = self.layout.colour_rows
        self.spec_colour_rows = tuple(self.colour_rows if spec_colour_rows is None else spec_colour_rows)
        self.words = sum(self.row_words)
        drain = 11 + lanes.bit_length() - 1
        step = self.words + (len(self.colour_rows) - 1) * drain
        first = sum(self.row_words[:self.colour_rows[1]]) + drain
        # from reset: the start, one whole step and the next step's first colour (the counters restart)
        self.formal_depth = 3 + step + first
        super().__init__({"start": In(1), "run_steps": In(16)})

    def elaborate(self, platform):
        from amaranth.hdl import Const

        from neuroxide.rtl.onn_core import ONNCore
        m = Module()
        core = m.submodules.core = ONNCore(self.params, self.n, self.J, dense=self.dense, lanes=self.lanes,
                                           colour_rows=self.colour_rows)
        m.d.comb += [core.start.eq(self.start), core.run_steps.eq(self.run_steps), core.bus.stb.eq(0)]
        bounds = self.spec_colour_rows
        C = len(bounds) - 1
        # the specification's word boundaries: colour k is words first[k] .. first[k + 1] - 1
        first = [sum(self.row_words[:r]) for r in bounds]
        issued = Signal(range(self.words + 2), name="issued")
        updated = Signal(range(self.n + 2), name="updated")
        colour = Signal(range(C + 1), name="spec_colour")  # the colour being walked
        starting = Signal()
        m.d.comb += starting.eq(self.start & ~core.busy)
        step_end = Signal(name="step_end")
        m.d.comb += step_end.eq(core.probe_swap & (colour == C - 1))
        with m.If(step_end | starting):
            m.d.sync += [issued.eq(0), updated.eq(0), colour.eq(0)]
        with m.Else():
            with m.If(core.probe_issue):
                m.d.sync += issued.eq(issued + 1)
            with m.If(core.upd_valid):
                m.d.sync += updated.eq(updated + 1)
            with m.If(core.probe_swap):
                m.d.sync += colour.eq(colour + 1)
        first_c = Array(Const(x, range(self.words + 2)) for x in first)
        rows_c = Array(Const(x, range(self.n + 2)) for x in bounds)
        with m.If(core.busy):
            m.d.comb += [
                Assert(~core.probe_issue | (core.probe_addr == issued), "word address = words issued before it"),
                Assert(~core.probe_issue | (issued < first_c[colour + 1]), "a colour issues only its own words"),
                Assert(~core.probe_issue | (issued != first_c[colour]) | (updated == rows_c[colour]),
                       "a colour's first word after every row of the colours before it is written, none of its own"),
                Assert(~core.probe_issue | (updated >= rows_c[colour]), "no read of a colour before the drain"),
                Assert(~core.probe_swap | (issued == first_c[colour + 1]), "a colour ends after its last word"),
                Assert(~core.probe_swap | (updated == rows_c[colour + 1]), "a colour ends with its rows written"),
                Assert(~step_end | (issued == self.words), "W words issued a step"),
                Assert(~step_end | (updated == self.n), "every oscillator updated once a step"),
                Assert(~core.upd_valid | (core.upd_row == updated), "rows updated in order"),
                Assert(~core.upd_valid | (updated < rows_c[colour + 1]), "a colour updates only its own rows"),
                Assert(colour < C),
            ]
        with m.Else():
            m.d.comb += [Assert(issued == 0), Assert(updated == 0), Assert(colour == 0), Assert(~core.upd_valid)]
        return m
