"""The host link: frame decoder/encoder that turns host requests into host bus transfers.

The wire format is :mod:`neuroxide.models.hostlink` (every constant comes from there).

* :class:`LinkEngine` works on byte streams: requests in on ``rx``, responses out on ``tx``, and
  drives ``bus`` (:class:`~neuroxide.rtl.hostbus.HostBusSignature`) as the initiator. Tests drive
  it byte by byte, one byte per clock.
* :class:`HostLinkUART` puts :class:`~neuroxide.rtl.uart.UARTRx`/:class:`~neuroxide.rtl.uart.UARTTx`
  in front of it: ``rx``/``tx`` pins and ``bus``.

Engine behaviour:

1. *Receive*: bytes before a sync byte ``0xA5`` are dropped. The frame is then taken one byte per
   clock (``rx.ready`` high) while a CRC-16 register is updated by a one-byte XOR network. The
   three address bytes and the READ count go to registers, WRITE data words to a
   ``MAX_WORDS`` x 32-bit buffer memory (1024 bits, one block RAM or LUT RAM); so the biggest
   frame (``MAX_PAYLOAD`` = 131 payload bytes) is held whole before anything is done with it.
   A gap of ``frame_timeout`` clocks inside a frame abandons it (``FRAME_TIMEOUT``). A LEN above
   ``MAX_PAYLOAD`` switches to draining: bytes are dropped until the line has been idle for
   ``frame_timeout`` clocks, then ``BAD_LENGTH`` is answered.
2. *Check* (1 clock): CRC residue 0, known command, length fitting the command; otherwise the
   error is answered and the bus is not touched.
3. *Execute*: one transfer per word, in order: 1 clock to fetch the word from the buffer, then
   ``stb`` until ``ack`` (``ack`` ``k`` >= 1 clocks after ``stb`` rose, so ``stb`` is high
   ``k + 1`` clocks): ``k + 2`` clocks per word. READ data goes into the
   buffer. ``ack`` with ``err`` stops the frame (``BUS_ERROR``); no ``ack`` within
   ``bus_timeout`` clocks drops ``stb`` and stops it (``BUS_TIMEOUT``). Addresses wrap modulo
   2^24.
4. *Respond*: the response bytes go out on ``tx``, one per clock while ``tx.ready``; during
   execute and respond ``rx.ready`` is low (strict request/response). Then back to 1.

Latency with an always-ready ``tx`` and a bus acking after ``k`` clocks: a frame of ``B``
request bytes, ``N`` words and ``R`` response bytes takes ``B + 1 + N * (k + 2) + R`` clocks from
its first byte to the last response byte being accepted, plus one bubble clock per word after
the first in a READ response (the buffer's read port); e.g. a 32-word WRITE with k = 1: 136 + 1
+ 96 + 7 = 240 clocks, a 32-word READ: 7 + 1 + 96 + 134 + 31 = 269. The next frame's sync byte
is accepted the clock after the last response byte (tests/test_hostlink_rtl.py checks both). Over the UART every byte
costs ``10 * divisor`` clocks on the line, which dwarfs the engine's own clocks.

Outputs for LEDs/monitoring: ``frame_done`` pulses once per response sent, ``frame_error`` with it
when the status was not OK, ``busy`` is high from a sync byte to the end of the response.
"""

from amaranth.hdl import Cat, Const, Module, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from neuroxide.errors import ParameterError
from neuroxide.models import hostlink as proto

from .hostbus import ADDR_BITS, HostBusSignature
from .uart import UARTRx, UARTTx

__all__ = ["crc16_update_rtl", "LinkEngine", "HostLinkUART", "DEFAULT_BUS_TIMEOUT"]

DEFAULT_BUS_TIMEOUT = 1024  # clocks a bus transfer may wait for ack


def _crc_matrix():
    # CRC-16 with no final XOR is linear over GF(2) in (register, byte): bit j of the next register
    # is the XOR of the input bits whose unit vectors set bit j. Derived from the protocol's own
    # integer crc16_update, so RTL and host cannot disagree on the polynomial.
    rows = [[] for _ in range(16)]
    for i in range(24):
        out = proto.crc16_update(1 << i, 0) if i < 16 else proto.crc16_update(0, 1 << (i - 16))
        for j in range(16):
            if out >> j & 1:
                rows[j].append(i)
    return rows


_CRC_ROWS = _crc_matrix()


def crc16_update_rtl(crc, byte):
    """Amaranth value of the CRC-16/CCITT register after shifting in ``byte`` (one XOR network)."""
    inputs = Cat(crc, byte)
    return Cat(*[Cat(*[inputs[i] for i in row]).xor() for row in _CRC_ROWS])


def _check_cycles(name, value, lo=1, hi=1 << 24):
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ParameterError(name, value, f"an integer number of clocks in {lo}..{hi}")


class LinkEngine(wiring.Component):
    """Byte-stream frame engine: ``rx`` requests -> ``bus`` transfers -> ``tx`` responses.

    Parameters: ``frame_timeout`` (clocks of silence that abandon a half-received frame, >= 2) and
    ``bus_timeout`` (clocks a transfer may wait for ``ack``). Latency: see the module docstring.

    Ports: ``rx``, ``tx`` (byte streams), ``bus``, ``busy``, ``frame_done``, ``frame_error``; with
    ``observe=True`` also ``observed`` for a formal harness: ``observed.state.<NAME>`` is high while
    the FSM is in state NAME (:attr:`STATES`) and ``observed.registers.<name>`` is register name
    (:meth:`register_shapes`). ``buffer``: the ``MAX_WORDS`` x 32-bit frame buffer, built in the
    constructor so that a harness can add read ports of its own before elaboration (the engine's
    are its first write and first read port).
    """

    # the FSM's states (observe=True shows which one is current)
    STATES = ("HUNT", "CMD", "LEN", "PAYLOAD", "CRC_HI", "CRC_LO", "DRAIN", "CHECK", "FETCH", "TRANSFER",
              "RESPOND_SYNC", "RESPOND_CMD", "RESPOND_STATUS", "RESPOND_LEN", "RESPOND_PAYLOAD", "RESPOND_WAIT",
              "RESPOND_CRC_HI", "RESPOND_CRC_LO")

    def __init__(self, frame_timeout, bus_timeout=DEFAULT_BUS_TIMEOUT, *, observe=False):
        _check_cycles("frame_timeout", frame_timeout, lo=2)
        _check_cycles("bus_timeout", bus_timeout)
        self.frame_timeout = frame_timeout
        self.bus_timeout = bus_timeout
        self.observe = observe
        self.buffer = Memory(shape=32, depth=proto.MAX_WORDS, init=[])
        wr = self.buffer.write_port()
        rd = self.buffer.read_port()  # synchronous: data one clock after the address
        self._buffer_ports = wr, rd
        members = {"rx": In(stream.Signature(8)), "tx": Out(stream.Signature(8)), "bus": Out(HostBusSignature()),
                   "busy": Out(1), "frame_done": Out(1), "frame_error": Out(1)}
        if observe:
            members["observed"] = Out(data.StructLayout({
                "state": data.StructLayout({name: 1 for name in self.STATES}),
                "registers": data.StructLayout(self.register_shapes())}))
        super().__init__(members)

    def register_shapes(self):
        """``{name: shape}`` of the engine's registers (``observed.registers`` with ``observe=True``)."""
        return {
            "crc": 16, "cmd": 8, "length": 8,
            "index": 8,          # payload byte (receive) / response payload byte
            "addr": ADDR_BITS,
            "count": 8,          # READ count byte
            "word": 24,          # the first three bytes of a data word
            "n_words": range(proto.MAX_WORDS + 1), "done": range(proto.MAX_WORDS + 1),
            "status": 8, "resp_len": 8,
            "timer": range(max(self.frame_timeout, self.bus_timeout) + 1),
        }

    def elaborate(self, platform):
        m = Module()
        Command, Status = proto.Command, proto.Status
        m.submodules.buffer = self.buffer
        wr, rd = self._buffer_ports

        shape = self.register_shapes()
        crc = Signal(shape["crc"])
        cmd = Signal(shape["cmd"])
        length = Signal(shape["length"])
        index = Signal(shape["index"])
        addr = Signal(shape["addr"])
        count = Signal(shape["count"])
        word = Signal(shape["word"])
        n_words = Signal(shape["n_words"])
        done = Signal(shape["done"])
        status = Signal(shape["status"])
        resp_len = Signal(shape["resp_len"])
        timer = Signal(shape["timer"])

        is_write = (cmd == Command.WRITE) | (cmd == Command.WRITE_FIXED)
        is_read = (cmd == Command.READ) | (cmd == Command.READ_FIXED)
        increments = (cmd == Command.WRITE) | (cmd == Command.READ)
        known = Cat(*[cmd == c for c in Command]).any()
        data_index = Signal(8)
        m.d.comb += data_index.eq(index - proto.ADDR_BYTES)

        rx_byte = self.rx.valid & self.rx.ready
        tx_byte = self.tx.valid & self.tx.ready
        m.d.sync += [self.frame_done.eq(0), self.frame_error.eq(0)]

        def receive_timeout():
            # silence inside a frame: count, and give up after frame_timeout clocks
            with m.If(~rx_byte):
                m.d.sync += timer.eq(timer + 1)
                with m.If(timer == self.frame_timeout - 1):
                    m.d.sync += [status.eq(Status.FRAME_TIMEOUT), done.eq(0)]
                    m.next = "RESPOND_SYNC"
            with m.Else():
                m.d.sync += timer.eq(0)

        def respond(code):
            m.d.sync += status.eq(code)
            m.next = "RESPOND_SYNC"

        with m.FSM() as fsm:
            with m.State("HUNT"):
                m.d.comb += self.rx.ready.eq(1)
                with m.If(rx_byte & (self.rx.payload == proto.SYNC_REQUEST)):
                    m.d.sync += [crc.eq(proto.CRC_INIT), cmd.eq(0), timer.eq(0), done.eq(0),
                                 index.eq(0)]
                    m.next = "CMD"
            with m.State("CMD"):
                m.d.comb += [self.rx.ready.eq(1), self.busy.eq(1)]
                receive_timeout()
                with m.If(rx_byte):
                    m.d.sync += [cmd.eq(self.rx.payload), crc.eq(crc16_update_rtl(crc, self.rx.payload))]
                    m.next = "LEN"
            with m.State("LEN"):
                m.d.comb += [self.rx.ready.eq(1), self.busy.eq(1)]
                receive_timeout()
                with m.If(rx_byte):
                    m.d.sync += [length.eq(self.rx.payload), crc.eq(crc16_update_rtl(crc, self.rx.payload))]
                    with m.If(self.rx.payload > proto.MAX_PAYLOAD):
                        m.next = "DRAIN"
                    with m.Elif(self.rx.payload == 0):
                        m.next = "CRC_HI"
                    with m.Else():
                        m.next = "PAYLOAD"
            with m.State("PAYLOAD"):
                m.d.comb += [self.rx.ready.eq(1), self.busy.eq(1)]
                receive_timeout()
                byte = self.rx.payload
                m.d.comb += [wr.addr.eq(data_index[2:]), wr.data.eq(Cat(byte, word))]
                with m.If(rx_byte):
                    m.d.sync += [crc.eq(crc16_update_rtl(crc, byte)), index.eq(index + 1)]
                    with m.If(index < proto.ADDR_BYTES):
                        m.d.sync += addr.eq(Cat(byte, addr[:-8]))
                    with m.Else():
                        m.d.sync += word.eq(Cat(byte, word[:-8]))
                        m.d.comb += wr.en.eq(data_index[:2] == 3)
                    with m.If(index == proto.ADDR_BYTES):
                        m.d.sync += count.eq(byte)
                    with m.If(index == length - 1):
                        m.next = "CRC_HI"
            with m.State("CRC_HI"):
                m.d.comb += [self.rx.ready.eq(1), self.busy.eq(1)]
                receive_timeout()
                with m.If(rx_byte):
                    m.d.sync += crc.eq(crc16_update_rtl(crc, self.rx.payload))
                    m.next = "CRC_LO"
            with m.State("CRC_LO"):
                m.d.comb += [self.rx.ready.eq(1), self.busy.eq(1)]
                receive_timeout()
                with m.If(rx_byte):
                    m.d.sync += crc.eq(crc16_update_rtl(crc, self.rx.payload))
                    m.next = "CHECK"
            with m.State("DRAIN"):
                m.d.comb += [self.rx.ready.eq(1), self.busy.eq(1)]
                with m.If(rx_byte):
                    m.d.sync += timer.eq(0)
                with m.Else():
                    m.d.sync += timer.eq(timer + 1)
                    with m.If(timer == self.frame_timeout - 1):
                        respond(Status.BAD_LENGTH)
            with m.State("CHECK"):
                m.d.comb += self.busy.eq(1)
                write_ok = ((length >= proto.ADDR_BYTES + 4) &
                            ((length - proto.ADDR_BYTES)[:2] == 0))
                read_ok = ((length == proto.ADDR_BYTES + 1) & (count >= 1) &
                           (count <= proto.MAX_WORDS))
                m.d.sync += [timer.eq(0), done.eq(0), index.eq(0),
                             n_words.eq((length - proto.ADDR_BYTES)[2:])]
                with m.If(is_read):
                    m.d.sync += n_words.eq(count)
                with m.If(crc != 0):
                    respond(Status.BAD_CRC)
                with m.Elif(~known):
                    respond(Status.UNKNOWN_COMMAND)
                with m.Elif((cmd == Command.PING) & (length != 0)):
                    respond(Status.BAD_LENGTH)
                with m.Elif(is_write & ~write_ok):
                    respond(Status.BAD_LENGTH)
                with m.Elif(is_read & ~read_ok):
                    respond(Status.BAD_LENGTH)
                with m.Elif(cmd == Command.PING):
                    respond(Status.OK)
                with m.Else():
                    m.next = "FETCH"
            with m.State("FETCH"):
                # the buffer's read port shows word `done` from the next clock on
                m.d.comb += [self.busy.eq(1), rd.addr.eq(done)]
                m.d.sync += timer.eq(0)
                m.next = "TRANSFER"
            with m.State("TRANSFER"):
                m.d.comb += [
                    self.busy.eq(1), rd.addr.eq(done),
                    self.bus.stb.eq(1), self.bus.we.eq(is_write),
                    self.bus.addr.eq(addr + (done & increments.replicate(done.shape().width))),
                    self.bus.w_data.eq(rd.data),
                    wr.addr.eq(done), wr.data.eq(self.bus.r_data),
                ]
                with m.If(self.bus.ack):
                    with m.If(self.bus.err):
                        respond(Status.BUS_ERROR)
                    with m.Else():
                        m.d.comb += wr.en.eq(is_read)
                        m.d.sync += done.eq(done + 1)
                        with m.If(done == n_words - 1):
                            respond(Status.OK)
                        with m.Else():
                            m.next = "FETCH"
                with m.Else():
                    m.d.sync += timer.eq(timer + 1)
                    with m.If(timer == self.bus_timeout - 1):
                        respond(Status.BUS_TIMEOUT)

            # response: sync, cmd, status, len, payload, crc (see models/hostlink.py)
            ok = status == Status.OK
            with m.State("RESPOND_SYNC"):
                m.d.comb += [self.busy.eq(1), self.tx.valid.eq(1),
                             self.tx.payload.eq(proto.SYNC_RESPONSE)]
                m.d.sync += [index.eq(0), resp_len.eq(1)]
                with m.If(ok & (cmd == Command.PING)):
                    m.d.sync += resp_len.eq(4)
                with m.If(ok & is_read):
                    m.d.sync += resp_len.eq(n_words << 2)
                with m.If(tx_byte):
                    m.d.sync += crc.eq(proto.CRC_INIT)
                    m.next = "RESPOND_CMD"
            for state, value, after in (("RESPOND_CMD", cmd, "RESPOND_STATUS"),
                                        ("RESPOND_STATUS", status, "RESPOND_LEN"),
                                        ("RESPOND_LEN", resp_len, "RESPOND_PAYLOAD")):
                with m.State(state):
                    m.d.comb += [self.busy.eq(1), self.tx.valid.eq(1), self.tx.payload.eq(value)]
                    with m.If(tx_byte):
                        m.d.sync += crc.eq(crc16_update_rtl(crc, value))
                        m.next = after
            with m.State("RESPOND_PAYLOAD"):
                ping_bytes = Const.cast(Cat(Const(proto.MAGIC[0], 8), Const(proto.MAGIC[1], 8),
                                            Const(proto.PROTOCOL_VERSION, 8),
                                            Const(proto.MAX_WORDS, 8)))
                payload = Signal(8)
                m.d.comb += [self.busy.eq(1), self.tx.valid.eq(1), self.tx.payload.eq(payload),
                             rd.addr.eq(index[2:])]
                with m.If(ok & (cmd == Command.PING)):
                    m.d.comb += payload.eq(ping_bytes.word_select(index[:2], 8))
                with m.Elif(ok & is_read):
                    # big-endian: byte 0 of a word is its bits 31..24
                    m.d.comb += payload.eq(rd.data.word_select(~index[:2], 8))
                with m.Else():
                    m.d.comb += payload.eq(done)
                with m.If(tx_byte):
                    m.d.sync += [crc.eq(crc16_update_rtl(crc, payload)), index.eq(index + 1)]
                    with m.If(index == resp_len - 1):
                        m.next = "RESPOND_CRC_HI"
                    with m.Elif(index[:2] == 3):
                        m.next = "RESPOND_WAIT"  # the read port needs a clock for the next word
            with m.State("RESPOND_WAIT"):
                m.d.comb += [self.busy.eq(1), rd.addr.eq(index[2:])]
                m.next = "RESPOND_PAYLOAD"
            with m.State("RESPOND_CRC_HI"):
                m.d.comb += [self.busy.eq(1), self.tx.valid.eq(1), self.tx.payload.eq(crc[8:])]
                with m.If(tx_byte):
                    m.next = "RESPOND_CRC_LO"
            with m.State("RESPOND_CRC_LO"):
                m.d.comb += [self.busy.eq(1), self.tx.valid.eq(1), self.tx.payload.eq(crc[:8])]
                with m.If(tx_byte):
                    m.d.sync += [self.frame_done.eq(1), self.frame_error.eq(~ok)]
                    m.next = "HUNT"
        if self.observe:
            assert set(fsm.encoding) == set(self.STATES), "LinkEngine.STATES lists the FSM's states"
            registers = {"crc": crc, "cmd": cmd, "length": length, "index": index, "addr": addr, "count": count,
                         "word": word, "n_words": n_words, "done": done, "status": status, "resp_len": resp_len,
                         "timer": timer}
            m.d.comb += [self.observed.state[name].eq(fsm.ongoing(name)) for name in self.STATES]
            m.d.comb += [self.observed.registers[name].eq(value) for name, value in registers.items()]
        return m


class HostLinkUART(wiring.Component):
    """:class:`LinkEngine` behind an 8N1 UART: ``rx``/``tx`` pins in and out, ``bus`` to a core.

    ``divisor``: clocks per bit (:func:`~neuroxide.rtl.uart.uart_divisor`); ``frame_timeout``
    (clocks, default 64 byte times) and ``bus_timeout`` go to the engine. ``overrun`` and
    ``framing_error`` pulse from the receiver (a byte lost because the engine was busy, a bad
    stop bit).
    """

    rx: In(1, init=1)
    tx: Out(1, init=1)
    bus: Out(HostBusSignature())
    busy: Out(1)
    frame_done: Out(1)
    frame_error: Out(1)
    overrun: Out(1)
    framing_error: Out(1)

    def __init__(self, divisor, frame_timeout=None, bus_timeout=DEFAULT_BUS_TIMEOUT):
        self.divisor = divisor
        self.frame_timeout = 640 * divisor if frame_timeout is None else frame_timeout
        self.uart_rx = UARTRx(divisor)
        self.uart_tx = UARTTx(divisor)
        self.engine = LinkEngine(self.frame_timeout, bus_timeout)
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        m.submodules.uart_rx = self.uart_rx
        m.submodules.uart_tx = self.uart_tx
        m.submodules.engine = self.engine
        wiring.connect(m, self.uart_rx.o, self.engine.rx)
        wiring.connect(m, self.engine.tx, self.uart_tx.i)
        wiring.connect(m, wiring.flipped(self.bus), self.engine.bus)
        m.d.comb += [
            self.uart_rx.rx.eq(self.rx), self.tx.eq(self.uart_tx.tx),
            self.busy.eq(self.engine.busy | self.uart_tx.busy),
            self.frame_done.eq(self.engine.frame_done), self.frame_error.eq(self.engine.frame_error),
            self.overrun.eq(self.uart_rx.overrun), self.framing_error.eq(self.uart_rx.framing_error),
        ]
        return m
