"""Benchmarks of on-chip learning (``plastic-layer``): the model's weight updates per second, the core's
at its measured Fmax, and RTL vs model over >= 200 learning samples on Verilator.

A *weight update* is one synapse's level passed through the plasticity rule on one step: the model
applies the rule to all ``n_in * n_out`` synapses every learning step (it computes only the rows
and columns whose update can be nonzero, the others provably keep their level); the core
read-modify-writes every level once per learning step, ``2 N + 9`` cycles for ``N`` synapses
(``rtl.plastic_layer.step_cycles``), so its rate is ``Fmax * N / (2 N + 9)``.
"""

import time

import numpy as np

__all__ = ["PARTS", "BOARD_CONFIG", "bench_model", "bench_rtl", "bench_board"]

# the build measured for Fmax: the default plastic-layer (16 x 4, 4-bit levels, STDP) behind the host link
BOARD_CONFIG = {"n_in": 16, "n_out": 4}


def bench_model(layers=((16, 4), (64, 16), (784, 100)), steps=200, p_in=0.05, seed=1):
    """Model weight updates per second (STDP with WTA; SDSP) for a few layer sizes."""
    from neuroxide.models.lif import LIFParams
    from neuroxide.models.plasticity import PlasticityParams, PlasticLayer, PlasticModel
    out = {}
    rng = np.random.default_rng(seed)
    for n_in, n_out in layers:
        for rule in ("stdp-add", "sdsp"):
            layer = PlasticLayer(n_in, n_out, params=LIFParams(v_th=1500), lateral=300, teacher_drive=2500,
                                 plasticity=PlasticityParams(rule=rule, theta_m=600))
            model = PlasticModel(layer, rng.integers(0, 16, (n_in, n_out)))
            spikes = rng.random((steps, n_in)) < p_in
            teacher = np.arange(n_out) == 0 if rule == "sdsp" else None
            t0 = time.perf_counter()
            for t in range(steps):
                model.step(spikes[t], teacher)
            wall = time.perf_counter() - t0
            out[f"{n_in}x{n_out}/{rule}"] = {"steps": steps, "wall_s": round(wall, 3),
                                             "updates_per_s": round(n_in * n_out * steps / wall),
                                             "steps_per_s": round(steps / wall, 1)}
    return out


def bench_rtl(samples=200, steps_per_sample=20, simulator="verilator", build_dir="build/bench/plasticity"):
    """RTL vs model: every weight and state at every step over ``samples`` learning samples per rule."""
    from neuroxide.designs import configure
    from neuroxide.designs.plastic_layer import make_layer, make_schedule, make_weights
    from neuroxide.testbench.plastic_top import simulate_plastic
    out = {}
    for rule in ("stdp-add", "stdp-mult", "sdsp"):
        cfg = configure("plastic-layer", {"rule": rule, "steps_per_sample": steps_per_sample})
        steps = samples * steps_per_sample
        sched = make_schedule(cfg, steps)
        w0 = make_weights(cfg)
        res = simulate_plastic(make_layer(cfg), w0, sched, simulator, f"{build_dir}/{rule}", chunk=1000)
        out[rule] = {"samples": samples, "steps": res["steps"], "mismatches": res["mismatches"],
                     "synapses": cfg.n_in * cfg.n_out, "spikes": res["spikes"],
                     "weight_changes": res.get("weight_changes"), "cycles": res["cycles"],
                     "cycles_per_s": res["cycles_per_s"], "wall_s": res["wall_s"], "simulator": simulator}
    return out


def bench_board(board="ulx3s-85f", build_dir="build/bench/plasticity_boards"):
    """One nextpnr build of the host-linked core: resources, Fmax and the core's updates per second."""
    from neuroxide.designs import configure
    from neuroxide.designs.plastic_layer import make_layer
    from neuroxide.flow import build_design
    from neuroxide.rtl.plastic_layer import step_cycles
    cfg = configure("plastic-layer", BOARD_CONFIG)
    res = build_design(cfg, board, build_dir)
    layer = make_layer(cfg)
    n = layer.n_in * layer.n_out
    out = {k: res.get(k) for k in ("device", "luts", "ffs", "brams", "dsps", "fmax_mhz", "build_s")}
    out.update(board=board, config=BOARD_CONFIG, synapses=n, cycles_per_learning_step=step_cycles(layer))
    if res.get("fmax_mhz"):
        out["updates_per_s_at_fmax"] = round(res["fmax_mhz"] * 1e6 * n / step_cycles(layer))
        out["steps_per_s_at_fmax"] = round(res["fmax_mhz"] * 1e6 / step_cycles(layer))
    return out


# part name (``--only``) -> function returning a JSON-able dict
PARTS = {"plasticity-model": bench_model, "plasticity-rtl": bench_rtl, "plasticity-board": bench_board}
