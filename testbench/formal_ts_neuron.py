"""Formal property harnesses (SymbiYosys k-induction) of the two-phase threshold-switch neuron
(:class:`~neuroxide.rtl.ts_neuron.TSNeuronArray`, one neuron).

The harness leaves the drive ``x`` and ``step`` free and asserts the specification written here
from the equations of ``neuroxide.models.ts_neuron`` in wide Amaranth arithmetic, independently of
the ops layer the datapath is built from; in particular the crossing fraction is specified with
Amaranth's own division (``(past << sub_bits) // span``), which the gates compute by a
restoring compare-subtract chain. Prediction form, as in ``formal_neurons``: the specification is
computed from the current state and input, registered, and compared after the step. A harness
whose ``spec`` constants differ from the gates' must FAIL (tests/test_ts_neuron.py).

Group (``python -m neuroxide.testbench.formal --only ts-neuron``): ``ts-neuron``.
"""

from amaranth.hdl import Assert, Module, Mux, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In

from neuroxide.models.ts_neuron import TSNeuronParams
from neuroxide.rtl.layout import item_ports
from neuroxide.rtl.ts_neuron import TSNeuronArray

from .formal import clamp, wire
from .formal_neurons import Predictor

__all__ = ["HARNESSES", "PROPERTIES", "TS_PROPERTIES", "TSNeuronProperties", "TS_NARROW", "TS_LATCHING"]

TS_PROPERTIES = (
    "v stays within 0..2**v_bits - 1 (saturation, never wrap)",
    "a spike only on the off -> on transition (spike implies on now and off before the step)",
    "the phase turns on only where the charge step reaches v_th and off only where the discharge "
    "step reaches v_hold; otherwise it holds",
    "v after a step equals the specification in unbounded arithmetic (both exponential steps, "
    "the sub-step restart from the crossed level with frac = min((past << sub_bits) // span, "
    "2**sub_bits - 1))",
    "without step, the state holds",
)


class TSNeuronProperties(wiring.Component):
    """Properties :data:`TS_PROPERTIES` of one :class:`TSNeuronArray` neuron built with ``params``;
    ``spec`` (default ``params``) are the specification's constants."""

    def __init__(self, params: TSNeuronParams, spec: TSNeuronParams = None):
        self.params = params
        self.spec = spec or params
        super().__init__({"step": In(1), **item_ports(params.input_layout, In)})

    def elaborate(self, platform):
        m = Module()
        p, s = self.params, self.spec
        dut = m.submodules.dut = TSNeuronArray(p, 1)
        m.d.comb += [dut.step.eq(self.step), dut.x[0].eq(self.x)]
        v, on, spike = dut.v[0], dut.on[0], dut.spike[0]
        x = self.x
        m.d.comb += Assert(v <= s.v_max, "v within 0..v_max")

        wide = signed(s.in_bits + s.v_bits + 48)        # no intermediate overflows
        half = 1 << (s.c_bits - 1)
        t_off = wire(m, "spec_t_off", (x * s.g_off) >> s.g_bits, wide)
        t_on = wire(m, "spec_t_on", (x * s.g_on) >> s.g_bits, wide)
        v_chg = wire(m, "spec_v_chg", v + (((t_off - v) * s.c_off + half) >> s.c_bits), wide)
        v_dis = wire(m, "spec_v_dis", v + (((t_on - v) * s.c_on + half) >> s.c_bits), wide)
        turn_on = wire(m, "spec_turn_on", ~on & (v_chg >= s.v_th), 1)
        turn_off = wire(m, "spec_turn_off", on & (v_dis <= s.v_hold), 1)
        span = wire(m, "spec_span", clamp(wire(m, "spec_span_raw", Mux(on, v - v_dis, v_chg - v), wide),
                                          1, 1 << (s.v_bits + 1)), wide)
        past = wire(m, "spec_past", clamp(wire(m, "spec_past_raw", Mux(on, s.v_hold - v_dis, v_chg - s.v_th), wide),
                                          0, span), wide)
        quotient = wire(m, "spec_quotient", (past << s.sub_bits) // span, wide)
        frac = wire(m, "spec_frac", Mux(quotient > (1 << s.sub_bits) - 1, (1 << s.sub_bits) - 1, quotient), wide)
        full = wire(m, "spec_full", Mux(on, ((t_off - s.v_hold) * s.c_off + half) >> s.c_bits,
                                        ((t_on - s.v_th) * s.c_on + half) >> s.c_bits), wide)
        v_sw = wire(m, "spec_v_sw", Mux(on, s.v_hold, s.v_th) + ((full * frac) >> s.sub_bits), wide)
        v_raw = wire(m, "spec_v_raw", Mux(turn_on | turn_off, v_sw, Mux(on, v_dis, v_chg)), wide)
        v_spec = wire(m, "spec_v", clamp(v_raw, 0, s.v_max), wide)

        pr = Predictor(m, self.step)
        pred_v, pred_on, pred_off = pr.pred("v", v_spec), pr.pred("turn_on", turn_on), pr.pred("turn_off", turn_off)
        was_on = pr.prev("on", on)
        held_v, held_spike = pr.prev("v", v), pr.prev("spike", spike)
        with m.If(pr.valid & pr.stepped):
            m.d.comb += [
                Assert(~spike | (on & ~was_on), "a spike only on the off -> on transition"),
                Assert(spike == pred_on, "spike exactly where the charge step reaches v_th"),
                Assert((on & ~was_on) == pred_on, "turns on only at v_th"),
                Assert((~on & was_on) == pred_off, "turns off only at v_hold"),
                Assert(v == pred_v, "v follows the specification"),
            ]
        with m.If(pr.valid & ~pr.stepped):
            m.d.comb += Assert((v == held_v) & (on == was_on) & (spike == held_spike), "state holds without step")
        return m


# narrow widths: every saturation and switching edge is reachable within a few steps
TS_NARROW = TSNeuronParams(in_bits=5, v_bits=8, g_bits=2, g_off=30, g_on=6, c_bits=5, c_off=7, c_on=19,
                           v_th=64, v_hold=40, sub_bits=3)
# a drive whose V_on lies above v_hold latches the device on; large gains saturate v
TS_LATCHING = TSNeuronParams(in_bits=4, v_bits=7, g_bits=0, g_off=40, g_on=9, c_bits=4, c_off=5, c_on=11,
                             v_th=70, v_hold=50, sub_bits=4)


def _cases():
    return {"ts-neuron-narrow": TSNeuronProperties(TS_NARROW),
            "ts-neuron-latching": TSNeuronProperties(TS_LATCHING)}


HARNESSES = {"ts-neuron": _cases}
PROPERTIES = {"ts-neuron": TS_PROPERTIES}
