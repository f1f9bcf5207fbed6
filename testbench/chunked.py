"""The free-running scoreboards shared by the cocotb benches.

:func:`run_chunked` serves the neuron benches (lif, dendrite, wta); :func:`run_whole` and
:func:`compare_columns` serve the benches that run a whole protocol in one go and report per
neuron (Izhikevich panels, HH stimuli); :func:`finish` writes any bench's result and asserts.

A bench top (e.g. :class:`neuroxide.testbench.top.LIFBenchTop`) has ``go``/``done`` and a ``trace``
memory of one word per step. For each chunk :func:`run_chunked` pulses ``go``, lets the simulator
run free until ``done`` (no Python per clock), reads the chunk's trace words through VPI and
compares every field at every step with the model; a step on which any field of any neuron
differs counts as one mismatch. The result JSON (``NEUROXIDE_BENCH_RESULT``) has ``steps, cycles,
mismatches``, per-field mismatch counts, the first mismatch and the simulator's free-run speed.
"""

import json
import os
import time

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

from neuroxide.fileio import write_text

__all__ = ["CLOCK_NS", "load_config", "report_progress", "start_bench", "run_free", "run_chunked", "run_whole",
           "compare_columns", "finish"]

CLOCK_NS = 10


def load_config():
    """The bench configuration the runner wrote (``NEUROXIDE_BENCH_CONFIG``)."""
    with open(os.environ["NEUROXIDE_BENCH_CONFIG"]) as f:
        return json.load(f)


def report_progress(done, total):
    path = os.environ.get("NEUROXIDE_BENCH_PROGRESS")
    if path:
        write_text(path, f"{done} {total}\n")  # atomic: the watcher never reads half a line


async def start_bench(dut):
    """Start the clock, hold reset for two cycles; returns with ``go`` low, one edge after reset."""
    cocotb.start_soon(Clock(dut.clk, CLOCK_NS, unit="ns").start())
    dut.rst.value = 1
    dut.go.value = 0
    await ClockCycles(dut.clk, 2)
    dut.rst.value = 0
    await RisingEdge(dut.clk)


async def run_free(dut):
    """Pulse ``go`` and let the simulator run free until ``done``; returns the wall seconds of the run."""
    dut.go.value = 1
    await RisingEdge(dut.clk)
    dut.go.value = 0
    t0 = time.perf_counter()
    await RisingEdge(dut.done)  # no Python per clock until the bench top is done
    return time.perf_counter() - t0


async def run_chunked(dut, steps, chunk, fields, read_chunk, model_chunk, neurons):
    """Run ``steps`` steps in chunks of ``chunk`` and compare ``fields`` at every step.

    ``read_chunk(this)`` returns ``{field: array (this, ...)}`` unpacked from the first ``this``
    trace words; ``model_chunk()`` advances the model by a whole ``chunk`` (the RTL always runs
    full chunks) and returns ``{field: array (chunk, ...)}``. The ``spike`` field counts spikes: a
    run without any would prove nothing and fails.
    """
    await start_bench(dut)
    t_start = cocotb.utils.get_sim_time("ns")
    wall0 = time.perf_counter()
    mismatches, spikes, done_steps, free_run_s, first = 0, 0, 0, 0.0, None
    field_mismatches = {f: 0 for f in fields}
    while done_steps < steps:
        this = min(chunk, steps - done_steps)
        free_run_s += await run_free(dut)
        got = read_chunk(this)
        want = {f: np.asarray(a)[:this] for f, a in model_chunk().items()}
        bad = np.zeros(this, dtype=bool)
        for f in fields:
            diff = (want[f] != got[f]).reshape(this, -1).any(axis=1)
            field_mismatches[f] += int(diff.sum())
            bad |= diff
        if bad.any() and first is None:
            t = int(np.argmax(bad))
            first = {"step": done_steps + t, "rtl": {f: np.asarray(got[f][t]).tolist() for f in fields},
                     "model": {f: want[f][t].tolist() for f in fields}}
        mismatches += int(bad.sum())
        spikes += int(want["spike"].sum())
        done_steps += this
        report_progress(done_steps, steps)
        await RisingEdge(dut.clk)
    cycles = int((cocotb.utils.get_sim_time("ns") - t_start) // CLOCK_NS)
    result = {"steps": done_steps, "neurons": neurons, "cycles": cycles, "mismatches": mismatches,
              "field_mismatches": field_mismatches, "first_mismatch": first, "spikes": spikes,
              "bench_wall_s": round(time.perf_counter() - wall0, 3), "free_run_s": round(free_run_s, 3),
              "cycles_per_s": round(cycles / free_run_s, 1) if free_run_s else None}
    return finish(result)


async def run_whole(dut, read_trace):
    """Reset, let the bench top run free through its whole protocol once, then read its trace.

    ``read_trace()`` unpacks the trace memory (called after ``done``). Returns ``(got, stats)``
    with ``stats = {"cycles", "free_run_s", "cycles_per_s"}``.
    """
    await start_bench(dut)
    t_start = cocotb.utils.get_sim_time("ns")
    free_run_s = await run_free(dut)  # the simulator runs free through every step
    cycles = int((cocotb.utils.get_sim_time("ns") - t_start) // CLOCK_NS)
    return read_trace(), {"cycles": cycles, "free_run_s": round(free_run_s, 3),
                          "cycles_per_s": round(cycles / free_run_s, 1) if free_run_s else None}


def compare_columns(got, want, fields, names, key):
    """Compare ``fields`` of ``got`` and ``want`` (each ``(steps, n)``), column ``j`` being neuron
    ``names[j]``. Returns ``(mismatches, per_name, first)``: steps on which any field of any neuron
    differed, ``{name: {"mismatches": steps}}`` and the first difference (``{key: name, "step",
    "rtl", "model"}``) or None."""
    steps = np.asarray(want[fields[0]]).shape[0]
    bad = np.zeros(steps, dtype=bool)
    per_name, first = {}, None
    for j, name in enumerate(names):
        diff = np.zeros(steps, dtype=bool)
        for f in fields:
            diff |= np.asarray(got[f])[:, j] != np.asarray(want[f])[:, j]
        bad |= diff
        per_name[name] = {"mismatches": int(diff.sum())}
        if diff.any() and first is None:
            t = int(np.argmax(diff))
            first = {key: name, "step": t, "rtl": {f: int(got[f][t, j]) for f in fields},
                     "model": {f: int(want[f][t, j]) for f in fields}}
    return int(bad.sum()), per_name, first


def finish(result, need_spikes=True):
    """Write ``result`` to ``NEUROXIDE_BENCH_RESULT`` and assert it: no mismatch, and (with
    ``need_spikes``) at least one spike, since a run without any would prove nothing."""
    with open(os.environ["NEUROXIDE_BENCH_RESULT"], "w") as f:
        json.dump(result, f)
    if need_spikes:
        assert result["spikes"] > 0, "the stimulus never made a neuron fire: the bench would prove nothing"
    assert result["mismatches"] == 0, \
        f"RTL differs from the model on {result['mismatches']} steps; first: {result['first_mismatch']}"
    return result
