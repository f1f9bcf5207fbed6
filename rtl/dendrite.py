"""Multi-dendrite neuron datapath: ``neuroxide.models.dendrite.dendrite_step`` elaborated into gates.

:class:`DendriteNeuronArray` is ``n`` neurons of ``n_dend`` dendrites each, all updated in
parallel: one time step per clock edge with ``step`` high, latency one cycle from ``x`` to
``spike``. The state outputs are the state registers, equal to the model's after the same steps.
Per neuron the datapath is ``n_dend`` (multiply by a constant, shift, compare, saturate) dendrite
updates, an adder tree into the soma and one LIF-style soma update.

:class:`DendriteBoardAdapter` presents the array with the ``i_exc``/``i_inh`` ports of the LIF
array, so the on-chip stimulus generator and the board top drive it unchanged (``i_exc`` of
input ``k * n_dend + j`` feeds dendrite ``j`` of neuron ``k``; ``i_inh`` is unused).
"""

import dataclasses

from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In

from neuroxide.errors import ParameterError
from neuroxide.models.dendrite import dendrite_step
from neuroxide.models.layout import StateLayout

from .fixedpoint import AmaranthOps
from .layout import array_ports

__all__ = ["DendriteNeuronArray", "DendriteBoardAdapter"]


class DendriteNeuronArray(wiring.Component):
    """``n`` multi-dendrite neurons (equations: ``neuroxide.models.dendrite``).

    Ports (``rtl.layout.array_ports`` of ``params.input_layout`` and ``params.state_layout``: flat
    arrays, neuron 0 / dendrite 0 in the low bits): ``step``; ``x`` (``n * n_dend`` unsigned
    ``in_bits``, index ``k * n_dend + j``); ``d`` (same layout, ``d_bits``); ``v`` (``n`` x
    ``v_bits``), ``ref`` (``n`` x ``ref_bits``), ``spike`` (``n`` bits).
    """

    def __init__(self, params, n=1):
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ParameterError("n", n, "an integer >= 1")
        self.params, self.n = params, n
        super().__init__({"step": In(1), **array_ports(params.input_layout, n, In),
                          **array_ports(params.state_layout, n)})

    def elaborate(self, platform):
        m = Module()
        p = self.params
        for k in range(self.n):
            base = k * p.n_dend
            d = [self.d[base + j] for j in range(p.n_dend)]
            x = [self.x[base + j] for j in range(p.n_dend)]
            d_n, v_n, ref_n, fire = dendrite_step(AmaranthOps(m, f"n{k}_"), p, d, self.v[k], self.ref[k], x)
            with m.If(self.step):
                m.d.sync += [self.d[base + j].eq(d_n[j]) for j in range(p.n_dend)]
                m.d.sync += [self.v[k].eq(v_n), self.ref[k].eq(ref_n), self.spike[k].eq(fire)]
        return m


class DendriteBoardAdapter(wiring.Component):
    """A :class:`DendriteNeuronArray` behind the LIF array's ``step/i_exc/i_inh/spike`` ports (its
    ``x`` input presented as ``i_exc``; ``i_inh`` unused)."""

    def __init__(self, params, n=1):
        self.params, self.n = params, n
        self.array = DendriteNeuronArray(params, n)
        x = params.input_layout["x"]
        lif_inputs = StateLayout(dataclasses.replace(x, name="i_exc"), dataclasses.replace(x, name="i_inh"))
        super().__init__({"step": In(1), **array_ports(lif_inputs, n, In),
                          **array_ports(params.state_layout.only("spike"), n)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.array = a = self.array
        m.d.comb += [a.step.eq(self.step), a.x.eq(self.i_exc), self.spike.eq(a.spike)]
        return m
