"""cocotb bench: the ``izhikevich`` bench top against the fixed-point model, full state every step.

The DUT is :class:`neuroxide.testbench.izhikevich_top.IzhikevichBenchTop` (one neuron per panel).
The bench pulses ``go``, lets the simulator run free through the whole protocol (no Python per
clock), reads the trace memory through VPI and compares ``v``, ``u`` and ``spike`` of every neuron at
every step with :func:`~neuroxide.models.izhikevich.run_fixed` on the same inputs. The result JSON
has ``steps, cycles, mismatches`` (steps on which any field of any neuron differed), per-panel
mismatch and spike counts, the RTL spike steps per panel, and the first mismatch.
"""

import json
import os

import cocotb
import numpy as np

from neuroxide.models import izhikevich as iz
from neuroxide.testbench.chunked import CLOCK_NS, run_free, start_bench
from neuroxide.testbench.izhikevich_top import unpack_trace



@cocotb.test()
async def izhikevich_matches_model(dut):
    with open(os.environ["NEUROXIDE_BENCH_CONFIG"]) as f:
        cfg = json.load(f)
    panels = cfg["panels"]
    widths = (cfg["frac_bits"], cfg["coef_bits"], cfg["state_bits"])
    _, coeffs, i_dt = iz.panel_inputs(panels, widths[0], widths[1])
    i_dt = i_dt[:cfg["steps"]]  # the design may cap the run below the protocol's length
    # "model_coeff_offset" gives the model different constants from the RTL, to prove that the bench
    # does detect a difference; normally absent
    offset = cfg.get("model_coeff_offset")
    if offset:
        coeffs = [iz.IzhikevichCoeffs(**(c.as_dict() | {offset["field"]: getattr(c, offset["field"]) + offset["delta"]}))
                  for c in coeffs]
    want = iz.run_fixed(coeffs, i_dt, *widths)
    steps, n = i_dt.shape

    await start_bench(dut)
    t_start = cocotb.utils.get_sim_time("ns")
    free_run_s = await run_free(dut)  # the simulator runs free through every step
    cycles = int((cocotb.utils.get_sim_time("ns") - t_start) // CLOCK_NS)
    got = unpack_trace([int(dut.trace[t].value) for t in range(steps)], n, widths[2])

    bad = np.zeros(steps, dtype=bool)
    per_panel = {}
    first = None
    for j, p in enumerate(panels):
        diff = (got["v"][:, j] != want["v"][:, j]) | (got["u"][:, j] != want["u"][:, j]) | \
               (got["spike"][:, j] != want["spike"][:, j])
        diff = np.asarray(diff, dtype=bool)
        bad |= diff
        per_panel[p] = {"mismatches": int(diff.sum()), "spikes_rtl": int(got["spike"][:, j].sum()),
                        "spike_steps_rtl": np.flatnonzero(got["spike"][:, j]).tolist(),
                        # v in mV after every step, for the catalogue plot drawn from the RTL run
                        "v_mv_rtl": [round(int(x) / 2.0 ** widths[0], 6) for x in got["v"][:, j]]}
        if diff.any() and first is None:
            t = int(np.argmax(diff))
            first = {"panel": p, "step": t,
                     "rtl": {f: int(got[f][t, j]) for f in ("v", "u", "spike")},
                     "model": {f: int(want[f][t, j]) for f in ("v", "u", "spike")}}
    mismatches = int(bad.sum())
    spikes = int(np.asarray(want["spike"], dtype=bool).sum())
    result = {"steps": steps, "neurons": n, "panels": panels, "cycles": cycles, "mismatches": mismatches,
              "per_panel": per_panel, "first_mismatch": first, "spikes": spikes,
              "pipelined": bool(cfg.get("pipelined")), "free_run_s": round(free_run_s, 3),
              "cycles_per_s": round(cycles / free_run_s, 1) if free_run_s else None}
    with open(os.environ["NEUROXIDE_BENCH_RESULT"], "w") as f:
        json.dump(result, f)
    assert spikes > 0, "no neuron fired: the bench would prove nothing"
    assert mismatches == 0, f"RTL differs from the model on {mismatches} steps; first: {first}"
