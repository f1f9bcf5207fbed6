"""cocotb bench: the ``izhikevich`` bench top against the fixed-point model, full state every step.

The DUT is :class:`neuroxide.testbench.izhikevich_top.IzhikevichBenchTop` (one neuron per panel).
The bench pulses ``go``, lets the simulator run free through the whole protocol (no Python per
clock), reads the trace memory through VPI and compares ``v``, ``u`` and ``spike`` of every neuron at
every step with :func:`~neuroxide.models.izhikevich.run_fixed` on the same inputs. The result JSON
has ``steps, cycles, mismatches`` (steps on which any field of any neuron differed), per-panel
mismatch and spike counts, the RTL spike steps per panel, and the first mismatch.
"""

import cocotb
import numpy as np

from neuroxide.models import izhikevich as iz
from neuroxide.testbench.chunked import compare_columns, finish, load_config, run_whole


@cocotb.test()
async def izhikevich_matches_model(dut):
    cfg = load_config()
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
    layout = iz.state_layout(widths[2])
    got, stats = await run_whole(dut, lambda: layout.unpack_words([int(dut.trace[t].value) for t in range(steps)], n))
    mismatches, per_panel, first = compare_columns(got, want, layout.names, panels, "panel")
    for j, p in enumerate(panels):
        per_panel[p] |= {"spikes_rtl": int(got["spike"][:, j].sum()),
                         "spike_steps_rtl": np.flatnonzero(got["spike"][:, j]).tolist(),
                         # v in mV after every step, for the catalogue plot drawn from the RTL run
                         "v_mv_rtl": [round(int(x) / 2.0 ** widths[0], 6) for x in got["v"][:, j]]}
    finish({"steps": steps, "neurons": n, "panels": panels, "mismatches": mismatches, "per_panel": per_panel,
            "first_mismatch": first, "spikes": int(np.asarray(want["spike"], dtype=bool).sum()),
            "pipelined": bool(cfg.get("pipelined"))} | stats)
