"""Two-phase threshold-switch neuron datapath: ``neuroxide.models.ts_neuron.ts_step`` in gates.

:class:`TSNeuronArray` is ``n`` neurons updated in parallel: one time step per clock edge with
``step`` high, latency one cycle from ``x`` to ``spike``. The state outputs are the state
registers (``v``, ``on``, ``spike``), equal to the model's after the same steps. Per neuron the
datapath is six multiplications by constants (two asymptotes, two exponential steps, the two
one-step moves from a switching level), one ``sub_bits`` x ``v``-wide multiplication (the
sub-step move) and a ``sub_bits``-round restoring division (compare-subtract chain), all
combinational: docs/ts_neuron.md gives the synthesised cost. :class:`TSNeuronPipeline` is the same
rule with four register cuts, one neuron per clock, as a time-multiplexed core would use it.
:class:`TSSequencedArray` is ``n`` neurons through one :class:`TSNeuronPipeline`: a ``step`` pulse
snapshots the drives and a sequencer feeds the ``n`` neurons through the pipeline, one per clock,
writing each one's state back :data:`PIPELINE_DEPTH` clocks later (the state after all ``n`` is the
model's after the same step, ``n + PIPELINE_DEPTH + 1`` clocks after the ``step`` edge).

:class:`TSBoardAdapter` presents an array (the sequenced one by default: the one-step-per-clock
array does not synthesise with the WebAssembly yosys, docs/ts_neuron.md) with the
``i_exc``/``i_inh`` ports of the LIF array, so the on-chip stimulus generator and the board top
drive it unchanged (``i_exc`` is the drive ``x``; ``i_inh`` is unused).
"""

import dataclasses

from amaranth.hdl import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from neuroxide.errors import ParameterError
from neuroxide.models.layout import StateLayout
from neuroxide.models.ts_neuron import ts_step

from .fixedpoint import AmaranthOps, PipelinedOps
from .layout import array_ports, item_ports

__all__ = ["TSNeuronArray", "TSNeuronPipeline", "TSSequencedArray", "TSBoardAdapter", "PIPELINE_DEPTH"]

PIPELINE_DEPTH = 4  # register cuts of ts_step under PipelinedOps


class TSNeuronArray(wiring.Component):
    """``n`` two-phase TS neurons (equations: ``neuroxide.models.ts_neuron``).

    Ports (``rtl.layout.array_ports`` of ``params.input_layout`` and ``params.state_layout``, neuron
    0 lowest): ``step``; ``x`` (``n`` x unsigned ``in_bits``); ``v`` (``n`` x ``v_bits``); ``on``
    and ``spike`` (``n`` bits each).
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
            v_n, on_n, fire = ts_step(AmaranthOps(m, f"n{k}_"), p, self.v[k], self.on[k], self.x[k])
            with m.If(self.step):
                m.d.sync += [self.v[k].eq(v_n), self.on[k].eq(on_n), self.spike[k].eq(fire)]
        return m


class TSNeuronPipeline(wiring.Component):
    """The rule as a time-multiplexed core would use it: one neuron's state (``v``, ``on``) and drive
    ``x`` in per clock, its next state (``v_next``, ``on_next``, ``spike``) out
    :data:`PIPELINE_DEPTH` clocks later (``ts_step`` under ``PipelinedOps``: cuts after the
    asymptotes, after the exponential steps, after the crossing fraction). The state itself lives
    outside (a core's state RAM)."""

    def __init__(self, params):
        self.params = params
        state = params.state_layout.without("spike")
        nxt = {f"{k}_next": v for k, v in item_ports(state).items()}
        super().__init__({**item_ports(state, In), **item_ports(params.input_layout, In), **nxt,
                          **item_ports(params.state_layout.only("spike"))})

    def elaborate(self, platform):
        m = Module()
        ops = PipelinedOps(m, prefix="ts_")
        v_n, on_n, fire = ts_step(ops, self.params, self.v, self.on, self.x)
        assert ops.depth == PIPELINE_DEPTH
        m.d.comb += [self.v_next.eq(v_n), self.on_next.eq(on_n), self.spike.eq(fire)]
        return m


class TSSequencedArray(wiring.Component):
    """``n`` two-phase TS neurons time-multiplexed on one :class:`TSNeuronPipeline`.

    Same ports as :class:`TSNeuronArray` (``step``; ``x``; state registers ``v``, ``on``, ``spike``)
    plus ``busy``. A clock edge with ``step`` high latches the ``n`` drives (so the stimulus may
    advance on that same edge) and starts a sweep: neuron ``k`` is read on clock ``k + 1`` after the
    edge and its ``v``, ``on``, ``spike`` are written back :data:`PIPELINE_DEPTH` clocks later; all
    ``n`` hold the model's state after the step :attr:`latency` (``n + PIPELINE_DEPTH + 1``) clocks
    after the edge. ``busy`` is high from the edge until the last write-back. ``step`` must not rise
    again while ``busy`` (the board top steps every ``clock_hz / steps_per_second`` clocks).
    """

    def __init__(self, params, n=1):
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ParameterError("n", n, "an integer >= 1")
        self.params, self.n = params, n
        super().__init__({"step": In(1), **array_ports(params.input_layout, n, In),
                          **array_ports(params.state_layout, n), "busy": Out(1)})

    @property
    def latency(self):
        """Clocks from the ``step`` edge (that edge counted) until every neuron holds its new state."""
        return self.n + PIPELINE_DEPTH + 1

    def elaborate(self, platform):
        m = Module()
        p, n = self.params, self.n
        m.submodules.pipeline = pipe = TSNeuronPipeline(p)
        x_hold = [Signal(p.in_bits, name=f"x_hold{k}") for k in range(n)]
        rd = Signal(range(n + 1), init=n)            # neuron fed this clock; n: idle
        valid = [Signal(name=f"valid{i}") for i in range(PIPELINE_DEPTH)]
        tag = [Signal(range(max(n, 2)), name=f"tag{i}") for i in range(PIPELINE_DEPTH)]

        with m.If(self.step):
            m.d.sync += [x_hold[k].eq(self.x[k]) for k in range(n)]
            m.d.sync += rd.eq(0)
        with m.Elif(rd != n):
            m.d.sync += rd.eq(rd + 1)
        with m.Switch(rd):
            for k in range(n):
                with m.Case(k):
                    m.d.comb += [pipe.v.eq(self.v[k]), pipe.on.eq(self.on[k]), pipe.x.eq(x_hold[k])]

        # the neuron index travels beside the pipeline's cut registers
        m.d.sync += [valid[0].eq(rd != n), tag[0].eq(rd)]
        for i in range(1, PIPELINE_DEPTH):
            m.d.sync += [valid[i].eq(valid[i - 1]), tag[i].eq(tag[i - 1])]
        for k in range(n):
            with m.If(valid[-1] & (tag[-1] == k)):
                m.d.sync += [self.v[k].eq(pipe.v_next), self.on[k].eq(pipe.on_next),
                             self.spike[k].eq(pipe.spike)]
        m.d.comb += self.busy.eq((rd != n) | Cat(*valid).any())
        return m


class TSBoardAdapter(wiring.Component):
    """A :class:`TSSequencedArray` (``sequenced=False``: a :class:`TSNeuronArray`) behind the LIF
    array's ``step/i_exc/i_inh/spike`` ports (``x`` is presented as ``i_exc``; ``i_inh`` unused)."""

    def __init__(self, params, n=1, sequenced=True):
        self.params, self.n = params, n
        self.array = TSSequencedArray(params, n) if sequenced else TSNeuronArray(params, n)
        x = params.input_layout["x"]
        lif_inputs = StateLayout(dataclasses.replace(x, name="i_exc"), dataclasses.replace(x, name="i_inh"))
        super().__init__({"step": In(1), **array_ports(lif_inputs, n, In),
                          **array_ports(params.state_layout.only("spike"), n)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.array = a = self.array
        m.d.comb += [a.step.eq(self.step), a.x.eq(self.i_exc), self.spike.eq(a.spike)]
        return m
