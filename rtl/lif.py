"""LIF neuron datapaths: the ``lif_step`` rule of ``neuroxide.models.lif`` elaborated into gates.

:class:`LIFNeuron` is one neuron, :class:`LIFNeuronArray` a vector of ``n`` of them updated in
parallel. Both advance one time step on every clock edge where ``step`` is high, so a step costs
one cycle and the latency from inputs to ``spike`` is one cycle. The state outputs are the fields
of ``LIFParams.state_layout`` (``v``, ``ref``, ``adapt``, ``rng``, ``spike``), the state registers
themselves, equal to the model's :class:`~neuroxide.models.lif.LIFState` after the same steps; the
inputs are the fields of ``LIFParams.input_layout`` (``i_exc``, ``i_inh``).
"""

from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from neuroxide.errors import ParameterError
from neuroxide.models.lif import RNG_STREAM, lif_step
from neuroxide.models.prng import seed_for

from .fixedpoint import AmaranthOps
from .layout import array_ports, item_ports

__all__ = ["LIFNeuron", "LIFNeuronArray", "lif_array_ports"]


class LIFNeuron(wiring.Component):
    """One fixed-point LIF neuron (equations: ``neuroxide.models.lif``).

    Ports: ``step`` (advance on this edge), the inputs of ``params.input_layout`` and the state
    registers of ``params.state_layout`` (``spike``: fired on the last step). The PRNG is seeded
    with ``seed_for(seed, RNG_STREAM, index)``, like neuron ``index`` of the model.
    """

    def __init__(self, params, seed=1, index=0):
        self.params = params
        self.rng_seed = seed_for(seed, RNG_STREAM, index)
        super().__init__({"step": In(1), **item_ports(params.input_layout, In),
                          **item_ports(params.state_layout, Out, init={"v": params.v_init, "rng": self.rng_seed})})

    def elaborate(self, platform):
        m = Module()
        state = lif_step(AmaranthOps(m), self.params, self.v, self.ref, self.adapt, self.rng, self.i_exc, self.i_inh)
        with m.If(self.step):
            m.d.sync += [getattr(self, name).eq(value) for name, value in zip(self.params.state_layout.names, state)]
        return m


def lif_array_ports(p, n):
    """The port signature of an ``n``-neuron array of ``LIFParams`` ``p`` (:class:`LIFNeuronArray`);
    other neuron arrays that present it plug into the same stimulus generator, bench and board tops."""
    state = p.state_layout
    # spike ahead of the other state ports: the port order of the published array Verilog
    return {"step": In(1), **array_ports(p.input_layout, n, In), **array_ports(state.only("spike"), n),
            **array_ports(state.without("spike"), n)}


class LIFNeuronArray(wiring.Component):
    """``n`` LIF neurons updated in parallel, one step per clock when ``step`` is high.

    Array ports (:func:`lif_array_ports`; flat vectors in Verilog, neuron 0 in the low bits): the
    inputs in, the state out; ``spike`` is an ``n``-bit vector. Neuron ``k`` equals neuron ``k`` of
    ``LIFModel(params, n, seed)``.
    """

    def __init__(self, params, n=1, seed=1):
        if not isinstance(n, int) or n < 1:
            raise ParameterError("n", n, "an integer >= 1")
        self.params = params
        self.n = n
        self.seed = seed
        super().__init__(lif_array_ports(params, n))

    def elaborate(self, platform):
        m = Module()
        p = self.params
        for k in range(self.n):
            neuron = m.submodules[f"neuron{k}"] = LIFNeuron(p, self.seed, k)
            m.d.comb += neuron.step.eq(self.step)
            m.d.comb += [getattr(neuron, name).eq(getattr(self, name)[k]) for name in p.input_layout.names]
            m.d.comb += [getattr(self, name)[k].eq(getattr(neuron, name))
                         for name in self.signature.members if name in p.state_layout]  # in port order
        return m
