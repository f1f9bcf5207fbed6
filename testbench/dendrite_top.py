"""Bench top and Amaranth-sim driver of the multi-dendrite neuron (``rtl.dendrite``).

:class:`DendriteBenchTop` mirrors :class:`neuroxide.testbench.top.LIFBenchTop`: on a ``go`` pulse
the array runs ``chunk`` steps back to back (one per clock), driven by the on-chip
:class:`~neuroxide.rtl.stimulus.StimulusGenerator` (its ``i_exc`` of input ``k * n_dend + j`` is
dendrite ``j`` of neuron ``k``), and writes the full state after every step into ``trace``; the
cocotb bench reads it between chunks. A chunk of ``chunk`` steps costs ``chunk + 2`` cycles.

Trace word layout (LSB first), per neuron ``k``: ``d[k, 0..n_dend-1]`` (d_bits each), ``v[k]``
(v_bits), ``ref[k]`` (ref_bits); then the ``n``-bit spike vector at the top.
"""

import numpy as np
from amaranth.hdl import Cat, Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator

from neuroxide.rtl.dendrite import DendriteNeuronArray
from neuroxide.rtl.stimulus import StimulusGenerator
from neuroxide.testbench.top import add_chunk_recorder

__all__ = ["DendriteBenchTop", "unpack_dendrite_trace", "run_dendrite_array"]


def _fields(p):
    return [("d", p.d_bits)] * p.n_dend + [("v", p.v_bits), ("ref", p.ref_bits)]


def unpack_dendrite_trace(words, params, n):
    """Trace words -> ``{"d": (steps, n, n_dend), "v", "ref": (steps, n), "spike": (steps, n) bool}``."""
    p = params
    steps = len(words)
    out = {"d": np.empty((steps, n, p.n_dend), dtype=np.int64), "v": np.empty((steps, n), dtype=np.int64),
           "ref": np.empty((steps, n), dtype=np.int64), "spike": np.empty((steps, n), dtype=bool)}
    per = sum(b for _, b in _fields(p))
    for t, word in enumerate(words):
        for k in range(n):
            w = word >> (k * per)
            for j in range(p.n_dend):
                out["d"][t, k, j] = w & ((1 << p.d_bits) - 1)
                w >>= p.d_bits
            out["v"][t, k] = w & ((1 << p.v_bits) - 1)
            w >>= p.v_bits
            out["ref"][t, k] = w & ((1 << p.ref_bits) - 1)
        spikes = word >> (n * per)
        out["spike"][t] = [(spikes >> k) & 1 for k in range(n)]
    return out


class DendriteBenchTop(wiring.Component):
    """``DendriteNeuronArray`` + ``StimulusGenerator`` + a ``chunk``-deep trace memory."""

    def __init__(self, params, n, seed, stimulus, chunk):
        self.params, self.n, self.seed, self.stimulus, self.chunk = params, n, seed, stimulus, chunk
        self.word_bits = n * sum(b for _, b in _fields(params)) + n
        super().__init__({"go": In(1), "busy": Out(1), "done": Out(1)})

    def elaborate(self, platform):
        m = Module()
        p, n = self.params, self.n
        m.submodules.stim = stim = StimulusGenerator(self.stimulus, n * p.n_dend, p.in_bits, self.seed)
        m.submodules.dut = dut = DendriteNeuronArray(p, n)
        fields = []
        for k in range(n):
            fields += [dut.d[k * p.n_dend + j] for j in range(p.n_dend)] + [dut.v[k], dut.ref[k]]
        step = add_chunk_recorder(m, self, self.chunk, Cat(*fields, dut.spike))
        m.d.comb += [dut.step.eq(step), stim.step.eq(step), dut.x.eq(stim.i_exc)]
        return m


def run_dendrite_array(params, n, x, step_mask=None):
    """Drive ``DendriteNeuronArray(params, n)`` in Amaranth's simulator with ``x`` of shape
    ``(cycles, n, n_dend)``; ``step_mask`` deasserts ``step`` on some cycles. Returns the state
    after every cycle in the model's layout."""
    p = params
    x = np.asarray(x, dtype=np.int64)
    cycles = x.shape[0]
    mask = np.ones(cycles, dtype=bool) if step_mask is None else np.asarray(step_mask, dtype=bool)
    dut = DendriteNeuronArray(p, n)
    out = {"d": np.zeros((cycles, n, p.n_dend), dtype=np.int64), "v": np.zeros((cycles, n), dtype=np.int64),
           "ref": np.zeros((cycles, n), dtype=np.int64), "spike": np.zeros((cycles, n), dtype=bool)}

    async def bench(ctx):
        for t in range(cycles):
            ctx.set(dut.step, int(mask[t]))
            for k in range(n):
                for j in range(p.n_dend):
                    ctx.set(dut.x[k * p.n_dend + j], int(x[t, k, j]))
            await ctx.tick()
            for k in range(n):
                for j in range(p.n_dend):
                    out["d"][t, k, j] = ctx.get(dut.d[k * p.n_dend + j])
                out["v"][t, k] = ctx.get(dut.v[k])
                out["ref"][t, k] = ctx.get(dut.ref[k])
            spikes = ctx.get(dut.spike)
            out["spike"][t] = [(spikes >> k) & 1 for k in range(n)]

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return out
