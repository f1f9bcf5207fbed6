"""cocotb bench: the generated ``mtj-wta`` Verilog against ``WTAModel``, full state at every step.

As ``lif_bench``: the DUT (:class:`~neuroxide.testbench.wta_top.WTABenchTop`) runs each chunk free on
its on-chip excitatory stimulus; every neuron's v, ref, adapt, rng and spike are compared with the
winner-take-all model (lateral inhibition from the previous step's spikes) fed the same stimulus.
"""

import json
import os
import time

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

from neuroxide.fileio import write_text
from neuroxide.models.lif import LIFParams
from neuroxide.models.stimulus import StimulusModel, StimulusParams
from neuroxide.models.wta import WTAModel
from neuroxide.testbench.top import unpack_trace

CLOCK_NS = 10
FIELDS = ("v", "ref", "adapt", "rng", "spike")


@cocotb.test()
async def wta_matches_model(dut):
    with open(os.environ["NEUROXIDE_BENCH_CONFIG"]) as f:
        cfg = json.load(f)
    params = LIFParams(**cfg["params"])
    n, steps, chunk, seed = cfg["n"], cfg["steps"], cfg["chunk"], cfg["seed"]
    model = WTAModel(params, n, cfg.get("model_w_lat", cfg["w_lat"]), seed)   # model_w_lat: negative test only
    stimulus = StimulusModel(StimulusParams(**cfg["stimulus"]), n, seed, params.in_bits)

    cocotb.start_soon(Clock(dut.clk, CLOCK_NS, unit="ns").start())
    dut.rst.value = 1
    dut.go.value = 0
    await ClockCycles(dut.clk, 2)
    dut.rst.value = 0
    await RisingEdge(dut.clk)
    t_start = cocotb.utils.get_sim_time("ns")
    wall0 = time.perf_counter()
    mismatches, spikes, done_steps, free_run_s, first = 0, 0, 0, 0.0, None
    field_mismatches = {f: 0 for f in FIELDS}
    while done_steps < steps:
        this = min(chunk, steps - done_steps)
        dut.go.value = 1
        await RisingEdge(dut.clk)
        dut.go.value = 0
        t0 = time.perf_counter()
        await RisingEdge(dut.done)
        free_run_s += time.perf_counter() - t0
        got = unpack_trace([int(dut.trace[i].value) for i in range(this)], params, n)
        exc, _ = stimulus.generate(chunk)
        want = model.run(exc)
        bad = np.zeros(this, dtype=bool)
        for f in FIELDS:
            diff = np.any(want[f][:this] != got[f], axis=1)
            field_mismatches[f] += int(diff.sum())
            bad |= diff
        if bad.any() and first is None:
            t = int(np.argmax(bad))
            first = {"step": done_steps + t, "rtl": {f: got[f][t].tolist() for f in FIELDS},
                     "model": {f: want[f][t].tolist() for f in FIELDS}}
        mismatches += int(bad.sum())
        spikes += int(want["spike"][:this].sum())
        done_steps += this
        path = os.environ.get("NEUROXIDE_BENCH_PROGRESS")
        if path:
            write_text(path, f"{done_steps} {steps}\n")
        await RisingEdge(dut.clk)
    cycles = int((cocotb.utils.get_sim_time("ns") - t_start) // CLOCK_NS)
    result = {"steps": done_steps, "neurons": n, "cycles": cycles, "mismatches": mismatches,
              "field_mismatches": field_mismatches, "first_mismatch": first, "spikes": spikes,
              "bench_wall_s": round(time.perf_counter() - wall0, 3), "free_run_s": round(free_run_s, 3),
              "cycles_per_s": round(cycles / free_run_s, 1) if free_run_s else None}
    with open(os.environ["NEUROXIDE_BENCH_RESULT"], "w") as f:
        json.dump(result, f)
    assert spikes > 0, "the stimulus never made a neuron fire: the bench would prove nothing"
    assert mismatches == 0, f"RTL differs from the model on {mismatches} steps; first: {first}"
