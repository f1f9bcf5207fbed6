"""Associative memory on the ONN: store patterns, corrupt them, let the oscillators lock.

    python examples/hopfield.py [N] [patterns]
"""

import sys

import numpy as np

from neuroxide.models import hopfield as hf

n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
p = int(sys.argv[2]) if len(sys.argv) > 2 else 10
patterns = hf.random_patterns(n, p, seed=1)
for rule in ("hebbian", "storkey"):
    W = hf.hebbian(patterns) if rule == "hebbian" else hf.storkey(patterns)
    J = hf.quantise(W, 5)
    for flipped in (0.1, 0.2, 0.3):
        probes = hf.corrupt(patterns, flipped, seed=2)
        onn = (hf.retrieve_onn_model(J, probes) == patterns).mean()
        ref = (hf.retrieve_float_hopfield(W, probes, seed=3) == patterns).mean()
        print(f"{rule:8s} {flipped:.0%} flipped: ONN {100 * onn:.1f} %, float Hopfield {100 * ref:.1f} % pixels "
              f"(probe {100 * np.mean(probes == patterns):.0f} %)")
