"""Formal properties of the host-link frame decoder (:class:`~neuroxide.rtl.hostlink.LinkEngine`).

A plug-in of :mod:`neuroxide.testbench.formal` (group ``hostlink``): ``make formal`` and
``python -m neuroxide.testbench.formal --only hostlink`` prove every harness here.

The harness drives the engine at the byte-stream level with **every input free at every clock**:
``rx.valid``/``rx.payload`` (any byte sequence, any gaps), ``tx.ready`` (the host may stall the
response for any number of clocks) and the whole bus responder (``ack``, ``err``, ``r_data``
arbitrary; ``ack`` may never come), which is a superset of every target that keeps the bus
contract of :mod:`neuroxide.rtl.hostbus`. It keeps, from the bytes it sees, its own *shadow* of
the request (byte count, command, length, address, READ count, and the CRC-16 recomputed with the
textbook shift-and-XOR loop, not the engine's XOR matrix) and of the response, and asserts the
protocol of :mod:`neuroxide.boards.hostlink` against them:

* **bounded answer (no deadlock)**: from the sync byte on, the engine is back in idle, having sent
  exactly one response, within ``N`` counted clocks, where a clock is *not* counted while the host
  stalls ``tx`` (``tx.valid & ~tx.ready``) or while an overlong frame (LEN > 131) is being drained
  -- that phase ends after ``frame_timeout`` consecutive idle clocks, which is asserted separately.
  ``N = max(135 * ft + 1 + 32 * (bt + 1) + 7,  8 * ft + 1 + 32 * (bt + 1) + 165)`` for
  ``ft = frame_timeout``, ``bt = bus_timeout`` (:func:`answer_bound`): a 131-byte-payload WRITE
  whose every byte comes after ``ft - 1`` idle clocks and whose 32 transfers are all acked in the
  last clock, or a 32-word READ with the longest (165-clock) response;
* **garbage**: in idle every byte is taken at once; a byte other than 0xA5 leaves the engine idle
  and produces nothing; 0xA5 starts a frame;
* **no bus transfer for a rejected frame**: ``stb`` only after a complete frame whose shadow CRC
  residue is 0, whose command is known and whose length fits it; ``we`` exactly for WRITE and
  WRITE_FIXED; at most N transfers, at ``ADDR + i`` (``ADDR`` for the FIXED commands, modulo 2^24);
  ``stb`` never waits more than ``bus_timeout`` clocks for ``ack``;
* **well-formed response**: 0x5A, the request's command byte (0 when the frame timed out before
  it), the status the protocol prescribes (checked in the order timeout/overlong, CRC, command,
  length, then the bus outcome: BUS_ERROR at the first ``err``, BUS_TIMEOUT when fewer words were
  acked, else OK), the length byte, the payload (PING's magic, the count of words transferred for
  WRITE and every error), a CRC-16 whose residue over the response is 0, and nothing more;
  ``frame_done`` pulses once per response and ``frame_error`` exactly when the status is not OK;
  the ``tx`` byte is held while the host stalls;
* **strict request/response**: no byte is taken between a complete frame and the end of its
  response; a receive gap of ``frame_timeout`` clocks ends the frame.

With ``data=True`` the harness also follows one word, at an index the solver picks per frame, from
the request to the bus (``w_data`` of a WRITE equals the frame's word) and from the bus to the
response (the READ response carries ``r_data`` big-endian).

k-induction needs the properties to be inductive, so the harness also asserts *white-box*
strengthening invariants over the engine's registers (FSM state, ``timer``, ``index``, ``crc``,
..., which ``LinkEngine(..., observe=True)`` shows on its ``observed`` port; the frame buffer
through read ports the harness adds to the engine's ``buffer``): each register equals what the
shadow implies in each state, and ``cnt + V <= N`` for a ranking function ``V`` (clocks still to
come, see ``_invariants``) that drops by at least one every counted clock. They are proven with
the rest; the specification properties above do not depend on them. ``invariants=False`` leaves
them out (bounded model checking of the specification alone, as the negative tests do).

Two parts keep each proof small: ``part="safety"`` asserts everything but the bound;
``part="liveness"`` *assumes* those (proven) properties and invariants and asserts only the bound
and the ranking invariant. Assuming a proven invariant removes no reachable behaviour, so the pair
proves what ``part="all"`` proves.
"""

from dataclasses import dataclass
from types import SimpleNamespace

from amaranth.hdl import Assert, Assume, Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In

from neuroxide.models import hostlink as proto
from neuroxide.rtl.hostbus import ADDR_BITS, DATA_BITS
from neuroxide.rtl.hostlink import LinkEngine

__all__ = ["LinkSpec", "LinkEngineProperties", "answer_bound", "HOSTLINK_PROPERTIES", "CASES",
           "HARNESSES", "PROPERTIES"]

Command, Status = proto.Command, proto.Status
MAX_PAYLOAD, MAX_WORDS, ADDR_BYTES = proto.MAX_PAYLOAD, proto.MAX_WORDS, proto.ADDR_BYTES

HOSTLINK_PROPERTIES = (
    "every frame is answered (exactly one response, engine back in idle) within N counted clocks "
    "of its sync byte (N from frame/bus timeouts and the longest frame; host tx stalls and the "
    "drain of an overlong frame not counted)",
    "an overlong frame (LEN > 131) is drained until frame_timeout consecutive idle clocks, then answered",
    "a receive gap of frame_timeout clocks ends a frame (FRAME_TIMEOUT); stb never waits more than "
    "bus_timeout clocks for ack (BUS_TIMEOUT)",
    "idle: every byte taken at once, a non-0xA5 byte dropped silently (no response, still idle), "
    "0xA5 starts a frame",
    "no bus transfer (stb) unless the frame is complete, its CRC-16 (recomputed bitwise) checks, its "
    "command is known and its length fits; we exactly for WRITE/WRITE_FIXED: a rejected frame writes nothing",
    "transfers: at most N, to ADDR+i (ADDR for FIXED) modulo 2^24",
    "response: 0x5A, echoed command, the prescribed status (timeout/overlong, CRC, command, length, "
    "bus outcome), length, payload (PING magic; words transferred for WRITE and errors), CRC residue 0, "
    "nothing after; frame_done once per response, frame_error iff status != OK; tx byte held while stalled",
    "strict request/response: no byte taken after a complete frame until its response is sent",
    "(data harnesses) WRITE w_data is the frame's word; a READ response carries r_data big-endian",
)


@dataclass(frozen=True)
class LinkSpec:
    """What the properties assume about the engine (default: what it is built with).

    A harness whose spec differs from the engine must fail: ``frame_timeout``/``bus_timeout``
    smaller than the engine's, another ``crc_poly``, ``crc_before_command=False`` (a spec that
    checks the command before the CRC) or ``big_endian=False`` (READ data little-endian).
    """

    frame_timeout: int
    bus_timeout: int
    crc_poly: int = proto.CRC_POLY
    crc_before_command: bool = True
    big_endian: bool = True


def answer_bound(frame_timeout, bus_timeout):
    """``N``: the most counted clocks from a sync byte to the engine's return to idle.

    Receive: each of the up to 135 bytes after the sync byte may come ``ft - 1`` idle clocks after
    the one before (``ft`` clocks each); CHECK 1 clock; each of up to 32 words 1 FETCH clock and up
    to ``bt`` clocks of ``stb``; the response 7 clocks (WRITE, errors) or, for a 32-word READ,
    4 + 128 + 31 + 2 = 165 (a bubble after every word but the last). The largest of the frames
    that reach these (a 131-byte WRITE; a 4-byte-payload READ of 32 words) is ``N``.
    """
    return _k_cmd(frame_timeout, bus_timeout)


# ---------------------------------------------------------------------------------------------
# the ranking function's constants, in Python (same formulas as _exec_bound below)
def _exec_bound_py(kind, length, count, bt):
    if kind == "write" and length >= ADDR_BYTES + 4 and (length - ADDR_BYTES) % 4 == 0:
        return ((length - ADDR_BYTES) >> 2) * (bt + 1) + 7
    if kind == "read" and length == ADDR_BYTES + 1 and 1 <= count <= MAX_WORDS:
        return count * (bt + 1) + 5 * count + 5
    if kind == "ping" and length == 0:
        return 10
    return 7


def _k_len(kind, ft, bt):
    """Most counted clocks from the LEN state (timer 0) on, for a command of ``kind``."""
    full = max((length + 3) * ft + 1 + _exec_bound_py(kind, length, MAX_WORDS, bt)
               for length in range(MAX_PAYLOAD + 1))
    return max(full, ft + 7)  # LEN > 131: the LEN byte, the (uncounted) drain, a 7-byte answer


def _k_cmd(ft, bt):
    return ft + max(_k_len(kind, ft, bt) for kind in ("write", "read", "ping", "other"))


def _implies(a, b):
    return ~a | b


def _crc_spec(m, crc, byte, poly):
    """CRC-16 register after ``byte``: the textbook MSB-first shift-and-XOR loop (8 steps), one
    signal per step (so the expression is not duplicated)."""
    c = Signal(16)
    m.d.comb += c.eq(crc ^ (byte << 8))
    for _ in range(8):
        nxt = Signal(16)
        m.d.comb += nxt.eq(Mux(c[15], (c << 1)[:16] ^ poly, (c << 1)[:16]))
        c = nxt
    return c


def _observed(engine):
    """The registers (by name) and FSM state tests (by state name) of ``engine``, built with
    ``observe=True``, from its ``observed`` port."""
    regs = {name: engine.observed.registers[name] for name in engine.register_shapes()}
    missing = {"crc", "cmd", "length", "index", "addr", "count", "word", "n_words", "done",
               "status", "resp_len", "timer"} - set(regs)
    if missing:
        raise RuntimeError(f"LinkEngine no longer has the registers {sorted(missing)} that the "
                           "formal harness's strengthening invariants name; update formal_hostlink.py")
    return regs, {name: engine.observed.state[name] for name in engine.STATES}


class LinkEngineProperties(wiring.Component):
    """Property harness of :class:`LinkEngine` (``frame_timeout``, ``bus_timeout``), see the
    module docstring. ``spec``: a :class:`LinkSpec` (default: the engine's own parameters);
    ``invariants``: also assert the white-box strengthening invariants (needed for k-induction);
    ``data``: also follow one data word per frame through the buffer memory; ``part``: ``"safety"``
    (every property but the bound), ``"liveness"`` (the bound, assuming the rest, which the safety
    part proves) or ``"all"``; ``stimulus``: bytes the rx stream carries from reset on (for bounded
    model checking of a given frame; the tests' wrong specifications)."""

    def __init__(self, frame_timeout=2, bus_timeout=2, spec=None, invariants=True, data=False, part="all",
                 stimulus=None):
        if part not in ("all", "safety", "liveness"):
            raise ValueError(f"part must be 'all', 'safety' or 'liveness', not {part!r}")
        self.part = part
        self.stimulus = None if stimulus is None else bytes(stimulus)
        self.frame_timeout, self.bus_timeout = frame_timeout, bus_timeout
        self.spec = spec or LinkSpec(frame_timeout, bus_timeout)
        self.invariants, self.data = invariants, data
        self.bound = answer_bound(self.spec.frame_timeout, self.spec.bus_timeout)
        super().__init__({
            "rx_valid": In(1), "rx_byte": In(8), "tx_ready": In(1),
            "ack": In(1), "err": In(1), "r_data": In(DATA_BITS),
            "pick": In(range(MAX_WORDS)),  # data harness: the word followed, chosen per frame
        })

    def elaborate(self, platform):
        m = Module()
        spec = self.spec
        ft, bt, N = spec.frame_timeout, spec.bus_timeout, self.bound
        dut = m.submodules.dut = LinkEngine(self.frame_timeout, self.bus_timeout, observe=True)
        reg, st = _observed(dut)
        buffer = dut.buffer
        hport = buffer.read_port(domain="comb")   # the harness's own view of the frame buffer
        rx, tx, bus = dut.rx, dut.tx, dut.bus
        m.d.comb += [rx.valid.eq(self.rx_valid), rx.payload.eq(self.rx_byte),
                     tx.ready.eq(self.tx_ready), bus.ack.eq(self.ack), bus.err.eq(self.err),
                     bus.r_data.eq(self.r_data)]

        if self.stimulus is not None:
            # bounded model checking only: the first bytes after reset are these, on consecutive
            # clocks (so the solver need not search for a frame with a valid CRC); the rest stays free
            clock = Signal(range(len(self.stimulus) + 1))
            with m.If(clock < len(self.stimulus)):
                m.d.sync += clock.eq(clock + 1)
                stim = Signal(8)
                m.d.comb += [stim.eq(Cat(*[Const(b, 8) for b in self.stimulus]).word_select(clock, 8)),
                             Assume(self.rx_valid & (self.rx_byte == stim))]

        busy = dut.busy
        rx_acc = rx.valid & rx.ready
        tx_acc = tx.valid & tx.ready
        start = ~busy & rx_acc & (rx.payload == proto.SYNC_REQUEST)

        # -- the request's shadow, from the bytes taken after the sync byte ----------------------
        sh_cnt = Signal(8)          # bytes taken after the sync byte (stops at 2 for LEN > 131)
        sh_crc = Signal(16)
        sh_cmd = Signal(8)
        sh_len = Signal(8)
        sh_addr = Signal(ADDR_BITS)
        sh_count = Signal(8)
        over = (sh_cnt >= 2) & (sh_len > MAX_PAYLOAD)
        complete = (sh_cnt >= 2) & ~over & (sh_cnt == sh_len + 4)
        is_write = (sh_cmd == Command.WRITE) | (sh_cmd == Command.WRITE_FIXED)
        is_read = (sh_cmd == Command.READ) | (sh_cmd == Command.READ_FIXED)
        is_ping = sh_cmd == Command.PING
        increments = (sh_cmd == Command.WRITE) | (sh_cmd == Command.READ)
        known = is_write | is_read | is_ping
        write_ok = (sh_len >= ADDR_BYTES + 4) & ((sh_len - ADDR_BYTES)[:2] == 0)
        read_ok = (sh_len == ADDR_BYTES + 1) & (sh_count >= 1) & (sh_count <= MAX_WORDS)
        len_ok = Mux(is_ping, sh_len == 0, Mux(is_write, write_ok, read_ok))
        accepted = complete & (sh_crc == 0) & known & len_ok
        executes = accepted & (is_write | is_read)
        pay = Signal(8)             # payload bytes taken so far
        m.d.comb += pay.eq(Mux(sh_cnt < 2, 0, Mux(sh_cnt - 2 < sh_len, sh_cnt - 2, sh_len)))
        n_spec = Signal(8)
        m.d.comb += n_spec.eq(Mux(is_read, sh_count, (sh_len - ADDR_BYTES)[2:]))

        # -- bus and response trackers -----------------------------------------------------------
        h_acks = Signal(range(MAX_WORDS + 1))   # transfers acked without err in this frame
        h_err = Signal()                         # a transfer was acked with err
        h_wait = Signal(range(bt + 2))           # clocks stb has waited for ack
        h_idle = Signal(range(ft + 2))           # consecutive clocks without a byte while receiving
        h_rcnt = Signal(8)                       # response bytes sent
        h_rcrc = Signal(16)                      # CRC over the response bytes after its sync byte
        cnt = Signal(range(N + 2))               # counted clocks since the sync byte
        receiving = busy & ~tx.valid & (h_rcnt == 0) & ~complete & ~over
        draining = busy & ~tx.valid & (h_rcnt == 0) & over

        with m.If(start):
            m.d.sync += [sh_cnt.eq(0), sh_crc.eq(proto.CRC_INIT), sh_cmd.eq(0), h_acks.eq(0),
                         h_err.eq(0), h_rcnt.eq(0), h_rcrc.eq(proto.CRC_INIT)]
        with m.If(busy & rx_acc & ~over):
            byte = rx.payload
            m.d.sync += [sh_cnt.eq(sh_cnt + 1), sh_crc.eq(_crc_spec(m, sh_crc, byte, spec.crc_poly))]
            with m.If(sh_cnt == 0):
                m.d.sync += sh_cmd.eq(byte)
            with m.If(sh_cnt == 1):
                m.d.sync += sh_len.eq(byte)
            with m.If(pay < sh_len):   # a payload byte (not CRC)
                with m.If((sh_cnt >= 2) & (sh_cnt < 2 + ADDR_BYTES)):
                    m.d.sync += sh_addr.eq(Cat(byte, sh_addr[:-8]))
                with m.If(sh_cnt == 2 + ADDR_BYTES):
                    m.d.sync += sh_count.eq(byte)
        with m.If(bus.stb & bus.ack):
            with m.If(bus.err):
                m.d.sync += h_err.eq(1)
            with m.Else():
                m.d.sync += h_acks.eq(h_acks + 1)
        m.d.sync += h_wait.eq(Mux(bus.stb & ~bus.ack, h_wait + 1, 0))
        m.d.sync += h_idle.eq(Mux((receiving | draining) & ~rx_acc, h_idle + 1, 0))
        with m.If(busy & tx_acc):
            m.d.sync += h_rcnt.eq(h_rcnt + 1)
            with m.If(h_rcnt != 0):
                m.d.sync += h_rcrc.eq(_crc_spec(m, h_rcrc, tx.payload, proto.CRC_POLY))
        counted = busy & ~(tx.valid & ~tx.ready) & ~draining
        m.d.sync += cnt.eq(Mux(busy, cnt + counted, 0))

        # -- the status and response the protocol prescribes ---------------------------------------
        crc_bad, cmd_bad = sh_crc != 0, ~known
        first, second = ((crc_bad, Status.BAD_CRC), (cmd_bad, Status.UNKNOWN_COMMAND))
        if not spec.crc_before_command:
            first, second = second, first
        exp_status = Signal(8)
        m.d.comb += exp_status.eq(
            Mux(over, Status.BAD_LENGTH,
            Mux(~complete, Status.FRAME_TIMEOUT,
            Mux(first[0], first[1],
            Mux(second[0], second[1],
            Mux(~len_ok, Status.BAD_LENGTH,
            Mux(is_ping, Status.OK,
            Mux(h_err, Status.BUS_ERROR,
            Mux(h_acks == n_spec, Status.OK, Status.BUS_TIMEOUT)))))))))
        ok = exp_status == Status.OK
        exp_len = Signal(8)
        m.d.comb += exp_len.eq(Mux(ok & is_ping, 4, Mux(ok & is_read, n_spec << 2, 1)))
        magic = Const(int.from_bytes(proto.MAGIC + bytes([proto.PROTOCOL_VERSION, MAX_WORDS]), "big"), 32)
        pos_payload = Signal(8)
        m.d.comb += pos_payload.eq(h_rcnt - 4)
        in_payload = (h_rcnt >= 4) & (h_rcnt < exp_len + 4)
        exp_byte = Signal(8)
        check_byte = Signal()
        m.d.comb += [check_byte.eq(1), exp_byte.eq(h_acks)]
        with m.If(h_rcnt == 0):
            m.d.comb += exp_byte.eq(proto.SYNC_RESPONSE)
        with m.Elif(h_rcnt == 1):
            m.d.comb += exp_byte.eq(sh_cmd)
        with m.Elif(h_rcnt == 2):
            m.d.comb += exp_byte.eq(exp_status)
        with m.Elif(h_rcnt == 3):
            m.d.comb += exp_byte.eq(exp_len)
        with m.Elif(in_payload & ok & is_ping):
            m.d.comb += exp_byte.eq(magic.word_select(~pos_payload[:2], 8))
        with m.Elif(in_payload & ok & is_read):
            m.d.comb += check_byte.eq(0)  # the data harness checks the word it follows
        with m.Elif(~in_payload):
            m.d.comb += check_byte.eq(0)  # the CRC: checked by its residue at the end

        prev_busy, prev_start, prev_garbage = Signal(), Signal(), Signal()
        prev_stall, prev_payload = Signal(), Signal(8)
        m.d.sync += [prev_busy.eq(busy), prev_start.eq(start),
                     prev_garbage.eq(~busy & rx_acc & (rx.payload != proto.SYNC_REQUEST)),
                     prev_stall.eq(tx.valid & ~tx.ready), prev_payload.eq(tx.payload)]
        ended = prev_busy & ~busy

        # -- data harness: follow word j (picked at the sync byte) ------------------------------------
        j = Signal(range(MAX_WORDS))
        sh_word = Signal(32)        # word j of the payload, as received so far (latest byte lowest)
        rword = Signal(32)          # r_data of READ transfer j
        word_first = Signal(8)      # payload position of word j's first byte
        m.d.comb += word_first.eq(ADDR_BYTES + 4 * j)
        data_checks = []
        if self.data:
            with m.If(start):
                m.d.sync += j.eq(self.pick)
            with m.If(busy & rx_acc & ~over & (sh_cnt >= 2) & (pay < sh_len) & (pay >= word_first)
                      & (pay < word_first + 4)):
                m.d.sync += sh_word.eq(Cat(rx.payload, sh_word[:-8]))
            with m.If(bus.stb & bus.ack & ~bus.err & ~bus.we & (h_acks == j)):
                m.d.sync += rword.eq(bus.r_data)
            data_checks = [
                (_implies((bus.stb & bus.we & (h_acks == j)), bus.w_data == sh_word),
                 "WRITE transfer j carries word j of the frame"),
                (_implies((tx.valid & ok & is_read & in_payload & (pos_payload[2:] == j)), 
                    tx.payload == rword.word_select(~pos_payload[:2] if spec.big_endian else pos_payload[:2], 8)),
                 "READ response word j is transfer j's r_data, big-endian"),
            ]

        # -- specification properties ----------------------------------------------------------------
        check = Assume if self.part == "liveness" else Assert   # liveness: proven by the safety part
        for cond, text in [
            (_implies((~busy), rx.ready & ~tx.valid & ~bus.stb), "idle: every byte taken, nothing sent"),
            (_implies(prev_garbage, ~busy), "a byte other than 0xA5 in idle is dropped"),
            (_implies(prev_start, busy), "0xA5 in idle starts a frame"),
            (_implies((receiving | draining), rx.ready & (h_idle < ft)),
                   "receiving/draining: bytes taken, frame_timeout idle clocks end it"),
            (_implies(rx_acc, ~busy | receiving | draining), "no byte taken after a complete frame"),
            (_implies(bus.stb, busy & executes & ~tx.valid & ~rx.ready & (h_rcnt == 0) & ~h_err
                                   & (h_acks < n_spec)),
                   "stb only for a complete, CRC-checked, known, well-sized READ/WRITE, at most N words"),
            (_implies(bus.stb, bus.we == is_write), "we exactly for WRITE/WRITE_FIXED"),
            (_implies(bus.stb, bus.addr == (sh_addr + Mux(increments, h_acks, 0))[:ADDR_BITS]),
                   "transfer i at ADDR + i (FIXED: ADDR)"),
            (_implies(bus.stb, h_wait < bt), "stb waits at most bus_timeout clocks"),
            (_implies(tx.valid, busy & ~rx.ready & (h_rcnt < exp_len + 6)), "one response, no more bytes"),
            (_implies((tx.valid & check_byte), tx.payload == exp_byte), "response bytes as prescribed"),
            (_implies(prev_stall, tx.valid & (tx.payload == prev_payload)), "tx byte held while stalled"),
            (_implies(ended, (h_rcnt == exp_len + 6) & (h_rcrc == 0)), "complete response, CRC residue 0"),
            (dut.frame_done == ended, "frame_done pulses once per response"),
            (dut.frame_error == (ended & (exp_status != Status.OK)), "frame_error iff status != OK"),
        ] + data_checks:
            m.d.comb += check(cond, text)
        if self.part != "safety":
            m.d.comb += Assert(_implies(busy, cnt < N), "answered within N counted clocks")

        if self.invariants:
            self._invariants(m, reg, st, locals())
        return m

    def _invariants(self, m, reg, st, env):
        """White-box strengthening invariants (see the module docstring)."""
        ft, bt, N = self.spec.frame_timeout, self.spec.bus_timeout, self.bound
        e = SimpleNamespace(**env)   # the harness's signals by name
        busy, sh_cnt, sh_len, sh_crc = e.busy, e.sh_cnt, e.sh_len, e.sh_crc
        receive = ["CMD", "LEN", "PAYLOAD", "CRC_HI", "CRC_LO"]
        respond_after_sync = ["RESPOND_CMD", "RESPOND_STATUS", "RESPOND_LEN", "RESPOND_PAYLOAD",
                              "RESPOND_WAIT", "RESPOND_CRC_HI", "RESPOND_CRC_LO"]
        responding = Cat(*[st[s] for s in ["RESPOND_SYNC"] + respond_after_sync]).any()
        executing = st["FETCH"] | st["TRANSFER"]
        in_receive = Cat(*[st[s] for s in receive]).any()
        timer, index, length = reg["timer"], reg["index"], reg["length"]
        n_words, done, resp_len = reg["n_words"], reg["done"], reg["resp_len"]

        check = Assume if self.part == "liveness" else Assert   # liveness: proven by the safety part

        def inv(cond, text):
            m.d.comb += check(cond, f"invariant: {text}", src_loc_at=1)

        inv(busy == ~st["HUNT"], "busy iff not HUNT")
        inv(_implies((in_receive | st["DRAIN"]), (timer < ft) & (timer == e.h_idle)), "receive timer")
        inv(_implies(st["TRANSFER"], (timer < bt) & (timer == e.h_wait)), "bus timer")
        inv(_implies(st["FETCH"], e.h_wait == 0), "no wait before a transfer")
        inv(_implies(in_receive, e.receiving), "receive states are the shadow's receiving phase")
        inv(_implies(st["DRAIN"], e.draining), "drain state is the shadow's draining phase")
        inv(_implies(busy, reg["cmd"] == e.sh_cmd), "cmd")
        inv(_implies((busy & (sh_cnt >= 2)), length == sh_len), "length")
        inv(_implies(st["CMD"], (sh_cnt == 0) & (index == 0)), "CMD position")
        inv(_implies(st["LEN"], (sh_cnt == 1) & (index == 0)), "LEN position")
        inv(_implies(st["PAYLOAD"], (sh_cnt == index + 2) & (index < length) & (length <= MAX_PAYLOAD)),
            "PAYLOAD position")
        inv(_implies(st["CRC_HI"], (sh_cnt == length + 2) & (index == length) & (length <= MAX_PAYLOAD)),
            "CRC_HI position")
        inv(_implies(st["CRC_LO"], (sh_cnt == length + 3) & (index == length) & (length <= MAX_PAYLOAD)),
            "CRC_LO position")
        inv(_implies(st["CHECK"], e.complete & (index == length)), "CHECK: complete frame")
        inv(_implies(st["DRAIN"], sh_cnt == 2), "DRAIN: after LEN")
        inv(_implies((in_receive | st["DRAIN"] | st["CHECK"] | executing | st["RESPOND_SYNC"]), reg["crc"] == sh_crc),
            "request CRC register equals the bitwise CRC")
        pay = e.pay
        for k, mask in ((1, 0xFF), (2, 0xFFFF)):
            inv(_implies((busy & ~e.over & (pay == k)), ((reg["addr"] ^ e.sh_addr) & mask) == 0),
                f"address after {k} bytes")
        inv(_implies((busy & ~e.over & (pay >= 3)), reg["addr"] == e.sh_addr), "address")
        inv(_implies((busy & ~e.over & (pay >= 4)), reg["count"] == e.sh_count), "READ count")
        inv(_implies(busy, done == e.h_acks), "done counts acked transfers")
        inv(_implies((in_receive | st["DRAIN"] | st["CHECK"]), (e.h_acks == 0) & ~e.h_err), "no transfer yet")
        inv(_implies(executing, e.executes & ~e.h_err & (n_words == e.n_spec) & (done < n_words)
                              & (n_words >= 1) & (n_words <= MAX_WORDS)), "executing an accepted frame")
        inv(_implies((responding & e.executes), (n_words == e.n_spec) & (n_words >= 1) & (n_words <= MAX_WORDS)),
            "word count in the response")
        inv(_implies(responding, reg["status"] == e.exp_status), "status register")
        inv(_implies((busy & ~responding), (e.h_rcnt == 0) & ~e.dut.tx.valid), "no response yet")
        inv(_implies((busy & ~Cat(*[st[s] for s in respond_after_sync]).any()), e.h_rcrc == proto.CRC_INIT),
            "response CRC not started")
        positions = {"RESPOND_SYNC": 0, "RESPOND_CMD": 1, "RESPOND_STATUS": 2, "RESPOND_LEN": 3}
        for s, p in positions.items():
            inv(_implies(st[s], e.h_rcnt == p), f"{s} position")
            if s != "RESPOND_SYNC":
                inv(_implies(st[s], index == 0), f"{s}: payload index 0")
        for s in respond_after_sync:
            inv(_implies(st[s], resp_len == e.exp_len), f"{s}: resp_len")
            if s != "RESPOND_CRC_LO":
                inv(_implies(st[s], reg["crc"] == e.h_rcrc), f"{s}: response CRC register equals the bitwise CRC")
        inv(_implies(st["RESPOND_CRC_LO"], e.h_rcrc == _crc_spec(m, reg["crc"], reg["crc"][8:], proto.CRC_POLY)),
            "RESPOND_CRC_LO: the bitwise CRC has taken the CRC's high byte")
        inv(_implies((busy & ~e.executes), (e.h_acks == 0) & ~e.h_err), "no transfer for a frame not executed")
        inv(_implies((busy & e.executes), e.h_acks <= e.n_spec), "at most N transfers")
        inv(_implies(st["RESPOND_PAYLOAD"], (e.h_rcnt == index + 4) & (index < resp_len)), "payload position")
        inv(_implies(st["RESPOND_WAIT"], (e.h_rcnt == index + 4) & (index < resp_len) & (index[:2] == 0)
                                       & (index != 0)), "bubble position")
        inv(_implies(st["RESPOND_CRC_HI"], e.h_rcnt == resp_len + 4), "CRC_HI position")
        m.d.comb += e.hport.addr.eq(index[2:])
        engine_rd = [p for p in e.buffer.read_ports if p.domain == "sync"]
        assert len(engine_rd) == 1, "LinkEngine's buffer has one synchronous read port"
        inv(_implies(st["RESPOND_PAYLOAD"], engine_rd[0].data == e.hport.data),
            "the buffer's read port shows the word being sent")
        if self.data:
            at_j = e.buffer.read_port(domain="comb")
            at_done = e.buffer.read_port(domain="comb")
            m.d.comb += [at_j.addr.eq(e.j), at_done.addr.eq(done)]
            inv(_implies(st["TRANSFER"], engine_rd[0].data == at_done.data),
                "the buffer's read port shows the word being transferred")
            got = e.pay - e.word_first    # bytes of word j taken (when 0..4)
            not_read = ~(e.is_read & e.executes)
            inv(_implies((busy & ~e.over & (e.pay >= e.word_first + 4) & not_read), at_j.data == e.sh_word),
                "word j, once received, is in the buffer")
            for k, mask in ((1, 0xFF), (2, 0xFFFF), (3, 0xFFFFFF)):
                inv(_implies((st["PAYLOAD"] & (e.pay >= e.word_first) & (got == k)), 
                    ((reg["word"] ^ e.sh_word[:24]) & mask) == 0), f"word j: {k} bytes in the shift register")
            inv(_implies((busy & e.is_read & e.executes & (e.h_acks > e.j)), at_j.data == e.rword),
                "READ word j, once transferred, is in the buffer")
        inv(_implies(st["RESPOND_CRC_LO"], e.h_rcnt == resp_len + 5), "CRC_LO position")

        # ranking function: V = counted clocks still to come (an upper bound, drops >= 1 per counted clock)
        # any function of the state will do as V: what is proven is cnt + V <= N and V >= 1
        V = Signal(signed(N.bit_length() + 2))
        t = timer
        cmd = reg["cmd"]
        c_eff = Mux(e.pay >= 4, reg["count"], MAX_WORDS)
        kinds = {"write": (cmd == Command.WRITE) | (cmd == Command.WRITE_FIXED),
                 "read": (cmd == Command.READ) | (cmd == Command.READ_FIXED),
                 "ping": cmd == Command.PING}

        def exec_bound(L, c):
            w_ok = (L >= ADDR_BYTES + 4) & ((L - ADDR_BYTES)[:2] == 0)
            r_ok = (L == ADDR_BYTES + 1) & (c >= 1) & (c <= MAX_WORDS)
            return Mux(kinds["write"] & w_ok, (L - ADDR_BYTES)[2:] * (bt + 1) + 7,
                   Mux(kinds["read"] & r_ok, c * (bt + 1) + 5 * c + 5,
                   Mux(kinds["ping"] & (L == 0), 10, 7)))

        k_len = Mux(kinds["write"], _k_len("write", ft, bt), Mux(kinds["read"], _k_len("read", ft, bt),
                    Mux(kinds["ping"], _k_len("ping", ft, bt), _k_len("other", ft, bt))))
        r_ok = Mux(kinds["read"], 5 * n_words + 5, 7)
        status_ok = reg["status"] == Status.OK
        rl_exp = Mux(status_ok & kinds["ping"], 4, Mux(status_ok & kinds["read"], n_words << 2, 1))
        rest = lambda rl: rl + ((rl - 1) >> 2)   # noqa: E731  payload bytes + bubbles
        left = lambda rl, i: rl - i + ((rl - 1) >> 2) - (i >> 2) + 2  # noqa: E731
        values = {
            "HUNT": 0,
            "CMD": _k_cmd(ft, bt) - t,
            "LEN": k_len - t,
            "PAYLOAD": (length - index + 2) * ft - t + 1 + exec_bound(length, c_eff),
            "CRC_HI": 2 * ft - t + 1 + exec_bound(length, c_eff),
            "CRC_LO": ft - t + 1 + exec_bound(length, c_eff),
            "CHECK": 1 + exec_bound(length, c_eff),
            "DRAIN": 7,
            "FETCH": (n_words - done) * (bt + 1) + r_ok,
            "TRANSFER": (bt - t) + (n_words - done - 1) * (bt + 1) + r_ok,
            "RESPOND_SYNC": 6 + rest(rl_exp),
            "RESPOND_CMD": 5 + rest(resp_len),
            "RESPOND_STATUS": 4 + rest(resp_len),
            "RESPOND_LEN": 3 + rest(resp_len),
            "RESPOND_PAYLOAD": left(resp_len, index),
            "RESPOND_WAIT": left(resp_len, index) + 1,
            "RESPOND_CRC_HI": 2,
            "RESPOND_CRC_LO": 1,
        }
        assert set(values) == set(st), sorted(set(st) ^ set(values))
        expr = 0
        for s, v in values.items():
            expr = Mux(st[s], v, expr)
        m.d.comb += V.eq(expr)
        if self.part != "safety":
            m.d.comb += Assert(_implies(busy, (V >= 1) & (e.cnt + V <= N)), "invariant: ranking: cnt + V <= N, V >= 1")


# name -> harness; `make formal` proves them all. ft/bt 2/2: the smallest timeouts (every timeout
# edge close); 16/64: the fuzz bench's engine (designs/hostlink.py); the safety part carries the
# data-path properties, the liveness part assumes the safety part's (proven) invariants.
CASES = {f"hostlink-{part}-ft{ft}-bt{bt}": dict(frame_timeout=ft, bus_timeout=bt, part=part,
                                                data=part == "safety")
         for ft, bt in ((2, 2), (16, 64)) for part in ("safety", "liveness")}


def _hostlink_cases():
    return {name: LinkEngineProperties(**kw) for name, kw in CASES.items()}


HARNESSES = {"hostlink": _hostlink_cases}
PROPERTIES = {"hostlink": HOSTLINK_PROPERTIES}
