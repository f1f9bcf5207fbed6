"""Amaranth back end of the ops layer (see ``neuroxide.models.fixedpoint``).

The same update-rule functions that drive the numpy golden models elaborate into gates when given
:data:`AMARANTH`: ``select`` becomes a ``Mux``, ``clamp`` two comparators and two muxes, ``shl`` a
wire slice. Amaranth widens every ``+``/``-``/``*`` result, so intermediates never overflow; the only
narrowing is the explicit ``clamp`` (after which assigning to a register of the declared width is
exact).
"""

from amaranth.hdl import Mux, Value

__all__ = ["AmaranthOps", "AMARANTH"]


class AmaranthOps:
    """Integer ops on Amaranth values (the gateware back end)."""

    name = "amaranth"

    @staticmethod
    def select(cond, a, b):
        return Mux(cond, a, b)

    @staticmethod
    def clamp(x, lo, hi):
        return Mux(x > hi, hi, Mux(x < lo, lo, x))

    @staticmethod
    def shl(x, n, width):
        return Value.cast(x << n)[:width]


AMARANTH = AmaranthOps()
