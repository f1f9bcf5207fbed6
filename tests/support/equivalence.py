"""One-step equivalence of an update rule: the rule harness and the comparison of the equivalence tests.

The sequential tests (tests/test_*_rtl.py, cocotb) run a design forward from its reset state, so
they only visit the states a few input sequences reach. ``tests/test_equivalence.py`` starts every
step from a state hypothesis draws (the whole state, inputs and parameters), saturation bounds
included, in one of two ways:

* a real RTL component (``LIFNeuron``, ``HHNeuron``, ...) stepped once from each drawn state by
  :func:`support.amaranth_sim.run_steps` (``deposit=``);
* :func:`run_rule` here: an ops-layer rule elaborated with ``AmaranthOps`` on free input signals
  (a combinational harness: settle, read) for rules whose state lives in memories or internal
  signals (ONN oscillator update, stimulus generator, PRNG); with ``pipelined=True`` it uses
  ``PipelinedOps`` and streams one vector per clock through the pipeline (the LIF datapath of the
  SNN core). Outputs go through signals of the widths the RTL stores them in, so a value that does
  not fit shows up as a mismatch instead of being compared un-narrowed.

Both run a whole batch of vectors through one simulation; the test compares the result with the
numpy rule on the same batch via :func:`first_mismatch`.
"""

import numpy as np
from amaranth.hdl import Module, Signal, Value
from amaranth.sim import Simulator

from neuroxide.rtl.fixedpoint import AmaranthOps, PipelinedOps
from neuroxide.rtl.layout import shape_of

__all__ = ["run_rule", "first_mismatch", "as_ints", "column"]


def as_ints(values):
    """A numpy array / scalar / list of integers (int64, bool or object) -> list of Python ints."""
    return [int(x) for x in np.asarray(values, dtype=object).ravel()]


def column(vectors, name, dtype=np.int64):
    """The ``name`` entry of every vector (list of dicts) as an array (object for wide values); an
    entry that is a list (one value per neuron) gives one row per vector."""
    return np.array([v[name] for v in vectors], dtype=dtype)


def first_mismatch(got, want, vectors=None):
    """None when ``got[name] == want[name]`` element-wise for every name of ``want``; else a
    message naming the output, the element, both values and (if given) the vector it came from
    (``got``/``want`` arrays have one row per vector)."""
    for name, expect in want.items():
        expect = as_ints(expect)
        have = as_ints(got[name])
        if len(have) != len(expect):
            return f"{name}: {len(have)} values from the RTL, {len(expect)} from the model"
        for i, (a, b) in enumerate(zip(have, expect)):
            if a != b:
                where = f" for {vectors[i * len(vectors) // len(have)]}" if vectors else ""
                return f"{name}[{i}]: RTL {a}, model {b}{where}"
    return None


def run_rule(rule, inputs, outputs, vectors, pipelined=False):
    """Elaborate ``rule(ops, **inputs) -> {name: value}`` on free inputs and run ``vectors``.

    ``inputs``/``outputs``: :class:`~neuroxide.models.layout.StateLayout` of the rule's arguments
    and of the results compared (each output is assigned to a signal of its field's shape, the
    width the RTL stores it in). Single-cycle (``AmaranthOps``): set the inputs, read the settled
    outputs. ``pipelined``: ``PipelinedOps``; one vector enters per clock and its outputs are read
    ``ops.depth`` clocks later, so a value that skips a register cut (read from a later vector) is
    caught. Returns ``({name: [int per vector]}, depth)``.
    """
    m = Module()
    ops = PipelinedOps(m, prefix="eq_") if pipelined else AmaranthOps(m, prefix="eq_")
    ins = {f.name: Signal(shape_of(f), name=f"in_{f.name}") for f in inputs}
    values = rule(ops, **ins)
    outs = {}
    for f in outputs:
        outs[f.name] = Signal(shape_of(f), name=f"out_{f.name}")
        m.d.comb += outs[f.name].eq(Value.cast(values[f.name]))
    depth = ops.depth if pipelined else 0
    got = {name: [] for name in outs}

    async def bench(ctx):
        if not pipelined:
            for vec in vectors:
                for name, sig in ins.items():
                    ctx.set(sig, vec[name])
                for name, sig in outs.items():
                    got[name].append(int(ctx.get(sig)))
            return
        # vector i is presented before clock i + 1; its result sits on the outputs after clock i + depth
        for i in range(len(vectors) + depth):
            if i < len(vectors):
                for name, sig in ins.items():
                    ctx.set(sig, vectors[i][name])
            if i >= depth:
                for name, sig in outs.items():
                    got[name].append(int(ctx.get(sig)))
            await ctx.tick()

    sim = Simulator(m)
    if pipelined:
        sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return got, depth
