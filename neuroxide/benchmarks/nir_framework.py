"""A real framework's own NIR export and its own simulation, against the core's float and model runs.

Part ``nir-framework``: Spyx (JAX; PyPI ``spyx``) is installed, once, in its own virtual environment
(``build/.venv-nir-spyx``, exact pins below: about 176 MB of wheels, 0.8 GB installed; PyTorch-based
frameworks would pull the CUDA wheels, GBs, as PyPI's only Linux torch). In that environment
``nir_framework_spyx.py`` builds a 40-32-10 network (``flax.nnx.Linear`` -> Spyx ``LIF``
(beta = 0.9) or ``IF`` -> ``Linear`` -> ``LIF``/``IF``, weights N(0, (1.5/sqrt(fan_in))^2), bias
0.02, threshold 1, seed 0), runs it with Spyx on ``batch`` x ``steps`` Bernoulli(0.2) input spikes
and writes Spyx's own NIR export (``spyx.nir.to_nir``, dt = 1, its default) and every layer's
spikes. Back here the file is imported (``neuroxide.models.nir_map.load``; the LIF file carries
no dt, so dt = 1 as handed to ``to_nir``; the IF file gets dt = 1 by the importer's all-IF rule)
and run on ``float`` and ``model`` (8-bit weights) on the same input. Per layer, spike for spike:
Spyx vs float, Spyx vs model, float vs model (:func:`spike_match`).

Why Spyx and NIR differ, measured one rule at a time (:func:`rule_chain`): the file's layers run
from Spyx's rules towards NIR's, each variant in float64 against Spyx's spikes and against the
float backend:

* ``spyx``: Spyx's own step, ``z = V > thr`` on the membrane of the previous step, then ``V = beta V
  + I - z thr`` (subtract reset; one step of delay per layer); beta = 1 - dt/tau from the file, r
  ignored (Spyx's ``from_nir`` ignores it too);
* ``same_step``: integrate first, spike in the same step (NIR's order), still subtract reset;
  compared with Spyx's layer-k spikes ``k + 1`` steps later;
* ``reset_to_value``: NIR's reset to ``v_reset`` (the file's 0) instead of subtracting;
* ``nir``: the file's gain ``(dt/tau) r`` on the input (Spyx's LIF export writes ``r = beta``, so NIR
  reads a jump of ``(1 - beta) beta = 0.09`` per unit input where Spyx integrates 1): NIR's
  equations, which must equal the float backend spike for spike (``equals_float``).

``r_as_integrated`` (LIF): the imported network with ``r = tau / dt`` (what Spyx integrates, the
value snnTorch's export writes) on float and model against Spyx's spikes, aligned: what a user
gets after correcting the file's ``r``.

Run ``python -m neuroxide.bench --only nir-framework --out results/bench.json``. Creating the
environment needs PyPI: without it :func:`ensure_framework_env` raises (nothing is skipped).
"""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

__all__ = ["PARTS", "FRAMEWORK", "VENV_DIR", "PINS", "REQUIREMENTS", "FrameworkEnvError", "ensure_framework_env",
           "run_framework", "spike_match", "rule_chain", "compare", "nir_framework"]

FRAMEWORK = "spyx"
VENV_DIR = "build/.venv-nir-spyx"  # under build/ (ignored by git, removed by make clean)
SCRIPT = Path(__file__).with_name("nir_framework_spyx.py")
REQUIREMENTS = ("spyx==1.0.0", "jax[cpu]==0.10.2", "nir==1.0.8")
# Exact versions, resolved on 2026-12-03 (Python 3.11, manylinux x86_64); the install uses them as
# constraints, so a later PyPI release changes nothing here.
PINS = (
    ("spyx==1.0.0", "the framework: spyx.nn neurons, spyx.nn.run, spyx.nir.to_nir (flax.nnx API)"),
    ("jax==0.10.2", "Spyx runs on JAX; the CPU build (jax[cpu]), no CUDA download"),
    ("jaxlib==0.10.2", "JAX's compiled backend, the CPU wheel (83 MB, the largest download)"),
    ("flax==0.12.8", "spyx 1.0 requires flax>=0.12.7 (the nnx module API its layers use)"),
    ("nir==1.0.8", "the same nir as the project (constraints.txt), so both sides read one format"),
    ("h5py==3.16.0", "(nir) HDF5 files; the project's version"),
    ("numpy==2.4.6", "the project's version"),
    ("scipy==1.17.1", "(jax) the project's version"),
    ("optax==0.2.8", "(spyx, flax) optimisers"),
    ("grain==0.2.18", "(spyx) data loading"),
    ("jax-tqdm==0.4.0", "(spyx) progress bars in scans"),
    ("chex==0.1.92", "(optax, jax-tqdm)"),
    ("orbax-checkpoint==0.12.8", "(flax)"),
    ("tensorstore==0.1.86", "(flax, orbax-checkpoint)"),
    ("treescope==0.1.10", "(flax)"),
    ("ml-dtypes==0.7.0", "(jax, jaxlib)"),
    ("opt-einsum==3.4.0", "(jax)"),
    ("absl-py==2.5.1", "(optax, chex, grain, orbax)"),
    ("array-record==0.8.6", "(grain)"),
    ("etils==1.15.0", "(grain, orbax, array-record)"),
    ("fsspec==2026.9.0", "(etils[epath])"),
    ("zipp==4.1.2", "(etils[epath])"),
    ("cloudpickle==3.1.3", "(grain)"),
    ("portpicker==1.6.0", "(grain)"),
    ("protobuf==7.36.2", "(grain, orbax)"),
    ("psutil==7.2.2", "(orbax, portpicker)"),
    ("aiofiles==25.1.0", "(orbax)"),
    ("humanize==4.17.0", "(orbax)"),
    ("prometheus-client==0.26.0", "(orbax)"),
    ("simplejson==4.3.0", "(orbax)"),
    ("uvloop==0.23.0", "(orbax)"),
    ("msgpack==1.2.4", "(flax, orbax)"),
    ("pyyaml==6.0.4", "(flax, orbax)"),
    ("rich==15.0.0", "(flax)"),
    ("markdown-it-py==4.3.0", "(rich)"),
    ("mdurl==0.1.2", "(markdown-it-py)"),
    ("pygments==2.21.0", "(rich)"),
    ("toolz==1.2.0", "(chex)"),
    ("tqdm==4.70.1", "(jax-tqdm)"),
    ("typing-extensions==4.16.0", "(flax, chex, orbax)"),
)
# the two networks: Spyx neuron, and the dt neuroxide imports the file with (None: the importer's rule)
NETWORKS = {"lif": 1.0, "if": None}
RULES = ("spyx", "same_step", "reset_to_value", "nir")


class FrameworkEnvError(RuntimeError):
    """The framework's virtual environment could not be created (PyPI unreachable, a pin missing)."""


def _du_mb(path):
    total = sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file() and not p.is_symlink())
    return round(total / 2**20, 1)


def _pip(python, args, what, timeout_s):
    cmd = [str(python), "-m", "pip", "--disable-pip-version-check", "--no-input", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired as e:
        raise FrameworkEnvError(f"{what}: pip ran past {timeout_s} s ({' '.join(cmd)})") from e
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-12:])
        raise FrameworkEnvError(f"{what} failed (pip exit code {proc.returncode}). The nir-framework benchmark "
                                f"installs {FRAMEWORK} from PyPI once (about 176 MB of wheels); is PyPI reachable?\n"
                                f"command: {' '.join(cmd)}\n{tail}")
    return proc


def ensure_framework_env(venv_dir=VENV_DIR, timeout_s=1800):
    """Create ``venv_dir`` with the exact pins (:data:`PINS`) unless it already holds them; return
    ``{"path", "python", "created", "download_mb", "installed_mb", "create_s"}``.

    Two steps: ``pip download`` of every wheel (the only step that needs PyPI; its size is the
    download figure), then an offline ``pip install --no-index`` from those wheels, which are then
    deleted. Any failure raises :class:`FrameworkEnvError` with pip's last lines."""
    venv = Path(venv_dir)
    python = venv / "bin" / "python"
    stamp = venv / "neuroxide-pins.json"
    pins = [p for p, _ in PINS]
    if stamp.exists() and python.exists():
        info = json.loads(stamp.read_text())
        if info.get("pins") == pins:
            return info | {"created": False}
    t0 = time.perf_counter()
    venv.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise FrameworkEnvError(f"python -m venv {venv} failed: {proc.stderr.strip()[-500:]}")
    constraints = venv / "constraints.txt"
    constraints.write_text("".join(f"{p}  # {why}\n" for p, why in PINS))
    wheels = venv / "wheels"
    env_args = ["--only-binary=:all:", "-c", str(constraints), *REQUIREMENTS]
    _pip(python, ["download", "--quiet", "-d", str(wheels), *env_args], f"downloading {FRAMEWORK}'s wheels", timeout_s)
    download_mb = _du_mb(wheels)
    _pip(python, ["install", "--quiet", "--no-index", "--find-links", str(wheels), *env_args],
         f"installing {FRAMEWORK} from the downloaded wheels", timeout_s)
    shutil.rmtree(wheels)
    got = subprocess.run([str(python), "-I", "-c", "import importlib.metadata as m, json; "
                          "print(json.dumps({d.metadata['Name'].lower().replace('_', '-'): d.version "
                          "for d in m.distributions()}))"], capture_output=True, text=True, check=True)
    installed = json.loads(got.stdout)
    wrong = [p for p in pins if installed.get(p.split("==")[0]) != p.split("==")[1]]
    if wrong:
        raise FrameworkEnvError(f"{venv}: installed versions differ from the pins: {wrong}")
    info = {"path": str(venv), "python": str(python), "pins": pins, "download_mb": download_mb,
            "installed_mb": _du_mb(venv), "create_s": round(time.perf_counter() - t0, 1)}
    stamp.write_text(json.dumps(info, indent=2))
    return info | {"created": True}


def run_framework(env, out_dir, neuron, steps, batch, seed, timeout_s=900):
    """Run :data:`SCRIPT` in the framework's environment (``python -I``: the script's folder, this
    package, must not shadow ``nir``) -> the script's JSON; files in ``out_dir`` (its docstring)."""
    cmd = [env["python"], "-I", str(SCRIPT), str(out_dir), "--neuron", neuron, "--steps", str(steps),
           "--batch", str(batch), "--seed", str(seed)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s,
                          env={**os.environ, "JAX_PLATFORMS": "cpu"})
    if proc.returncode != 0:
        raise RuntimeError(f"{FRAMEWORK} run failed ({' '.join(cmd)}):\n{proc.stderr.strip()[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def spike_match(a, b, shift=0):
    """Spike-for-spike comparison of two bool ``(steps, batch, n)`` rasters; with ``shift`` s,
    ``a`` at step t + s is compared with ``b`` at step t (the last s steps of b dropped).

    ``dice``: 2 |a & b| / (|a| + |b|) (spikes at the same step and neuron; 1 when neither spiked);
    ``identical_trains``: fraction of (sample, neuron) whose whole trains are equal;
    ``count_agreement``: :func:`~neuroxide.models.nir_map.agreement` of the counts."""
    from neuroxide.models.nir_map import agreement
    a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    if shift:
        a, b = a[shift:], b[:-shift]
    both, total = int((a & b).sum()), int(a.sum() + b.sum())
    return {"spikes": [int(a.sum()), int(b.sum())], "dice": round(2 * both / total if total else 1.0, 5),
            "identical_trains": round(float((a == b).all(axis=0).mean()), 5),
            "count_agreement": round(agreement(a.sum(0), b.sum(0))["overall"], 5)}


def _simulate_rule(net, x, rule):
    """The file's layers (weights, bias, beta = a, threshold, v_reset) under ``rule`` (module
    docstring), float64 -> per layer bool ``(steps, batch, n)``."""
    from neuroxide.models.nir_map import _discrete
    steps, batch = x.shape[:2]
    coef = [_discrete(net, la) for la in net.layers]
    v = [np.zeros((batch, la.n_out)) for la in net.layers]
    out = [np.zeros((steps, batch, la.n_out), dtype=bool) for la in net.layers]
    k_rule = RULES.index(rule)
    for t in range(steps):
        h = x[t].astype(np.float64)
        for k, (la, c) in enumerate(zip(net.layers, coef)):
            gain = c["gain"] if k_rule >= 3 else 1.0  # Spyx: V = beta V + I, whatever r says
            cur = gain * (h @ la.weight + la.bias)
            if k_rule == 0:  # Spyx: spike on the previous membrane, subtract in the update
                z = v[k] > c["v_th"]
                v[k] = c["a"] * v[k] + cur - z * c["v_th"]
            else:
                v[k] = c["a"] * v[k] + cur
                z = v[k] > c["v_th"]
                v[k] = np.where(z, c["v_reset"], v[k]) if k_rule >= 2 else v[k] - z * c["v_th"]
            out[k][t] = z
            h = z.astype(np.float64)
    return out


def rule_chain(net, x, framework_spikes, float_spikes):
    """Each rule of :data:`RULES` against the framework's spikes (aligned: ``k + 1`` steps later for
    layer k once the spike is made in the same step) and against the float backend, per layer."""
    out = {}
    for rule in RULES:
        sim = _simulate_rule(net, x, rule)
        out[rule] = {"vs_framework": [spike_match(f, s, 0 if rule == "spyx" else k + 1)
                                      for k, (f, s) in enumerate(zip(framework_spikes, sim))],
                     "vs_float": [spike_match(s, f) for s, f in zip(sim, float_spikes)],
                     "equals_float": all(np.array_equal(s, f) for s, f in zip(sim, float_spikes))}
    return out


def _float_and_model(net, x, weight_bits):
    from neuroxide.models.nir_map import simulate_float, to_core
    from neuroxide.models.snn import SNNModel
    mapping = to_core(net, weight_bits)
    fl = simulate_float(net, x)["spikes"]
    tr = SNNModel(mapping.network, x.shape[1]).run(mapping.core_input(x))
    return fl, [mapping.node_counts(k, tr.spikes[k]) for k in range(len(net.layers))]


def _r_as_integrated(net):
    """A copy of ``net`` whose LIF nodes have ``r = tau / dt`` (a jump of 1 per unit input, what Spyx
    integrates) -> ``(net, [names changed])``: the file as Spyx would have to write it."""
    import copy
    net = copy.deepcopy(net)
    changed = []
    for la in net.layers:
        if la.kind == "LIF" and not np.allclose(la.params["r"], la.params["tau"] / net.dt, rtol=1e-6):
            la.params["r"] = la.params["tau"] / net.dt
            changed.append(la.name)
    return net, changed


def compare(nir_path, run_npz, dt, weight_bits=8):
    """Import ``nir_path``, run float and model on the framework's input, compare per layer; where
    the file's LIF ``r`` is not ``tau / dt``, the same with ``r = tau / dt`` (``r_as_integrated``)."""
    from neuroxide.models.nir_map import load
    data = np.load(run_npz)
    x = data["input"]
    fw = [data[f"spikes_{k}"] for k in range(len([n for n in data.files if n.startswith("spikes_")]))]
    net = load(nir_path, dt)
    fl, model = _float_and_model(net, x, weight_bits)
    layers = []
    for k, la in enumerate(net.layers):
        p = {n: float(np.asarray(v).reshape(-1)[0]) for n, v in la.params.items()}
        layers.append({"node": la.name, "kind": la.kind, "shape": f"{la.n_in}->{la.n_out}", "params": p,
                       "framework_vs_float": spike_match(fw[k], fl[k]),
                       "framework_vs_model": spike_match(fw[k], model[k]),
                       "float_vs_model": spike_match(fl[k], model[k]),
                       "framework_vs_float_aligned": spike_match(fw[k], fl[k], k + 1)})
    out = {"dt": net.dt, "dt_rule": net.dt_rule, "notes": net.notes, "weight_bits": weight_bits,
           "input": f"{x.shape[1]} x {x.shape[0]} steps x {x.shape[2]} inputs", "layers": layers,
           "rules": rule_chain(net, x, fw, fl)}
    net_r, changed = _r_as_integrated(net)
    if changed:
        fl_r, model_r = _float_and_model(net_r, x, weight_bits)
        out["r_as_integrated"] = {
            "nodes": changed,
            "layers": [{"framework_vs_float_aligned": spike_match(fw[k], fl_r[k], k + 1),
                        "framework_vs_model_aligned": spike_match(fw[k], model_r[k], k + 1),
                        "float_vs_model": spike_match(fl_r[k], model_r[k])} for k in range(len(net.layers))]}
    # the framework's reset, opt-in on import (NIR cannot state it); LIF with r = tau / dt as above
    net_s, _ = _r_as_integrated(load(nir_path, dt, reset="subtract"))
    fl_s, model_s = _float_and_model(net_s, x, weight_bits)
    out["reset_subtract"] = {
        "r_as_integrated": bool(changed),
        "layers": [{"framework_vs_float_aligned": spike_match(fw[k], fl_s[k], k + 1),
                    "framework_vs_model_aligned": spike_match(fw[k], model_s[k], k + 1),
                    "float_vs_model": spike_match(fl_s[k], model_s[k])} for k in range(len(net.layers))]}
    return out


def nir_framework(steps=100, batch=16, seed=0, networks=tuple(NETWORKS), venv_dir=VENV_DIR,
                  out_dir="build/bench/nir_framework", weight_bits=8):
    """The part (module docstring): the environment, then per network the framework's run and the comparison."""
    env = ensure_framework_env(venv_dir)
    res = {"framework": FRAMEWORK, "environment": {k: env[k] for k in ("path", "download_mb", "installed_mb",
                                                                      "create_s", "created")},
           "networks": {}}
    for neuron in networks:
        d = Path(out_dir) / neuron
        t0 = time.perf_counter()
        info = run_framework(env, d, neuron, steps, batch, seed)
        res["versions"] = info["versions"]
        rec = {"framework_run_s": round(time.perf_counter() - t0, 1), "sizes": info["sizes"], "nodes": info["nodes"],
               "file": str(d / "spyx.nir")}
        rec |= compare(d / "spyx.nir", d / "spyx_run.npz", NETWORKS[neuron], weight_bits)
        res["networks"][neuron] = rec
    return res


PARTS = {"nir-framework": nir_framework}
