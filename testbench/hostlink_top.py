"""Simulation tops of the host link.

* :class:`LinkSimTop` -- the link (byte-stream :class:`~neuroxide.rtl.hostlink.LinkEngine`, or the
  UART-level :class:`~neuroxide.rtl.hostlink.HostLinkUART`) with a core behind it, plus counters of
  bus writes/reads/errors, so a bench can prove that a rejected frame wrote nothing.
* :class:`AmaranthTransport` -- a :class:`~neuroxide.models.hostlink_client.HostLink` transport that
  runs :class:`LinkSimTop` in Amaranth's simulator; ``divisor=None`` feeds bytes straight into the
  engine (one per clock, fast), an integer drives the ``rx`` pin bit by bit through the UART.
* :class:`FuzzTop` -- the engine fed from a preloaded stimulus memory with responses recorded
  into a response memory, so Verilator runs a whole fuzz campaign free (no Python per clock);
  :func:`fuzz_stream` makes its random and mutated frames, :func:`encode_stimulus` packs them.

The reference they are compared with is :func:`neuroxide.models.hostlink.link_model` with a
:class:`neuroxide.models.register_file.RegisterFileModel` target.
"""

import collections

from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from neuroxide.models import hostlink as proto
from neuroxide.models.hostlink import GAP
from neuroxide.models.register_file import register_file_map
from neuroxide.rtl.hostlink import DEFAULT_BUS_TIMEOUT, HostLinkUART, LinkEngine
from neuroxide.rtl.register_file import RegisterFileCore

__all__ = ["LinkSimTop", "AmaranthTransport", "FuzzTop", "fuzz_stream", "encode_stimulus"]


class LinkSimTop(wiring.Component):
    """Link + core + bus counters. ``divisor=None``: byte streams ``rx``/``tx`` exposed as
    ``link.rx``/``link.tx``; else pins ``rx``/``tx``."""

    rx: In(1, init=1)
    tx: Out(1, init=1)
    bus_writes: Out(32)
    bus_reads: Out(32)
    bus_errors: Out(32)

    def __init__(self, core=None, divisor=None, frame_timeout=64, bus_timeout=DEFAULT_BUS_TIMEOUT):
        self.core = RegisterFileCore() if core is None else core
        self.divisor = divisor
        if divisor is None:
            self.link = LinkEngine(frame_timeout, bus_timeout)
        else:
            self.link = HostLinkUART(divisor, frame_timeout, bus_timeout)
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        m.submodules.link = self.link
        m.submodules.core = self.core
        wiring.connect(m, self.link.bus, self.core.bus)
        if self.divisor is not None:
            m.d.comb += [self.link.rx.eq(self.rx), self.tx.eq(self.link.tx)]
        bus = self.link.bus
        with m.If(bus.stb & bus.ack):
            with m.If(bus.err):
                m.d.sync += self.bus_errors.eq(self.bus_errors + 1)
            with m.Elif(bus.we):
                m.d.sync += self.bus_writes.eq(self.bus_writes + 1)
            with m.Else():
                m.d.sync += self.bus_reads.eq(self.bus_reads + 1)
        return m


class AmaranthTransport:
    """HostLink transport over Amaranth's simulator of :class:`LinkSimTop`.

    ``write`` queues bytes (and :data:`GAP` markers via :meth:`idle`); ``read(n)`` runs the
    simulator until ``n`` response bytes arrived or ``read_cycles`` clocks passed without them.
    ``transfers`` lists every bus transfer as ``(addr, we, w_data, r_data, err)``; with the byte
    stream, ``rx_clocks``/``tx_clocks`` give the clock edge at which each byte was taken.
    """

    PERIOD_S = 1e-6

    def __init__(self, core=None, divisor=None, frame_timeout=64, bus_timeout=DEFAULT_BUS_TIMEOUT,
                 read_cycles=None):
        from amaranth.sim import Simulator
        self.top = LinkSimTop(core, divisor, frame_timeout, bus_timeout)
        self.divisor = divisor
        self.frame_timeout = frame_timeout
        byte_cycles = 1 if divisor is None else 10 * divisor
        self.read_cycles = read_cycles or (proto.MAX_RESPONSE_BYTES * byte_cycles
                                           + frame_timeout + 64 * (bus_timeout + 2) + 1000)
        self.pending = collections.deque()
        self.received = bytearray()
        self.transfers = []
        self.cycles = 0
        self.clock = 0        # clock edges seen by the bench
        self.rx_clocks = []   # byte stream: clock edge at which each request byte was taken
        self.tx_clocks = []   # byte stream: clock edge at which each response byte was taken
        self.sim = Simulator(self.top)
        self.sim.add_clock(self.PERIOD_S)
        self.sim.add_testbench(self._bench, background=True)

    async def _bench(self, ctx):
        # one per-clock loop (feed, collect, monitor): values are sampled at each clock edge,
        # inputs for the next clock are set after it
        top, link, bus = self.top, self.top.link, self.top.link.bus
        div = self.divisor
        gap_cycles = self.frame_timeout + 2 + (0 if div is None else 10 * div)
        levels = collections.deque()  # UART: (pin level, clocks) still to drive
        current = None                # byte stream: byte offered on rx, or None
        gap = 0
        rx_count = None               # UART receive: clocks since the start edge, None when idle
        rx_byte = 0
        if div is None:
            ctx.set(link.tx.ready, 1)
            samples = (link.rx.valid, link.rx.ready, link.tx.valid, link.tx.payload)
        else:
            samples = (top.tx,)
        samples += (bus.stb, bus.ack, bus.addr, bus.we, bus.w_data, bus.r_data, bus.err)
        async for _, _, *values in ctx.tick().sample(*samples):
            self.clock += 1
            stb, ack, addr, we, w_data, r_data, err = values[-7:]
            if stb and ack:
                # the data lines that mean something: w_data on a write, r_data on a read
                self.transfers.append((addr, we, w_data if we else 0, 0 if we else r_data, err))
            if div is None:
                rx_valid, rx_ready, tx_valid, tx_payload = values[:4]
                if tx_valid:
                    self.received.append(tx_payload)
                    self.tx_clocks.append(self.clock)
                if rx_valid and rx_ready:
                    current = None
                    self.rx_clocks.append(self.clock)
                if gap:
                    gap -= 1
                elif current is None and self.pending:
                    item = self.pending.popleft()
                    if item == GAP:
                        gap = gap_cycles
                    else:
                        current = item
                ctx.set(link.rx.valid, current is not None)
                ctx.set(link.rx.payload, current or 0)
            else:
                tx_level = values[0]
                if rx_count is None:
                    if tx_level == 0:
                        rx_count, rx_byte = 0, 0
                else:
                    rx_count += 1
                    bit, phase = divmod(rx_count - div // 2, div)
                    if phase == 0 and 1 <= bit <= 8:
                        rx_byte |= tx_level << (bit - 1)
                    elif phase == 0 and bit == 9:
                        assert tx_level == 1, "stop bit low"
                        self.received.append(rx_byte)
                        rx_count = None
                if levels and levels[0][1] == 0:
                    levels.popleft()
                if not levels and self.pending:
                    item = self.pending.popleft()
                    if item == GAP:
                        levels.append([1, gap_cycles])
                    else:
                        levels.extend([level, div] for level in
                                      [0, *((item >> i) & 1 for i in range(8)), 1])
                if levels:
                    ctx.set(top.rx, levels[0][0])
                    levels[0][1] -= 1
                else:
                    ctx.set(top.rx, 1)

    # transport API -------------------------------------------------------------------------------
    def run(self, cycles):
        """Advance the simulation ``cycles`` clocks."""
        self.cycles += cycles
        self.sim.run_until(self.cycles * self.PERIOD_S)

    def write(self, data):
        self.pending.extend(bytes(data))

    def idle(self):
        """Queue a line-idle gap longer than the frame timeout."""
        self.pending.append(GAP)

    def read(self, n, timeout_s=None):
        spent = 0
        step = 64 if self.divisor is None else 16 * self.divisor
        while len(self.received) < n and spent < self.read_cycles:
            self.run(step)
            spent += step
        out = bytes(self.received[:n])
        del self.received[:n]
        return out

    def flush_input(self):
        self.received.clear()

    def close(self):
        pass


def fuzz_stream(rng, frames, ram_depth=256):
    """``frames`` random requests (valid, and mutated: bit flips, truncation, unknown commands,
    overlong LEN, garbage before), each broken one followed by a :data:`GAP`; ``rng`` is a
    :class:`random.Random`. Returns the stream (list of bytes and GAPs)."""
    registers = register_file_map(ram_depth)
    fifo, count, ident = (registers.address(name) for name in ("FIFO", "COUNT", "ID"))
    items = []
    for _ in range(frames):
        kind = rng.random()
        n = rng.randint(1, 8) if rng.random() < 0.9 else rng.randint(9, proto.MAX_WORDS)
        addr = rng.randrange(ram_depth + 16)
        pick = rng.random()
        if pick < 0.4:
            frame = proto.write_request(addr, [rng.getrandbits(32) for _ in range(n)])
        elif pick < 0.75:
            frame = proto.read_request(addr, n)
        elif pick < 0.85:
            frame = proto.write_request(fifo, [rng.getrandbits(32) for _ in range(min(n, 6))],
                                        increment=False)
        elif pick < 0.95:
            frame = proto.read_request(rng.choice([fifo, count, ident]),
                                       min(n, 6), increment=rng.random() < 0.5)
        else:
            frame = proto.ping_request()
        frame = bytearray(frame)
        broken = True
        if kind < 0.70:
            broken = False
        elif kind < 0.80:
            for _ in range(rng.randint(1, 3)):
                bit = rng.randrange(8, 8 * len(frame))
                frame[bit // 8] ^= 1 << (bit % 8)
        elif kind < 0.86:
            frame = frame[:rng.randrange(1, len(frame))]
        elif kind < 0.91:
            frame = bytearray(proto.encode_request(rng.randrange(256), frame[3:-2]))
        elif kind < 0.95:
            length = rng.randint(proto.MAX_PAYLOAD + 1, 255)
            frame = bytearray([proto.SYNC_REQUEST, frame[1], length]) + rng.randbytes(rng.randint(0, length + 2))
        else:
            items += [b for b in rng.randbytes(rng.randint(1, 20)) if b != proto.SYNC_REQUEST]
            broken = False
        items += list(frame)
        if broken:
            items.append(GAP)
    return items


def encode_stimulus(stream):
    """Stimulus memory words for :class:`FuzzTop`: 4 items per 36-bit word, item ``k`` in bits
    ``9k..9k+8``; a byte ``b`` is ``b``, a :data:`GAP` is 0x100."""
    items = [0x100 if item == GAP else item for item in stream]
    items += [0] * (-len(items) % 4)
    return [sum(items[i + k] << (9 * k) for k in range(4)) for i in range(0, len(items), 4)]


class FuzzTop(wiring.Component):
    """Free-running byte-stream bench: stimulus memory -> engine -> response memory.

    On ``go`` the engine is fed the first ``n_stim`` stimulus items (9 bits, four per 36-bit
    word: a byte, or 0x100 for an idle gap of ``frame_timeout + 3`` clocks), one per clock as
    ``rx.ready`` allows, while every response byte is stored at the next byte of ``responses``
    (32-bit words, byte ``j`` of the stream in bits ``8*(j%4)..``); ``done`` rises when the
    stimulus is exhausted and the engine idle. ``n_resp`` counts response bytes, ``cycles``
    the clocks of the run; ``bus_writes`` counts acked bus writes over all runs. The core is a
    :class:`RegisterFileCore` with ``ram_depth`` words.
    """

    go: In(1)
    n_stim: In(32)
    done: Out(1)
    n_resp: Out(32)
    cycles: Out(32)
    bus_writes: Out(32)

    def __init__(self, stim_words, resp_words, frame_timeout=16, ram_depth=256):
        self.stim_words, self.resp_words = stim_words, resp_words
        self.frame_timeout = frame_timeout
        self.engine = LinkEngine(frame_timeout, bus_timeout=64)
        self.core = RegisterFileCore(ram_depth)
        self.stimulus = Memory(shape=36, depth=stim_words, init=[])
        self.responses = Memory(shape=32, depth=resp_words, init=[])
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        m.submodules.engine = engine = self.engine
        m.submodules.core = self.core
        wiring.connect(m, engine.bus, self.core.bus)
        m.submodules.stimulus = stim = self.stimulus
        m.submodules.responses = resp = self.responses
        rd = stim.read_port(domain="comb")
        wr = resp.write_port(granularity=8)

        running = Signal()
        pos = Signal(32)
        gap = Signal(range(self.frame_timeout + 4))
        m.d.comb += rd.addr.eq(pos[2:])
        item = rd.data.word_select(pos[:2], 9)
        with m.If(self.go & ~running):
            m.d.sync += [running.eq(1), pos.eq(0), self.done.eq(0), self.n_resp.eq(0),
                         self.cycles.eq(0)]
        with m.If(running):
            m.d.sync += self.cycles.eq(self.cycles + 1)
            with m.If(pos < self.n_stim):
                with m.If(item[8]):
                    m.d.sync += gap.eq(gap + 1)
                    with m.If(gap == self.frame_timeout + 2):
                        m.d.sync += [gap.eq(0), pos.eq(pos + 1)]
                with m.Else():
                    m.d.comb += [engine.rx.valid.eq(1), engine.rx.payload.eq(item[:8])]
                    with m.If(engine.rx.ready):
                        m.d.sync += pos.eq(pos + 1)
            with m.Elif(~engine.busy & ~engine.tx.valid):
                m.d.sync += [running.eq(0), self.done.eq(1)]
        m.d.comb += [engine.tx.ready.eq(1), wr.addr.eq(self.n_resp[2:]),
                     wr.data.eq(engine.tx.payload.replicate(4))]
        with m.If(engine.tx.valid):
            m.d.comb += wr.en.eq(1 << self.n_resp[:2])
            m.d.sync += self.n_resp.eq(self.n_resp + 1)
        bus = engine.bus
        with m.If(bus.stb & bus.ack & bus.we & ~bus.err):
            m.d.sync += self.bus_writes.eq(self.bus_writes + 1)
        return m
