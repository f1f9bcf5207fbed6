"""On-chip pseudo-random stimulus: ``neuroxide.models.stimulus.stimulus_step`` in gates.

``i_exc``/``i_inh`` are registers holding the inputs of the current step (so the stimulus adds no
logic in front of the neurons); on a clock edge with ``step`` high they advance to the next step's. Wire its
``step`` to the neuron array's ``step`` and the two stay in lock-step with
``StimulusModel(params, n, seed, in_bits)``.
"""

import numpy as np
from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In

from neuroxide.models.fixedpoint import NUMPY
from neuroxide.models.prng import seed_for
from neuroxide.models.stimulus import STIM_STREAM, stimulus_step

from .fixedpoint import AmaranthOps
from .layout import array_ports, shape_of

__all__ = ["StimulusGenerator"]


class StimulusGenerator(wiring.Component):
    """Random excitatory/inhibitory drive for ``n`` neurons, ``in_bits`` wide (the array ports of
    ``StimulusParams.output_layout(in_bits)``)."""

    def __init__(self, params, n, in_bits, seed=1):
        self.params = params.validate(in_bits)
        self.n = n
        self.seeds = [seed_for(seed, STIM_STREAM, k) for k in range(n)]
        super().__init__({"step": In(1), **array_ports(params.output_layout(in_bits), n)})

    def elaborate(self, platform):
        m = Module()
        for k in range(self.n):
            # the inputs are registered (off the neuron's critical path): the register holds this
            # step's inputs and the state word is one step ahead; both reset to the values the
            # model computes for step 0, so the sequence is unchanged
            rng0, exc0, inh0 = (int(x) for x in stimulus_step(NUMPY, self.params, np.int64(self.seeds[k])))
            rng = Signal(shape_of(self.params.state_layout["rng"]), init=rng0, name=f"stim_rng{k}")
            i_exc = Signal(self.i_exc[k].shape(), init=exc0, name=f"stim_exc{k}")
            i_inh = Signal(self.i_inh[k].shape(), init=inh0, name=f"stim_inh{k}")
            rng_n, exc_n, inh_n = stimulus_step(AmaranthOps(m, f"n{k}_"), self.params, rng)
            m.d.comb += [self.i_exc[k].eq(i_exc), self.i_inh[k].eq(i_inh)]
            with m.If(self.step):
                m.d.sync += [rng.eq(rng_n), i_exc.eq(exc_n), i_inh.eq(inh_n)]
        return m
