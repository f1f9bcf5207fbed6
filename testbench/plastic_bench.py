"""cocotb bench: the learning layer's Verilog against ``PlasticModel``, every weight and state every step.

The DUT is :class:`neuroxide.testbench.plastic_top.PlasticBenchTop`, run chunk by chunk by
:func:`neuroxide.testbench.chunked.run_chunked`: the simulator runs the preloaded schedule free for
a chunk, then every level of the crossbar and every field of every neuron and input row (LIF state,
traces, calcium, PRNG words) after every step is compared with the model fed the same schedule.
"""

import json
import os

import cocotb
import numpy as np

from neuroxide.models.plasticity import LearningSchedule, PlasticModel, layer_from_dict, run_schedule
from neuroxide.testbench.chunked import load_config, run_chunked
from neuroxide.testbench.plastic_top import unpack_trace


@cocotb.test()
async def plastic_layer_matches_model(dut):
    cfg = load_config()
    layer = layer_from_dict(cfg["layer"])
    # "model_layer" may differ from the RTL's layer to prove that the bench detects a difference
    model = PlasticModel(layer_from_dict(cfg["model_layer"]), np.asarray(cfg["w_init"]))
    schedule = LearningSchedule(**{k: np.asarray(v, dtype=bool) for k, v in cfg["schedule"].items()})
    chunk, steps = cfg["chunk"], cfg["steps"]
    w_start = np.asarray(cfg["w_init"])
    pos = {"t": 0}

    def model_chunk():
        t = pos["t"]
        this = min(chunk, steps - t)
        part = LearningSchedule(*(np.asarray(getattr(schedule, k))[t:t + this]
                                  for k in ("in_spikes", "teacher", "teacher_on", "learn", "rest")))
        pos["t"] += this
        return run_schedule(model, part)

    fields = [*layer.neuron_layout.names, *layer.row_layout.names, "w"]
    changed = {"levels": 0}

    def read_chunk(this):
        got = unpack_trace(layer, [int(dut.trace[i].value) for i in range(this)])
        w = got["w"]
        before = np.concatenate([changed.get("last", w_start)[None], w[:-1]])
        changed["levels"] += int((w != before).sum())  # level changes the RTL made, step by step
        changed["last"] = w[-1]
        return got

    result = await run_chunked(dut, steps, chunk, fields, read_chunk, model_chunk, layer.n_out)
    # a learning bench where no weight moved would prove little of the update path: record and require it
    result["weight_changes"] = changed["levels"]
    with open(os.environ["NEUROXIDE_BENCH_RESULT"], "w") as f:
        json.dump(result, f)
    assert changed["levels"] > 0, "no weight changed during the run"
