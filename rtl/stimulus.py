"""On-chip pseudo-random stimulus: ``neuroxide.models.stimulus.stimulus_step`` in gates.

``i_exc``/``i_inh`` are combinational functions of the generator state and hold the inputs of the
current step; on a clock edge with ``step`` high the state advances to the next step's. Wire its
``step`` to the neuron array's ``step`` and the two stay in lock-step with
``StimulusModel(params, n, seed, in_bits)``.
"""

from amaranth.hdl import Module, Signal, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from neuroxide.models.prng import seed_for
from neuroxide.models.stimulus import STIM_STREAM, stimulus_step

from .fixedpoint import AmaranthOps

__all__ = ["StimulusGenerator"]


class StimulusGenerator(wiring.Component):
    """Random excitatory/inhibitory drive for ``n`` neurons, ``in_bits`` wide."""

    def __init__(self, params, n, in_bits, seed=1):
        self.params = params.validate(in_bits)
        self.n = n
        self.seeds = [seed_for(seed, STIM_STREAM, k) for k in range(n)]
        super().__init__({
            "step": In(1),
            "i_exc": Out(data.ArrayLayout(unsigned(in_bits), n)),
            "i_inh": Out(data.ArrayLayout(unsigned(in_bits), n)),
        })

    def elaborate(self, platform):
        m = Module()
        for k in range(self.n):
            rng = Signal(32, init=self.seeds[k], name=f"stim_rng{k}")
            rng_n, i_exc, i_inh = stimulus_step(AmaranthOps(m, f"n{k}_"), self.params, rng)
            m.d.comb += [self.i_exc[k].eq(i_exc), self.i_inh[k].eq(i_inh)]
            with m.If(self.step):
                m.d.sync += rng.eq(rng_n)
        return m
