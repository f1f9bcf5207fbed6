"""Determinism: the same configuration gives byte-identical Verilog and identical results in every
process and on every machine (no source paths, no hash-order dependence, no platform-dependent
arithmetic on the integer path).

Two checks: two processes with different ``PYTHONHASHSEED`` (the second also on another BLAS kernel,
``OPENBLAS_CORETYPE``, which changed the digits training before it stopped using BLAS) agree, and
both agree with the SHA-256 digests committed in ``tests/data/determinism.json`` (made on the
development machine; a clone on another machine must reproduce them). The digests cover the default
Verilog of every design; integer model runs of the LIF, SNN-core, ONN (max-cut anneal of G1) and
Izhikevich rules; the shipped digits weights (``models/data/digits_mlp.npz``), the float network's
scores on the 540 test images, and the 4-bit integer network converted from those weights with its
predictions and spike counts (``neuroxide digits``'s default run, so its accuracy is the same
everywhere). After an intended change of the RTL or a model, regenerate them with::

    .venv/bin/python tests/test_determinism.py --write
"""

import json
import os
import subprocess
import sys
from pathlib import Path

GOLDEN = Path(__file__).parent / "data" / "determinism.json"

SCRIPT = r"""
import hashlib, json
import numpy as np

def digest(*arrays):
    m = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        # object arrays (the Izhikevich model's Python ints at 50-bit widths) hold pointers: hash the values
        data = repr(a.tolist()).encode() if a.dtype == object else a.tobytes()
        m.update(f"{a.dtype.str}{a.shape}".encode() + data)
    return m.hexdigest()

out = {}
from neuroxide.designs import DESIGNS, configure, to_verilog
for name in sorted(DESIGNS):
    text = to_verilog(configure(name, {}))
    assert "/work/" not in text and "/home/" not in text, name + ": machine path in Verilog"
    out["verilog/" + name] = hashlib.sha256(text.encode()).hexdigest()

from neuroxide.models.lif import LIFModel, LIFParams
rng = np.random.default_rng(3)
exc = rng.integers(0, 600, size=(300, 16))
t = LIFModel(LIFParams(noise_bits=6, adapt_inc=100, t_ref=2), 16, seed=5).run(exc, exc[::-1] // 3)
out["model/lif"] = digest(t.v, t.ref, t.adapt, t.rng, t.spike)

from neuroxide.models.snn import CoreLayer, CoreNetwork, SNNModel
rng = np.random.default_rng(7)
net = CoreNetwork((CoreLayer(rng.integers(0, 16, (32, 24)), rng.integers(0, 16, (32, 24)), 4,
                             LIFParams(noise_bits=4), 2, 3),
                   CoreLayer(rng.integers(0, 16, (24, 10)), rng.integers(0, 8, (24, 10)), 4, LIFParams(), 1, 0)),
                  seed=9)
tr = SNNModel(net, batch=8).run(rng.random((40, 8, 32)) < 0.3, record_state=True)
out["model/snn-core"] = digest(*tr.spikes, *(s[f] for s in tr.state for f in sorted(s)), tr.sops)

from neuroxide.models.gset import load_graph
from neuroxide.models.onn import solve_maxcut
r = solve_maxcut(load_graph("G1"), steps=200, restarts=4, seed=3)
out["model/onn-maxcut-G1"] = digest(np.array(r.cuts), np.asarray(r.spins))

from neuroxide.models.izhikevich import panel_inputs, run_fixed
_, coeffs, i_dt = panel_inputs(["A", "G", "R"])
iz = run_fixed(coeffs, i_dt)
out["model/izhikevich-AGR"] = digest(iz["v"], iz["u"], iz["spike"])

from neuroxide.models.ts_neuron import TSNeuronModel, calibrate_from_preset
rng = np.random.default_rng(11)
p = calibrate_from_preset("nbox").params
tt = TSNeuronModel(p, 8).run(rng.integers(0, p.in_max + 1, size=(400, 8)))
out["model/ts-neuron"] = digest(tt["v"], tt["on"], tt["spike"])

from neuroxide.models.crossbar import DeviceParams
from neuroxide.models.snn import float_forward
from neuroxide.models.train import PIXEL_MAX, TrainConfig, convert, load_digits_split, run_snn, trained_mlp
x_tr, _, x_te, _ = load_digits_split()
weights = trained_mlp(TrainConfig(), cache_dir=None)
out["weights/digits-mlp"] = digest(*weights)
out["float/digits-scores"] = digest(float_forward(weights, x_te / PIXEL_MAX)[0])
net, _ = convert(weights, x_tr, DeviceParams(weight_bits=4, grid_bits=8), seed=1, network_seed=1)
pred, spikes, sops = run_snn(net, x_te, 32, "rate", 1)
out["model/digits-4bit"] = digest(*(a for la in net.layers for a in (la.w_exc, la.w_inh)),
                                  np.array([(la.params.v_th, la.adc_shift) for la in net.layers]),
                                  pred, *(s.sum(axis=0) for s in spikes), sops)
print(json.dumps(out, sort_keys=True))
"""


def digests(hash_seed, cwd, **env_extra):
    env = dict(os.environ, PYTHONHASHSEED=str(hash_seed), **env_extra)
    proc = subprocess.run([sys.executable, "-c", SCRIPT], env=env, cwd=cwd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_identical_across_processes_and_equal_to_the_committed_digests(tmp_path):
    from neuroxide.designs import DESIGNS
    a = digests(1, tmp_path)
    b = digests(4242, tmp_path, OPENBLAS_CORETYPE="Prescott")  # another BLAS kernel (ignored where not OpenBLAS)
    assert {k.split("/", 1)[1] for k in a if k.startswith("verilog/")} == set(DESIGNS)
    assert a == b, sorted(k for k in a if a[k] != b.get(k))
    golden = json.loads(GOLDEN.read_text())
    changed = sorted(k for k in set(a) | set(golden) if a.get(k) != golden.get(k))
    assert not changed, (f"differs from {GOLDEN.name} (made on another run or machine): {changed}; after an "
                         "intended change regenerate with `python tests/test_determinism.py --write`")


def test_a_changed_configuration_changes_the_digest(tmp_path):
    """The digests are sensitive: one parameter changed gives another Verilog."""
    import hashlib

    from neuroxide.designs import configure, to_verilog
    a = hashlib.sha256(to_verilog(configure("lif", {})).encode()).hexdigest()
    b = hashlib.sha256(to_verilog(configure("lif", {"n": 2})).encode()).hexdigest()
    assert a != b


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/test_determinism.py --write   (regenerates tests/data/determinism.json)")
    d = digests(0, Path.cwd())
    GOLDEN.write_text(json.dumps(d, indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN} ({len(d)} digests)")
