"""One-step equivalence of an update rule: numpy model vs Amaranth simulator, from any state.

The sequential benches (tests/test_*_rtl.py, cocotb) run a design forward from its reset state, so
they only visit the states a few input sequences reach. The runners here start every step from a
state given by the test (hypothesis draws the whole state, inputs and parameters), so each example
checks the rule on arbitrary points of its state space, saturation bounds included:

* :func:`run_from_states` drives a real RTL component (``LIFNeuron``, ``HHNeuron``, ...): for each
  vector it deposits the state into the component's registers, raises ``step`` for one clock,
  waits ``cycles`` clocks in all and reads the registers back. Latency, register widths and
  truncation on assignment are thus the design's own.
* :func:`run_rule` elaborates an ops-layer rule with ``AmaranthOps`` on free input signals (a
  combinational harness: settle, read) for rules whose state lives in memories or internal
  signals (ONN oscillator update, stimulus generator, PRNG); with ``pipelined=True`` it uses
  ``PipelinedOps`` instead and streams one vector per clock through the pipeline (the LIF datapath
  of the SNN core). Outputs go through signals of the widths the RTL stores them in, so a value
  that does not fit shows up as a mismatch instead of being compared un-narrowed.

Both build one simulation per call and run a whole batch of vectors through it; the caller
compares the returned ``{name: [int, ...]}`` with the numpy rule on the same batch via
:func:`first_mismatch`. Cost (measured on this machine): a few ms to elaborate a neuron, well
under 1 ms per vector.
"""

import numpy as np
from amaranth.hdl import Module, Signal, Value
from amaranth.sim import Simulator

from neuroxide.rtl.fixedpoint import AmaranthOps, PipelinedOps

__all__ = ["run_from_states", "run_rule", "first_mismatch", "as_ints", "column"]


def as_ints(values):
    """A numpy array / scalar / list of integers (int64, bool or object) -> list of Python ints."""
    return [int(x) for x in np.asarray(values, dtype=object).ravel()]


def column(vectors, name, dtype=np.int64):
    """The ``name`` entry of every vector (list of dicts) as a 1-D array (object for wide values)."""
    return np.array([v[name] for v in vectors], dtype=dtype)


def first_mismatch(got, want, vectors=None):
    """None when ``got[name] == want[name]`` element-wise for every name of ``want``; else a
    message naming the output, the vector index, both values and (if given) the vector."""
    for name, expect in want.items():
        expect = as_ints(expect)
        have = as_ints(got[name])
        if len(have) != len(expect):
            return f"{name}: {len(have)} values from the RTL, {len(expect)} from the model"
        for i, (a, b) in enumerate(zip(have, expect)):
            if a != b:
                where = f" for {vectors[i]}" if vectors is not None else ""
                return f"{name}[{i}]: RTL {a}, model {b}{where}"
    return None


def run_from_states(dut, vectors, state, inputs, outputs, step=None, cycles=1):
    """Run ``dut`` one step from each vector's state; returns ``{output name: [int per vector]}``.

    ``state``: ``{name: register}`` deposited before the step (registers driven by ``sync``; a
    testbench may overwrite them between clocks). ``inputs``: ``{name: input port}`` held during
    the step. ``outputs``: ``{name: value}`` read after ``cycles`` clocks. ``step``: the port raised
    for the first clock (None: the component advances every clock). Each vector is a dict with a
    value for every name of ``state`` and ``inputs``.
    """
    got = {name: [] for name in outputs}

    async def bench(ctx):
        for vec in vectors:
            for name, reg in state.items():
                ctx.set(reg, vec[name])
            for name, port in inputs.items():
                ctx.set(port, vec[name])
            if step is not None:
                ctx.set(step, 1)
            await ctx.tick()
            if step is not None:
                ctx.set(step, 0)
            for _ in range(cycles - 1):
                await ctx.tick()
            for name, value in outputs.items():
                got[name].append(int(ctx.get(value)))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return got


def run_rule(rule, in_shapes, out_shapes, vectors, pipelined=False):
    """Elaborate ``rule(ops, **inputs) -> {name: value}`` on free inputs and run ``vectors``.

    ``in_shapes``/``out_shapes``: ``{name: shape}``; each output is assigned to a signal of its
    shape (the width the RTL stores it in). Single-cycle (``AmaranthOps``): set the inputs, read
    the settled outputs. ``pipelined``: ``PipelinedOps``; one vector enters per clock and its
    outputs are read ``ops.depth`` clocks later, so a value that skips a register cut (read from a
    later vector) is caught. Returns ``({name: [int per vector]}, depth)``.
    """
    m = Module()
    ops = PipelinedOps(m, prefix="eq_") if pipelined else AmaranthOps(m, prefix="eq_")
    ins = {name: Signal(shape, name=f"in_{name}") for name, shape in in_shapes.items()}
    values = rule(ops, **ins)
    outs = {}
    for name, shape in out_shapes.items():
        outs[name] = Signal(shape, name=f"out_{name}")
        m.d.comb += outs[name].eq(Value.cast(values[name]))
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
