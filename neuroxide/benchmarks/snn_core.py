"""Benchmarks of the ``snn-core`` design: SOP/cycle, cycles per step, cocotb speed, board figures.

Parts (``python -m neuroxide.bench --only PART --out results/bench.json``):

* ``snn-core-cycles``: cycles per step and synaptic operations (SOP) per cycle of the digits-sized
  core (64-64-10, 4-bit weights) against input density, ``lanes`` and ``neurons_per_clock``, from
  the exact cycle model
  (``rtl.snn_core.step_cycles``, itself checked against the RTL by the tests) over the model's
  own spikes.
* ``snn-core-sim``: the cocotb bench on each simulator (full-state comparison every step): steps,
  cycles, mismatches, SOP/cycle measured on the RTL, simulated cycles per wall second.
* ``snn-core-boards``: place and route on iCEBreaker and ULX3S-85F behind the UART host link:
  LUT/FF/BRAM/DSP, Fmax, and SOP/s at Fmax (SOP/cycle of the same configuration x Fmax).
* ``snn-core-conv``: the N-MNIST CNN's shape (``designs.snn_core.make_cnn_network``: 2x34x34 -> conv
  4096 -> conv 4096 -> conv 512 -> 256 -> 10, random kernels, weight-shared conv layers) on event-like
  input: network build time, ``SNNModel`` time per step at batch 1 and 64 and its peak traced memory,
  the core's cycles per step and SOP/cycle from the exact cycle model (``rtl.snn_core.run_cycles``,
  checked against the RTL by tests/test_snn_conv_rtl.py) at several (lanes, neurons_per_clock), and
  the memory plan (blocks needed vs available) on ULX3S-85F and iCE40UP5K at 4 and 8-bit weights.
* ``snn-core-delay-build``: the delay line on the ULX3S-85F: the digits network built without and
  with a random 0..31-step axonal delay on every input row of both layers (resources, Fmax).
* ``snn-core``: the first three.
"""

import numpy as np

__all__ = ["PARTS", "BOARD_CONFIGS"]

DIGITS = {"n_in": 64, "n_hidden": 64, "n_out": 10, "weight_bits": 4}
# the configuration built for each board: lanes 4 and one neuron lane fit the iCE40UP5K; on the
# ECP5-85F lanes 16 with 4 neuron lanes (the design's own default there, 64 lanes and 16 neuron lanes,
# did not finish placement in 40 minutes on the 2-core development machine)
BOARD_CONFIGS = {"icebreaker": DIGITS | {"lanes": 4, "neurons_per_clock": 1},
                 "ulx3s-85f": DIGITS | {"lanes": 16, "neurons_per_clock": 4}}
POINTS = ((4, 1), (16, 1), (16, 4), (64, 4), (64, 8), (64, 16), (128, 16))  # (lanes, neurons_per_clock)


def bench_cycles(points=POINTS, p_in=(16, 64, 128, 256), steps=200):
    """Cycles per step and SOP/cycle of the digits-sized core from the exact cycle model
    (``rtl.snn_core.step_cycles``, checked against the RTL by tests/test_snn_core_rtl.py) over the
    model's own spikes, for each (lanes, neurons_per_clock) and input rate."""
    from neuroxide.designs import configure
    from neuroxide.designs.snn_core import make_input, make_network
    from neuroxide.models.snn import SNNModel
    from neuroxide.rtl.snn_core import run_cycles
    rows = []
    for p in p_in:
        cfg = configure("snn-core", DIGITS | {"p_in": p})
        net = make_network(cfg)
        s = make_input(cfg, steps)
        trace = SNNModel(net, 1).run(s)
        sops = int(trace.sops[0])
        for lanes, npc in points:
            # the whole run: steps overlap (the next step's input is read during this one's last layers)
            cycles = run_cycles(net, lanes, s[:, 0].sum(axis=1), [trace.spikes[k][:, 0] for k in range(len(net.layers))],
                                npc)[-1] + 1
            rows.append({"p_in": p, "lanes": lanes, "neurons_per_clock": npc,
                         "input_events_per_step": round(float(s[:, 0].sum(axis=1).mean()), 2),
                         "hidden_spikes_per_step": round(float(trace.spikes[0][:, 0].sum(axis=1).mean()), 2),
                         "cycles_per_step": round(cycles / steps, 1), "sop_per_cycle": round(sops / cycles, 3)})
    return {"network": "64-64-10, 4-bit weights", "steps": steps, "rows": rows}


def bench_sim(simulators=None, steps=2000, lanes=(16, 64), build_dir="build/bench/snn_sim"):
    """The cocotb bench per simulator and lanes (neurons_per_clock: the design's automatic choice)."""
    from neuroxide.designs import configure
    from neuroxide.flow import simulate_design
    from neuroxide.testbench.runner import available_simulators
    out = {}
    for sim in simulators or available_simulators():
        for n in lanes:
            cfg = configure("snn-core", DIGITS | {"lanes": n})
            res = simulate_design(cfg, sim, steps, f"{build_dir}/lanes{n}")
            out[f"{sim}-lanes{n}"] = {k: res[k] for k in ("steps", "cycles", "mismatches", "sops", "sop_per_cycle",
                                                          "cycles_per_s", "build_s", "wall_s", "spikes")}
            out[f"{sim}-lanes{n}"]["cycles_per_step"] = round(res["cycles"] / res["steps"], 1)
    return out


def bench_boards(boards=("icebreaker", "ulx3s-85f"), build_dir="build/bench/snn_boards", cycles=None):
    from neuroxide.designs import configure
    from neuroxide.flow import build_design
    cycles = cycles or bench_cycles(points=[(c["lanes"], c["neurons_per_clock"]) for c in BOARD_CONFIGS.values()],
                                    p_in=(64, 256))
    out = {}
    for board in boards:
        params = BOARD_CONFIGS[board]
        res = build_design(configure("snn-core", params), board, build_dir)
        row = {k: res.get(k) for k in ("device", "luts", "ffs", "brams", "dsps", "fmax_mhz", "clock_mhz", "timing_met",
                                       "build_s", "critical_path")}
        row["lanes"], row["neurons_per_clock"] = params["lanes"], params["neurons_per_clock"]
        for r in cycles["rows"]:
            if (r["lanes"], r["neurons_per_clock"]) == (params["lanes"], params["neurons_per_clock"]) and res.get("fmax_mhz"):
                row[f"msop_per_s_at_fmax_p_in{r['p_in']}"] = round(r["sop_per_cycle"] * res["fmax_mhz"], 1)
                row[f"sop_per_cycle_p_in{r['p_in']}"] = r["sop_per_cycle"]
        out[board] = row
    return out


def bench_all():
    cycles = bench_cycles()
    return {"cycles": cycles, "sim": bench_sim(), "boards": bench_boards(cycles=cycles)}


CNN_POINTS = ((4, 4), (8, 8), (16, 8), (16, 16), (32, 16))  # (lanes, neurons_per_clock)


def bench_conv(steps=20, batch=64, points=CNN_POINTS, seed=1):
    """The N-MNIST CNN's shape on the conv core (module docstring): model speed and memory, cycles
    per step from the exact cycle model over the model's own spikes, memory plans."""
    import time
    import tracemalloc

    from neuroxide.designs.snn_core import make_cnn_network, make_event_input
    from neuroxide.errors import ParameterError
    from neuroxide.models.snn import SNNModel
    from neuroxide.models.snn_capacity import plan
    from neuroxide.rtl.snn_core import run_cycles
    tracemalloc.start()
    t0 = time.perf_counter()
    net = make_cnn_network(seed=seed, weight_bits=8)
    build_s = time.perf_counter() - t0
    out = {"network": "-".join(map(str, net.sizes)) + " (conv 5x5/2, 3x3, 6x6/2, dense, dense; 8-bit)",
           "stored_weights": int(sum(layer.w_exc.size for layer in net.layers)),
           "network_build_s": round(build_s, 4), "steps": steps, "model": {}}
    s1 = make_event_input((2, 34, 34), steps, batch=batch, seed=seed)
    for b in (1, batch):
        model = SNNModel(net, b)
        t0 = time.perf_counter()
        trace = model.run(s1[:, :b])
        dt = time.perf_counter() - t0
        out["model"][f"batch{b}"] = {"ms_per_step": round(1000 * dt / steps, 2),
                                     "sample_steps_per_s": round(b * steps / dt, 1)}
        if b == 1:
            first = trace
    out["model"]["peak_traced_mb"] = round(tracemalloc.get_traced_memory()[1] / 1e6, 1)
    tracemalloc.stop()
    x = s1[:, 0]
    out["input_events_per_step"] = round(float(x.sum(axis=1).mean()), 1)
    out["spikes_per_step"] = [round(float(sp[:, 0].sum(axis=1).mean()), 1) for sp in first.spikes]
    sops = int(first.sops[0])
    rows = []
    for lanes, npc in points:
        cycles = run_cycles(net, lanes, list(x.astype(bool)), [sp[:, 0] for sp in first.spikes], npc)[-1] + 1
        rows.append({"lanes": lanes, "neurons_per_clock": npc, "cycles_per_step": round(cycles / steps, 1),
                     "sop_per_cycle": round(sops / cycles, 2)})
    out["cycles"] = rows
    plans = {}
    for board in ("ulx3s-85f", "icebreaker"):
        for wb in (4, 8):
            for lanes in (4, 16):
                try:
                    p = plan(make_cnn_network(seed=seed, weight_bits=wb), lanes, board)
                    plans[f"{board}-{wb}bit-lanes{lanes}"] = {"fits": p.fits, "bram_needed": p.bram_needed,
                                                              "bram_available": p.device.bram,
                                                              "spram_needed": p.spram_needed}
                except ParameterError as err:
                    plans[f"{board}-{wb}bit-lanes{lanes}"] = {"fits": False, "error": str(err)}
    out["memory_plan"] = plans
    return out


def bench_delay_build(board="ulx3s-85f", max_delay=31, seed=1, build_dir="build/bench/snn_delay"):
    """The delay line on a board: the digits network of ``BOARD_CONFIGS[board]`` built twice behind
    the UART host link, without delays and with a random axonal delay (0..``max_delay`` steps, seed
    ``seed``) on every input row of both layers (``CoreLayer.delay``: each delayed layer gets its
    delay line); LUTs, FFs, BRAM, DSP and Fmax of each and the difference the delay lines cost."""
    import dataclasses
    import json
    from pathlib import Path

    from neuroxide.designs import configure
    from neuroxide.designs.snn_core import make_network
    from neuroxide.errors import ToolchainError
    from neuroxide.flow import build_design
    from neuroxide.models.snn import CoreNetwork, network_to_dict
    params = BOARD_CONFIGS[board]
    plain = make_network(configure("snn-core", params))
    rng = np.random.default_rng(seed)
    delayed = CoreNetwork(tuple(dataclasses.replace(la, delay=rng.integers(0, max_delay + 1, la.n_in))
                                for la in plain.layers), seed=plain.seed)
    out = {"board": board, "max_delay": max_delay, "layers": [[la.n_in, la.n_out] for la in plain.layers]}
    for key, net in (("no_delay", plain), ("delay", delayed)):
        path = Path(build_dir) / f"{key}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(network_to_dict(net)))
        over = {"network": str(path), "lanes": params["lanes"], "neurons_per_clock": params["neurons_per_clock"]}
        try:
            res = build_design(configure("snn-core", over), board, f"{build_dir}/{key}")
        except ToolchainError as err:  # does not fit: the message carries nextpnr's reason
            out[key] = {"error": str(err).splitlines()[-2:]}
            continue
        out[key] = {k: res.get(k) for k in ("device", "luts", "ffs", "brams", "dsps", "fmax_mhz", "clock_mhz",
                                            "timing_met", "build_s")}
    if "error" not in out["delay"] and "error" not in out["no_delay"]:
        out["delay_cost"] = {k: (out["delay"][k] or 0) - (out["no_delay"][k] or 0) for k in ("luts", "ffs", "brams")}
    return out


PARTS = {"snn-core": bench_all, "snn-core-cycles": bench_cycles, "snn-core-sim": bench_sim,
         "snn-core-boards": bench_boards, "snn-core-conv": bench_conv, "snn-core-delay-build": bench_delay_build}
