"""Determinism: the same configuration gives byte-identical Verilog in every process and on every
machine (no source paths, no hash-order dependence), and identical model results."""

import json
import os
import subprocess
import sys

import numpy as np

from neuroxide.designs import DESIGNS

SCRIPT = """
import hashlib, json
from neuroxide.designs import DESIGNS, configure, to_verilog
out = {}
for name in sorted(DESIGNS):
    text = to_verilog(configure(name, {}))
    assert "/work/" not in text and "/home/" not in text, name + ": machine path in Verilog"
    out[name] = hashlib.sha256(text.encode()).hexdigest()
print(json.dumps(out))
"""


def _shas(hash_seed, tmp_path):
    env = dict(os.environ, PYTHONHASHSEED=str(hash_seed))
    proc = subprocess.run([sys.executable, "-c", SCRIPT], env=env, cwd=tmp_path, capture_output=True, text=True,
                          check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_verilog_of_every_design_is_byte_identical_across_processes(tmp_path):
    a = _shas(1, tmp_path)
    b = _shas(4242, tmp_path)
    assert set(a) == set(DESIGNS)
    assert a == b


def test_lif_model_runs_are_identical():
    from neuroxide.models.lif import LIFModel, LIFParams
    p = LIFParams(noise_bits=6, adapt_inc=100)
    rng = np.random.default_rng(3)
    exc = rng.integers(0, 600, size=(200, 16))
    runs = []
    for _ in range(2):
        model = LIFModel(p, 16, seed=5)
        runs.append(model.run(exc, np.zeros_like(exc)))
    for field in ("v", "ref", "adapt", "rng", "spike"):
        assert np.array_equal(getattr(runs[0], field), getattr(runs[1], field)), field
