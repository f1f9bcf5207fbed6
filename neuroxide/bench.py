"""Benchmarks (``make bench``): measured, written as JSON; never asserted in tests.

* model throughput: neuron-steps per second of ``LIFModel`` over 10**6 neurons, every feature on
* cocotb: simulated clock cycles per second while the simulator runs free, Icarus and Verilator
* boards: bitstream build time, LUTs, FFs, BRAMs, DSPs and Fmax of the ``lif`` top per board

Run ``python -m neuroxide.bench --out results/bench.json [--only model,cocotb,boards]``.
"""

import argparse
import json
import platform
import sys
import time

import numpy as np

__all__ = ["bench_model", "bench_cocotb", "bench_boards", "main"]


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


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="results/bench.json")
    ap.add_argument("--only", default="model,cocotb,boards", help="comma-separated subset")
    args = ap.parse_args(argv)
    parts = [s.strip() for s in args.only.split(",") if s.strip()]
    runners = {"model": bench_model, "cocotb": bench_cocotb, "boards": bench_boards}
    unknown = [p for p in parts if p not in runners]
    if unknown:
        print(f"error: --only {','.join(unknown)} unknown; allowed: {', '.join(runners)}", file=sys.stderr)
        return 2
    import amaranth
    import cocotb
    results = {"machine": {"python": platform.python_version(), "platform": platform.platform(),
                           "cpus": __import__("os").cpu_count()},
               "versions": {"amaranth": amaranth.__version__, "cocotb": cocotb.__version__, "numpy": np.__version__},
               "date": time.strftime("%Y-%m-%dT%H:%M:%S")}
    from tqdm import tqdm
    for part in tqdm(parts, desc="bench", unit="part", file=sys.stderr):
        t0 = time.perf_counter()
        results[part] = runners[part]()
        results[part + "_wall_s"] = round(time.perf_counter() - t0, 1)
    from neuroxide.fileio import write_json
    write_json(args.out, results)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
