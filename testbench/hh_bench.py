"""cocotb bench: the ``hh`` bench top against the fixed-point HH model, full state every step.

The DUT is :class:`neuroxide.testbench.hh_top.HHBenchTop` (one neuron per stimulus of the standard
set). The bench pulses ``go``, lets the simulator run free through all steps, reads the trace memory
through VPI and compares ``v, m, h, n, spike`` of every neuron at every step with
:class:`~neuroxide.models.hh.HHModel` on the same inputs. Result JSON: ``steps, cycles, mismatches``
(steps on which any field of any neuron differed), per-stimulus mismatches and spike steps, the RTL
membrane traces (mV) and the first mismatch.
"""

import cocotb
import numpy as np

from neuroxide.models import hh
from neuroxide.testbench.chunked import compare_columns, finish, load_config, run_whole


@cocotb.test()
async def hh_matches_model(dut):
    cfg = load_config()
    k = hh.make_fixed()
    names, current = hh.stimulus_set(cfg["stimuli"], cfg["steps"], cfg["seed"])
    i_dt = hh.current_to_fixed(current, k)
    # "model_current_offset" feeds the model a different input from the RTL's, to prove that the
    # bench does detect a difference; normally 0
    want = hh.HHModel(k).run(i_dt + cfg.get("model_current_offset", 0))
    steps, n = i_dt.shape
    layout = k.state_layout
    got, stats = await run_whole(dut, lambda: layout.unpack_words([int(dut.trace[t].value) for t in range(steps)], n))
    mismatches, per_stimulus, first = compare_columns(got, want, layout.names, names, "stimulus")
    for j, name in enumerate(names):
        per_stimulus[name] |= {"spike_steps_rtl": np.flatnonzero(got["spike"][:, j]).tolist(),
                               "v_mv_rtl": [round(float(x) / (1 << k.v_frac), 6) for x in got["v"][:, j]]}
    finish({"steps": steps, "neurons": n, "stimuli": names, "mismatches": mismatches, "per_stimulus": per_stimulus,
            "first_mismatch": first, "spikes": int(want["spike"].sum())} | stats)
