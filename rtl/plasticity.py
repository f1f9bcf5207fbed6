"""Plasticity rule units: the rules of ``neuroxide.models.plasticity`` elaborated into gates.

Each unit is combinational (the result is valid in the cycle its inputs are; the synapse unit can be
pipelined instead, ``pipelined=True``): the very functions
the numpy golden model runs, given an :class:`~neuroxide.rtl.fixedpoint.AmaranthOps`.

* :class:`SynapseUpdateUnit` -- ``weight_update``: one synapse's new level from its level, the pre/post
  spikes and traces, the post membrane and calcium, its 32-bit random word (and its column gain).
* :class:`TraceUnit` -- ``trace_step``; :class:`CalciumUnit` -- ``calcium_step``.

``neuroxide.rtl.plastic_layer`` shares one :class:`SynapseUpdateUnit` over every synapse of the
crossbar (read-modify-write of the weight memory, one synapse per clock).
"""

from amaranth.hdl import Module, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from neuroxide.models.plasticity import GAIN_BITS, WEIGHT_UPDATE_STAGES, calcium_step, trace_step, weight_update

from .fixedpoint import AmaranthOps, PipelinedOps

__all__ = ["SynapseUpdateUnit", "TraceUnit", "CalciumUnit", "RUNTIME_RATES", "RuntimeRates", "rate_shapes",
           "rate_values"]

# the rule constants a core may take from registers at run time instead of building them in
RUNTIME_RATES = ("a_plus", "a_minus", "sdsp_up", "sdsp_down", "theta_m")


def rate_shapes(p, v_bits):
    """``{name: shape}`` of the run-time rate inputs of a unit of ``PlasticityParams`` ``p``."""
    step = unsigned(max(1, p.step_max.bit_length()))
    return {"a_plus": step, "a_minus": step, "sdsp_up": step, "sdsp_down": step, "theta_m": signed(v_bits)}


def rate_values(p):
    """``{name: int}``: the values of :data:`RUNTIME_RATES` that make a run-time unit equal to ``p``."""
    return {"a_plus": p.a_plus, "a_minus": p.a_minus, "sdsp_up": p.sdsp_up_q, "sdsp_down": p.sdsp_down_q,
            "theta_m": p.theta_m}


class RuntimeRates:
    """``PlasticityParams`` ``p`` whose :data:`RUNTIME_RATES` are Amaranth values (registers): the rule
    functions read ``p.a_plus`` etc. and get the value, every other field is ``p``'s constant."""

    def __init__(self, p, values):
        self._p, self._values = p, dict(values)

    def __getattr__(self, name):
        values = self.__dict__["_values"]
        if name in ("sdsp_up_q", "sdsp_down_q"):
            return values[name[:-2]]
        if name in values:
            return values[name]
        return getattr(self.__dict__["_p"], name)


class SynapseUpdateUnit(wiring.Component):
    """``w_next = weight_update(w, ...)`` of ``PlasticityParams`` ``p`` (combinational).

    ``v_bits``: width of the (signed) post membrane ``v_post``; ``with_gain``: a per-column device
    gain input ``gain`` (``GAIN_BITS`` fractional bits, ``0..4 * 2**GAIN_BITS``); ``runtime_rates``:
    inputs for :data:`RUNTIME_RATES` (``rate_shapes``) instead of ``p``'s constants (equal to the
    rule with ``p.replace(**values)``; the values must be in the ranges ``PlasticityParams`` allows);
    ``pipelined``: the rule's two pipeline cuts become registers (``depth`` = 2 cycles of latency, one
    synapse per clock), else the unit is combinational.
    """

    def __init__(self, p, v_bits=16, with_gain=False, runtime_rates=False, pipelined=False):
        self.p, self.v_bits, self.with_gain, self.runtime_rates = p, v_bits, with_gain, runtime_rates
        self.pipelined = pipelined
        self.depth = WEIGHT_UPDATE_STAGES if pipelined else 0
        ports = {"w": In(p.weight_bits), "pre_spike": In(1), "post_spike": In(1),
                 "pre_trace": In(p.trace_bits), "post_trace": In(p.trace_bits),
                 "v_post": In(signed(v_bits)), "ca_post": In(p.ca_bits), "rng": In(32),
                 "w_next": Out(p.weight_bits)}
        if with_gain:
            ports["gain"] = In(unsigned(GAIN_BITS + 3))
        if runtime_rates:
            ports.update({name: In(shape) for name, shape in rate_shapes(p, v_bits).items()})
        super().__init__(ports)

    def elaborate(self, platform):
        m = Module()
        p = RuntimeRates(self.p, {n: getattr(self, n) for n in RUNTIME_RATES}) if self.runtime_rates else self.p
        ops = PipelinedOps(m, "syn_") if self.pipelined else AmaranthOps(m, "syn_")
        w_next, _ = weight_update(ops, self.w, self.pre_spike, self.post_spike, self.pre_trace,
                                  self.post_trace, self.v_post, self.ca_post, self.rng, p,
                                  self.gain if self.with_gain else None)
        assert getattr(ops, "depth", 0) == self.depth
        m.d.comb += self.w_next.eq(w_next)  # clamped into 0..2**weight_bits-1: exact
        return m


class TraceUnit(wiring.Component):
    """``trace_next = trace_step(trace, spike)`` (combinational)."""

    def __init__(self, p):
        self.p = p
        super().__init__({"trace": In(p.trace_bits), "spike": In(1), "trace_next": Out(p.trace_bits)})

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.trace_next.eq(trace_step(AmaranthOps(m, "tr_"), self.trace, self.spike, self.p))
        return m


class CalciumUnit(wiring.Component):
    """``ca_next = calcium_step(ca, spike)`` (combinational)."""

    def __init__(self, p):
        self.p = p
        super().__init__({"ca": In(p.ca_bits), "spike": In(1), "ca_next": Out(p.ca_bits)})

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.ca_next.eq(calcium_step(AmaranthOps(m, "ca_"), self.ca, self.spike, self.p))
        return m
