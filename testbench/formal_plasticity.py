"""Formal property harnesses (SymbiYosys, see ``neuroxide.testbench.formal``) of the plasticity rule unit.

:class:`SynapseUpdateProperties` leaves every input of a
:class:`~neuroxide.rtl.plasticity.SynapseUpdateUnit` free (level, spikes, traces, membrane, calcium,
random word, column gain) and asserts, for every input combination:

* the new level is within ``0..2**weight_bits-1``, computed as a value wider than the level so the
  bound is a property of the arithmetic, not of the port width: the unit's result, zero-extended,
  equals the specification's saturated value, and the specification's unsaturated value is what
  it saturates;
* it equals the rule's equations (``neuroxide.models.plasticity`` docstring) written out here in
  wide Amaranth arithmetic, independently of the ops layer (tables by one-hot terms, not the unit's
  select tree);
* a step that can only potentiate never lowers the level and one that can only depress never raises
  it (no wrap-around at either bound);
* without a pre and a post spike the level holds.

A harness whose ``spec`` differs from the unit's parameters, or whose ``wrap`` specification wraps
instead of saturating, must FAIL (tests/test_plasticity_formal.py).

Group ``plasticity`` (``python -m neuroxide.testbench.formal --only plasticity``).
"""

import functools
import operator

from amaranth.hdl import Assert, Assume, Module, Mux, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In

from neuroxide.models.plasticity import GAIN_BITS, PlasticityParams, UpdateTables, tables_from_device
from neuroxide.rtl.plasticity import SynapseUpdateUnit

from .formal import clamp, wire

__all__ = ["HARNESSES", "PROPERTIES", "PLASTICITY_PROPERTIES", "SynapseUpdateProperties"]

PLASTICITY_PROPERTIES = (
    "the new level is within 0..2**weight_bits-1 for every input (saturation, never wrap)",
    "the new level equals the rule's equations in wide arithmetic (STDP add/mult, SDSP, device tables, gain)",
    "potentiation alone never lowers a level; depression alone never raises it",
    "without a pre and a post spike the level holds",
)

WIDE = 72  # bits of every specification intermediate: no product of the rule overflows it


def _table(entries, index):
    """``entries[index]`` as an OR of one-hot terms (not an ``Array``: yosys turns that switch into a
    ROM, whose contents k-induction would leave free)."""
    return functools.reduce(operator.or_, [Mux(index == k, x, 0) for k, x in enumerate(entries)])


class SynapseUpdateProperties(wiring.Component):
    """:data:`PLASTICITY_PROPERTIES` of ``SynapseUpdateUnit(p, v_bits, with_gain)``. ``spec``: the
    constants the specification uses (default ``p``); ``wrap``: a specification that wraps modulo
    ``2**weight_bits`` instead of saturating (must fail)."""

    def __init__(self, p, v_bits=8, with_gain=False, spec=None, wrap=False):
        self.p, self.v_bits, self.with_gain = p, v_bits, with_gain
        self.spec = spec or p
        self.wrap = wrap
        ports = {"w": In(p.weight_bits), "pre_spike": In(1), "post_spike": In(1), "pre_trace": In(p.trace_bits),
                 "post_trace": In(p.trace_bits), "v_post": In(signed(v_bits)), "ca_post": In(p.ca_bits),
                 "rng": In(32)}
        if with_gain:
            ports["gain"] = In(unsigned(GAIN_BITS + 3))
        super().__init__(ports)

    def elaborate(self, platform):
        m = Module()
        p, s = self.p, self.spec
        dut = m.submodules.dut = SynapseUpdateUnit(p, self.v_bits, self.with_gain)
        for name in self.signature.members:
            m.d.comb += getattr(dut, name).eq(getattr(self, name))
        if self.with_gain:
            m.d.comb += Assume(self.gain <= (4 << GAIN_BITS))

        w, W = self.w, s.w_max
        # device factor and its fraction bits
        if s.tables is not None:
            f_up = wire(m, "spec_f_up", _table(s.tables.up, w), unsigned(WIDE))
            f_down = wire(m, "spec_f_down", _table(s.tables.down, w), unsigned(WIDE))
            g = s.tables.frac_bits
        elif s.rule == "stdp-mult":
            f_up, f_down, g = wire(m, "spec_f_up", W - w, signed(WIDE)), wire(m, "spec_f_down", w, signed(WIDE)), \
                s.weight_bits
        else:
            f_up, f_down, g = 1, 1, 0
        if s.rule == "sdsp":
            window = (self.ca_post >= s.theta_l)
            high = self.v_post >= s.theta_m
            up = wire(m, "spec_up", self.pre_spike & high & window & (self.ca_post < s.theta_h_up))
            down = wire(m, "spec_down", self.pre_spike & ~high & window & (self.ca_post < s.theta_h_down))
            m_up = Mux(up, (s.sdsp_up_q * f_up) >> g, 0)
            m_down = Mux(down, (s.sdsp_down_q * f_down) >> g, 0)
        else:
            m_up = Mux(self.post_spike, (s.a_plus * self.pre_trace * f_up) >> (s.trace_bits + g), 0)
            m_down = Mux(self.pre_spike, (s.a_minus * self.post_trace * f_down) >> (s.trace_bits + g), 0)
            if s.a_post:  # Diehl & Cook's offset: every synapse of a spiking column
                m_down = m_down + Mux(self.post_spike, (s.a_post * f_down) >> g, 0)
        if self.with_gain:
            m_up, m_down = (m_up * self.gain) >> GAIN_BITS, (m_down * self.gain) >> GAIN_BITS
        m_up = wire(m, "spec_m_up", m_up, signed(WIDE))
        m_down = wire(m, "spec_m_down", m_down, signed(WIDE))
        f = s.frac_bits
        if s.stochastic and f:
            r_up, r_down = self.rng[32 - f:], self.rng[:f]
        else:
            r_up = r_down = 0
        inc = wire(m, "spec_inc", (m_up + r_up) >> f, signed(WIDE))
        dec = wire(m, "spec_dec", (m_down + r_down) >> f, signed(WIDE))
        raw = wire(m, "spec_unsaturated", w + inc - dec, signed(WIDE))
        if self.wrap:
            want = wire(m, "spec_w", raw[:s.weight_bits], unsigned(s.weight_bits))
        else:
            want = wire(m, "spec_w", clamp(raw, 0, W), signed(WIDE))
        got = wire(m, "got_w", dut.w_next, signed(WIDE))  # zero-extended: the range check is on the value

        m.d.comb += [
            Assert((got >= 0) & (got <= W), "level within 0..2**weight_bits-1"),
            Assert(got == want, "level follows the specification"),
            Assert(((raw > W) & (got == W)) | ((raw < 0) & (got == 0)) | ((raw >= 0) & (raw <= W) & (got == raw)),
                   "the unsaturated value saturates, never wraps"),
            Assert(~((dec == 0) & (got < w)), "potentiation alone never lowers a level"),
            Assert(~((inc == 0) & (got > w)), "depression alone never raises a level"),
            Assert(~(~self.pre_spike & ~self.post_spike & (got != w)), "no spike: the level holds"),
        ]
        return m


NARROW = dict(a_plus=100, a_minus=70, weight_bits=3, frac_bits=4, trace_bits=4, decay_bits=4, trace_decay=12, trace_inc=9,
              ca_bits=3, ca_decay=12, ca_inc=2, theta_m=10, theta_l=1, theta_h_up=7, theta_h_down=4)


def _cases():
    P = PlasticityParams
    return {
        "plasticity-stdp-add": SynapseUpdateProperties(P(rule="stdp-add", **NARROW)),
        "plasticity-stdp-mult": SynapseUpdateProperties(P(rule="stdp-mult", **NARROW | {"a_plus": 112, "a_minus": 50})),
        "plasticity-sdsp": SynapseUpdateProperties(P(rule="sdsp", **NARROW)),
        "plasticity-sdsp-device-gain": SynapseUpdateProperties(
            P(rule="sdsp", sdsp_up=40, sdsp_down=24,
              tables=tables_from_device(2.0, 1.0, 1.5, weight_bits=3, frac_bits=4), **NARROW), with_gain=True),
        "plasticity-stdp-device-floor": SynapseUpdateProperties(
            P(rule="stdp-add", stochastic=False,
              tables=UpdateTables((16, 14, 12, 9, 7, 4, 2, 0), (0, 3, 6, 9, 12, 15, 18, 21), 4),
              **NARROW | {"a_plus": 112, "a_minus": 112})),
        "plasticity-stdp-add-a-post": SynapseUpdateProperties(P(rule="stdp-add", a_post=60, **NARROW)),
    }


HARNESSES = {"plasticity": _cases}
PROPERTIES = {"plasticity": PLASTICITY_PROPERTIES}
