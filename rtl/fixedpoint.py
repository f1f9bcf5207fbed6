"""Amaranth back end of the ops layer (see ``neuroxide.models.fixedpoint``).

The same update-rule functions that drive the numpy golden models elaborate into gates when given
an :class:`AmaranthOps` bound to the module being elaborated: ``select`` becomes a ``Mux``,
``clamp`` two comparators and two muxes, ``shl`` a wire slice, and ``let`` a named wire. Amaranth
widens every ``+``/``-``/``*`` result, so intermediates never overflow; the only narrowing is the
explicit ``clamp`` (after which assigning to a register of the declared width is exact).

``let`` matters for more than naming: Amaranth copies an expression tree each time it is used, so
a value used twice without ``let`` is built (and simulated) twice, and nested reuse grows
exponentially. Rules ``let`` every value they use more than once.
"""

from amaranth.hdl import Mux, Signal, Value

__all__ = ["AmaranthOps"]


class AmaranthOps:
    """Integer ops on Amaranth values, emitting named wires into module ``m``."""

    name = "amaranth"

    def __init__(self, m, prefix=""):
        self.m = m
        self.prefix = prefix

    def let(self, name, value):
        value = Value.cast(value)
        wire = Signal(value.shape(), name=f"{self.prefix}{name}")
        self.m.d.comb += wire.eq(value)
        return wire

    def select(self, cond, a, b):
        return Mux(cond, a, b)

    def clamp(self, x, lo, hi):
        x = self.let("unclamped", x)
        return Mux(x > hi, hi, Mux(x < lo, lo, x))

    def shl(self, x, n, width):
        return Value.cast(x << n)[:width]
