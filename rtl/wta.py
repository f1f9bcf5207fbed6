"""Winner-take-all group: ``neuroxide.models.wta.wta_step`` (lateral inhibition around ``lif_step``) in gates.

``n`` LIF neurons updated in parallel, one step per clock edge with ``step`` high (latency one
cycle); each neuron's inhibitory input is ``w_lat`` times the number of the other neurons that
fired on the previous step, taken from the spike registers (a popcount and one multiply by a
constant per neuron). State outputs are the registers, equal to ``WTAModel`` after the same steps.
"""

from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In

from neuroxide.models.lif import RNG_STREAM
from neuroxide.models.prng import seed_for
from neuroxide.models.wta import wta_step

from .fixedpoint import AmaranthOps
from .layout import array_ports
from .lif import lif_array_ports

__all__ = ["WTANeuronArray", "WTABoardAdapter"]


class WTANeuronArray(wiring.Component):
    """Ports: ``step``, ``i_exc`` (n x in_bits); the registers of ``params.state_layout`` for ``n``
    neurons (``v``, ``ref``, ``adapt``, ``rng`` arrays, ``spike`` an n-bit vector)."""

    def __init__(self, params, n, w_lat, seed=1):
        self.params, self.n, self.w_lat, self.seed = params, n, int(w_lat), seed
        self.seeds = [seed_for(seed, RNG_STREAM, k) for k in range(n)]
        super().__init__({"step": In(1), **array_ports(params.input_layout.only("i_exc"), n, In),
                          **array_ports(params.state_layout, n, init={"v": [params.v_init] * n, "rng": self.seeds})})

    def elaborate(self, platform):
        m = Module()
        n, names = self.n, self.params.state_layout.names
        state = ([getattr(self, name)[k] for k in range(n)] for name in names)
        res = wta_step(AmaranthOps(m), self.params, self.w_lat, *state, [self.i_exc[k] for k in range(n)])
        with m.If(self.step):
            for k in range(n):
                m.d.sync += [getattr(self, name)[k].eq(values[k]) for name, values in zip(names, res)]
        return m


class WTABoardAdapter(wiring.Component):
    """A :class:`WTANeuronArray` behind the LIF array's ``step/i_exc/i_inh/spike`` ports (``i_inh`` unused:
    the inhibition is lateral), so the stimulus generator, bench top and board top drive it unchanged."""

    def __init__(self, params, n, w_lat, seed=1):
        self.array = WTANeuronArray(params, n, w_lat, seed)
        super().__init__(lif_array_ports(params, n))

    def elaborate(self, platform):
        m = Module()
        m.submodules.array = a = self.array
        m.d.comb += [a.step.eq(self.step), a.i_exc.eq(self.i_exc)]
        m.d.comb += [getattr(self, name).eq(getattr(a, name)) for name in self.array.params.state_layout.names]
        return m
