"""Formal property harnesses (SymbiYosys k-induction, see ``neuroxide.testbench.formal``) of the
LIF-family neuron datapaths other than the plain LIF: the zoo's calibrated LIF parameter sets, the
multi-dendrite neuron and the winner-take-all group.

Each harness leaves the datapath's inputs free and asserts the specification written here from
the model's docstring equations in wide (never-overflowing) Amaranth arithmetic, independently of
the ops layer the datapath is built from. Harnesses whose ``spec`` constants differ from the
gates' must FAIL (the negative tests in tests/test_formal_neurons.py).

**Prediction form.** The specification of a step is computed from the datapath's *current* state
registers and inputs and registered (``pred_*``); one cycle later, after a step, the state must
equal the prediction. (``LIFProperties`` in ``formal`` instead keeps ``prev_*`` copies of the state
and evaluates the specification on them after the step.) Both say the same thing, but here the
specification's constant multiplications (``v * decay``) read the same solver term as the gates',
so z3 shares them instead of proving two multipliers equivalent: the calibrated ``afefet`` LIF
(16 x 17-bit leak product) proves in 17 s this way and 210 s in the ``prev_*`` form.

Groups (plug-ins of ``python -m neuroxide.testbench.formal --only GROUP``):

* ``lif-zoo``: :class:`LIFStepProperties` on the calibrated LIF parameters of every zoo design
  (fefet, afefet, mtj, stochastic-ts, nbo2-osc).
* ``dendrite``: :class:`DendriteProperties` on ``DendriteNeuronArray``.
* ``wta``: :class:`WTAProperties` on ``WTANeuronArray``.
"""


from amaranth.hdl import Assert, Cat, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In

from neuroxide.models.calibrate_zoo import ZOO_DENDRITE_PRESET, ZOO_LIF_PRESETS, calibrate_dendrite, calibrate_zoo
from neuroxide.models.dendrite import DendriteParams
from neuroxide.models.lif import LIFParams
from neuroxide.rtl.dendrite import DendriteNeuronArray
from neuroxide.rtl.layout import array_ports, item_ports
from neuroxide.rtl.lif import LIFNeuron
from neuroxide.rtl.wta import WTANeuronArray

from .formal import LIF_PROPERTIES, clamp, lif_spec, wire

__all__ = ["HARNESSES", "PROPERTIES", "ZOO_DESIGNS", "zoo_params", "Predictor", "LIFStepProperties",
           "DendriteProperties", "DENDRITE_PROPERTIES", "WTAProperties", "WTA_PROPERTIES", "WTA_NARROW"]

# the zoo designs whose neuron is the LIF rule with a device preset's calibrated parameters
ZOO_DESIGNS = tuple(ZOO_LIF_PRESETS)


class Predictor:
    """Registers a prediction made in this cycle (``pred``) for the check in the next.

    ``valid`` is 0 in the first cycle after reset; ``stepped`` is high when the previous cycle had
    ``step`` high (the state registers now hold the step's result).
    """

    def __init__(self, m, step):
        self.m = m
        self.valid = Signal(name="valid")
        self.stepped = Signal(name="stepped")
        m.d.sync += [self.valid.eq(1), self.stepped.eq(step)]

    def pred(self, name, value):
        reg = Signal(value.shape(), name=f"pred_{name}")
        self.m.d.sync += reg.eq(value)
        return reg

    def prev(self, name, value):
        return self.pred(f"prev_{name}", value)


# ----------------------------------------------------------------------------------------------
class LIFStepProperties(wiring.Component):
    """The properties of ``formal.LIF_PROPERTIES`` of :class:`~neuroxide.rtl.lif.LIFNeuron` with
    ``params``, in the prediction form; ``spec`` (default ``params``) are the specification's constants."""

    def __init__(self, params: LIFParams, seed=1, spec: LIFParams = None):
        self.params, self.seed = params, seed
        self.spec = spec or params
        super().__init__({"step": In(1), **item_ports(params.input_layout, In)})

    def elaborate(self, platform):
        m = Module()
        s = self.spec
        dut = m.submodules.dut = LIFNeuron(self.params, self.seed)
        m.d.comb += [dut.step.eq(self.step)] + [getattr(dut, f.name).eq(getattr(self, f.name))
                                                for f in self.params.input_layout]
        m.d.comb += [
            Assert((dut.v >= s.v_lo) & (dut.v <= s.v_hi), "v within v_min..v_max"),
            Assert(dut.ref <= s.t_ref, "ref within 0..t_ref"),
            Assert(dut.rng != 0, "rng never 0"),
        ]
        spec = lif_spec(m, s, dut.v, dut.ref, dut.adapt, dut.rng, self.i_exc, self.i_inh)
        pr = Predictor(m, self.step)
        pred = {k: pr.pred(k, v) for k, v in spec.items()}
        was_ref = pr.prev("refractory", dut.ref != 0)
        held = {k: pr.prev(k, getattr(dut, k)) for k in self.params.state_layout.names}
        with m.If(pr.valid & pr.stepped):
            m.d.comb += [
                Assert(~(was_ref & dut.spike), "no spike while refractory"),
                Assert(dut.spike == pred["fire"], "spike exactly at the threshold condition"),
                Assert(dut.v == pred["v"], "v follows the specification"),
                Assert(dut.ref == pred["ref"], "ref follows the specification"),
                Assert(dut.adapt == pred["adapt"], "adapt follows the specification"),
                Assert(dut.rng == pred["rng"], "rng is xorshift32 of the previous state"),
            ]
        with m.If(pr.valid & ~pr.stepped):
            m.d.comb += Assert(Cat(*(getattr(dut, k) == x for k, x in held.items())).all(), "state holds without step")
        return m


def zoo_params(design):
    """The calibrated :class:`LIFParams` of zoo design ``design`` (e.g. ``"fefet"``), as the design uses."""
    return calibrate_zoo(ZOO_LIF_PRESETS[design]).params


def _zoo_cases():
    return {f"lif-zoo-{d}": LIFStepProperties(zoo_params(d)) for d in ZOO_DESIGNS}


# ----------------------------------------------------------------------------------------------
DENDRITE_PROPERTIES = (
    "every d[j] stays within 0..2**d_bits - 1 and v within 0..2**v_bits - 1 (saturation, never wrap)",
    "ref stays within 0..t_ref",
    "no spike while refractory",
    "spike exactly when ref == 0 and clamp(leak(v) + sum_j d'[j] >> d_shift) >= v_th",
    "d[j], v, ref after a step equal the specification computed in unbounded arithmetic "
    "(filter x >= d_th, dendrite leak, soma leak, reset, refractory hold)",
    "without step, the state holds",
)


class DendriteProperties(wiring.Component):
    """Properties of one neuron of :class:`~neuroxide.rtl.dendrite.DendriteNeuronArray` built with
    ``params`` (``n = 1``); ``spec`` (default ``params``) are the specification's constants."""

    def __init__(self, params: DendriteParams, spec: DendriteParams = None):
        self.params = params
        self.spec = spec or params
        super().__init__({"step": In(1), **item_ports(params.input_layout, In)})

    def elaborate(self, platform):
        m = Module()
        p, s = self.params, self.spec
        nd = p.n_dend
        dut = m.submodules.dut = DendriteNeuronArray(p, 1)
        m.d.comb += dut.step.eq(self.step)
        m.d.comb += [dut.x[j].eq(self.x[j]) for j in range(nd)]
        d = [dut.d[j] for j in range(nd)]
        v, ref, spike = dut.v[0], dut.ref[0], dut.spike[0]

        d_max, v_max = s.state_layout["d"].hi, s.state_layout["v"].hi
        m.d.comb += [Assert(dj <= d_max, f"d{j} within 0..d_max") for j, dj in enumerate(d)]
        m.d.comb += [Assert(v <= v_max, "v within 0..v_max"), Assert(ref <= s.t_ref, "ref within 0..t_ref")]

        # one step of the specification, in wide arithmetic, from the current state and inputs
        wide = 40
        d_spec, soma_in = [], 0
        for j in range(nd):
            g = Mux(self.x[j] >= s.d_th, self.x[j], 0)
            raw = wire(m, f"d{j}_raw", ((d[j] * s.d_decay) >> s.d_decay_bits) + g, signed(p.d_bits + wide))
            dj = wire(m, f"d{j}_spec", clamp(raw, 0, d_max), signed(p.d_bits + wide))
            d_spec.append(dj)
            soma_in = soma_in + (dj >> s.d_shift)
        v_raw = wire(m, "v_raw", ((v * s.decay) >> s.decay_bits) + soma_in, signed(p.v_bits + wide))
        v_int = wire(m, "v_int", clamp(v_raw, 0, v_max), signed(p.v_bits + wide))
        refractory = wire(m, "refractory", ref != 0, 1)
        fire = wire(m, "fire", ~refractory & (v_int >= s.v_th), 1)
        v_spec = Mux(refractory, v, Mux(fire, s.v_reset, v_int))
        ref_spec = Mux(refractory, ref - 1, Mux(fire, s.t_ref, 0))

        pr = Predictor(m, self.step)
        pred_fire, pred_v, pred_ref = pr.pred("fire", fire), pr.pred("v", v_spec), pr.pred("ref", ref_spec)
        pred_d = [pr.pred(f"d{j}", d_spec[j]) for j in range(nd)]
        was_ref = pr.prev("refractory", refractory)
        held = [pr.prev("v", v), pr.prev("ref", ref), pr.prev("spike", spike)] + [pr.prev(f"d{j}", d[j]) for j in range(nd)]
        with m.If(pr.valid & pr.stepped):
            m.d.comb += [
                Assert(~(was_ref & spike), "no spike while refractory"),
                Assert(spike == pred_fire, "spike exactly at the threshold condition"),
                Assert(v == pred_v, "v follows the specification"),
                Assert(ref == pred_ref, "ref follows the specification"),
            ]
            m.d.comb += [Assert(d[j] == pred_d[j], f"d{j} follows the specification") for j in range(nd)]
        with m.If(pr.valid & ~pr.stepped):
            now = [v, ref, spike] + d
            same = 1
            for a, b in zip(now, held):
                same = same & (a == b)
            m.d.comb += Assert(same, "state holds without step")
        return m


DENDRITE_NARROW = DendriteParams(n_dend=3, in_bits=4, d_bits=5, d_decay_bits=3, d_decay=7, d_th=5, d_shift=1,
                                 v_bits=6, decay_bits=3, decay=6, v_th=40, v_reset=3, ref_bits=2, t_ref=3)


def _dendrite_cases():
    return {
        "dendrite-calibrated": DendriteProperties(calibrate_dendrite(ZOO_DENDRITE_PRESET).params),
        "dendrite-default": DendriteProperties(DendriteParams()),
        "dendrite-narrow": DendriteProperties(DENDRITE_NARROW),
        "dendrite-no-leak-no-filter": DendriteProperties(DendriteParams(
            n_dend=2, in_bits=5, d_bits=6, d_decay_bits=2, d_decay=4, d_th=0, d_shift=0, v_bits=7,
            decay_bits=2, decay=4, v_th=127, v_reset=0, ref_bits=1, t_ref=0)),
    }


# ----------------------------------------------------------------------------------------------
WTA_PROPERTIES = (
    "every neuron's v stays within v_min..v_max, ref within 0..t_ref, rng never 0",
    "no spike while refractory",
    "i_inh[k] = clamp(w_lat * (spikes of the others on the previous step), 0, 2**in_bits - 1)",
    "spike exactly when ref == 0 and clamp(leak + bias + i_exc - i_inh) >= v_th + adapt decay + noise",
    "v, ref, adapt, rng of every neuron after a step equal the specification in unbounded arithmetic",
    "without step, the state holds",
)


class WTAProperties(wiring.Component):
    """Properties of :class:`~neuroxide.rtl.wta.WTANeuronArray` (``n`` neurons, lateral weight ``w_lat``).

    ``spec`` / ``spec_w_lat`` (default: the gates' values) are the specification's constants.
    """

    def __init__(self, params: LIFParams, n, w_lat, seed=1, spec: LIFParams = None, spec_w_lat=None):
        self.params, self.n, self.w_lat, self.seed = params, n, w_lat, seed
        self.spec = spec or params
        self.spec_w_lat = w_lat if spec_w_lat is None else spec_w_lat
        super().__init__({"step": In(1), **array_ports(params.input_layout.only("i_exc"), n, In)})

    def elaborate(self, platform):
        m = Module()
        p, s, n = self.params, self.spec, self.n
        dut = m.submodules.dut = WTANeuronArray(p, n, self.w_lat, self.seed)
        m.d.comb += dut.step.eq(self.step)
        m.d.comb += [dut.i_exc[k].eq(self.i_exc[k]) for k in range(n)]
        fields = p.state_layout.without("spike").names
        state = [{f: getattr(dut, f)[k] for f in fields} | {"spike": dut.spike[k]} for k in range(n)]
        for k in range(n):
            m.d.comb += [
                Assert((state[k]["v"] >= s.v_lo) & (state[k]["v"] <= s.v_hi), f"v{k} within v_min..v_max"),
                Assert(state[k]["ref"] <= s.t_ref, f"ref{k} within 0..t_ref"),
                Assert(state[k]["rng"] != 0, f"rng{k} never 0"),
            ]
        pr = Predictor(m, self.step)
        checks, holds = [], []
        i_inh_max = s.input_layout["i_inh"].hi
        for k in range(n):
            others = sum(state[j]["spike"] for j in range(n) if j != k)
            i_inh = wire(m, f"i_inh{k}_spec", clamp(others * self.spec_w_lat, 0, i_inh_max), signed(p.in_bits + 24))
            st = state[k]
            spec = lif_spec(m, s, st["v"], st["ref"], st["adapt"], st["rng"], self.i_exc[k], i_inh, f"n{k}_")
            pred = {f: pr.pred(f"n{k}_{f}", v) for f, v in spec.items()}
            was_ref = pr.prev(f"n{k}_refractory", st["ref"] != 0)
            held = {f: pr.prev(f"n{k}_{f}", st[f]) for f in (*fields, "spike")}
            checks += [
                Assert(~(was_ref & st["spike"]), f"no spike while refractory ({k})"),
                Assert(st["spike"] == pred["fire"], f"spike{k} exactly at the threshold condition"),
                Assert(st["v"] == pred["v"], f"v{k} follows the specification"),
                Assert(st["ref"] == pred["ref"], f"ref{k} follows the specification"),
                Assert(st["adapt"] == pred["adapt"], f"adapt{k} follows the specification"),
                Assert(st["rng"] == pred["rng"], f"rng{k} is xorshift32 of the previous state"),
            ]
            same = 1
            for f in (*fields, "spike"):
                same = same & (st[f] == held[f])
            holds.append(Assert(same, f"state of neuron {k} holds without step"))
        with m.If(pr.valid & pr.stepped):
            m.d.comb += checks
        with m.If(pr.valid & ~pr.stepped):
            m.d.comb += holds
        return m


WTA_NARROW = LIFParams(v_bits=8, in_bits=6, decay_bits=4, decay=14, v_th=60, bias=2, ref_bits=2, t_ref=2,
                       adapt_bits=5, adapt_inc=9, adapt_shift=2, noise_bits=3, v_min=-90, reset_mode="subtract")


def _wta_cases():
    mtj = calibrate_zoo(ZOO_LIF_PRESETS["mtj"])  # the mtj-wta design's neurons and lateral weight
    return {
        "wta-narrow-3": WTAProperties(WTA_NARROW, 3, 25),
        "wta-saturating-2": WTAProperties(WTA_NARROW, 2, 63),
        "wta-mtj-calibrated-2": WTAProperties(mtj.params, 2, int(mtj.extra["w_lat"])),
    }


HARNESSES = {"lif-zoo": _zoo_cases, "dendrite": _dendrite_cases, "wta": _wta_cases}
PROPERTIES = {"lif-zoo": LIF_PROPERTIES, "dendrite": DENDRITE_PROPERTIES, "wta": WTA_PROPERTIES}
