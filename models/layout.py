"""State layouts: a rule declares the fields of its state once, and everything else derives from it.

A :class:`StateLayout` is an ordered list of :class:`StateField` (name, width, signedness, meaning).
Each update rule builds its layout from its parameters (``LIFParams.state_layout``); from it come

* the numpy state of the golden model (:meth:`StateLayout.initial`, :meth:`StateLayout.empty`, the
  state and trace classes of :meth:`StateLayout.record`, :meth:`StateLayout.check`),
* the RTL ports, registers and RAM words (``neuroxide.rtl.layout``: Amaranth shapes, a
  ``data.StructLayout``, array ports),
* the bit packing of trace memories and RAM words (:meth:`pack` / :meth:`unpack`, LSB first, in
  declaration order, the same order an Amaranth ``StructLayout`` of the layout uses),
* the bench comparison and the formal registers (field names, widths and ranges).

Packing is little-endian by field: field 0 occupies the lowest bits. A word holding ``n`` items
(one per neuron) has item 0 in the lowest ``layout.bits`` bits. A vector field (``count`` given:
the ``n_dend`` dendrites of a neuron) is ``count`` values of ``bits`` each, value 0 lowest; its
numpy arrays carry a trailing axis of length ``count`` (also when ``count`` is 1).
"""

import dataclasses
from dataclasses import dataclass

import numpy as np

from neuroxide.errors import ParameterError

from .fixedpoint import BitField

__all__ = ["StateField", "StateLayout"]


@dataclass(frozen=True)
class StateField(BitField):
    """One field of a rule's state: one value (``count=None``) or a vector of ``count`` values, of
    ``bits`` each, two's complement when ``signed``."""

    name: str
    bits: int
    signed: bool = False
    doc: str = ""
    count: int | None = None

    def __post_init__(self):
        for what in ("bits", "count"):
            value = getattr(self, what)
            if what == "count" and value is None:
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ParameterError(f"{self.name}.{what}", value, "an integer >= 1")

    @property
    def size(self):
        """Number of values per item (``count``, or 1 for a one-value field)."""
        return 1 if self.count is None else self.count

    @property
    def width(self):
        """Bits the field occupies in a packed item (``size * bits``)."""
        return self.size * self.bits

    @property
    def dtype(self):
        """numpy dtype of the field's values: bool for one unsigned bit, int64 up to 63 bits, else
        object (Python ints)."""
        if self.bits == 1 and not self.signed:
            return np.dtype(bool)
        return np.dtype(np.int64) if self.bits <= 63 else np.dtype(object)

    def item_shape(self, shape):
        """``shape`` with a vector field's trailing axis of ``count`` values."""
        return tuple(shape) + (() if self.count is None else (self.count,))


class StateLayout:
    """Ordered fields of one item (neuron, oscillator, generator) of a rule's state."""

    def __init__(self, *fields):
        names = [f.name for f in fields]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate field names in a state layout: {names}")
        self.fields = tuple(fields)

    def __iter__(self):
        return iter(self.fields)

    def __len__(self):
        return len(self.fields)

    def __getitem__(self, name):
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def __contains__(self, name):
        return any(f.name == name for f in self.fields)

    def __eq__(self, other):
        return isinstance(other, StateLayout) and self.fields == other.fields

    def __hash__(self):
        return hash(self.fields)

    def __repr__(self):
        inner = ", ".join(f"{f.name}:{'s' if f.signed else 'u'}{f.bits}" for f in self.fields)
        return f"StateLayout({inner})"

    @property
    def names(self):
        return tuple(f.name for f in self.fields)

    @property
    def bits(self):
        """Width of one packed item."""
        return sum(f.width for f in self.fields)

    def offsets(self):
        """``{name: bit offset}`` of each field within a packed item."""
        out, at = {}, 0
        for f in self.fields:
            out[f.name] = at
            at += f.width
        return out

    def __add__(self, other):
        """The fields of this layout followed by those of ``other`` (e.g. state + inputs)."""
        return StateLayout(*self.fields, *other.fields)

    def only(self, *names):
        """The sub-layout of ``names`` (in this layout's order)."""
        return StateLayout(*(f for f in self.fields if f.name in names))

    def without(self, *names):
        """This layout less the fields ``names``."""
        return StateLayout(*(f for f in self.fields if f.name not in names))

    # packing ---------------------------------------------------------------------------------
    def pack(self, item):
        """One item (``{name: int}``; a sequence of ``count`` ints for a vector field) -> its packed
        word (Python int, field 0 lowest)."""
        word, at = 0, 0
        for f in self.fields:
            values = [item[f.name]] if f.count is None else list(np.asarray(item[f.name]).reshape(-1))
            for value in values:
                word |= f.encode(value) << at
                at += f.bits
        return word

    def unpack(self, word):
        """A packed word -> ``{name: int}`` (a list of ``count`` ints for a vector field)."""
        out = {}
        word = int(word)
        for f in self.fields:
            values = []
            for _ in range(f.size):
                values.append(f.decode(word))
                word >>= f.bits
            out[f.name] = values[0] if f.count is None else values
        return out

    def pack_items(self, items):
        """``{name: array (n,) or (n, count)}`` -> one word holding the ``n`` items, item 0 lowest."""
        first = self.fields[0]
        n = np.asarray(items[first.name]).reshape(-1, first.size).shape[0]
        cols = {f.name: np.asarray(items[f.name]).reshape(f.item_shape((n,))) for f in self.fields}
        word = 0
        for k in reversed(range(n)):
            word = (word << self.bits) | self.pack({name: col[k] for name, col in cols.items()})
        return word

    def unpack_words(self, words, n):
        """Words of ``n`` packed items each (one word per step) -> ``{name: array (len(words), n)}``
        (``(len(words), n, count)`` for a vector field), of each field's :attr:`StateField.dtype`.

        Vectorised over the words: each field slot is read for every step at once from the words'
        little-endian bytes (a trace of 65k steps decodes in numpy, not in a Python loop per bit).
        """
        steps = len(words)
        out = self.empty((steps, n))
        nbytes = (self.bits * n + 7) // 8 + 8  # 8 spare bytes: an 8-byte window never runs off the end
        raw = b"".join(int(w).to_bytes(nbytes, "little") for w in words)
        buf = np.frombuffer(raw, dtype=np.uint8).reshape(steps, nbytes)
        at = 0
        for k in range(n):
            for f in self.fields:
                for j in range(f.size):
                    index = (slice(None), k) if f.count is None else (slice(None), k, j)
                    out[f.name][index] = _slot(buf, words, at, f)
                    at += f.bits
        return out

    # numpy state -----------------------------------------------------------------------------
    def empty(self, shape, dtype=None):
        """``{name: uninitialised array}`` of ``shape`` (plus a field's ``count`` axis); ``dtype``
        overrides the dtype of the multi-bit fields (a model computing on Python ints)."""
        return {f.name: np.empty(f.item_shape(shape),
                                 dtype=f.dtype if dtype is None or f.dtype == bool else dtype)
                for f in self.fields}

    def record(self, name, doc, module, base=object):
        """A dataclass ``name`` with one ``np.ndarray`` attribute per field, in this order (so
        ``name(v, ref, ...)`` and ``name(**arrays)`` both work), ``FIELDS`` (the names) and ``copy()``;
        ``base`` adds methods (e.g. those of a trace)."""
        def copy(self):
            return type(self)(**{f: getattr(self, f).copy() for f in self.FIELDS})
        cls = dataclasses.make_dataclass(name, [(f.name, np.ndarray) for f in self.fields], bases=(base,),
                                         namespace={"FIELDS": self.names, "copy": copy, "__doc__": doc})
        cls.__module__ = module
        return cls

    def initial(self, shape, **values):
        """``{name: array}`` of ``shape`` filled with ``values[name]`` (a scalar or an array that
        broadcasts), zero (False) for the fields not given."""
        unknown = set(values) - set(self.names)
        if unknown:
            raise KeyError(f"not fields of {self!r}: {sorted(unknown)}")
        out = {}
        for f in self.fields:
            value = np.asarray(values.get(f.name, 0)).astype(f.dtype)
            out[f.name] = np.broadcast_to(value, f.item_shape(shape)).copy()
        return out

    def check(self, state, where="state"):
        """Raise ParameterError naming the first field of ``state`` (``{name: array}``) out of range."""
        for f in self.fields:
            x = np.asarray(state[f.name])
            if x.size and (x.min() < f.lo or x.max() > f.hi):
                bad = x.min() if x.min() < f.lo else x.max()
                raise ParameterError(f"{where}.{f.name}", int(bad),
                                     f"{f.lo}..{f.hi} ({'signed' if f.signed else 'unsigned'} {f.bits} bits)")


def _slot(buf, words, at, field):
    """Field ``field`` at bit offset ``at`` of every word: from the byte matrix ``buf`` when the field
    fits one 64-bit window, else (wide fields) from the Python ints ``words``."""
    first, shift = divmod(at, 8)
    if field.dtype == object or shift + field.bits > 64:
        return [field.decode(int(w) >> at) for w in words]
    window = np.ascontiguousarray(buf[:, first:first + 8]).view("<u8")[:, 0]
    pattern = (window >> np.uint64(shift)) & np.uint64(field.mask)
    if field.dtype == bool:
        return pattern.astype(bool)
    value = pattern.astype(np.int64)
    if field.signed:
        value = np.where(value >> (field.bits - 1) != 0, value - (1 << field.bits), value)
    return value
