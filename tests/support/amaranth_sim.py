"""Step an RTL component in Amaranth's Python simulator, driven by its state layout.

The one driver of the model-vs-gates tests. A component exposes its state as ports named after the
fields of its rule's :class:`~neuroxide.models.layout.StateLayout` (``LIFParams.state_layout``,
``HHFixed.state_layout`` ...), built by ``rtl.layout.item_ports`` (one neuron) or
``rtl.layout.array_ports`` (``items`` neurons; value ``j`` of item ``k`` is element
``k * count + j``). :func:`run_steps` drives its input ports from numpy arrays, one row per step,
and returns every state field after every step as the model's arrays, so a test compares them
with ``==``. It serves both kinds of test:

* a run forward from reset (``tests/test_*_rtl.py``): ``step_mask`` lowers ``step`` on some steps,
  which must leave the state untouched;
* one step from arbitrary states (``tests/test_equivalence.py``): ``deposit`` writes a state into
  the component's own registers before every step (a testbench may overwrite ``sync``-driven
  signals between clocks), so widths, truncation on assignment, ROM lookups and stage sequencing
  are the design's own.

The cocotb benches prove the generated Verilog on real simulators; this runs the same components
before Verilog exists, so hypothesis can try hundreds of cases in seconds (a few ms to elaborate a
neuron, well under 1 ms per step).
"""

import numpy as np
from amaranth.sim import Simulator

__all__ = ["run_steps", "snn_core_mismatches", "run_onn_core"]


def _elements(port, size, scalar):
    """The ``size`` element values of ``port``, in the flat order of the model's arrays (``scalar``:
    the port itself, a one-item component's one-value field)."""
    return [port] if scalar else [port[i] for i in range(size)]


def run_steps(dut, layout, inputs, items=None, step_mask=None, cycles=1, initial=None, deposit=None):
    """Step ``dut`` once per row of ``inputs``; returns ``{field of layout: array}`` after every step.

    ``layout``: the state the component exposes as ports (its rule's state layout, or a part of
    it). ``items``: None for a one-item component, else the number of items of an array component.
    ``inputs``: ``{port name: array (steps, ...)}``, row ``t`` the port's value(s) during step
    ``t`` (``(steps,)`` for a scalar port, ``(steps, items[, count])`` for an array port).
    ``step_mask``: per step, whether ``step`` is raised (default always); ``step`` is high for the
    first clock of a step only. ``cycles``: clocks per step (the datapath's latency, e.g. 2 for the
    HH neuron's ROM read). ``initial``: ``{field: values}`` written into the registers once, before
    the first step; ``deposit``: ``{field: array (steps, ...)}`` written before every step.

    Returns arrays of shape ``(steps, [items,] [count])`` of each field's
    :attr:`~neuroxide.models.layout.StateField.dtype`.
    """
    inputs = {name: np.asarray(values, dtype=object) for name, values in inputs.items()}
    deposit = {name: np.asarray(values, dtype=object) for name, values in (deposit or {}).items()}
    steps = len(next(iter(inputs.values()))) if inputs else len(next(iter(deposit.values())))
    step_mask = np.ones(steps, dtype=bool) if step_mask is None else np.asarray(step_mask, dtype=bool)
    shape = () if items is None else (items,)
    out = layout.empty((steps, *shape))
    elements = {f.name: _elements(getattr(dut, f.name), f.size * (items or 1), items is None and f.count is None)
                for f in layout}

    def put(ctx, targets, values):
        values = np.asarray(values, dtype=object).reshape(-1)
        assert len(values) == len(targets), f"{len(values)} values for {len(targets)} port elements"
        for element, value in zip(targets, values):
            ctx.set(element, int(value))

    async def bench(ctx):
        for name, values in (initial or {}).items():
            put(ctx, elements[name], values)
        for t in range(steps):
            for name, values in deposit.items():
                put(ctx, elements[name], values[t])
            for name, values in inputs.items():
                row = values[t]
                put(ctx, _elements(getattr(dut, name), np.size(row), items is None and np.ndim(row) == 0), row)
            ctx.set(dut.step, int(step_mask[t]))
            await ctx.tick()
            ctx.set(dut.step, 0)
            for _ in range(cycles - 1):
                await ctx.tick()
            for name, targets in elements.items():
                out[name][t] = np.array([ctx.get(e) for e in targets], dtype=object).reshape(out[name].shape[1:])

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return out


def snn_core_mismatches(net, got, trace):
    """(sample, layer, field) triples where the SNN core's run (``testbench.snn_top.run_top_amaranth``:
    per sample, per layer, ``{field: per-step values}``) differs from the model's ``trace``
    (``SNNModel.run(..., record_state=True)``) at any step; 0 means equal everywhere."""
    bad = 0
    for b, sample in enumerate(got):
        for k, layer in enumerate(sample):
            for f in net.layers[k].state_layout.names:
                if f != "spike":
                    bad += int((layer[f] != trace.state[k][f][:, b]).any())
            bad += int((layer["spike"].astype(bool) != trace.spikes[k][:, b]).any())
    return bad


def run_onn_core(p, J, dense, seed, steps, lanes=4, colour_rows=None):
    """Run ``rtl.onn_core.ONNCore`` (``colour_rows``: the colour mode's row bounds, None: synchronous)
    for ``steps`` steps from reset; ``(updates (steps, n, 3) of (row, phase, rng), {"cycles", "energy",
    "t"}, the core)``."""
    import scipy.sparse as sp

    from neuroxide.rtl.onn_core import ONNCore
    n = J.shape[0]
    dut = ONNCore(p, n, J if dense else sp.csr_matrix(J), dense=dense, seed=seed, lanes=lanes, colour_rows=colour_rows)
    got, info = [], {}

    async def bench(ctx):
        ctx.set(dut.run_steps, steps)
        ctx.set(dut.start, 1)
        await ctx.tick()
        ctx.set(dut.start, 0)
        cycles = 0
        while True:
            await ctx.tick()
            cycles += 1
            if ctx.get(dut.upd_valid):
                got.append((ctx.get(dut.upd_row), ctx.get(dut.upd_phase), ctx.get(dut.upd_rng)))
            if not ctx.get(dut.busy):
                break
        info.update(cycles=cycles, energy=ctx.get(dut.energy), t=ctx.get(dut.t))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return np.array(got).reshape(steps, n, 3), info, dut


async def bus_access(ctx, bus, addr, data=None, acks=None, max_clocks=10):
    """One access of a core's host bus (``rtl.hostbus``) in Amaranth's simulator: a write of ``data``
    (a read when None) to word ``addr``; returns the read data at the ack. ``acks``: a set that gets
    the clocks the ack took. AssertionError when no ack comes within ``max_clocks``."""
    ctx.set(bus.stb, 1)
    ctx.set(bus.addr, addr)
    ctx.set(bus.we, int(data is not None))
    ctx.set(bus.w_data, (data or 0) & 0xFFFF_FFFF)
    for k in range(1, max_clocks):
        await ctx.tick()
        if ctx.get(bus.ack):
            if acks is not None:
                acks.add(k)
            value = ctx.get(bus.r_data)
            ctx.set(bus.stb, 0)
            await ctx.tick()
            return value
    raise AssertionError("no ack")


def rand_J(n, seed, density=0.4, wb=5):
    """A random symmetric ``n x n`` coupling matrix with a zero diagonal: each pair coupled with
    probability ``density`` by a ``wb``-bit signed weight (seeded)."""
    rng = np.random.default_rng(seed)
    a = rng.integers(-(1 << (wb - 1)), 1 << (wb - 1), size=(n, n)) * (rng.random((n, n)) < density)
    a = np.triu(a, 1)
    return a + a.T
