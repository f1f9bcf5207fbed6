"""8N1 UART receiver and transmitter with byte streams (:mod:`amaranth.lib.stream`).

One bit lasts ``divisor`` clocks, ``divisor = round(clock_hz / baud)`` (:func:`uart_divisor`).

* :class:`UARTRx`: the ``rx`` pin passes a 2-flop synchroniser (2 clocks latency). A falling edge
  starts a byte; the line is sampled again half a bit later and the byte is abandoned when it is
  high again (false start, a glitch), then each data bit (LSB first) and the stop bit are sampled
  in their middles. A byte is offered on ``o`` at the middle of its stop bit, i.e.
  ``9.5 * divisor + 2`` clocks after the start edge; the next start edge can follow half a bit
  later. A low stop bit is a framing error: the byte is dropped, ``framing_error`` pulses and the
  receiver waits for the line to go high (a break) before hunting again. ``o`` cannot stall the
  line: a byte not taken before the next one arrives is overwritten and ``overrun`` pulses.
* :class:`UARTTx`: takes a byte from ``i`` when idle (``i.ready`` high) and sends a start bit,
  8 data bits LSB first and a stop bit, each ``divisor`` clocks: ``10 * divisor`` clocks per byte.
  ``i.ready`` rises in the last clock of the stop bit, so a continuously valid stream is sent back
  to back with no idle clock between bytes. The start bit is on ``tx`` one clock after acceptance.
"""

from amaranth.hdl import Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.cdc import FFSynchronizer
from amaranth.lib.wiring import In, Out

from neuroxide.errors import ParameterError

__all__ = ["uart_divisor", "UARTRx", "UARTTx"]


def uart_divisor(clock_hz, baud):
    """Clocks per bit, ``round(clock_hz / baud)``; ParameterError when the rate error exceeds 2 %
    (8N1 tolerates about 4 % between both ends) or the divisor is below 4."""
    if not isinstance(baud, (int, float)) or not baud > 0:
        raise ParameterError("baud", baud, "a bit rate > 0")
    divisor = round(clock_hz / baud)
    if divisor < 4:
        raise ParameterError("baud", baud, f"<= {clock_hz / 4:g} (clock {clock_hz:g} Hz / 4)")
    error = abs(clock_hz / divisor - baud) / baud
    if error > 0.02:
        raise ParameterError("baud", baud, "a rate within 2 % of clock_hz / integer",
                             why=f"clock {clock_hz:g} Hz / {divisor} is {error:.1%} off")
    return divisor


def _check_divisor(divisor):
    if isinstance(divisor, bool) or not isinstance(divisor, int) or divisor < 4:
        raise ParameterError("divisor", divisor, "an integer >= 4 (clocks per bit)")


class UARTRx(wiring.Component):
    """8N1 receiver: ``rx`` pin in, bytes out on ``o`` (see the module docstring for timing)."""

    rx: In(1, init=1)
    o: Out(stream.Signature(8))
    overrun: Out(1)
    framing_error: Out(1)

    def __init__(self, divisor):
        _check_divisor(divisor)
        self.divisor = divisor
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        div = self.divisor
        rx = Signal(init=1)
        m.submodules.sync_rx = FFSynchronizer(self.rx, rx, init=1)

        timer = Signal(range(div))
        bit = Signal(range(8))
        shift = Signal(8)

        with m.If(self.o.valid & self.o.ready):
            m.d.sync += self.o.valid.eq(0)
        m.d.sync += [self.overrun.eq(0), self.framing_error.eq(0)]

        with m.FSM():
            with m.State("IDLE"):
                with m.If(~rx):
                    m.d.sync += timer.eq(div // 2 - 1)
                    m.next = "START"
            with m.State("START"):
                with m.If(timer != 0):
                    m.d.sync += timer.eq(timer - 1)
                with m.Elif(rx):
                    m.next = "IDLE"  # false start: the line went high again before mid-bit
                with m.Else():
                    m.d.sync += [timer.eq(div - 1), bit.eq(0)]
                    m.next = "DATA"
            with m.State("DATA"):
                with m.If(timer != 0):
                    m.d.sync += timer.eq(timer - 1)
                with m.Else():
                    m.d.sync += [shift.eq((shift >> 1) | (rx << 7)), timer.eq(div - 1),
                                 bit.eq(bit + 1)]
                    with m.If(bit == 7):
                        m.next = "STOP"
            with m.State("STOP"):
                with m.If(timer != 0):
                    m.d.sync += timer.eq(timer - 1)
                with m.Elif(rx):
                    m.d.sync += [self.o.payload.eq(shift), self.o.valid.eq(1),
                                 self.overrun.eq(self.o.valid & ~self.o.ready)]
                    m.next = "IDLE"
                with m.Else():
                    m.d.sync += self.framing_error.eq(1)
                    m.next = "BREAK"
            with m.State("BREAK"):
                with m.If(rx):
                    m.next = "IDLE"
        return m


class UARTTx(wiring.Component):
    """8N1 transmitter: bytes in on ``i``, ``tx`` pin out (idle high)."""

    i: In(stream.Signature(8))
    tx: Out(1, init=1)
    busy: Out(1)

    def __init__(self, divisor):
        _check_divisor(divisor)
        self.divisor = divisor
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        div = self.divisor
        timer = Signal(range(div))     # clocks left in the current bit slot, minus one
        shift = Signal(9)              # data bits LSB first, then the stop bit
        bits_left = Signal(range(10))  # bits after the current one
        m.d.comb += [self.busy.eq((bits_left != 0) | (timer != 0)), self.i.ready.eq(~self.busy)]

        with m.If(self.i.valid & self.i.ready):
            m.d.sync += [self.tx.eq(0), shift.eq(self.i.payload | (1 << 8)), bits_left.eq(9),
                         timer.eq(div - 1)]
        with m.Elif(timer != 0):
            m.d.sync += timer.eq(timer - 1)
        with m.Elif(bits_left != 0):
            m.d.sync += [self.tx.eq(shift[0]), shift.eq(shift >> 1), timer.eq(div - 1),
                         bits_left.eq(bits_left - 1)]
        return m
