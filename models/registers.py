"""Register maps: a core's bus registers declared once (name, address, access, bit fields, reset).

A small in-tree form of amaranth-soc's ``csr`` idea (registers with fields, collected into a
memory map, from which the bus bridge is elaborated). A core builds its :class:`RegisterMap` from
its parameters (``models/snn_registers.py``, ``models/onn_registers.py``,
``models/register_file.py``), and everything else reads that one declaration:

* the RTL decoder (:class:`neuroxide.rtl.hostbus.RegisterDecoder`): the read mux and the write
  strobes are elaborated from the map; a readable or writable register left without a handler is an
  elaboration error, so the map and the gateware cannot drift apart;
* the host drivers (:class:`neuroxide.models.hostlink_client.CoreRegisters`): registers and fields
  by name, FIFO registers moved with fixed-address transfers;
* the docs tables (:meth:`RegisterMap.markdown_table`; tests/test_registers.py checks that docs/
  holds exactly the rendered tables and rewrites them with ``--write``).

Addresses are host bus word addresses (:data:`ADDR_BITS` = 24) of :data:`DATA_BITS` = 32 bit words,
the geometry of ``neuroxide.rtl.hostbus`` and of the host-link protocol. Fields are little-endian: ``at`` is a field's lowest bit, and a
field without ``at`` follows the one declared before it. A register with ``count`` > 1 is an array
(``SPIKES + l``) or a memory window (``PHASE + i``): element ``index`` is at ``address + index``, and
the index may itself be declared as fields (a synapse's ``layer``, ``i``, ``j``).
"""

import dataclasses
import enum
from dataclasses import dataclass

import numpy as np

from neuroxide.errors import ParameterError

from .fixedpoint import BitField

__all__ = ["ADDR_BITS", "DATA_BITS", "Access", "Field", "Register", "RegisterMap"]

ADDR_BITS = 24  # host bus word addresses (the host-link protocol sends them as 3 bytes)
DATA_BITS = 32  # host bus words


class Access(enum.Enum):
    """What the host may do at a register's address.

    A read of a register that is not readable returns 0, a write to one that is not writable is
    acked and ignored. FIFO registers move a queue: each write pushes a word (acked with ``err`` and
    nothing stored when the queue is full), each read pops one (a word saying "empty" when it is).
    """

    R = "r"
    W = "w"
    RW = "rw"
    POP = "r fifo"
    PUSH = "w fifo"
    FIFO = "rw fifo"

    @property
    def readable(self):
        return "r" in self.value.split()[0]

    @property
    def writable(self):
        return "w" in self.value.split()[0]

    @property
    def fifo(self):
        return self.value.endswith("fifo")

    @property
    def label(self):
        """How the docs tables write it: ``R``, ``RW``, ``W (push)``, ``R (pop)``, ``RW (push/pop)``."""
        base = self.value.split()[0].upper()
        if not self.fifo:
            return base
        return base + " (" + "/".join(w for w, ok in (("push", self.writable), ("pop", self.readable)) if ok) + ")"


def _access(value, what):
    if isinstance(value, Access):
        return value
    try:
        return Access(value)
    except ValueError:
        raise ParameterError(what, value, " | ".join(repr(a.value) for a in Access)) from None


@dataclass(frozen=True)
class Field(BitField):
    """``bits`` of a register word from bit ``at`` (None: right after the previous field).

    ``access``: None when the field means the same on reads and writes; ``"r"`` or ``"w"`` for a
    field that exists in one direction only (a control register's ``start`` strobe and its ``busy``
    flag may share bit 0). ``signed`` fields read back sign-extended.
    """

    name: str
    bits: int
    reset: int = 0
    doc: str = ""
    at: int | None = None
    signed: bool = False
    access: str | None = None

    def __post_init__(self):
        if isinstance(self.bits, bool) or not isinstance(self.bits, int) or self.bits < 1:
            raise ParameterError(f"{self.name}.bits", self.bits, "an integer >= 1")
        if self.access not in (None, "r", "w"):
            raise ParameterError(f"{self.name}.access", self.access, "None | 'r' | 'w'")
        self.check(self.reset)

    @property
    def span(self):
        """``"[7:0]"`` or ``"[3]"``: the bits the field occupies."""
        return f"[{self.at}]" if self.bits == 1 else f"[{self.at + self.bits - 1}:{self.at}]"

    def applies_to(self, access):
        """True when the field is seen by ``access`` (``"r"`` or ``"w"``)."""
        return self.access in (None, access)

    def check(self, value, where=None):
        """ParameterError unless ``value`` (an int or an integer array) fits the field."""
        where = where or self.name
        array = np.asarray(value)
        if array.dtype == bool or not np.issubdtype(array.dtype, np.integer):
            raise ParameterError(where, value, f"integers in {self.lo}..{self.hi}")
        if array.size and (int(array.min()) < self.lo or int(array.max()) > self.hi):
            bad = int(array.min()) if int(array.min()) < self.lo else int(array.max())
            raise ParameterError(where, bad, f"{self.lo}..{self.hi}", why=f"{self.bits}-bit field")
        return value

    def place(self, value):
        """``value``'s bits moved to the field's position (ints, or numpy integer arrays)."""
        if isinstance(value, np.ndarray):
            return (value.astype(np.int64) & self.mask) << self.at
        return (int(value) & self.mask) << self.at

    def take(self, word):
        """The field's value in ``word`` (sign-extended when ``signed``)."""
        return self.decode(int(word) >> self.at)


def _fields(items, what):
    """Fields from ``Field``s or ``(name, bits[, reset[, doc]])`` tuples, with every ``at`` filled in."""
    out, at = [], 0
    for item in items:
        field = item if isinstance(item, Field) else Field(*item)
        if field.at is None:
            field = dataclasses.replace(field, at=at)
        if field.at < 0:
            raise ParameterError(f"{what}.{field.name}.at", field.at, "a bit number >= 0")
        out.append(field)
        at = field.at + field.bits
    names = [f.name for f in out]
    if len(set(names)) != len(names):
        raise ParameterError(f"{what}.fields", names, "distinct names")
    for access in ("r", "w"):
        seen = [f for f in out if f.applies_to(access)]
        for k, a in enumerate(seen):
            for b in seen[k + 1:]:
                if a.at < b.at + b.bits and b.at < a.at + a.bits:
                    raise ParameterError(f"{what}.{b.name}", b.span, f"bits not used by {a.name} {a.span}",
                                         why="fields seen in one direction must not overlap")
    return tuple(out)


@dataclass(frozen=True)
class Register:
    """One register, or an array / memory window of ``count`` consecutive words.

    ``address``: the (first) word address, or None to follow the previous register of the map.
    ``access``: an :class:`Access` or its value (``"r"``, ``"w"``, ``"rw"``, ``"r fifo"``,
    ``"w fifo"``, ``"rw fifo"``). ``fields``: :class:`Field`s or ``(name, bits, reset, doc)`` tuples;
    none: the word is one unsigned value. ``reset``: the value after reset (default: the fields'
    resets); ``reset_doc`` says it in words where it depends on the core's parameters. ``index``:
    how the docs name an element's index (``"l"``), or the index's own fields (``[("j", 10), ("i",
    10), ("layer", 4)]``).
    """

    name: str
    address: int | None = None
    access: Access | str = Access.RW
    fields: tuple = ()
    reset: int | None = None
    doc: str = ""
    count: int = 1
    index: str | tuple = "k"
    reset_doc: str = ""

    def __post_init__(self):
        set_ = object.__setattr__  # frozen: normalise the declaration once, here
        set_(self, "access", _access(self.access, f"{self.name}.access"))
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1:
            raise ParameterError(f"{self.name}.count", self.count, "an integer >= 1")
        set_(self, "fields", _fields(self.fields, self.name))
        index = ((self.index, max(1, (self.count - 1).bit_length())),) if isinstance(self.index, str) else self.index
        set_(self, "index", _fields(index, f"{self.name}.index"))
        if self.reset is None:
            set_(self, "reset", sum(f.place(f.reset) for f in self.fields if f.applies_to("r")))
        if isinstance(self.reset, bool) or not isinstance(self.reset, int) or self.reset < 0:
            raise ParameterError(f"{self.name}.reset", self.reset, "an integer >= 0")

    def field(self, name):
        for field in self.fields:
            if field.name == name:
                return field
        raise ParameterError(f"{self.name} field", name, " | ".join(f.name for f in self.fields) or "(none)")

    def fields_for(self, access):
        """The fields seen by ``access`` (``"r"`` or ``"w"``)."""
        return tuple(f for f in self.fields if f.applies_to(access))

    @property
    def end(self):
        """One past the last word address."""
        return self.address + self.count

    def element(self, index=0, **index_fields):
        """Element number of ``index`` (an int) or of the index fields (``layer=1, i=3, j=0``)."""
        if index_fields:
            if index:
                raise ParameterError(f"{self.name} index", index, "0 when index fields are given")
            names = {f.name for f in self.index}
            for name in index_fields:
                if name not in names:
                    raise ParameterError(f"{self.name} index field", name, " | ".join(sorted(names)))
            index = sum(f.place(f.check(index_fields.get(f.name, 0), f"{self.name}.{f.name}"))
                        for f in self.index)
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < self.count:
            raise ParameterError(f"{self.name} index", index, f"0..{self.count - 1}")
        return int(index)

    def encode(self, **values):
        """The word with the named fields set to ``values`` and the others at their resets.

        Values are ints or numpy integer arrays (then a word per element); each must fit its field.
        A register without fields takes its one value as ``value=``."""
        if not self.fields:
            if set(values) != {"value"}:
                raise ParameterError(f"{self.name} fields", sorted(values), "value (the register has no fields)")
            return Field("value", DATA_BITS).check(values["value"], self.name)
        word = 0
        given = [self.field(name) for name in values]
        for k, a in enumerate(given):
            for b in given[k + 1:]:
                if a.at < b.at + b.bits and b.at < a.at + a.bits:
                    raise ParameterError(f"{self.name}.{b.name}", b.span, f"bits not used by {a.name} {a.span}")
        for field in self.fields:
            if field.name in values:
                word = word + field.place(field.check(values[field.name], f"{self.name}.{field.name}"))
            elif not any(field.at < g.at + g.bits and g.at < field.at + field.bits for g in given):
                word = word + field.place(field.reset)
        return word

    def decode(self, word, access="r"):
        """``{field: value}`` of ``word`` as seen by ``access`` (a register without fields: ``{"value": word}``)."""
        if not self.fields:
            return {"value": int(word)}
        return {f.name: f.take(word) for f in self.fields_for(access)}

    # -- docs ----------------------------------------------------------------------------------
    def address_text(self, addr_digits=6):
        base = f"0x{self.address:0{addr_digits}X}"
        if self.count == 1:
            return base
        if len(self.index) == 1:
            return f"{base} + {self.index[0].name}"
        parts = [f.name if f.at == 0 else f"{f.name}<<{f.at}" for f in sorted(self.index, key=lambda f: -f.at)]
        return base + " + (" + " \\| ".join(parts) + ")"

    def reset_text(self):
        if self.reset_doc:
            return self.reset_doc
        return "-" if self.access.fifo or not self.access.readable else f"0x{self.reset:X}"

    def meaning_text(self):
        parts = [self.doc.strip()]
        directions = [("", self.fields)] if all(f.access is None for f in self.fields) else [
            ("W: ", self.fields_for("w")), ("R: ", self.fields_for("r"))]
        for label, fields in directions:
            if fields:
                parts.append(label + ", ".join(
                    f"{f.span} {f.name}" + (" (signed)" if f.signed else "") + (f": {f.doc}" if f.doc else "")
                    for f in fields))
        return "; ".join(p for p in parts if p).replace("|", "\\|")


class RegisterMap:
    """The registers of one bus target, in declaration order, at their word addresses.

    ``registers[name]`` is the :class:`Register` (with its address filled in); :meth:`address` gives
    an element's word address, :meth:`find` the register at an address, :meth:`encode` /
    :meth:`decode` a register's fields, :meth:`markdown_table` the docs table. Raises
    :class:`ParameterError` when registers overlap or leave the address space, or when a field
    leaves the data word.
    """

    def __init__(self, name, registers, *, addr_bits=ADDR_BITS, data_bits=DATA_BITS, doc=""):
        self.name, self.addr_bits, self.data_bits, self.doc = name, addr_bits, data_bits, doc
        placed, next_address = [], 0
        for register in registers:
            if register.address is None:
                register = dataclasses.replace(register, address=next_address)
            if not (0 <= register.address and register.end <= 1 << addr_bits):
                raise ParameterError(f"{name}.{register.name}.address",
                                     f"{register.address:#x}..{register.end - 1:#x}",
                                     f"word addresses in 0..{(1 << addr_bits) - 1:#x}")
            for field in register.fields:
                if field.at + field.bits > data_bits:
                    raise ParameterError(f"{name}.{register.name}.{field.name}", field.span,
                                         f"bits inside [{data_bits - 1}:0]")
            if register.reset >> data_bits:
                raise ParameterError(f"{name}.{register.name}.reset", register.reset, f"< 2**{data_bits}")
            placed.append(register)
            next_address = register.end
        names = [r.name for r in placed]
        if len(set(names)) != len(names):
            raise ParameterError(f"{name} register names", names, "distinct names")
        ordered = sorted(placed, key=lambda r: r.address)
        for a, b in zip(ordered, ordered[1:]):
            if b.address < a.end:
                raise ParameterError(f"{name}.{b.name}.address", f"{b.address:#x}",
                                     f">= {a.end:#x}", why=f"overlaps {a.name} ({a.address:#x}..{a.end - 1:#x})")
        self._registers = {r.name: r for r in placed}
        self._ordered = ordered

    def __iter__(self):
        return iter(self._registers.values())

    def __len__(self):
        return len(self._registers)

    def __contains__(self, name):
        return name in self._registers

    def __getitem__(self, name):
        try:
            return self._registers[name]
        except KeyError:
            raise ParameterError(f"{self.name} register", name, " | ".join(self._registers)) from None

    def address(self, name, index=0, **index_fields):
        """Word address of element ``index`` (or of the index fields) of register ``name``."""
        register = self[name]
        return register.address + register.element(index, **index_fields)

    def find(self, addr):
        """``(register, index)`` of word address ``addr``, or None when nothing is mapped there."""
        lo, hi = 0, len(self._ordered)
        while lo < hi:  # the last register starting at or below addr
            mid = (lo + hi) // 2
            if self._ordered[mid].address <= addr:
                lo = mid + 1
            else:
                hi = mid
        if lo and addr < self._ordered[lo - 1].end:
            register = self._ordered[lo - 1]
            return register, addr - register.address
        return None

    def encode(self, name, **values):
        """Register ``name``'s word with ``values`` in its fields (:meth:`Register.encode`)."""
        return self[name].encode(**values)

    def decode(self, name, word, access="r"):
        """Register ``name``'s fields in ``word`` (:meth:`Register.decode`)."""
        return self[name].decode(word, access)

    def markdown_table(self):
        """The map as a markdown table: address, name, access, reset, fields and meaning."""
        digits = -(-self.addr_bits // 4)
        lines = ["| address | name | access | reset | meaning |", "|---|---|---|---|---|"]
        for register in self._ordered:
            lines.append(f"| {register.address_text(digits)} | {register.name} | {register.access.label} | "
                         f"{register.reset_text()} | {register.meaning_text()} |")
        return "\n".join(lines) + "\n"
