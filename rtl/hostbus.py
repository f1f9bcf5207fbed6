"""The host bus: how the UART host link reaches a core's registers and memories.

Every accelerator core (SNN, ONN) exposes one :class:`HostBusSignature` port, ``bus``, as a
*target*; the host link (``neuroxide.rtl.hostlink``) drives it as the *initiator*. Everything a
host does (load weights and neuron parameters, push input events, start time steps, read spikes,
counters, phases) is a word write or read at an address of the core's register map. So one link,
one protocol and one host driver serve every core.

Transfer (one word, 32 bits, word addresses of ``ADDR_BITS``)::

    cycle 0   initiator raises stb with addr, we, w_data (held until ack)
    cycle k   target raises ack for exactly one cycle (k >= 1); on a read, r_data is valid then
    cycle k+1 initiator drops stb (or presents the next transfer)

A target must ack every transfer, including ones to unmapped addresses (reads of those return 0
and set nothing), so the bus never hangs; the host link still gives up after a bounded number of
cycles and answers the host with a timeout error (defence in depth). Writes to FIFO-like
addresses (an input event queue) may be refused by acking with ``err`` high (queue full); the link
reports that to the host as an error code, and nothing is stored.

A core declares its register map once (:class:`neuroxide.models.registers.RegisterMap`) and
elaborates its decoder from it with :class:`RegisterDecoder`: the core supplies what each register
reads and does on a write, the decoder supplies the address match, the element index of arrays and
memory windows, the read mux and the write strobes, and refuses a map register left unwired.
"""

from amaranth.hdl import Cat, Const, Signal, Value, ValueCastable, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from neuroxide.models.registers import ADDR_BITS, DATA_BITS

__all__ = ["ADDR_BITS", "DATA_BITS", "HostBusSignature", "RegisterDecoder", "field_layout", "pack"]


class HostBusSignature(wiring.Signature):
    """Initiator's view (the host link has ``Out(HostBusSignature())``, a core ``In(...)``)."""

    def __init__(self):
        super().__init__({
            "stb": Out(1),
            "we": Out(1),
            "addr": Out(ADDR_BITS),
            "w_data": Out(DATA_BITS),
            "ack": In(1),
            "err": In(1),
            "r_data": In(DATA_BITS),
        })


def field_layout(fields, size):
    """``data.FlexibleLayout`` of ``size`` bits with the register ``fields`` at their bits."""
    return data.FlexibleLayout(size, {
        f.name: data.Field(signed(f.bits) if f.signed else unsigned(f.bits), f.at) for f in fields})


def _resized(value, bits):
    value = Value.cast(value)
    if len(value) >= bits:
        return value[:bits]
    fill = value[-1] if value.shape().signed and len(value) else Const(0, 1)
    return Cat(value, fill.replicate(bits - len(value)))


def pack(register, **values):
    """Amaranth value of ``register``'s word with ``values`` (Amaranth values or ints) in the named
    fields and the other fields at their resets: the RTL twin of ``Register.encode``. A value wider
    than its field is truncated, a narrower one extended by its signedness."""
    constants = {name: value for name, value in values.items() if isinstance(value, int)}
    live = sorted(((register.field(name), value) for name, value in values.items() if name not in constants),
                  key=lambda item: item[0].at)
    word = register.encode(**constants)
    parts, at = [], 0
    for field, value in live:
        if field.at > at:
            parts.append(Const(word >> at & ((1 << (field.at - at)) - 1), field.at - at))
        parts.append(_resized(value, field.bits))
        at = field.at + field.bits
    if at < DATA_BITS:
        parts.append(Const(word >> at, DATA_BITS - at))
    return Cat(*parts)


def _address_blocks(base, count, addr_bits):
    """``[(start, log2 size)]``: aligned power-of-two blocks covering ``base .. base + count - 1``."""
    blocks = []
    while count:
        k = (base & -base).bit_length() - 1 if base else addr_bits
        while 1 << k > count:
            k -= 1
        blocks.append((base, k))
        base, count = base + (1 << k), count - (1 << k)
    return blocks


class RegisterDecoder:
    """Address decoder of one :class:`~neuroxide.models.registers.RegisterMap` at address ``addr``.

    :meth:`hit` and :meth:`index` give a register's address match and element index;
    :meth:`write` and :meth:`read` elaborate, in the caller's current context (a bus FSM state, a
    pipeline stage), one ``m.Switch`` over the address with a case per register, element or window.
    Arrays whose handler is a list get a case per element; other registers with ``count`` > 1 are
    windows: one case covering every element, and the handler gets the element index (a ``View``
    of the index fields when the register declares several). Addresses outside every register
    match no case: reads leave ``r_data`` alone (the core's default, 0), writes do nothing.
    """

    def __init__(self, registers, addr):
        self.registers = registers
        self.addr = Value.cast(addr)
        if len(self.addr) != registers.addr_bits:
            raise TypeError(f"addr must be {registers.addr_bits} bits wide, not {len(self.addr)}")

    def _window_bits(self, register):
        """log2 of the aligned block that holds the whole register, or None when none does."""
        k = max(0, (register.count - 1).bit_length())
        return k if register.address % (1 << k) == 0 else None

    def hit(self, name):
        """1 when ``addr`` is one of register ``name``'s addresses."""
        register = self.registers[name]
        if register.count == 1:
            return self.addr == register.address
        return (self.addr >= register.address) & (self.addr < register.end)

    def index(self, name):
        """Element index of ``addr`` within register ``name`` (meaningful where :meth:`hit`); a slice
        of the address when the register is aligned, else the difference; a ``View`` of the index
        fields when the register declares more than one."""
        register = self.registers[name]
        k = self._window_bits(register)
        index = self.addr[:k] if k is not None else (self.addr - register.address)[:self.registers.addr_bits]
        if len(register.index) == 1:
            return index
        size = max(f.at + f.bits for f in register.index)
        return field_layout(register.index, size)(_resized(index, size))

    def _patterns(self, register):
        bits = self.registers.addr_bits
        return [format(start >> k, f"0{bits - k}b") + "-" * k if k < bits else "-" * bits
                for start, k in _address_blocks(register.address, register.count, bits)]

    def _check(self, handlers, access):
        want = {r.name for r in self.registers if (r.access.writable if access == "w" else r.access.readable)}
        missing, extra = sorted(want - set(handlers)), sorted(set(handlers) - want)
        if missing or extra:
            verb, able = ("write", "writable") if access == "w" else ("read", "readable")
            raise TypeError(f"register map {self.registers.name!r}: {verb} handlers missing for {missing}, "
                            f"given for registers that are not {able} or not in the map: {extra}")

    def _cases(self, m, handlers, emit):
        """One ``m.Switch(addr)``: ``emit(register, handler, index)`` in each register's case(s)."""
        with m.Switch(self.addr):
            for register in self.registers:
                if register.name not in handlers:
                    continue  # not readable (or not writable): no case, the default applies
                handler = handlers[register.name]
                if isinstance(handler, (list, tuple)):
                    if len(handler) != register.count:
                        raise TypeError(f"{register.name}: {len(handler)} element handlers for "
                                        f"{register.count} elements")
                    for k, element in enumerate(handler):
                        with m.Case(register.address + k):
                            emit(register, element, None)
                elif register.count == 1:
                    with m.Case(register.address):
                        emit(register, handler, None)
                else:
                    with m.Case(*self._patterns(register)):
                        emit(register, handler, self.index(register.name))

    def write(self, m, w_data, handlers):
        """Write strobes: ``handlers`` maps every writable register's name to what a write does.

        A handler is None (accepted, no effect), a ``Signal`` (stores the word, ``m.d.sync``), a
        list (one handler per element of an array), or a function called with the written word
        (a ``View`` of the register's write fields when it declares fields) and, for a window, the
        element index; the function adds its own statements."""
        self._check(handlers, "w")
        w_data = Value.cast(w_data)

        def emit(register, handler, index):
            fields = register.fields_for("w")
            word = field_layout(fields, len(w_data))(w_data) if fields else w_data
            if handler is None:
                return
            if isinstance(handler, Signal):
                m.d.sync += handler.eq(word)
            elif index is None:
                handler(word)
            else:
                handler(word, index)

        self._cases(m, handlers, emit)

    def read(self, m, r_data, handlers, domain="comb"):
        """Read mux into ``r_data`` (in ``domain``): ``handlers`` maps every readable register's name
        to its value: an int or Amaranth value (for a window: the same for every element), a list
        (one per element of an array), or a function (called with the element index for a window)
        that returns the value, or None after adding its own statements (a FIFO pop)."""
        self._check(handlers, "r")

        def emit(register, handler, index):
            if callable(handler) and not isinstance(handler, (Value, ValueCastable)):
                handler = handler() if index is None else handler(index)
            if handler is not None:
                m.d[domain] += r_data.eq(handler)

        self._cases(m, handlers, emit)
