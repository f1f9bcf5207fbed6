"""Amaranth views of a rule's :class:`~neuroxide.models.layout.StateLayout` (declared once in models/).

* :func:`shape_of` -- the Amaranth shape of one value of a field (``signed(bits)`` / ``unsigned(bits)``)
* :func:`struct_of` -- a ``data.StructLayout`` of the whole item: a RAM word or trace slice whose
  bit order (field 0 lowest) is the order ``StateLayout.pack`` uses
* :func:`item_ports` -- ``{name: direction(shape)}`` ports of a one-item component (one neuron)
* :func:`array_ports` -- ``{name: direction(ArrayLayout(shape, n))}`` ports of an ``n``-item array
* :func:`item_word` -- ``Cat`` of item ``k``'s fields read from such ports (packed like the model)
* :func:`items_word` -- ``Cat`` of all ``n`` items, item 0 lowest (a trace word)

A vector field of ``count`` values (dendrites) is ``count`` consecutive elements per item in an
array port: element ``k * count + j`` is value ``j`` of item ``k``.
"""

from amaranth.hdl import Cat, signed, unsigned
from amaranth.lib import data
from amaranth.lib.wiring import Out

__all__ = ["shape_of", "struct_of", "item_ports", "array_ports", "item_word", "items_word"]


def shape_of(field):
    """``signed(bits)`` or ``unsigned(bits)`` of one value of a :class:`~neuroxide.models.layout.StateField`."""
    return signed(field.bits) if field.signed else unsigned(field.bits)


def struct_of(layout):
    """The ``data.StructLayout`` of one item of ``layout`` (field 0 in the lowest bits)."""
    return data.StructLayout({f.name: shape_of(f) if f.count is None else data.ArrayLayout(shape_of(f), f.count)
                              for f in layout})


def _is_bit_vector(field):
    return field.bits == 1 and not field.signed


def item_ports(layout, direction=Out, init=None):
    """``{name: direction(shape)}`` for each field of a one-item component; ``init`` maps a field
    name to its reset value (a list of ``count`` values for a vector field)."""
    init = init or {}
    ports = {}
    for f in layout:
        kw = {} if f.name not in init else {"init": init[f.name]}
        if f.count is None:
            ports[f.name] = direction(shape_of(f), **kw)
        elif _is_bit_vector(f):
            kw = {} if not kw else {"init": sum(int(b) << j for j, b in enumerate(kw["init"]))}
            ports[f.name] = direction(f.count, **kw)
        else:
            ports[f.name] = direction(data.ArrayLayout(shape_of(f), f.count), **kw)
    return ports


def array_ports(layout, n, direction=Out, init=None):
    """``{name: direction(ArrayLayout(shape, n * size))}`` for each field; ``init`` maps a field
    name to the list of reset values, one per element (e.g. per-neuron PRNG seeds). A 1-bit
    unsigned field becomes an ``n * size``-bit vector (``spike``), item 0 in bit 0."""
    init = init or {}
    ports = {}
    for f in layout:
        value = init.get(f.name)
        if _is_bit_vector(f):
            kw = {} if value is None else {"init": sum(int(b) << k for k, b in enumerate(value))}
            ports[f.name] = direction(n * f.size, **kw)
        else:
            kw = {} if value is None else {"init": list(value)}
            ports[f.name] = direction(data.ArrayLayout(shape_of(f), n * f.size), **kw)
    return ports


def item_word(layout, source, k=None):
    """``Cat`` of item ``k``'s fields, where ``source.<name>`` is an array port (or a bit vector for a
    1-bit field) of :func:`array_ports`; with ``k=None``, of a one-item component's
    :func:`item_ports`."""
    def values(f):
        port = getattr(source, f.name)
        if k is None:
            return [port] if f.count is None else [port[j] for j in range(f.count)]
        return [port[k * f.size + j] for j in range(f.size)]
    return Cat(*(value for f in layout for value in values(f)))


def items_word(layout, source, n):
    """``Cat`` of all ``n`` items (item 0 lowest): the packing ``StateLayout.unpack_words`` reads."""
    return Cat(*(item_word(layout, source, k) for k in range(n)))
