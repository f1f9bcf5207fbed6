"""Formal property harnesses of the Hodgkin-Huxley datapath :class:`neuroxide.rtl.hh.HHNeuron`.

The specification is the fixed-point rule of the ``neuroxide.models.hh`` docstring, written here in
wide Amaranth arithmetic (every ``+ - *`` widens, so nothing overflows), independently of
``hh_index``/``hh_interp``/``hh_step``: the table index, the linear interpolation inside a bin, the
gate updates, the conductances ``m^3 h`` and ``n^4`` and the Euler update of ``v`` are computed here.
Only the table *contents* are shared with the gates: the specification reads ``k.tables`` as
constants (a ``Mux`` tree on the index it computes, see :func:`lookup`), the datapath from its ROMs;
the harness asserts that the ROM outputs of the busy cycle equal ``T[idx(v)]`` for all twelve
tables, and the specification interpolates from those outputs (shared solver terms).

**Two-cycle step, prediction form** (see ``formal_neurons``). A step starts in a cycle with
``step`` high and ``busy`` low; the harness latches its own copy of ``i_dt`` then. In the busy
cycle the specification is evaluated on the state registers (whose products are then the same
solver terms as the gates') and registered; in the next cycle, the step done, the state must
equal the prediction. ``busy`` must be high exactly in the cycle after a start, a step while busy
is ignored, and the state (``spike`` included) holds in every cycle a step does not complete.

**The ROMs.** ``prove`` (``read_rtlil; prep``) keeps each ROM a ``$mem_v2`` cell, which
``write_smt2`` models as an SMT array whose contents are pinned to the init values only in the
initial state: in the induction step the arrays are free, so the solver "finds" counterexamples
with table entries the ROM cannot hold. The harness therefore *assumes* the semantics of a memory
without a write port, at the memory level and nowhere else: each ROM read port's data equals
``Memory.init[addr]`` of the address presented one cycle earlier (the ports have no reset and an
always-on enable). The assumption reads the ROM's own ``init`` and its own ``addr`` signal (the
datapath's public ``roms``), so the DUT's index computation, the table contents (``k.tables`` vs
the ROM init, see the negative test with one table entry changed) and all arithmetic stay under
proof. It is sound: in every reachable state the array equals its init, since nothing writes it.
(Mapping ROMs to logic with ``memory_map -rom-only`` in ``prove``'s script would make the
assumption unnecessary.)

**Cut points.** The membrane update is a chain of products (``m*m``, ``m2*m``, ``*h``,
``gna*(v-E_Na)``, ``KNA*i_na``, ...). Compared end to end with the specification's chain, z3 does
not finish even at the narrow widths (the gates sit in a submodule, so the shared products are
linked only through equalities). The harness therefore checks the chain stage by stage: each of
the datapath's intermediate values (``ops.let`` names ``m2, gna, n2, gk, i_na, i_k, i_ion``, which
``HHNeuron(k, observe=CUT_POINTS)`` drives onto its ``observed`` port) must
equal that stage of the specification computed from the datapath's *previous* stage, and ``v'``
must equal ``clamp(v + i_dt - i_ion)`` over the datapath's ``i_ion``. By substitution the stages
together are the whole specification. ``HHProperties.CHECKS`` (what the runner proves) holds
every stage but the two signed current products ``i_na = (gna*(v-E_Na)) >> G`` and
``i_k = (gk*(v-E_K)) >> G`` (``PRODUCT_CHECKS``), which did not finish in 40..300 s at the narrow
widths; those two products are covered by the simulation benches (hypothesis + cocotb), not here.

Narrow widths (``make_fixed(v_frac=4, g_frac=6..8, k_bits=8..10, lut_frac=0..1, lut_size=16)``)
keep the multipliers small enough for z3 (v is 13 bits, gates 7..9 bits). The inputs are free, so
``v`` reaches both clamps of the table index and both saturation bounds of ``v_bits``.
"""

import dataclasses

from amaranth.hdl import Assert, Assume, Const, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In

from neuroxide.models.hh import make_fixed
from neuroxide.rtl.hh import STEP_CYCLES, HHNeuron
from neuroxide.rtl.layout import item_ports, shape_of

from .formal import clamp, wire

__all__ = ["HARNESSES", "PROPERTIES", "HH_PROPERTIES", "HHProperties", "hh_spec", "NARROW"]

HH_PROPERTIES = (
    "gates m, h, n stay within 0..2**g_frac and v within the signed v_bits range",
    "in the busy cycle the twelve ROM outputs equal T[idx(v)], idx = clamp((v - V_LO) >> (V_FRAC - LUT_FRAC), 0, "
    "size - 1) (the table index computed here, the contents from make_fixed)",
    "m, h, n after a step equal clamp(x + A_x - ((B_x * x) >> G), 0, 2**G) with A, B = T[idx] + ((dT[idx] * frac) "
    ">> (V_FRAC - LUT_FRAC)), frac = low bits of v - V_LO, 0 outside the table (saturation, never wrap)",
    "cut points: m2 = (m*m)>>G, gna = (((m2*m)>>G)*h)>>G, n2 = (n*n)>>G, gk = (n2*n2)>>G, i_ion = (KNA*i_na + "
    "KK*i_k + KL*(v-EL)) >> K, each over the datapath's previous stage (NOT proven: i_na = (gna*(v-ENA))>>G, "
    "i_k = (gk*(v-EK))>>G)",
    "v after a step equals clamp(v + i_dt - i_ion) at the signed v_bits range (saturation, never wrap)",
    "spike exactly when v < 0 <= v' (0 mV crossed upward)",
    "busy exactly in the cycle after a step starts; step while busy is ignored",
    "without a completed step, the state (v, m, h, n, spike) holds",
)

# the datapath's intermediate values (``ops.let`` names in ``hh_step``) used as cut points
CUT_POINTS = ("m2", "gna", "n2", "gk", "i_na", "i_k", "i_ion")

# the narrow width set (small multipliers); lut_size 16 is make_fixed's minimum
NARROW = {"v_frac": 4, "g_frac": 6, "k_bits": 8, "lut_frac": 0, "lut_size": 16}


def lookup(index, values, shape):
    """``values[index]`` as a tree of ``Mux`` on the bits of ``index`` (an ``Array`` of constants
    would become a switch that Yosys' ``proc_rom`` turns into a ROM: a free SMT array in the
    induction step). ``index`` beyond ``len(values)`` reads the last entry."""
    level = [Const(x, shape) for x in values]
    for bit in range(len(index)):
        level = [Mux(index[bit], level[min(j + 1, len(level) - 1)], level[j]) for j in range(0, len(level), 2)]
    return level[0]


def hh_spec(m, k, v, gm, gh, gn, i_dt, read, cuts=None):
    """One Euler step of the fixed-point HH rule with constants ``k`` -> ``{"v", "m", "h", "n",
    "fire", "idx", "entries"}`` (wires), from the equations of the ``neuroxide.models.hh``
    docstring. ``read`` maps each table name (and "d" + name) to the value the datapath's ROM
    delivers; the rates are interpolated from those values, and ``entries`` maps each table name
    to ``(read value, T[idx])`` (``T`` from ``k.tables``) which the caller asserts equal."""
    G = k.g_frac
    shift = k.v_frac - k.lut_frac
    lo, hi = k.state_layout["v"].lo, k.state_layout["v"].hi
    offset = wire(m, "spec_offset", v - k.lut_lo)
    idx = wire(m, "spec_idx", clamp(wire(m, "spec_bin", offset >> shift), 0, k.lut_size - 1))
    inside = wire(m, "spec_inside", (offset >= 0) & (offset < k.lut_size * 2 ** shift))
    frac = wire(m, "spec_frac", Mux(inside, offset[:shift], 0))
    entries, rate = {}, {}
    for name in k.TABLES:
        for table in (name, "d" + name):
            values = k.tables[table]
            want = lookup(idx[:k.index_bits], values, signed(max(abs(x) for x in values).bit_length() + 1))
            entries[table] = (read[table], wire(m, f"spec_T_{table}", want))
        rate[name] = wire(m, f"spec_rate_{name}", read[name] + ((read["d" + name] * frac) >> shift))
    gates = {}
    for x, value in (("m", gm), ("h", gh), ("n", gn)):
        raw = wire(m, f"spec_{x}_raw", value + rate[f"a_{x}"] - ((rate[f"b_{x}"] * value) >> G))
        gates[x] = wire(m, f"spec_{x}", clamp(raw, 0, 2 ** G))
    # the conductance and current chain; with ``cuts`` each stage reads the datapath's value of
    # the stage before it (cut points, asserted equal to this stage by the caller)
    c = cuts or {}
    stage = {}
    stage["m2"] = wire(m, "spec_m2", (gm * gm) >> G)
    stage["gna"] = wire(m, "spec_gna", (((c.get("m2", stage["m2"]) * gm) >> G) * gh) >> G)
    stage["n2"] = wire(m, "spec_n2", (gn * gn) >> G)
    n2 = c.get("n2", stage["n2"])
    stage["gk"] = wire(m, "spec_gk", (n2 * n2) >> G)
    stage["i_na"] = wire(m, "spec_i_na", (c.get("gna", stage["gna"]) * (v - k.e_na)) >> G)
    stage["i_k"] = wire(m, "spec_i_k", (c.get("gk", stage["gk"]) * (v - k.e_k)) >> G)
    stage["i_ion"] = wire(m, "spec_i_ion", (k.k_na * c.get("i_na", stage["i_na"]) + k.k_k * c.get("i_k", stage["i_k"])
                                           + k.k_l * (v - k.e_l)) >> k.k_bits)
    i_ion = c.get("i_ion", stage["i_ion"])
    v_raw = wire(m, "spec_v_raw", v + i_dt - i_ion)
    v_next = wire(m, "spec_v", clamp(v_raw, lo, hi))
    fire = wire(m, "spec_fire", (v < 0) & (v_next >= 0))
    return {"v": v_next, "fire": fire, "idx": idx, "entries": entries, "stages": stage, **gates}


class HHProperties(wiring.Component):
    """Properties (``HH_PROPERTIES``) of ``HHNeuron(k)``; ``spec`` (default ``k``) are the constants
    of the specification (a ``spec`` differing from ``k`` must fail: the negative tests)."""

    # "v": v' = clamp(v + i_dt - i_ion) and spike, with i_ion the datapath's (a cut point);
    # "cut:NAME": one stage of the conductance/current chain over the datapath's previous stage
    CHECKS = ("range", "busy", "rom", "spike", "v", "gates", "hold", "cut:m2", "cut:gna", "cut:n2", "cut:gk",
              "cut:i_ion")
    # the two signed current products: see docs/formal.md (did not finish at the narrow widths)
    PRODUCT_CHECKS = ("cut:i_na", "cut:i_k")

    def __init__(self, k, spec=None, checks=CHECKS, cut_points=True):
        self.k, self.spec = k, spec or k
        self.cut_points = cut_points
        self.checks = frozenset(checks)
        # a step spans STEP_CYCLES cycles plus the compare cycle; see a whole one in the induction
        self.formal_depth = STEP_CYCLES + 3
        super().__init__({"step": In(1), **item_ports(k.input_layout, In)})

    def elaborate(self, platform):
        m = Module()
        k, s = self.k, self.spec
        dut = m.submodules.dut = HHNeuron(k, observe=CUT_POINTS if self.cut_points else ())
        m.d.comb += [dut.step.eq(self.step), dut.i_dt.eq(self.i_dt)]

        # a write-port-less memory returns its init contents (module docstring): port data of
        # this cycle = init[addr of the previous cycle]; `seen` is reset-less (the read ports
        # have no reset either), 0 only in the very first cycle
        seen = Signal(reset_less=True)
        m.d.sync += seen.eq(1)
        read = {}
        for table, rom in dut.roms.items():
            read[table] = rom.read_ports[0].data
            for port in rom.read_ports:
                prev_addr = Signal.like(port.addr, reset_less=True, name=f"rom_{table}_prev_addr")
                prev_en = Signal(reset_less=True, name=f"rom_{table}_prev_en")
                m.d.sync += [prev_addr.eq(port.addr), prev_en.eq(port.en)]
                with m.If(seen & prev_en):
                    m.d.comb += Assume(port.data == lookup(prev_addr, list(rom.init), rom.shape))

        valid = Signal()
        m.d.sync += valid.eq(1)
        held = {x: Signal.like(getattr(dut, x), name=f"held_{x}") for x in ("v", "m", "h", "n", "spike")}
        m.d.sync += [held[x].eq(getattr(dut, x)) for x in held]

        start = wire(m, "start", self.step & ~dut.busy)
        in_flight = Signal()  # the busy cycle of a step this harness saw start
        done = Signal()       # the state registers hold a step's result now
        i_latched = Signal(shape_of(k.input_layout["i_dt"]))
        m.d.sync += [in_flight.eq(start), done.eq(in_flight)]
        with m.If(start):
            m.d.sync += i_latched.eq(self.i_dt)

        one = 1 << s.g_frac  # 1.0 of a gate
        lo, hi = s.state_layout["v"].lo, s.state_layout["v"].hi
        c = self.checks
        if "range" in c:
            m.d.comb += [
                Assert((dut.m <= one) & (dut.h <= one) & (dut.n <= one), "gates within 0..2**g_frac"),
                Assert((dut.v >= lo) & (dut.v <= hi), "v within the signed v_bits range"),
            ]
        if "busy" in c:
            with m.If(valid):
                m.d.comb += Assert(dut.busy == in_flight, "busy exactly in the cycle after a start")

        # predict in the busy cycle: the state registers still hold the step's inputs there
        cuts = {name: dut.observed[name] for name in CUT_POINTS} if self.cut_points else {}
        spec = hh_spec(m, s, dut.v, dut.m, dut.h, dut.n, i_latched, read, cuts)
        for name, signal in cuts.items():
            if f"cut:{name}" in c:
                with m.If(in_flight):
                    m.d.comb += Assert(signal == spec["stages"][name], f"{name} follows the specification")
        if "rom" in c:
            with m.If(in_flight):
                for table, (got, want) in spec["entries"].items():
                    m.d.comb += Assert(got == want, f"the ROM delivers {table}[idx(v)] in the busy cycle")
        pred = {x: Signal.like(spec[x], name=f"pred_{x}") for x in ("v", "m", "h", "n", "fire")}
        with m.If(in_flight):
            m.d.sync += [pred[x].eq(spec[x]) for x in pred]
        with m.If(valid & done):
            if "spike" in c:
                m.d.comb += Assert(dut.spike == pred["fire"], "spike exactly when v < 0 <= v'")
            if "v" in c:
                m.d.comb += Assert(dut.v == pred["v"], "v follows the specification")
            if "gates" in c:
                m.d.comb += [Assert(getattr(dut, x) == pred[x], f"{x} follows the specification") for x in "mhn"]
        if "hold" in c:
            with m.If(valid & ~done):
                m.d.comb += Assert((dut.v == held["v"]) & (dut.m == held["m"]) & (dut.h == held["h"])
                                   & (dut.n == held["n"]) & (dut.spike == held["spike"]),
                                   "state holds unless a step completes")
        return m


def narrow(**changes):
    """``make_fixed`` at the narrow widths (``NARROW``), with ``changes``."""
    return make_fixed(**(NARROW | changes))


def _cases():
    return {
        # 16 x 1 mV bins over -70..-54 mV: rest (-65 mV) inside, the spike threshold (0 mV) above
        "hh-narrow-rest": HHProperties(narrow(lut_v_lo=-70.0)),
        # 16 x 1 mV bins over -8..+8 mV: 0 mV (the spike condition) inside the table, both ends
        # (index clamped to 0 and to 15, frac forced to 0) reached with the free input
        "hh-narrow-threshold": HHProperties(narrow(lut_v_lo=-8.0)),
        # 16 x 0.5 mV bins (lut_frac 1: 3 frac bits) over -66..-58 mV, wider gates and constants
        # (without the i_ion stage: KNA*i_na + KK*i_k + KL*(v-EL) at these widths did not finish in
        # 300 s; it is proven in the two g_frac 6 harnesses above)
        "hh-narrow-g8": HHProperties(narrow(g_frac=8, k_bits=10, lut_frac=1, lut_v_lo=-66.0),
                                     checks=[c for c in HHProperties.CHECKS if c != "cut:i_ion"]),
    }


def wrong_spec(k, **changes):
    """``k`` with constants changed (a table given as ``{name: (index, delta)}`` under ``tables``)."""
    tables = dict(k.tables)
    for name, (index, delta) in changes.pop("tables", {}).items():
        values = list(tables[name])
        values[index] += delta
        tables[name] = tuple(values)
    return dataclasses.replace(k, tables=tables, **{f: getattr(k, f) + d for f, d in changes.items()})


HARNESSES = {"hh": _cases}
PROPERTIES = {"hh": HH_PROPERTIES}
