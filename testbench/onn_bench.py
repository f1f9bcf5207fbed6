"""cocotb bench: the generated ONN core against ``ONNModel``, every phase and PRNG state at every step.

The DUT is :class:`neuroxide.testbench.onn_top.ONNBenchTop`. For each chunk the bench pulses
``go``, lets the simulator run free until ``done``, reads the chunk's trace (one word per
oscillator update: phase and xorshift state) and energy trace through VPI and compares them with
the model advanced by the same number of steps. The result JSON has ``steps, cycles, mismatches``
(steps on which any oscillator's phase or PRNG state, or the energy, differed), the first mismatch,
and the final cut when a graph was given.

Colour mode (``mode: colour`` in the configuration): the core holds its rows permuted by colour
(``models.onn_registers.ColourLayout`` of the graph's greedy colouring); the bench maps every trace
row back to its node and compares with ``ONNModel(params, J, seed, colours=...)`` in the graph's own
order, the energy with ``models.onn.colour_step_energy`` (what the colour-mode ENERGY register
holds). ``model_mode`` (``sync``, ``colour``, ``colour-reversed``) compares with another update
order instead, to prove the bench detects the difference. ``row_groups`` = k > 1 (colour mode): the
core updates k rows a clock, its rows in the layout of ``ColourLayout.of(J, row_groups=k, lanes=L)``
(each colour's rows balanced over the groups); the trace is still in row order, mapped back the
same way, and the model is the same colour-mode model (the order within a colour is immaterial).
"""

import time

import cocotb
import numpy as np
from cocotb.triggers import RisingEdge

from neuroxide.models.onn import ONNModel, ONNParams, colour_step_energy
from neuroxide.testbench.chunked import CLOCK_NS, finish, load_config, report_progress, run_free, start_bench


@cocotb.test()
async def onn_matches_model(dut):
    from neuroxide.models.gset import couplings_of
    cfg = load_config()
    params = ONNParams(**cfg["params"])
    # "model_params": compare against a different model, to prove the bench detects a difference
    model_params = ONNParams(**cfg.get("model_params", cfg["params"]))
    J, graph = couplings_of(cfg)
    n, steps, chunk = cfg["n"], cfg["steps"], cfg["chunk"]
    mode = cfg.get("mode", "sync")
    model_mode = cfg.get("model_mode", mode)
    layout = None
    if mode == "colour" or model_mode != "sync":
        from neuroxide.models.onn_registers import ColourLayout
        layout = ColourLayout.of(J, row_groups=cfg.get("row_groups", 1) if mode == "colour" else 1,
                                  lanes=cfg["lanes"], dense=bool(cfg["dense"]))
    model_colours = None
    if model_mode != "sync":
        model_colours = np.array(layout.colours)
        if model_mode == "colour-reversed":
            model_colours = model_colours.max() - model_colours
    model = ONNModel(model_params, J, cfg["seed"], 1, colours=model_colours)
    # core row k holds node row_node[k] (the identity in the synchronous mode)
    row_node = np.array(layout.order) if mode == "colour" else np.arange(n)

    await start_bench(dut)
    t_start = cocotb.utils.get_sim_time("ns")
    wall0 = time.perf_counter()
    fields = params.state_layout.names  # phase, rng
    mismatches = {**{f: 0 for f in fields}, "energy": 0}
    bad_steps = 0
    first = None
    done = 0
    free_run_s = 0.0
    read_s = 0.0
    from neuroxide.testbench.onn_top import unpack_trace
    flips = 0
    prev_spin = None
    while done < steps:
        this = min(chunk, steps - done)
        free_run_s += await run_free(dut)
        t1 = time.perf_counter()
        words = [dut.trace[i].value for i in range(chunk * n)]
        energies = [dut.etrace[i].value.to_signed() for i in range(chunk)]
        read_s += time.perf_counter() - t1
        got = unpack_trace([int(w) for w in words], params, n, chunk)
        for f in fields:  # core rows -> the graph's nodes
            by_node = np.empty_like(got[f])
            by_node[:, row_node] = got[f]
            got[f] = by_node
        phase = got["phase"]
        want_e = []
        want = params.state_layout.empty((chunk, n))
        for k in range(this):  # (not past the run: final_energy is the last step's)
            if model_colours is None:  # synchronous: the Ising energy of the phases before the step
                want_e.append(int(model.energy()[0]))
                model.step()
            else:  # colour mode: each row's spins as its colour read them
                before = model.phase[:, 0].copy()
                model.step()
                want_e.append(int(colour_step_energy(model_params, J, model_colours, before, model.phase[:, 0])))
            for f in fields:
                want[f][k] = getattr(model, f)[:, 0]
        de = np.array(energies[:this]) != np.array(want_e[:this])
        mismatches["energy"] += int(de.sum())
        bad = de
        for f in fields:
            diff = np.any(got[f][:this] != want[f][:this], axis=1)
            mismatches[f] += int(diff.sum())
            bad = bad | diff
        if bad.any() and first is None:
            k = int(np.argmax(bad))
            first = {"step": done + k, "rtl_phase": phase[k].tolist()[:32],
                     "model_phase": want["phase"][k].tolist()[:32], "rtl_energy": energies[k], "model_energy": want_e[k]}
        bad_steps += int(bad.sum())
        spin = ((phase[:this] + params.quarter) & params.phase_mask) < params.half
        if prev_spin is not None:
            spin = np.vstack([prev_spin[None], spin])
        flips += int((spin[1:] != spin[:-1]).sum())
        prev_spin = spin[-1]
        done += this
        report_progress(done, steps)
        await RisingEdge(dut.clk)
    cycles = int((cocotb.utils.get_sim_time("ns") - t_start) // CLOCK_NS)
    spins = np.where(((phase[this - 1] + params.quarter) & params.phase_mask) < params.half, 1, -1)
    result = {"steps": done, "oscillators": n, "cycles": cycles, "mismatches": bad_steps,
              "field_mismatches": mismatches, "first_mismatch": first,
              "bench_wall_s": round(time.perf_counter() - wall0, 3), "free_run_s": round(free_run_s, 3),
              "trace_read_s": round(read_s, 3),
              "cycles_per_s": round(cycles / free_run_s, 1) if free_run_s else None,
              "final_energy": int(model.energy()[0]), "spin_flips": flips, "spins": spins.tolist(),
              "mode": mode, "model_mode": model_mode, "colours": layout.n_colours if mode == "colour" else 1,
              "row_groups": layout.row_groups if mode == "colour" else 1}
    if graph is not None:
        from neuroxide.models.gset import cut_value
        result["cut"] = cut_value(graph, spins)
    finish(result, need_spikes=False)  # oscillators have no spikes
