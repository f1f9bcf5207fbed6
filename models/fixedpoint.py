"""The ops layer: the few integer operations every update rule is written in.

An update rule (``lif_step``, ``xorshift32``, ``stimulus_step``) is a plain Python function that
takes an ``ops`` object and integer values. Ordinary operators (``+ - * >> < >= & | ~ ^``) work on
both back ends unchanged; the operations whose meaning differs between numpy and gates live here:

* ``select(cond, a, b)``      ``a`` where ``cond`` else ``b`` (numpy ``where`` / Amaranth ``Mux``)
* ``clamp(x, lo, hi)``        saturate into ``[lo, hi]``; the rule never wraps silently
* ``shl(x, n, width)``        logical left shift, truncated to ``width`` bits (unsigned values)
* ``let(name, value)``        bind a value used more than once (a named wire in gates; identity here)
* ``stage(*values)``          a pipeline cut: registers in pipelined gates, the values unchanged here

Right shifts are arithmetic (floor) on signed values on both back ends: numpy ``>>`` on int64 and
Amaranth ``>>`` on ``signed`` values agree, so ``x >> k`` is floor(x / 2**k) everywhere.

:class:`Ops` declares that interface; :data:`NUMPY` is the back end of models/,
``neuroxide.rtl.fixedpoint.AmaranthOps(m)`` (and ``PipelinedOps``) the back ends of rtl/. Numpy
values are ``int64`` arrays: every width used here is <= 32 bits and every product <= 2**48, so
int64 holds every intermediate exactly and the only narrowing is the explicit clamp.
"""

import dataclasses
from typing import Protocol, runtime_checkable

import numpy as np

from neuroxide.errors import check_int

__all__ = ["BitField", "Ops", "NumpyOps", "NUMPY", "signed_range", "unsigned_range", "FixedPointParams"]


def signed_range(bits):
    """(lo, hi) of a two's complement value of ``bits`` bits."""
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def unsigned_range(bits):
    """(lo, hi) of an unsigned value of ``bits`` bits."""
    return 0, (1 << bits) - 1


@runtime_checkable
class Ops(Protocol):
    """Every operation an update rule may use beyond ordinary operators; each back end implements all."""

    name: str  # the back end, for messages ("numpy", "amaranth")

    def let(self, name, value):
        """``value``, bound to ``name`` (a named wire in gates) because the rule uses it more than once."""

    def select(self, cond, a, b):
        """``a`` where ``cond`` else ``b``."""

    def clamp(self, x, lo, hi):
        """``x`` saturated into ``[lo, hi]``."""

    def shl(self, x, n, width):
        """Logical ``x << n`` truncated to ``width`` bits (unsigned ``x``)."""

    def stage(self, *values):
        """A pipeline cut over the live ``values``: returns them, registered by a pipelined back end."""


class BitField:
    """What a field of ``bits`` bits (two's complement when ``signed``) knows of its values: range,
    mask and bit pattern. Mixed into a rule's state fields (``layout.StateField``) and a register's
    bit fields (``registers.Field``), so the two-complement rule exists once."""

    @property
    def lo(self):
        """Smallest value the field holds."""
        return (signed_range if self.signed else unsigned_range)(self.bits)[0]

    @property
    def hi(self):
        """Largest value the field holds."""
        return (signed_range if self.signed else unsigned_range)(self.bits)[1]

    @property
    def mask(self):
        return (1 << self.bits) - 1

    def encode(self, value):
        """``value`` as the field's bit pattern (a non-negative Python int)."""
        return int(value) & self.mask

    def decode(self, pattern):
        """The value of bit pattern ``pattern`` (low ``bits`` bits; sign-extended when ``signed``)."""
        pattern = int(pattern) & self.mask
        if self.signed and pattern >> (self.bits - 1):
            pattern -= 1 << self.bits
        return pattern


class NumpyOps:
    """Integer ops on numpy int64 arrays (the golden-model back end)."""

    name = "numpy"

    @staticmethod
    def let(name, value):
        return value

    @staticmethod
    def select(cond, a, b):
        return np.where(cond, a, b)

    @staticmethod
    def clamp(x, lo, hi):
        return np.minimum(np.maximum(x, lo), hi)

    @staticmethod
    def shl(x, n, width):
        return (x << n) & ((1 << width) - 1)

    @staticmethod
    def stage(*values):
        return values


NUMPY = NumpyOps()


class FixedPointParams:
    """What every frozen parameter dataclass of a fixed-point rule shares (LIF, dendrite, ONN ...).

    A subclass defines ``validate()`` with :meth:`_check` calls; it runs on construction and on
    :meth:`replace`, so an instance always holds legal values.
    """

    def __post_init__(self):
        self.validate()

    def validate(self):
        raise NotImplementedError

    def _check(self, name, lo, hi, why=None):
        """The field ``name`` must be an integer in ``lo..hi`` (ParameterError naming it otherwise)."""
        check_int(name, getattr(self, name), lo, hi, why)

    def replace(self, **changes):
        """A copy with ``changes`` applied (validated)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def field_names(cls):
        return [f.name for f in dataclasses.fields(cls)]
