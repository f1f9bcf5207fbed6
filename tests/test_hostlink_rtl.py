"""Host link RTL in Amaranth's simulator: every command, malformed frames, bus timeouts, timing.

Most tests feed the byte-stream engine (one byte per clock) through AmaranthTransport with a
RegisterFileCore behind it; the UART tests drive the rx pin bit by bit. "No bus write happened"
is checked on the bus itself (every stb & ack is logged).
"""

import random

import pytest
from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In
from amaranth.sim import Simulator

from neuroxide.boards.host import HostLink, HostLinkError, HostLinkTimeout, SerialTransport
from neuroxide.boards.linktop import HostLinkTop
from neuroxide.errors import ParameterError
from neuroxide.models import hostlink as proto
from neuroxide.models.hostlink import GAP, Command, Status
from neuroxide.models.register_file import register_file_map
from neuroxide.rtl.hostbus import HostBusSignature
from neuroxide.rtl.hostlink import LinkEngine, crc16_update_rtl
from neuroxide.rtl.register_file import RegisterFileCore
from neuroxide.rtl.uart import UARTRx, uart_divisor
from neuroxide.testbench.hostlink_top import AmaranthTransport

FRAME_TIMEOUT = 40
REGISTERS = register_file_map()  # the demo core's map (256 RAM words)
ID = REGISTERS["ID"].reset


def _link(**kw):
    transport = AmaranthTransport(frame_timeout=FRAME_TIMEOUT, **kw)
    return HostLink(transport, retries=0, settle_s=0), transport


def _exchange(transport, stream):
    """Send raw bytes/GAPs, let the device answer, return its responses."""
    for item in stream:
        if item == GAP:
            transport.idle()
        else:
            transport.write(bytes([item]))
    transport.run(len(stream) * 3 + 8 * FRAME_TIMEOUT + 2000)
    data = bytes(transport.received)
    transport.received.clear()
    return proto.split_responses(data)


def _writes(transport):
    return [t for t in transport.transfers if t[1]]


# -- commands -------------------------------------------------------------------------------------
def test_every_command():
    link, transport = _link()
    assert link.ping() == {"version": proto.PROTOCOL_VERSION, "max_words": proto.MAX_WORDS}
    data = [random.Random(1).getrandbits(32) for _ in range(70)]  # 3 frames: 32 + 32 + 6
    link.write(100, data)
    assert link.read(100, 70) == data
    assert link.read(0xFFFF00, 1) == [ID]
    assert link.read(0x123456, 2) == [0, 0]  # unmapped: acked, reads 0
    link.write(0xFFFF01, [11, 22, 33], increment=False)
    assert link.read(REGISTERS.address("COUNT"), 1) == [3]
    assert link.read(0xFFFF01, 3, increment=False) == [11, 22, 33]
    assert link.read(0xFFFF01, 1, increment=False) == [0]  # empty FIFO
    # each word went to the address the command says, in order
    assert [t[0] for t in _writes(transport)][:70] == list(range(100, 170))
    assert [t[0] for t in _writes(transport)][70:] == [0xFFFF01] * 3


def test_addresses_wrap_at_24_bits():
    link, transport = _link(core=RegisterFileCore(depth=4))
    link.write(proto.ADDR_MASK, [5, 6])
    assert [t[0] for t in _writes(transport)] == [proto.ADDR_MASK, 0]
    assert link.read(0, 1) == [6]


def test_bus_error_stops_the_frame_and_reports_words_done():
    link, transport = _link()
    with pytest.raises(HostLinkError) as error:
        link.write(0xFFFF01, [1, 2, 3, 4, 5, 6], increment=False)  # FIFO holds 4
    assert error.value.status == Status.BUS_ERROR and error.value.done == 4
    assert len(transport.transfers) == 5 and transport.transfers[-1][4] == 1
    assert link.read(0xFFFF01, 4, increment=False) == [1, 2, 3, 4]


class SilentTarget(wiring.Component):
    """A broken core: never acks."""

    bus: In(HostBusSignature())

    def elaborate(self, platform):
        return Module()


def test_target_that_never_acks_times_out_and_the_link_recovers():
    link, transport = _link(core=SilentTarget(), bus_timeout=50)
    for call in (lambda: link.read(7, 3), lambda: link.write(7, [1, 2])):
        with pytest.raises(HostLinkError) as error:
            call()
        assert error.value.status == Status.BUS_TIMEOUT and error.value.done == 0
    assert link.ping()["version"] == proto.PROTOCOL_VERSION


def test_bus_timeout_is_bounded():
    link, transport = _link(core=SilentTarget(), bus_timeout=50)
    transport.write(proto.read_request(0, 1))
    transport.run(300)
    assert transport.tx_clocks, "no response within 300 clocks"
    # request bytes, check, fetch, 50 clocks of stb: the response starts right after
    assert transport.tx_clocks[0] - transport.rx_clocks[-1] == 1 + 1 + 50 + 1


# -- malformed frames: right code, no bus write --------------------------------------------------
def _body(cmd, payload):
    return bytes([cmd, len(payload)]) + payload


BAD_FRAMES = {
    "bad_crc": (proto.write_request(3, [1, 2])[:-1] + b"\x00", Command.WRITE, Status.BAD_CRC),
    "flipped_data_bit": (bytes(b ^ (0x10 if i == 9 else 0) for i, b in
                               enumerate(proto.write_request(3, [1, 2]))), Command.WRITE,
                         Status.BAD_CRC),
    "unknown_command": (proto.encode_request(0x33, bytes(7)), 0x33, Status.UNKNOWN_COMMAND),
    "write_length": (proto.encode_request(Command.WRITE, bytes(9)), Command.WRITE, Status.BAD_LENGTH),
    "write_no_word": (proto.encode_request(Command.WRITE_FIXED, bytes(3)), Command.WRITE_FIXED,
                      Status.BAD_LENGTH),
    "read_count_0": (proto.encode_request(Command.READ, bytes(4)), Command.READ, Status.BAD_LENGTH),
    "read_count_33": (proto.encode_request(Command.READ, bytes([0, 0, 0, 33])), Command.READ,
                      Status.BAD_LENGTH),
    "ping_payload": (proto.encode_request(Command.PING, b"\x01"), Command.PING, Status.BAD_LENGTH),
    "overlong": (bytes([proto.SYNC_REQUEST]) + _body(Command.WRITE, bytes(range(140))) + b"\0\0",
                 Command.WRITE, Status.BAD_LENGTH),
    "truncated": (proto.write_request(3, [1, 2])[:9], Command.WRITE, Status.FRAME_TIMEOUT),
    "sync_only": (bytes([proto.SYNC_REQUEST]), 0, Status.FRAME_TIMEOUT),
}


@pytest.mark.parametrize("name", sorted(BAD_FRAMES))
def test_malformed_frame_is_rejected_without_bus_write(name):
    frame, cmd, status = BAD_FRAMES[name]
    link, transport = _link()
    responses = _exchange(transport, [*frame, GAP, *proto.ping_request()])
    assert responses[0] == proto.Response(cmd, status, b"\0")
    assert transport.transfers == []  # not a single bus transfer, let alone a write
    assert responses[1].status == Status.OK and len(responses) == 2  # link back in sync


def test_garbage_between_frames_is_ignored():
    link, transport = _link()
    garbage = bytes(b for b in random.Random(3).randbytes(200) if b != proto.SYNC_REQUEST)
    stream = [*garbage, *proto.write_request(9, [77]), *garbage[:50], *proto.read_request(9, 1)]
    responses = _exchange(transport, stream)
    assert responses == [proto.Response(Command.WRITE, Status.OK, b"\x01"),
                         proto.Response(Command.READ, Status.OK, (77).to_bytes(4, "big"))]


def test_bad_frame_sends_nothing_to_the_bus_even_for_fifo_writes():
    link, transport = _link()
    frame = bytearray(proto.write_request(0xFFFF01, [1, 2, 3], increment=False))
    frame[-3] ^= 1
    assert _exchange(transport, list(frame))[0].status == Status.BAD_CRC
    assert link.read(REGISTERS.address("COUNT"), 1) == [0]


# -- timing -------------------------------------------------------------------------------------
def test_back_to_back_frames_stall_free_with_documented_latency():
    link, transport = _link()
    write = proto.write_request(0, list(range(32)))
    read = proto.read_request(0, 32)
    transport.write(write + read + proto.ping_request())
    transport.run(2000)
    responses = proto.split_responses(bytes(transport.received))
    assert [r.status for r in responses] == [Status.OK] * 3
    assert responses[1].words == list(range(32))
    rx, tx = transport.rx_clocks, transport.tx_clocks
    # write: B + 1 + N(k+2) + R clocks from its first byte to its last response byte (k = 1)
    assert tx[6] - rx[0] + 1 == len(write) + 1 + 32 * 3 + 7
    # the next frame's sync byte is taken the clock after the last response byte
    assert rx[len(write)] == tx[6] + 1
    # read: the response has a one-clock bubble per word after the first (buffer read port)
    start = len(write)
    assert tx[6 + 134] - rx[start] + 1 == len(read) + 1 + 32 * 3 + 134 + 31


# -- UART level ------------------------------------------------------------------------------------
def test_through_the_uart_pins():
    transport = AmaranthTransport(divisor=6, frame_timeout=400)
    link = HostLink(transport, retries=0, settle_s=0)
    assert link.ping()["max_words"] == proto.MAX_WORDS
    data = [random.Random(5).getrandbits(32) for _ in range(5)]
    link.write(40, data)
    assert link.read(40, 5) == data
    frame = bytearray(proto.write_request(40, [0]))
    frame[5] ^= 4
    assert _uart_exchange(transport, frame).status == Status.BAD_CRC
    assert link.read(40, 1) == data[:1]


def _uart_exchange(transport, frame):
    transport.write(frame)
    head = transport.read(4)
    return proto.decode_response(head + transport.read(head[3] + 2))


def test_driver_retries_after_a_corrupted_request():
    transport = AmaranthTransport(frame_timeout=FRAME_TIMEOUT)

    class Flaky:
        sent = 0

        def write(self, data):
            Flaky.sent += 1
            if Flaky.sent == 1:  # the line corrupts the first request
                data = data[:-1] + bytes([data[-1] ^ 0xFF])
            transport.write(data)

        def __getattr__(self, name):
            return getattr(transport, name)

    link = HostLink(Flaky(), retries=1, settle_s=0)
    link.write(2, [42])
    assert link.retried == 1 and link.read(2, 1) == [42]


def test_driver_times_out_on_silence():
    class Silent:
        def write(self, data):
            pass

        def read(self, n, timeout_s):
            return b""

        def flush_input(self):
            pass

    link = HostLink(Silent(), timeout_s=0.01, retries=1, settle_s=0)
    with pytest.raises(HostLinkTimeout, match="no response"):
        link.ping()
    assert link.retried == 1


def test_serial_transport_missing_port():
    with pytest.raises(ParameterError, match="port"):
        SerialTransport("/dev/does-not-exist-neuroxide", 115200)


# -- pieces ------------------------------------------------------------------------------------
def test_rtl_crc_equals_protocol_crc():
    crc, byte, out = Signal(16), Signal(8), Signal(16)
    m = Module()
    m.d.comb += out.eq(crc16_update_rtl(crc, byte))
    rng = random.Random(7)
    cases = [(rng.getrandbits(16), rng.getrandbits(8)) for _ in range(300)] + [(0xFFFF, 0), (0, 0xFF)]

    async def bench(ctx):
        for c, b in cases:
            ctx.set(crc, c)
            ctx.set(byte, b)
            assert ctx.get(out) == proto.crc16_update(c, b), (c, b)

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()


def test_uart_rx_ignores_a_false_start():
    div = 8
    dut = UARTRx(div)
    got = []

    async def bench(ctx):
        ctx.set(dut.o.ready, 1)
        ctx.set(dut.rx, 0)  # glitch shorter than half a bit
        await ctx.tick().repeat(div // 2 - 2)
        ctx.set(dut.rx, 1)
        await ctx.tick().repeat(3 * div)
        for byte in (0x5A, 0xC3):
            for bit in [0, *((byte >> i) & 1 for i in range(8)), 1]:
                ctx.set(dut.rx, bit)
                for _ in range(div):
                    await ctx.tick()
                    if ctx.get(dut.o.valid):
                        got.append(ctx.get(dut.o.payload))
        for _ in range(2 * div):
            await ctx.tick()
            if ctx.get(dut.o.valid):
                got.append(ctx.get(dut.o.payload))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert got == [0x5A, 0xC3]


@pytest.mark.parametrize("call, field", [
    (lambda: LinkEngine(frame_timeout=1), "frame_timeout"),
    (lambda: LinkEngine(frame_timeout=10, bus_timeout=0), "bus_timeout"),
    (lambda: uart_divisor(12e6, 6e6), "baud"),
    (lambda: uart_divisor(12e6, 0), "baud"),
    (lambda: uart_divisor(12e6, 1_000_000 * 1.03), "baud"),
    (lambda: UARTRx(2), "divisor"),
    (lambda: RegisterFileCore(depth=0), "depth"),
    (lambda: HostLinkTop(RegisterFileCore(), baud=115200, frame_timeout_ms=0), "frame_timeout_ms"),
])
def test_bad_parameters_name_the_field(call, field):
    with pytest.raises(ParameterError) as error:
        call()
    assert error.value.field == field


def test_board_divisors():
    assert uart_divisor(12e6, 115200) == 104
    assert uart_divisor(25e6, 115200) == 217


def test_cli_link_over_a_pty_with_pyserial(cli):
    """`neuroxide link` through pyserial on a pseudo-terminal whose far end is the simulated link."""
    import os
    import select
    import threading
    import tty

    master, slave = os.openpty()
    tty.setraw(slave)
    port = os.ttyname(slave)
    transport = AmaranthTransport(frame_timeout=FRAME_TIMEOUT)
    stop = threading.Event()

    def device():
        while not stop.is_set():
            ready, _, _ = select.select([master], [], [], 0.02)
            if ready:
                transport.write(os.read(master, 4096))
            if transport.pending or ready:
                transport.run(400)
            if transport.received:
                os.write(master, bytes(transport.received))
                transport.received.clear()

    thread = threading.Thread(target=device, daemon=True)
    thread.start()
    try:
        written = cli("link", "--port", port, "write", "0x20", "7", "0xdeadbeef", "--json")
        read = cli("link", "--port", port, "read", "0x20", "2", "--json")
        ident = cli("link", "--port", port, "read", "0xFFFF00", "--json")
        for _ in range(5):  # a full FIFO: the device's BUS_ERROR exits 1
            full = cli("link", "--port", port, "write", "0xFFFF01", "1", "--fixed", "--json")
    finally:
        stop.set()
        thread.join()
        os.close(master)
        os.close(slave)
    assert (written.code, read.code, ident.code) == (0, 0, 0)
    assert written.json["written"] == 2
    assert read.json["words"] == [7, 0xDEADBEEF]
    assert ident.json["words"] == [ID]
    assert full.code == 1 and full.json["status"] == "BUS_ERROR" and full.json["done"] == 0


@pytest.mark.parametrize("board, pins", [
    ("icebreaker", ["set_io uart_0__rx__io 6", "set_io uart_0__tx__io 9", "set_io led_r_0__io 11"]),
    ("ulx3s-85f", ['LOCATE COMP "uart_0__rx__io" SITE "M1";', 'LOCATE COMP "uart_0__tx__io" SITE "L4";',
                   'LOCATE COMP "led_0__io" SITE "B2";']),
])
def test_board_top_uses_the_board_uart(board, pins):
    from neuroxide.boards.platforms import get_board
    plan = get_board(board).platform().prepare(HostLinkTop(RegisterFileCore()), name="hostlink")
    constraints = next(text for name, text in plan.files.items() if name.endswith((".pcf", ".lpf")))
    for pin in pins:
        assert pin in constraints
