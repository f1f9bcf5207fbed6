"""Winner-take-all group: ``neuroxide.models.wta.wta_step`` (lateral inhibition around ``lif_step``) in gates.

``n`` LIF neurons updated in parallel, one step per clock edge with ``step`` high (latency one
cycle); each neuron's inhibitory input is ``w_lat`` times the number of the other neurons that
fired on the previous step, taken from the spike registers (a popcount and one multiply by a
constant per neuron). State outputs are the registers, equal to ``WTAModel`` after the same steps.
"""

from amaranth.hdl import Module, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from neuroxide.models.lif import RNG_STREAM
from neuroxide.models.prng import seed_for
from neuroxide.models.wta import wta_step

from .fixedpoint import AmaranthOps
from .lif import lif_array_ports

__all__ = ["WTANeuronArray", "WTABoardAdapter"]


class WTANeuronArray(wiring.Component):
    """Ports: ``step``, ``i_exc`` (n x in_bits); ``v``, ``ref``, ``adapt``, ``rng`` (n each), ``spike`` (n bits)."""

    def __init__(self, params, n, w_lat, seed=1):
        self.params, self.n, self.w_lat, self.seed = params, n, int(w_lat), seed
        p = params
        self.seeds = [seed_for(seed, RNG_STREAM, k) for k in range(n)]
        super().__init__({
            "step": In(1),
            "i_exc": In(data.ArrayLayout(unsigned(p.in_bits), n)),
            "v": Out(data.ArrayLayout(signed(p.v_bits), n), init=[p.v_init] * n),
            "ref": Out(data.ArrayLayout(unsigned(p.ref_bits), n)),
            "adapt": Out(data.ArrayLayout(unsigned(p.adapt_bits), n)),
            "rng": Out(data.ArrayLayout(unsigned(32), n), init=self.seeds),
            "spike": Out(n),
        })

    def elaborate(self, platform):
        m = Module()
        n = self.n
        res = wta_step(AmaranthOps(m), self.params, self.w_lat, [self.v[k] for k in range(n)],
                       [self.ref[k] for k in range(n)], [self.adapt[k] for k in range(n)],
                       [self.rng[k] for k in range(n)], [self.spike[k] for k in range(n)],
                       [self.i_exc[k] for k in range(n)])
        v_n, ref_n, adapt_n, rng_n, fire = res
        with m.If(self.step):
            for k in range(n):
                m.d.sync += [self.v[k].eq(v_n[k]), self.ref[k].eq(ref_n[k]), self.adapt[k].eq(adapt_n[k]),
                             self.rng[k].eq(rng_n[k]), self.spike[k].eq(fire[k])]
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
        m.d.comb += [a.step.eq(self.step), a.i_exc.eq(self.i_exc), self.spike.eq(a.spike), self.v.eq(a.v),
                     self.ref.eq(a.ref), self.adapt.eq(a.adapt), self.rng.eq(a.rng)]
        return m
