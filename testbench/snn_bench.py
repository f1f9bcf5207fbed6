"""cocotb bench of the SNN core: generated Verilog against ``models.snn.SNNModel``, every step.

The DUT is :class:`neuroxide.testbench.snn_top.SNNBenchTop`: the whole input (all samples, all
steps) is preloaded as event words, and per chunk the core runs free (no Python per clock) while
every neuron write-back lands in the trace memory. The bench reads each chunk's trace through VPI
and compares the full state (every field of the layer's ``CoreLayer.state_layout``: v, ref, adapt,
rng, spike, and syn where present) of every neuron of every layer at every step with the model run
on the same input (samples of a batch run one after another with a state reset between them,
exactly as the model's independent batch rows).

Host side: :func:`run_network` (the ``neuroxide digits --backend rtl`` hook of
docs/snn_contract.md) writes the Verilog and the network, builds Icarus or Verilator, runs this
module and returns the RTL's spikes, the mismatch count and the cycle/SOP figures.
"""

import json
import os
import time
from pathlib import Path

import cocotb
import numpy as np
from cocotb.triggers import RisingEdge

from neuroxide.errors import ParameterError
from neuroxide.testbench.chunked import CLOCK_NS, report_progress, start_bench

__all__ = ["run_network", "network_to_dict", "network_from_dict", "DEFAULT_LANES", "MAX_TRACE_WORDS", "MAX_TRACE_TOTAL"]

DEFAULT_LANES = 8
MAX_TRACE_WORDS = 1 << 16  # trace memory depth: a chunk holds this many neuron write-backs
# ... and all neuron lanes' trace memories together at most this many words (each memory is a chunk
# deep and is written out element by element into the Verilog: Verilator's build grows with them)
MAX_TRACE_TOTAL = 1 << 17


def network_to_dict(network):
    from neuroxide.models.snn import network_to_dict as to_dict
    return to_dict(network)


def network_from_dict(d):
    from neuroxide.models.snn import network_from_dict as from_dict
    return from_dict(d)


def run_network(network, in_spikes, simulator=None, build_dir="build/snn_rtl", progress=None, lanes=DEFAULT_LANES,
                waves=None, model_network=None, chunk=None, neurons_per_clock=None, netlist=None,
                weight_format="pair"):
    """Run ``network`` on the SNN core's Verilog in ``simulator`` (icarus | verilator, default: the
    first available) over ``in_spikes`` (0/1 ``(steps, batch, n_in)``; samples one after another,
    state reset between them) and compare with ``SNNModel`` at every step.

    Returns ``{"spikes": [per layer bool (steps, batch, n_out)], "mismatches": steps (over all
    samples) on which any state field or spike of any neuron differed, "field_mismatches",
    "first_mismatch", "cycles" (clock cycles of the free runs), "busy_cycles" (cycles the core was
    running steps), "sops", "sops_rtl" (the core's own SOP counter), "sop_per_cycle", "simulator",
    "steps", "batch", "lanes", "wall_s", "build_s", "cycles_per_s"}``. ``model_network``: compare
    against a different model (the negative test). ``progress(done, total)`` counts steps.
    ``neurons_per_clock``: parallel neuron lanes (None: ``rtl.snn_core.default_neurons_per_clock(lanes, network)``).
    ``netlist(verilog_text, build_dir) -> (verilog_text, extra_sources, includes)``: replace the core by
    another netlist before the run (the post-synthesis one: :func:`neuroxide.testbench.gatelevel.snn_netlist_hook`).
    ``weight_format``: the core's weight memory format (``pair`` | ``signed``, docs/snn_core.md).
    """
    from amaranth.back import verilog

    from neuroxide.models.snn import CoreNetwork
    from neuroxide.rtl.snn_core import default_neurons_per_clock
    from neuroxide.testbench.runner import default_simulator, run_bench
    from neuroxide.testbench.snn_top import SNNBenchTop, event_words

    t0 = time.perf_counter()
    if not isinstance(network, CoreNetwork):
        raise ParameterError("network", type(network).__name__, "a CoreNetwork")
    s = np.asarray(in_spikes)
    if s.ndim != 3 or s.shape[2] != network.n_in:
        raise ParameterError("in_spikes", f"shape {s.shape}", f"(steps, batch, {network.n_in})")
    if s.dtype.kind not in "iub" or (s.size and (s.min() < 0 or s.max() > 1)):
        raise ParameterError("in_spikes", "values", "0/1 integers or bools")
    steps, batch = s.shape[:2]
    if steps < 1 or batch < 1:
        raise ParameterError("in_spikes", f"shape {s.shape}", "at least one step and one sample")
    simulator = simulator or default_simulator()
    total = steps * batch
    n = network.n_neurons
    if chunk is None:
        lanes_p = neurons_per_clock or default_neurons_per_clock(lanes, network)
        chunk = max(1, min(total, MAX_TRACE_WORDS // n, MAX_TRACE_TOTAL // (n * lanes_p)))
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise ParameterError("chunk", chunk, "an integer >= 1")
    chunk = min(chunk, total)
    build_dir = Path(build_dir) / simulator
    build_dir.mkdir(parents=True, exist_ok=True)
    np.save(build_dir / "in_spikes.npy", s.astype(np.uint8))
    if neurons_per_clock is None:
        neurons_per_clock = default_neurons_per_clock(lanes, network)
    top = SNNBenchTop(network, lanes, event_words(s), chunk, neurons_per_clock, weight_format)
    text = verilog.convert(top, name="snn_bench", emit_src=False)
    config = {"network": network_to_dict(network), "lanes": lanes, "chunk": chunk,
              "neurons_per_clock": top.core.neurons_per_clock,
              "in_spikes": str((build_dir / "in_spikes.npy").resolve()),
              "spikes_out": str((build_dir / "rtl_spikes.npz").resolve())}
    if model_network is not None:
        config["model_network"] = network_to_dict(model_network)
    extra_sources, includes = (), ()
    if netlist is not None:  # the post-synthesis core instead of its RTL (testbench.gatelevel.snn_netlist_hook)
        text, extra_sources, includes = netlist(text, build_dir)
    res = run_bench(simulator, text, "snn_bench", "neuroxide.testbench.snn_bench", config, build_dir,
                    waves=waves, progress=progress, extra_sources=extra_sources, includes=includes)
    with np.load(config["spikes_out"]) as z:
        spikes = [z[f"layer{k}"].astype(bool) for k in range(len(network.layers))]
    return res | {"spikes": spikes, "simulator": simulator, "lanes": lanes,
                  "neurons_per_clock": top.core.neurons_per_clock, "wall_s": round(time.perf_counter() - t0, 3)}


# --- the cocotb side ----------------------------------------------------------------------------

@cocotb.test()
async def snn_core_matches_model(dut):
    from neuroxide.models.snn import SNNModel
    from neuroxide.testbench.snn_top import trace_lane, unpack_trace

    with open(os.environ["NEUROXIDE_BENCH_CONFIG"]) as f:
        cfg = json.load(f)
    net = network_from_dict(cfg["network"])
    model_net = network_from_dict(cfg["model_network"]) if "model_network" in cfg else net
    s = np.load(cfg["in_spikes"]).astype(bool)
    steps, batch = s.shape[:2]
    total, chunk, n = steps * batch, cfg["chunk"], net.n_neurons
    want = SNNModel(model_net, batch).run(s, record_state=True)

    await start_bench(dut)
    lanes = trace_lane(net, cfg["neurons_per_clock"])
    traces = [getattr(dut, f"trace{q}") for q in range(cfg["neurons_per_clock"])]
    wall0 = time.perf_counter()

    # per layer: the fields of its state layout that the model's layer has too (a negative test's may differ)
    compared = [[f for f in la.state_layout.names if f in model_la.state_layout]
                for la, model_la in zip(net.layers, model_net.layers)]
    field_mismatches = {f: 0 for f in net.state_layout.names}
    rtl_spikes = [np.zeros((steps, batch, la.n_out), dtype=bool) for la in net.layers]
    mismatches, first, done_steps, cycles, free_run_s = 0, None, 0, 0, 0.0
    bad_steps = []  # (sample, step) of the first 64 mismatching steps
    while done_steps < total:
        this = min(chunk, total - done_steps)
        t_go = cocotb.utils.get_sim_time("ns")
        dut.go.value = 1
        await RisingEdge(dut.clk)
        dut.go.value = 0
        t1 = time.perf_counter()
        await RisingEdge(dut.done)
        free_run_s += time.perf_counter() - t1
        cycles += int((cocotb.utils.get_sim_time("ns") - t_go) // CLOCK_NS)
        words = [int(traces[q][i].value) for i, q in enumerate(np.tile(lanes, this))]
        got = unpack_trace(words, net)
        g = np.arange(done_steps, done_steps + this)
        b_idx, t_idx = g // steps, g % steps  # sample-major order of the event stream
        bad = np.zeros(this, dtype=bool)
        for k, layer in enumerate(got):
            rtl_spikes[k][t_idx, b_idx] = layer["spike"].astype(bool)
            for f in compared[k]:
                ref = want.spikes[k][t_idx, b_idx] if f == "spike" else want.state[k][f][t_idx, b_idx]
                diff = np.any(layer[f] != ref, axis=1)
                field_mismatches[f] += int(diff.sum())
                bad |= diff
        if bad.any() and first is None:
            r = int(np.argmax(bad))
            first = {"sample": int(b_idx[r]), "step": int(t_idx[r]),
                     "rtl": [{f: la[f][r].tolist() for f in la} for la in got],
                     "model": [{f: (want.spikes[k][t_idx[r], b_idx[r]] if f == "spike" else
                                    want.state[k][f][t_idx[r], b_idx[r]]).tolist()
                                for f in compared[k]} for k in range(len(got))]}
        mismatches += int(bad.sum())
        bad_steps += [(int(b_idx[r]), int(t_idx[r])) for r in np.flatnonzero(bad)][:64 - len(bad_steps)]
        done_steps += this
        report_progress(done_steps, total)
        await RisingEdge(dut.clk)

    busy = int(dut.busy_cycles.value)
    sops_rtl = int(dut.sops.value)
    sops = int(want.sops.sum())
    np.savez(cfg["spikes_out"], **{f"layer{k}": a for k, a in enumerate(rtl_spikes)})
    result = {"steps": steps, "batch": batch, "neurons": n, "cycles": cycles, "busy_cycles": busy,
              "mismatches": mismatches, "field_mismatches": field_mismatches, "first_mismatch": first,
              "mismatch_steps": bad_steps, "spikes_total": int(sum(a.sum() for a in rtl_spikes)), "sops": sops, "sops_rtl": sops_rtl,
              "sop_per_cycle": round(sops / cycles, 4) if cycles else None,
              "sop_per_busy_cycle": round(sops / busy, 4) if busy else None,
              "bench_wall_s": round(time.perf_counter() - wall0, 3), "free_run_s": round(free_run_s, 3),
              "cycles_per_s": round(cycles / free_run_s, 1) if free_run_s else None}
    with open(os.environ["NEUROXIDE_BENCH_RESULT"], "w") as f:
        json.dump(result, f)
    assert mismatches == 0, f"RTL differs from the model on {mismatches} steps; first: {first}"
    assert sops_rtl == sops % (1 << 32) or "model_network" in cfg, f"SOP counter {sops_rtl} != {sops}"
