"""cocotb bench: the ``hh`` bench top against the fixed-point HH model, full state every step.

The DUT is :class:`neuroxide.testbench.hh_top.HHBenchTop` (one neuron per stimulus of the standard
set). The bench pulses ``go``, lets the simulator run free through all steps, reads the trace memory
through VPI and compares ``v, m, h, n, spike`` of every neuron at every step with
:class:`~neuroxide.models.hh.HHModel` on the same inputs. Result JSON: ``steps, cycles, mismatches``
(steps on which any field of any neuron differed), per-stimulus mismatches and spike steps, the RTL
membrane traces (mV) and the first mismatch.
"""

import json
import os

import cocotb
import numpy as np

from neuroxide.models import hh
from neuroxide.testbench.chunked import CLOCK_NS, run_free, start_bench
from neuroxide.testbench.hh_top import unpack_trace



@cocotb.test()
async def hh_matches_model(dut):
    with open(os.environ["NEUROXIDE_BENCH_CONFIG"]) as f:
        cfg = json.load(f)
    k = hh.make_fixed()
    names, current = hh.stimulus_set(cfg["stimuli"], cfg["steps"], cfg["seed"])
    i_dt = hh.current_to_fixed(current, k)
    # "model_current_offset" feeds the model a different input from the RTL's, to prove that the
    # bench does detect a difference; normally 0
    want = hh.HHModel(k).run(i_dt + cfg.get("model_current_offset", 0))
    steps, n = i_dt.shape

    await start_bench(dut)
    t_start = cocotb.utils.get_sim_time("ns")
    free_run_s = await run_free(dut)  # the simulator runs free through every step
    cycles = int((cocotb.utils.get_sim_time("ns") - t_start) // CLOCK_NS)
    got = unpack_trace([int(dut.trace[t].value) for t in range(steps)], n, k)

    bad = np.zeros(steps, dtype=bool)
    per_stimulus = {}
    first = None
    fields = ("v", "m", "h", "n", "spike")
    for j, name in enumerate(names):
        diff = np.zeros(steps, dtype=bool)
        for f in fields:
            diff |= got[f][:, j] != want[f][:, j]
        bad |= diff
        per_stimulus[name] = {"mismatches": int(diff.sum()),
                              "spike_steps_rtl": np.flatnonzero(got["spike"][:, j]).tolist(),
                              "v_mv_rtl": [round(float(x) / (1 << k.v_frac), 6) for x in got["v"][:, j]]}
        if diff.any() and first is None:
            t = int(np.argmax(diff))
            first = {"stimulus": name, "step": t, "rtl": {f: int(got[f][t, j]) for f in fields},
                     "model": {f: int(want[f][t, j]) for f in fields}}
    result = {"steps": steps, "neurons": n, "stimuli": names, "cycles": cycles, "mismatches": int(bad.sum()),
              "per_stimulus": per_stimulus, "first_mismatch": first, "spikes": int(want["spike"].sum()),
              "free_run_s": round(free_run_s, 3),
              "cycles_per_s": round(cycles / free_run_s, 1) if free_run_s else None}
    with open(os.environ["NEUROXIDE_BENCH_RESULT"], "w") as f:
        json.dump(result, f)
    assert result["spikes"] > 0, "no neuron fired: the bench would prove nothing"
    assert result["mismatches"] == 0, f"RTL differs from the model on {result['mismatches']} steps; first: {first}"
