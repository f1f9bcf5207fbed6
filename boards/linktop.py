"""Board top with the UART host link.

:class:`HostLinkTop` wraps any core that has a ``bus`` port (``In(HostBusSignature())``, see
:mod:`neuroxide.rtl.hostbus`) for a board: the board's first UART (``platform.request("uart",
0)``: iCEBreaker pins 6/9 through the FTDI's second channel, ULX3S the FTDI US1 port, pins M1/L4)
feeds :class:`~neuroxide.rtl.hostlink.HostLinkUART`, whose bus drives the core. Two LEDs show the
link: the board's first LED (iCEBreaker ``led_r`` 0, ULX3S ``led`` 0) lights for 0.5 s after an
error response, the second (``led_g`` 0, ``led`` 1) for 50 ms after every response (counted in
milliseconds of a shared prescaler: the hold is between n and n + 1 ms).

Usage by a core's design plug-in::

    def board_top(self, cfg, board):
        return HostLinkTop(MyCore(...), baud=115200)

The ``hostlink`` design puts the demo core :class:`~neuroxide.rtl.register_file.RegisterFileCore`
behind it.
"""

from amaranth.build import ResourceError
from amaranth.hdl import Elaboratable, Module, Mux, Signal
from amaranth.lib import io, wiring

from neuroxide.errors import ParameterError
from neuroxide.rtl.hostlink import DEFAULT_BUS_TIMEOUT, HostLinkUART
from neuroxide.rtl.uart import uart_divisor

from .platforms import board_for_platform, get_board, require_uart

__all__ = ["HostLinkTop"]


class HostLinkTop(Elaboratable):
    """A core behind the UART host link on a board (or in simulation, see ``clock_hz``).

    Parameters: ``core`` (a component with a ``bus`` port), ``baud`` (bit rate; the divisor
    ``round(clock / baud)`` must be within 2 % and >= 4), ``frame_timeout_ms`` (silence that
    abandons a half-received frame), ``bus_timeout`` (clocks), ``clock_hz`` (only without a
    platform), ``board`` (a board name: its clock must make ``baud``, checked now, before synthesis). Attributes: ``link`` (:class:`~neuroxide.rtl.hostlink.HostLinkUART`, created at
    elaboration), ``uart_rx``/``uart_tx`` (pins used when there is no platform), ``led_activity``
    and ``led_error`` (the stretched LED signals).
    """

    def __init__(self, core, baud=115200, *, frame_timeout_ms=20, bus_timeout=DEFAULT_BUS_TIMEOUT,
                 clock_hz=None, board=None):
        if not hasattr(core, "bus"):
            raise TypeError(f"core must have a `bus` port (HostBusSignature target), not {core!r}")
        if not isinstance(frame_timeout_ms, (int, float)) or not frame_timeout_ms > 0:
            raise ParameterError("frame_timeout_ms", frame_timeout_ms, "a time in ms > 0")
        self.core = core
        self.baud = baud
        self.frame_timeout_ms = frame_timeout_ms
        self.bus_timeout = bus_timeout
        self.clock_hz = clock_hz
        if clock_hz is not None:
            uart_divisor(clock_hz, baud)  # validate early
        if board is not None:  # a baud the board clock cannot make: exit 2 before synthesis
            uart_divisor(get_board(board).clock_hz, baud)
        self.uart_rx = Signal(init=1)
        self.uart_tx = Signal(init=1)
        self.led_activity = Signal()
        self.led_error = Signal()
        self.link = None

    def elaborate(self, platform):
        m = Module()
        clock_hz = self.clock_hz
        if clock_hz is None:
            if platform is None:
                raise ParameterError("clock_hz", None, "a frequency in Hz > 0",
                                     why="needed when elaborating without a platform")
            clock_hz = platform.default_clk_frequency
        divisor = uart_divisor(clock_hz, self.baud)
        frame_timeout = max(2, round(clock_hz * self.frame_timeout_ms / 1000))
        self.link = link = HostLinkUART(divisor, frame_timeout, self.bus_timeout)
        m.submodules.link = link
        m.submodules.core = self.core
        wiring.connect(m, link.bus, self.core.bus)
        m.d.comb += [link.rx.eq(self.uart_rx), self.uart_tx.eq(link.tx)]

        # LED pulse stretchers: activity 50 ms per response, error 0.5 s per error response, counted
        # in ticks of a shared millisecond prescaler so that no counter is wider than the prescaler
        # (a 23-bit clock-cycle counter limited the iCE40 clock); the hold is n to n + 1 ms
        tick_cycles = max(1, round(clock_hz / 1000))
        tick = Signal()
        if tick_cycles == 1:
            m.d.comb += tick.eq(1)
        else:
            prescale = Signal(range(tick_cycles), init=tick_cycles - 1)
            m.d.sync += [tick.eq(prescale == 0), prescale.eq(Mux(prescale == 0, tick_cycles - 1, prescale - 1))]
        for led, pulse, hold_ms in ((self.led_activity, link.frame_done, 50),
                                    (self.led_error, link.frame_error, 500)):
            hold = Signal(range(hold_ms + 2), name=f"{led.name}_hold")
            with m.If(pulse):
                m.d.sync += hold.eq(hold_ms + 1)
            with m.Elif(tick & (hold != 0)):
                m.d.sync += hold.eq(hold - 1)
            m.d.comb += led.eq(hold != 0)

        if platform is not None:
            if ("uart", 0) not in platform.resources:
                board = board_for_platform(platform)
                require_uart(board.name if board else type(platform).__name__, "the host link")
            uart = platform.request("uart", 0, dir="-")
            m.submodules.uart_rx_buffer = rx_pin = io.Buffer("i", uart.rx)
            m.submodules.uart_tx_buffer = tx_pin = io.Buffer("o", uart.tx)
            m.d.comb += [self.uart_rx.eq(rx_pin.i), tx_pin.o.eq(self.uart_tx)]
            board = board_for_platform(platform)
            leds = [] if board is None else [
                (name, number) for name, number in board.leds if (name, number) in platform.resources]
            signals = [self.led_error, self.led_activity]
            for name, number in leds:
                if not signals:
                    break
                try:
                    pin = platform.request(name, number, dir="-")
                except ResourceError:
                    continue  # the LED shares a pin with the UART (Colorlight 5A-75B: LED 0 is the TX pin)
                m.submodules[f"led_{name}_{number}"] = led = io.Buffer("o", pin)
                m.d.comb += led.o.eq(signals.pop(0))
        return m
