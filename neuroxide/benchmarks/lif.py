"""Benchmarks of the ``lif`` design: model throughput, cocotb cycles/s, board resources and Fmax."""

import time

import numpy as np

__all__ = ["PARTS"]


def bench_model(neurons=1_000_000, steps=20, seed=1):
    from neuroxide.models.lif import LIFModel, LIFParams
    p = LIFParams(noise_bits=6, adapt_inc=100)
    model = LIFModel(p, neurons, seed)
    rng = np.random.default_rng(seed)
    exc = rng.integers(0, 600, size=neurons)
    inh = rng.integers(0, 200, size=neurons)
    model.step(exc, inh)  # warm-up
    t0 = time.perf_counter()
    for _ in range(steps):
        model.step(exc, inh)
    wall = time.perf_counter() - t0
    state_bytes = sum(getattr(model.state, f).nbytes for f in model.state.FIELDS)
    return {"neurons": neurons, "steps": steps, "wall_s": round(wall, 3),
            "neuron_steps_per_s": round(neurons * steps / wall), "state_bytes_per_neuron": state_bytes / neurons}


def bench_cocotb(simulators=None, steps=20_000, n=4, build_dir="build/bench/sim"):
    from neuroxide.designs import configure
    from neuroxide.flow import simulate_design
    from neuroxide.testbench.runner import available_simulators
    out = {}
    for sim in simulators or available_simulators():
        cfg = configure("lif", {"n": n, "noise_bits": 6, "adapt_inc": 150})
        res = simulate_design(cfg, sim, steps, build_dir)
        out[sim] = {k: res[k] for k in ("steps", "neurons", "cycles", "mismatches", "cycles_per_s", "build_s", "wall_s")}
    return out


def bench_boards(boards=("icebreaker", "ulx3s-85f"), n=4, build_dir="build/bench/boards"):
    from neuroxide.designs import configure
    from neuroxide.flow import build_design
    out = {}
    for board in boards:
        res = build_design(configure("lif", {"n": n}), board, build_dir)
        out[board] = {k: res.get(k) for k in ("device", "luts", "ffs", "brams", "dsps", "fmax_mhz", "build_s")}
    return out


# part name (``--only``) -> function returning a JSON-able dict
PARTS = {"model": bench_model, "cocotb": bench_cocotb, "boards": bench_boards}
