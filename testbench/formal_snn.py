"""Formal property harnesses (SymbiYosys k-induction, see ``neuroxide.testbench.formal``) of the SNN
core's neuron datapath: ``models.lif.lif_step`` elaborated with ``rtl.fixedpoint.PipelinedOps``,
exactly as ``rtl.snn_core.LayerUnit`` builds it (3 register cuts at the rule's ``stage()`` lines,
the valid bit and neuron index carried along the cuts, the result registered once more into the
``wb_*`` write-back registers: latency 4 clocks, one neuron per clock).

Group ``snn-core`` (plug-in of ``python -m neuroxide.testbench.formal --only snn-core``):
:class:`SNNNeuronProperties` streams one free neuron per clock (state word, currents, valid,
index) into the pipeline. In the core the state comes from the state RAM; the harness assumes only
the RAM's invariant for the word read (v within v_min..v_max, ref within 0..t_ref, rng != 0),
which holds for the reset word and which the proof shows every write-back keeps, so the invariant
of the whole RAM follows by induction over the write-backs.

**Prediction form, pipelined.** The specification (``formal.lif_spec``, wide arithmetic
from the ``models.lif`` docstring) is evaluated on the inputs of the cycle the neuron enters, its
result delayed by a shift register as long as the pipeline, and compared with the write-back
registers when the neuron leaves. The leak product ``v * decay`` of the specification and of the
gates' first stage then read the same solver term (the harness's input ``v``), so z3 shares it.

Parameter sets: ``snn-core-default`` (the LIF of the snn-core design's random network),
``snn-core-digits`` (the hidden layer ``models.train.convert`` produces for the digits network),
``snn-core-nir`` (layer 0 of ``examples/nir_example.py``'s ``neuroxide nir import``),
``snn-core-narrow`` (8-bit membrane, every feature on, every saturation edge reachable).
Group ``snn-core-acc``: :class:`SNNAccumulatorProperties`, one accumulator of a lane as every layer
unit builds it (``rtl.snn_core.accumulate``, width ``rtl.snn_core.accumulator_bits``), fed a free
weight level every clock and free valid/last bits, under the walker's guarantee that a group sees
at most ``n_rows`` tokens (each event once). Proven: the accumulator equals the exact (wide) sum
of the group's weights so far, never exceeds ``tokens x max level`` (it cannot wrap), and the sum
handed to the neuron lanes on the group's last token is the exact sum. The P neuron lanes of a
layer are P copies of the pipeline of group ``snn-core`` (one code path, ``LayerUnit`` builds it
per lane).

Not covered: a layer's synaptic current (``CoreLayer.syn_decay``), the ADC stages in front of the
rule and the state RAM / walker scheduling (the cocotb bench checks the full state of every
write-back against the model).
"""

from amaranth.hdl import Assert, Assume, Const, Module, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In

from neuroxide.models.lif import LIFParams, lif_step
from neuroxide.models.snn_registers import NEURON_INDEX_BITS
from neuroxide.rtl.fixedpoint import PipelinedOps
from neuroxide.rtl.layout import item_ports, shape_of
from neuroxide.rtl.snn_core import accumulate, accumulator_bits

from .formal import lif_spec

__all__ = ["HARNESSES", "PROPERTIES", "SNN_CORE_PROPERTIES", "SNN_ACC_PROPERTIES", "SNNNeuronProperties",
           "SNNAccumulatorProperties", "ACC_CASES", "SNN_DEFAULT", "SNN_DIGITS", "SNN_NIR", "SNN_NARROW",
           "INDEX_BITS"]

INDEX_BITS = NEURON_INDEX_BITS  # neuron index of a layer of MAX_NEURONS (rtl.snn_core)

SNN_CORE_PROPERTIES = (
    "v within v_min..v_max, ref within 0..t_ref, rng never 0 after every write-back (the wide result, "
    "before it is narrowed into the RAM word: saturation, never wrap), given a state word that satisfies it",
    "no spike while refractory",
    "spike exactly when ref == 0 and clamp(leak + bias + i_exc - i_inh) >= v_th + adapt decay + noise",
    "v, ref, adapt, rng written back equal the specification computed in unbounded arithmetic on the state "
    "and currents the neuron entered with",
    "the valid bit and neuron index carried along the cuts leave with the neuron's result: latency "
    "3 cuts + 1 write-back register, one neuron per clock",
)

# the LIF of the snn-core design's random network (neuroxide.designs.snn_core.make_network, defaults)
SNN_DEFAULT = LIFParams(v_bits=16, in_bits=10, v_th=120, decay=3968, t_ref=1, noise_bits=4, adapt_inc=8, v_min=-2048)
# the hidden layer of the digits network: models.train.convert(trained_mlp(), ..., seed=1) on the shipped
# weights (tests/test_formal_onn_snn.py checks it still is): integrate-and-fire with subtract reset
SNN_DIGITS = LIFParams(v_bits=16, in_bits=12, decay_bits=8, ref_bits=1, decay=256, v_th=1242, v_reset=0, v_init=621,
                       reset_mode="subtract", t_ref=0, adapt_inc=0, noise_bits=0)
# layer 0 of examples/nir_example.py imported by `neuroxide nir import` (build/nir_example/core.json)
SNN_NIR = LIFParams(v_bits=22, in_bits=17, decay_bits=16, ref_bits=1, adapt_bits=1, adapt_shift=1, decay=58982,
                    bias=567, v_th=11342, v_reset=0, reset_mode="value", t_ref=0, adapt_inc=0, noise_bits=0)
# every feature on at narrow widths: every saturation edge is reachable
SNN_NARROW = LIFParams(v_bits=8, in_bits=6, decay_bits=4, decay=13, v_th=70, bias=-2, ref_bits=2, t_ref=3,
                       adapt_bits=5, adapt_inc=11, adapt_shift=2, noise_bits=3, v_min=-90, reset_mode="subtract")


def _delay(m, value, cycles, name):
    """``value`` delayed by ``cycles`` registers (reset 0)."""
    for k in range(cycles):
        reg = Signal(value.shape(), name=f"{name}_d{k + 1}")
        m.d.sync += reg.eq(value)
        value = reg
    return value


class SNNNeuronProperties(wiring.Component):
    """The properties :data:`SNN_CORE_PROPERTIES` of the snn-core neuron pipeline built with ``params``.

    ``spec`` (default ``params``) are the specification's constants; a harness whose ``spec``
    differs from ``params`` must FAIL. ``formal_depth``: the induction depth the runner uses
    (pipeline latency + 2: the base case then reaches the first checked neuron)
    """

    def __init__(self, params: LIFParams, spec: LIFParams = None):
        self.params = params
        self.spec = spec or params
        # the state word read (every field of the neuron's state but spike) and the currents
        super().__init__({"valid": In(1), "j": In(unsigned(INDEX_BITS)),
                          **item_ports(params.state_layout.without("spike"), In),
                          **item_ports(params.input_layout, In)})
        self.latency = 3 + 1  # lif_step's cuts + the write-back register
        self.formal_depth = self.latency + 2

    def elaborate(self, platform):
        m = Module()
        p, s = self.params, self.spec
        # the state RAM's invariant for the word read (reset word and, by the proof, every write-back)
        m.d.comb += Assume((self.v >= s.v_lo) & (self.v <= s.v_hi) & (self.ref <= s.t_ref) & (self.rng != 0))

        # the datapath as rtl/snn_core.py builds it (n4 -> lif_step cuts -> wb_* registers)
        ops = PipelinedOps(m, prefix="lif_", carry={"valid": self.valid, "j": self.j})
        v_n, ref_n, adapt_n, rng_n, fire = lif_step(ops, p, self.v, self.ref, self.adapt, self.rng,
                                                    self.i_exc, self.i_inh)
        assert ops.depth == 3, ops.depth
        wb = {"valid": Signal(name="wb_valid"), "j": Signal(unsigned(INDEX_BITS), name="wb_j")}
        wb |= {f.name: Signal(shape_of(f), name=f"wb_{f.name}") for f in p.state_layout}
        m.d.sync += [wb["valid"].eq(ops.carried["valid"]), wb["j"].eq(ops.carried["j"]), wb["v"].eq(v_n),
                     wb["ref"].eq(ref_n), wb["adapt"].eq(adapt_n), wb["rng"].eq(rng_n), wb["spike"].eq(fire)]
        # the un-narrowed results, registered alongside: a value that would wrap when narrowed shows here
        wide = {k: Signal(x.shape(), name=f"wide_{k}") for k, x in
                (("v", v_n), ("ref", ref_n), ("adapt", adapt_n))}
        m.d.sync += [wide["v"].eq(v_n), wide["ref"].eq(ref_n), wide["adapt"].eq(adapt_n)]

        # the harness's own bookkeeping: which cycles leave with a neuron that entered after reset
        valid_in = _delay(m, self.valid, self.latency, "valid_in")
        j_in = _delay(m, self.j, self.latency, "j_in")
        # the item leaving now entered after reset, not in the reset-time pipeline registers (every
        # item is checked, valid or not: the state word read satisfies the RAM invariant every cycle)
        live = _delay(m, Const(1, 1), self.latency, "live")

        spec = lif_spec(m, s, self.v, self.ref, self.adapt, self.rng, self.i_exc, self.i_inh)
        pred = {k: _delay(m, x, self.latency, f"pred_{k}") for k, x in spec.items()}
        was_ref = _delay(m, self.ref != 0, self.latency, "was_ref")

        with m.If(live):
            m.d.comb += [
                Assert(wb["valid"] == valid_in, "valid leaves with the result"),
                Assert(~wb["valid"] | (wb["j"] == j_in), "the neuron index leaves with the result"),
                Assert((wide["v"] >= s.v_lo) & (wide["v"] <= s.v_hi), "v written back within v_min..v_max"),
                Assert((wide["ref"] >= 0) & (wide["ref"] <= s.t_ref), "ref written back within 0..t_ref"),
                Assert((wide["adapt"] >= 0) & (wide["adapt"] <= s.adapt_max), "adapt within 0..adapt_max"),
                Assert(wb["rng"] != 0, "rng never 0"),
                Assert(~(was_ref & wb["spike"]), "no spike while refractory"),
                Assert(wb["spike"] == pred["fire"], "spike exactly at the threshold condition"),
                Assert(wb["v"] == pred["v"], "v follows the specification"),
                Assert(wb["ref"] == pred["ref"], "ref follows the specification"),
                Assert(wb["adapt"] == pred["adapt"], "adapt follows the specification"),
                Assert(wb["rng"] == pred["rng"], "rng is xorshift32 of the state read"),
            ]
        return m


SNN_ACC_PROPERTIES = (
    "the accumulator equals the exact sum of the group's weights so far (wide arithmetic)",
    "the accumulator never exceeds tokens x max level: its width holds n_rows x max level, it cannot wrap",
    "the sum handed over on the group's last token is the exact sum of the group's weights",
)

# (n_rows, weight_bits): the digits hidden layer, MNIST 784 inputs, the widest rows, 1-bit and 8-bit levels
ACC_CASES = {"acc-digits": (64, 4), "acc-mnist": (784, 4), "acc-rows-max": (2048, 8), "acc-one-row": (1, 8),
             "acc-1bit": (1000, 1)}


class SNNAccumulatorProperties(wiring.Component):
    """:data:`SNN_ACC_PROPERTIES` for an accumulator of a layer with ``n_rows`` weight rows of
    ``weight_bits`` levels; ``acc_bits`` (default ``accumulator_bits``) narrower must FAIL."""

    def __init__(self, n_rows, weight_bits, acc_bits=None):
        self.n_rows, self.weight_bits = n_rows, weight_bits
        self.acc_bits = acc_bits or accumulator_bits(n_rows, weight_bits)
        super().__init__({"valid": In(1), "last": In(1), "w": In(unsigned(weight_bits))})
        self.formal_depth = 4

    def elaborate(self, platform):
        m = Module()
        top = (1 << self.weight_bits) - 1
        wide = unsigned(self.acc_bits + 16)
        acc = Signal(self.acc_bits, name="acc")
        load = Signal()
        m.d.comb += load.eq(self.valid & self.last)
        total = accumulate(m, acc, self.w, self.valid, load, "total")
        # the harness's bookkeeping: tokens of the group so far and their exact sum
        count = Signal(range(self.n_rows + 1), name="count")
        exact = Signal(wide, name="exact")
        with m.If(load):
            m.d.sync += [count.eq(0), exact.eq(0)]
        with m.Elif(self.valid):
            m.d.sync += [count.eq(count + 1), exact.eq(exact + self.w)]
        # the walker's guarantee: a group has at most n_rows tokens (this one included)
        m.d.comb += Assume(~self.valid | (count < self.n_rows))
        m.d.comb += Assume(count <= self.n_rows)
        m.d.comb += [
            Assert(acc == exact, "the accumulator is the exact sum so far"),
            Assert(exact <= count * top, "never above tokens x max level"),
            Assert(~load | (total == exact + self.w), "the group's sum handed over is exact"),
        ]
        return m


def _acc_cases():
    return {name: SNNAccumulatorProperties(*case) for name, case in ACC_CASES.items()}


def _snn_cases():
    return {
        "snn-core-default": SNNNeuronProperties(SNN_DEFAULT),
        "snn-core-digits": SNNNeuronProperties(SNN_DIGITS),
        "snn-core-nir": SNNNeuronProperties(SNN_NIR),
        "snn-core-narrow": SNNNeuronProperties(SNN_NARROW),
    }


HARNESSES = {"snn-core": _snn_cases, "snn-core-acc": _acc_cases}
PROPERTIES = {"snn-core": SNN_CORE_PROPERTIES, "snn-core-acc": SNN_ACC_PROPERTIES}
