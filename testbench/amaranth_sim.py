"""Run RTL components in Amaranth's Python simulator, step by step, for fast pytest equivalence.

The cocotb benches prove the generated Verilog on real simulators; this runs the same components
before Verilog exists, driven straight from numpy arrays, so hypothesis can try hundreds of
parameter sets in seconds.
"""

import numpy as np
from amaranth.sim import Simulator

from neuroxide.rtl.lif import LIFNeuronArray

__all__ = ["run_lif_array"]


def run_lif_array(params, n, seed, i_exc, i_inh, step_mask=None):
    """Drive ``LIFNeuronArray(params, n, seed)`` with ``(steps, n)`` inputs; return its state trace.

    ``step_mask`` (bool per cycle, default all True) deasserts ``step`` on some cycles, which must
    leave the state untouched. Returns ``{field: (cycles, n) array}`` of the state after each cycle.
    """
    i_exc = np.asarray(i_exc, dtype=np.int64)
    i_inh = np.asarray(i_inh, dtype=np.int64)
    cycles = i_exc.shape[0]
    step_mask = np.ones(cycles, dtype=bool) if step_mask is None else np.asarray(step_mask, dtype=bool)
    dut = LIFNeuronArray(params, n, seed)
    out = {f: np.zeros((cycles, n), dtype=np.int64) for f in ("v", "ref", "adapt", "rng")}
    out["spike"] = np.zeros((cycles, n), dtype=bool)

    async def bench(ctx):
        for t in range(cycles):
            ctx.set(dut.step, int(step_mask[t]))
            for k in range(n):
                ctx.set(dut.i_exc[k], int(i_exc[t, k]))
                ctx.set(dut.i_inh[k], int(i_inh[t, k]))
            await ctx.tick()
            for f in ("v", "ref", "adapt", "rng"):
                port = getattr(dut, f)
                for k in range(n):
                    out[f][t, k] = ctx.get(port[k])
            spikes = ctx.get(dut.spike)
            out["spike"][t] = [(spikes >> k) & 1 for k in range(n)]

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return out
