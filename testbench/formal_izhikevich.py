"""Formal property harnesses of the Izhikevich datapaths (``neuroxide.rtl.izhikevich``): the
one-cycle :class:`IzhikevichNeuron` and the 5-stage :class:`IzhikevichNeuronPipelined`.

The specification is the fixed-point rule of the ``neuroxide.models.izhikevich`` docstring, written
here in Amaranth expressions (which widen every ``+ - *`` result, so nothing overflows) in the
prediction form of ``formal_neurons``: computed from the state registers and input when a step
starts, registered, and compared with the state when the step is done. The Izhikevich rule has no
refractory period; its spike condition is ``v1 > VPEAK``.

The datapath takes its widths (F, K, state_bits) as parameters. The narrow harnesses (F = 8,
K = 12, 18-bit state) make every saturation edge reachable with small numbers; the full-width
ones are the shipped widths (F = 40, K = 52: 50-bit v, u and a 50 x 50-bit ``v*v``). The
specification's products read the same solver terms as the gates' (``v*v`` of the same register),
which is what keeps the 50-bit proofs tractable for z3.
"""

from amaranth.hdl import Assert, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In

from neuroxide.models.izhikevich import (COEF_BITS, FRAC_BITS, STATE_BITS, coeffs_for, input_layout, load_protocols,
                                         state_layout)
from neuroxide.rtl.izhikevich import IzhikevichNeuron, IzhikevichNeuronPipelined
from neuroxide.rtl.layout import item_ports

from .formal import clamp, wire

__all__ = ["HARNESSES", "PROPERTIES", "IZHIKEVICH_PROPERTIES", "IzhikevichProperties", "izhikevich_spec", "NARROW"]

IZHIKEVICH_PROPERTIES = (
    "(equality harnesses) v, u after a step equal the specification computed in unbounded arithmetic: v1 = clamp(v + "
    "((A2*((v*v)>>F) + A1*v - AU*u) >> K) + A0 + i_dt), u1 = clamp(u + ((BV*v1 - BU*u + B0) >> K)), "
    "reset to (C, clamp(u1 + D)) on a spike (saturation at the state_bits range, never wrap)",
    "(equality harnesses) spike exactly when v1 > VPEAK",
    "(every harness) after a step with a spike v = C; after a step without one v = v1 <= VPEAK",
    "without a step, the state holds",
    "pipelined: busy for exactly STAGES - 1 = 4 cycles after a step starts; step while busy is ignored; "
    "v, u, spike change only on the cycle a step completes",
)

NARROW = {"frac_bits": 8, "coef_bits": 12, "state_bits": 18}


def izhikevich_spec(m, k, v, u, i_dt, frac_bits, coef_bits, state_bits):
    """One step of the rule with coefficients ``k`` -> ``{"fire", "v", "u"}`` (wires), each state
    value saturated to its field of ``state_layout(state_bits)``."""
    state = state_layout(state_bits)
    v_lo, v_hi, u_lo, u_hi = state["v"].lo, state["v"].hi, state["u"].lo, state["u"].hi
    vsq = wire(m, "spec_vsq", (v * v) >> frac_bits)
    dv_sum = wire(m, "spec_dv_sum", k.a2 * vsq + k.a1 * v - k.au * u)
    v1_raw = wire(m, "spec_v1_raw", v + (dv_sum >> coef_bits) + k.a0 + i_dt)
    v1 = wire(m, "spec_v1", clamp(v1_raw, v_lo, v_hi))
    u1_raw = wire(m, "spec_u1_raw", u + ((k.bv * v1 - k.bu * u + k.b0) >> coef_bits))
    u1 = wire(m, "spec_u1", clamp(u1_raw, u_lo, u_hi))
    u_reset = wire(m, "spec_u_reset", u1 + k.d)
    fire = wire(m, "spec_fire", v1 > k.v_peak)
    return {"fire": fire, "v": wire(m, "spec_v", Mux(fire, k.c, v1)),
            "u": wire(m, "spec_u", Mux(fire, clamp(u_reset, u_lo, u_hi), u1))}


class IzhikevichProperties(wiring.Component):
    """Properties of the one-cycle (``pipelined=False``) or pipelined Izhikevich datapath with
    coefficients ``coeffs``; ``spec`` (default ``coeffs``) are the specification's coefficients."""

    def __init__(self, coeffs, frac_bits=FRAC_BITS, coef_bits=COEF_BITS, state_bits=STATE_BITS, pipelined=False,
                 spec=None, equality=True):
        self.coeffs, self.spec = coeffs, spec or coeffs
        self.equality = equality
        self.frac_bits, self.coef_bits, self.state_bits = frac_bits, coef_bits, state_bits
        self.pipelined = pipelined
        # the pipelined step spans STAGES cycles: the induction must see a whole step
        self.formal_depth = IzhikevichNeuronPipelined.STAGES + 3 if pipelined else 3
        super().__init__({"step": In(1), **item_ports(input_layout(state_bits), In)})

    def elaborate(self, platform):
        m = Module()
        F, K, W = self.frac_bits, self.coef_bits, self.state_bits
        cls = IzhikevichNeuronPipelined if self.pipelined else IzhikevichNeuron
        dut = m.submodules.dut = cls(self.coeffs, F, K, W)
        m.d.comb += [dut.step.eq(self.step), dut.i_dt.eq(self.i_dt)]
        k = self.spec

        valid = Signal()
        m.d.sync += valid.eq(1)
        held_v, held_u, held_spike = Signal.like(dut.v), Signal.like(dut.u), Signal()
        m.d.sync += [held_v.eq(dut.v), held_u.eq(dut.u), held_spike.eq(dut.spike)]
        done = Signal()   # the state registers hold a step's result now
        start = Signal()  # a step starts in this cycle
        if self.pipelined:
            S = IzhikevichNeuronPipelined.STAGES
            left = Signal(range(S))  # cycles until the step in flight is done (0: none in flight)
            m.d.comb += start.eq(self.step & ~dut.busy)
            with m.If(start):
                m.d.sync += left.eq(S - 1)
            with m.Elif(left != 0):
                m.d.sync += left.eq(left - 1)
            last = Signal()
            m.d.sync += last.eq(left == 1)
            m.d.comb += done.eq(last)
            # busy is high exactly while a step is in flight, for S - 1 cycles after its start
            m.d.comb += Assert(dut.busy == (left != 0), "busy exactly while a step is in flight")
        else:
            m.d.comb += start.eq(self.step)
            m.d.sync += done.eq(self.step)
        with m.If(valid & done):
            m.d.comb += Assert(Mux(dut.spike, dut.v == k.c, dut.v <= k.v_peak), "spike: v = C; none: v <= VPEAK")
        if self.equality:
            spec = izhikevich_spec(m, k, dut.v, dut.u, self.i_dt, F, K, W)
            pred_v, pred_u, pred_fire = Signal.like(spec["v"]), Signal.like(spec["u"]), Signal()
            with m.If(start):
                m.d.sync += [pred_v.eq(spec["v"]), pred_u.eq(spec["u"]), pred_fire.eq(spec["fire"])]
            with m.If(valid & done):
                m.d.comb += [
                    Assert(dut.spike == pred_fire, "spike exactly when v1 > VPEAK"),
                    Assert(dut.v == pred_v, "v follows the specification"),
                    Assert(dut.u == pred_u, "u follows the specification"),
                ]
        with m.If(valid & ~done):
            m.d.comb += Assert((dut.v == held_v) & (dut.u == held_u) & (dut.spike == held_spike),
                               "state holds unless a step completes")
        return m


def _coeffs(panel, frac_bits=FRAC_BITS, coef_bits=COEF_BITS):
    return coeffs_for(load_protocols()[panel], frac_bits, coef_bits)


def _cases():
    n = NARROW
    cases = {}
    for panel in ("A", "G", "R"):
        k = _coeffs(panel, n["frac_bits"], n["coef_bits"])
        cases[f"izhikevich-narrow-{panel}"] = IzhikevichProperties(k, **n)
        cases[f"izhikevich-pipelined-narrow-{panel}"] = IzhikevichProperties(k, **n, pipelined=True, equality=False)
    cases["izhikevich-pipelined-full-A"] = IzhikevichProperties(_coeffs("A"), pipelined=True, equality=False)
    return cases


HARNESSES = {"izhikevich": _cases}
PROPERTIES = {"izhikevich": IZHIKEVICH_PROPERTIES}
