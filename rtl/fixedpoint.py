"""Amaranth back ends of the ops layer (the ``Ops`` protocol of ``neuroxide.models.fixedpoint``).

The same update-rule functions that drive the numpy golden models elaborate into gates when given
an :class:`AmaranthOps` bound to the module being elaborated: ``select`` becomes a ``Mux``,
``clamp`` two comparators and two muxes, ``shl`` a wire slice, and ``let`` a named wire. Amaranth
widens every ``+``/``-``/``*`` result, so intermediates never overflow; the only narrowing is the
explicit ``clamp`` (after which assigning to a register of the declared width is exact).

``let`` matters for more than naming: Amaranth copies an expression tree each time it is used, so
a value used twice without ``let`` is built (and simulated) twice, and nested reuse grows
exponentially. Rules ``let`` every value they use more than once.

Pipelining: a rule marks its pipeline cuts with ``a, b, ... = ops.stage(a, b, ...)``, passing every
value that is live across the cut. :class:`AmaranthOps` (single cycle) and the numpy back end return
the values unchanged; :class:`PipelinedOps` puts one register on each, so the same rule elaborates
into a pipeline of ``ops.depth`` register stages (latency ``depth`` cycles, one result per clock).
"""

from amaranth.hdl import Mux, Signal, Value

__all__ = ["AmaranthOps", "PipelinedOps", "RecordingOps"]


class AmaranthOps:
    """Integer ops on Amaranth values, emitting named wires into module ``m`` (implements
    ``neuroxide.models.fixedpoint.Ops`` in full)."""

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

    def stage(self, *values):
        """A pipeline cut: nothing in single-cycle gates (the values come back unchanged)."""
        return values


class PipelinedOps(AmaranthOps):
    """:class:`AmaranthOps` whose ``stage(...)`` registers every value passed (a pipeline cut).

    ``carry``: ``{name: value}`` of side-band values (valid bit, neuron index) that must stay
    aligned with the data; every cut delays them too, and ``carried[name]`` is the delayed value
    after the rule and ``history[name]`` its value after each cut (e.g. to know whether any
    stage holds a valid item). ``depth`` counts the cuts, i.e. the latency in cycles added by the rule.
    Python ints (elaboration-time constants) pass a cut unchanged.
    """

    def __init__(self, m, prefix="", carry=None, domain="sync"):
        super().__init__(m, prefix)
        self.domain = domain
        self.depth = 0
        self.carried = dict(carry or {})
        self.history = {name: [] for name in self.carried}

    def _register(self, value, name):
        if isinstance(value, int):
            return value
        value = Value.cast(value)
        reg = Signal(value.shape(), name=f"{self.prefix}s{self.depth}_{name}")
        self.m.d[self.domain] += reg.eq(value)
        return reg

    def stage(self, *values):
        self.depth += 1
        out = tuple(self._register(v, getattr(v, "name", None) or f"x{k}") for k, v in enumerate(values))
        self.carried = {name: self._register(v, name) for name, v in self.carried.items()}
        for name, v in self.carried.items():
            self.history[name].append(v)
        return out


class RecordingOps(AmaranthOps):
    """:class:`AmaranthOps` that also keeps the first wire of each ``let`` name (``wires[name]``), so a
    component can expose a rule's intermediate values (a formal harness asserts on them).

    With ``m=None`` no gates are emitted: the rule is only evaluated for the shapes of its values
    (``wires[name].shape()``), which a component needs to declare a port for a value before it is
    elaborated.
    """

    def __init__(self, m=None, prefix=""):
        super().__init__(m, prefix)
        self.wires = {}

    def let(self, name, value):
        if self.m is None:
            wire = Signal(Value.cast(value).shape(), name=f"{self.prefix}{name}")
        else:
            wire = super().let(name, value)
        self.wires.setdefault(name, wire)
        return wire
