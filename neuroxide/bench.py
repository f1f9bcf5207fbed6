"""Benchmarks (``make bench``): measured, written as JSON; never asserted in tests.

Parts are found in ``neuroxide/benchmarks/``: each module defines ``PARTS = {name: function}``,
each function returns a JSON-able dict of what it measured. The ``lif`` parts:

* model: neuron-steps per second of ``LIFModel`` over 10**6 neurons, every feature on
* cocotb: simulated clock cycles per second while the simulator runs free, Icarus and Verilator
* boards: bitstream build time, LUTs, FFs, BRAMs, DSPs and Fmax of the ``lif`` top per board

Run ``python -m neuroxide.bench --out results/bench.json [--only PART,PART]``.
"""

import argparse
import json
import platform
import sys
import time

import numpy as np

__all__ = ["discover", "main"]


def discover():
    """``{part: function}`` over every module of neuroxide.benchmarks, in module-name order."""
    from neuroxide.discovery import plugin_modules
    parts = {}
    for module in plugin_modules("neuroxide.benchmarks"):
        for name, func in getattr(module, "PARTS", {}).items():
            if name in parts:
                raise RuntimeError(f"benchmark part {name!r} defined twice")
            parts[name] = func
    return parts


def _load(path):
    try:
        with open(path) as f:
            data = json.load(f)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="results/bench.json")
    runners = discover()
    ap.add_argument("--only", default=",".join(runners), help="comma-separated subset of: " + ", ".join(runners))
    args = ap.parse_args(argv)
    parts = [s.strip() for s in args.only.split(",") if s.strip()]
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

    from neuroxide.fileio import write_json
    previous = _load(args.out)
    # parts run earlier and not re-run now are kept, so `--only PART` refreshes one figure
    results = {k: v for k, v in previous.items() if k in runners or k.removesuffix("_wall_s") in runners} | results
    for part in tqdm(parts, desc="bench", unit="part", file=sys.stderr):
        t0 = time.perf_counter()
        results[part] = runners[part]()
        results[part + "_wall_s"] = round(time.perf_counter() - t0, 1)
        write_json(args.out, results)  # after every part: a long run interrupted keeps what it measured
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
