"""LIF neuron datapaths: the ``lif_step`` rule of ``neuroxide.models.lif`` elaborated into gates.

:class:`LIFNeuron` is one neuron, :class:`LIFNeuronArray` a vector of ``n`` of them updated in
parallel. Both advance one time step on every clock edge where ``step`` is high, so a step costs
one cycle and the latency from inputs to ``spike`` is one cycle. The state outputs (``v``, ``ref``,
``adapt``, ``rng``, ``spike``) are the state registers themselves, equal to the model's
:class:`~neuroxide.models.lif.LIFState` after the same steps.
"""

from amaranth.hdl import Module, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from neuroxide.models.lif import RNG_STREAM, lif_step
from neuroxide.models.prng import seed_for

from .fixedpoint import AmaranthOps

__all__ = ["LIFNeuron", "LIFNeuronArray", "lif_array_ports"]


class LIFNeuron(wiring.Component):
    """One fixed-point LIF neuron (equations: ``neuroxide.models.lif``).

    Ports: ``step`` (advance on this edge), ``i_exc``/``i_inh`` (unsigned ``in_bits``),
    ``spike`` (fired on the last step), ``v``/``ref``/``adapt``/``rng`` (state registers).
    The PRNG is seeded with ``seed_for(seed, RNG_STREAM, index)``, like neuron ``index`` of the model.
    """

    def __init__(self, params, seed=1, index=0):
        self.params = params
        self.rng_seed = seed_for(seed, RNG_STREAM, index)
        p = params
        super().__init__({
            "step": In(1),
            "i_exc": In(unsigned(p.in_bits)),
            "i_inh": In(unsigned(p.in_bits)),
            "spike": Out(1),
            "v": Out(signed(p.v_bits), init=p.v_init),
            "ref": Out(unsigned(p.ref_bits)),
            "adapt": Out(unsigned(p.adapt_bits)),
            "rng": Out(unsigned(32), init=self.rng_seed),
        })

    def elaborate(self, platform):
        m = Module()
        v_n, ref_n, adapt_n, rng_n, fire = lif_step(
            AmaranthOps(m), self.params, self.v, self.ref, self.adapt, self.rng, self.i_exc, self.i_inh)
        with m.If(self.step):
            m.d.sync += [
                self.v.eq(v_n),
                self.ref.eq(ref_n),
                self.adapt.eq(adapt_n),
                self.rng.eq(rng_n),
                self.spike.eq(fire),
            ]
        return m


def lif_array_ports(p, n):
    """The port signature of an ``n``-neuron array of ``LIFParams`` ``p`` (:class:`LIFNeuronArray`);
    other neuron arrays that present it plug into the same stimulus generator, bench and board tops."""
    return {
        "step": In(1),
        "i_exc": In(data.ArrayLayout(unsigned(p.in_bits), n)),
        "i_inh": In(data.ArrayLayout(unsigned(p.in_bits), n)),
        "spike": Out(n),
        "v": Out(data.ArrayLayout(signed(p.v_bits), n)),
        "ref": Out(data.ArrayLayout(unsigned(p.ref_bits), n)),
        "adapt": Out(data.ArrayLayout(unsigned(p.adapt_bits), n)),
        "rng": Out(data.ArrayLayout(unsigned(32), n)),
    }


class LIFNeuronArray(wiring.Component):
    """``n`` LIF neurons updated in parallel, one step per clock when ``step`` is high.

    Array ports (``data.ArrayLayout``; flat vectors in Verilog, neuron 0 in the low bits):
    ``i_exc``, ``i_inh`` in; ``v``, ``ref``, ``adapt``, ``rng`` out; ``spike`` is an ``n``-bit
    vector. Neuron ``k`` equals neuron ``k`` of ``LIFModel(params, n, seed)``.
    """

    def __init__(self, params, n=1, seed=1):
        if not isinstance(n, int) or n < 1:
            from neuroxide.errors import ParameterError
            raise ParameterError("n", n, "an integer >= 1")
        self.params = params
        self.n = n
        self.seed = seed
        super().__init__(lif_array_ports(params, n))

    def elaborate(self, platform):
        m = Module()
        for k in range(self.n):
            neuron = m.submodules[f"neuron{k}"] = LIFNeuron(self.params, self.seed, k)
            m.d.comb += [
                neuron.step.eq(self.step),
                neuron.i_exc.eq(self.i_exc[k]),
                neuron.i_inh.eq(self.i_inh[k]),
                self.spike[k].eq(neuron.spike),
                self.v[k].eq(neuron.v),
                self.ref[k].eq(neuron.ref),
                self.adapt[k].eq(neuron.adapt),
                self.rng[k].eq(neuron.rng),
            ]
        return m
