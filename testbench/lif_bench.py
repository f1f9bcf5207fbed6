"""cocotb bench: the generated ``lif`` Verilog against ``LIFModel``, full state at every step.

The DUT is :class:`neuroxide.testbench.top.LIFBenchTop`. For each chunk the bench pulses ``go``,
lets the simulator run free until ``done`` (no Python per clock), reads the chunk's trace words
through VPI and compares every field of every neuron at every step with the model driven by the
same stimulus (``StimulusModel``). The result JSON has ``steps, cycles, mismatches`` (steps on
which any field of any neuron differed), per-field mismatch counts and the first mismatch.
"""

import json
import os
import time

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

from neuroxide.fileio import write_text
from neuroxide.models.lif import LIFModel, LIFParams
from neuroxide.models.stimulus import StimulusModel, StimulusParams
from neuroxide.testbench.top import unpack_trace

CLOCK_NS = 10


def load_config():
    with open(os.environ["NEUROXIDE_BENCH_CONFIG"]) as f:
        cfg = json.load(f)
    # "model_params" lets a test give the model different constants from the RTL, to prove that
    # the bench does detect a difference; normally absent
    model_params = LIFParams(**cfg.get("model_params", cfg["params"]))
    return cfg, LIFParams(**cfg["params"]), model_params, StimulusParams(**cfg["stimulus"])


def report_progress(done, total):
    path = os.environ.get("NEUROXIDE_BENCH_PROGRESS")
    if path:
        write_text(path, f"{done} {total}\n")  # atomic: the watcher never reads half a line


@cocotb.test()
async def lif_matches_model(dut):
    cfg, params, model_params, stim_params = load_config()
    n, steps, chunk, seed = cfg["n"], cfg["steps"], cfg["chunk"], cfg["seed"]
    model = LIFModel(model_params, n, seed)
    stimulus = StimulusModel(stim_params, n, seed, params.in_bits)

    cocotb.start_soon(Clock(dut.clk, CLOCK_NS, unit="ns").start())
    dut.rst.value = 1
    dut.go.value = 0
    await ClockCycles(dut.clk, 2)
    dut.rst.value = 0
    await RisingEdge(dut.clk)
    t_start = cocotb.utils.get_sim_time("ns")
    wall0 = time.perf_counter()

    mismatches = 0
    field_mismatches = {f: 0 for f in ("v", "ref", "adapt", "rng", "spike")}
    first = None
    spikes = 0
    done_steps = 0
    free_run_s = 0.0
    while done_steps < steps:
        this = min(chunk, steps - done_steps)
        dut.go.value = 1
        await RisingEdge(dut.clk)
        dut.go.value = 0
        t0 = time.perf_counter()
        await RisingEdge(dut.done)  # the simulator runs free for the whole chunk
        free_run_s += time.perf_counter() - t0
        words = [int(dut.trace[i].value) for i in range(this)]
        got = unpack_trace(words, params, n)
        exc, inh = stimulus.generate(chunk)  # the RTL advanced a full chunk; compare the first `this`
        want = model.run(exc, inh)
        bad = np.zeros(this, dtype=bool)
        for f in field_mismatches:
            diff = np.any(getattr(want, f)[:this] != got[f], axis=1)
            field_mismatches[f] += int(diff.sum())
            bad |= diff
        if bad.any() and first is None:
            t = int(np.argmax(bad))
            first = {"step": done_steps + t,
                     "rtl": {f: got[f][t].tolist() for f in field_mismatches},
                     "model": {f: getattr(want, f)[t].tolist() for f in field_mismatches}}
        mismatches += int(bad.sum())
        spikes += int(want.spike[:this].sum())
        done_steps += this
        report_progress(done_steps, steps)
        await RisingEdge(dut.clk)

    cycles = int((cocotb.utils.get_sim_time("ns") - t_start) // CLOCK_NS)
    wall = time.perf_counter() - wall0
    result = {"steps": done_steps, "neurons": n, "cycles": cycles, "mismatches": mismatches,
              "field_mismatches": field_mismatches, "first_mismatch": first, "spikes": spikes,
              "bench_wall_s": round(wall, 3), "free_run_s": round(free_run_s, 3),
              "cycles_per_s": round(cycles / free_run_s, 1) if free_run_s else None}
    with open(os.environ["NEUROXIDE_BENCH_RESULT"], "w") as f:
        json.dump(result, f)
    assert spikes > 0, "the stimulus never made a neuron fire: the bench would prove nothing"
    assert mismatches == 0, f"RTL differs from the model on {mismatches} steps; first: {first}"
