"""Speed of the fixed-point models, numpy against the compiled back end, and of the LIF model against
Brian2 (numpy and cython code-generation targets), side by side in one run.

``model-speed`` (docs/speed.md):

* LIF: 100,000 neurons, 1,000 steps, a fresh random drive every step (``i_exc`` uniform in 0..599,
  ``i_inh`` in 0..199, drawn by numpy's SFC64 generator as int16 inside the timed loop), every
  feature on (threshold noise, adaptation, refractory period). The same work in Brian2: an
  equivalent LIF (the same per-step update ``v' = decay * v + i_exc - i_inh``, adaptation decaying by
  1/16 per step, uniform threshold noise of 64, 2 refractory steps) whose drive is drawn by
  ``rand()`` in a ``run_regularly`` operation every step, inside Brian2's generated code. Brian2
  runs in a child process (its 2.9 release reads ``numpy.ndarray.ptp``, gone in numpy 2.4: the child
  puts it back before importing Brian2, leaving this process alone). Code generation and compiling
  are timed apart from the run on both sides.
* ONN: a max-cut anneal of G1 (800 nodes, 2,000 steps, 16 restarts), numpy against compiled, with
  the cuts checked equal.
* SNN: the digits network on the 540 test images (32 steps, rate coding), numpy ``SNNModel``
  against the compiled kernel, with spikes and SOPs checked equal.

Rates are neuron-steps (oscillator-steps) per second of the run, compile time excluded; ratios
are compiled / peer.
"""

import json
import subprocess
import sys
import time

import numpy as np

__all__ = ["PARTS", "bench_lif_speed", "bench_onn_speed", "bench_snn_speed", "BRIAN2_SCRIPT"]

LIF_NEURONS = 100_000
LIF_STEPS = 1_000
EXC_MAX, INH_MAX = 600, 200  # drive bounds (exclusive), as in the `model` part


def _lif_params():
    from neuroxide.models.lif import LIFParams
    return LIFParams(noise_bits=6, adapt_inc=100)


def _time_lif(backend, neurons, steps, seed):
    """``(run_s, warmup_s, spikes)``: ``steps`` steps of LIFModel on ``backend``, drive drawn each step."""
    from neuroxide.models.lif import LIFModel
    model = LIFModel(_lif_params(), neurons, seed, backend=backend)
    gen = np.random.Generator(np.random.SFC64(seed))
    t0 = time.perf_counter()
    model.step(gen.integers(0, EXC_MAX, neurons, dtype=np.int16), gen.integers(0, INH_MAX, neurons, dtype=np.int16))
    warm = time.perf_counter() - t0  # the compiled back end compiles (or loads its cached kernel) here
    spikes = 0
    t0 = time.perf_counter()
    for _ in range(steps):
        spikes += int(model.step(gen.integers(0, EXC_MAX, neurons, dtype=np.int16),
                                 gen.integers(0, INH_MAX, neurons, dtype=np.int16)).sum())
    return time.perf_counter() - t0, warm, spikes


def _time_step_only(neurons, steps, seed, cycle=10):
    """Compiled steps alone: ``cycle`` drives drawn before the loop and reused in turn (not the issue's
    work, which draws a fresh drive each step: this row says how much of it the model is)."""
    from neuroxide.models.lif import LIFModel
    model = LIFModel(_lif_params(), neurons, seed, backend="compiled")
    gen = np.random.Generator(np.random.SFC64(seed))
    drives = [(gen.integers(0, EXC_MAX, neurons, dtype=np.int16), gen.integers(0, INH_MAX, neurons, dtype=np.int16))
              for _ in range(cycle)]
    model.step(*drives[0])
    t0 = time.perf_counter()
    for k in range(steps):
        model.step(*drives[k % cycle])
    return time.perf_counter() - t0


def _time_drive(neurons, steps, seed):
    gen = np.random.Generator(np.random.SFC64(seed))
    t0 = time.perf_counter()
    for _ in range(steps):
        gen.integers(0, EXC_MAX, neurons, dtype=np.int16)
        gen.integers(0, INH_MAX, neurons, dtype=np.int16)
    return time.perf_counter() - t0


# The Brian2 side, run as `python -c BRIAN2_SCRIPT TARGET NEURONS STEPS SEED`; prints one JSON line.
BRIAN2_SCRIPT = r"""
import ctypes, gc, json, sys, time
import numpy as np
if not hasattr(np.ndarray, "ptp"):  # Brian2 2.9 wraps ndarray.ptp, removed in numpy 2.4
    gc.get_referents(np.ndarray.__dict__)[0]["ptp"] = lambda a, *args, **kw: np.ptp(a, *args, **kw)
    ctypes.pythonapi.PyType_Modified(ctypes.py_object(np.ndarray))
import brian2 as b2
target, n, steps, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
b2.prefs.codegen.target = target
b2.seed(seed)
b2.defaultclock.dt = 1 * b2.ms
step = 1 * b2.ms  # one time step: the Euler update below is v' = decay * v + i_exc - i_inh
eqs = '''
dv/dt = (-(1 - decay) * v + i_exc - i_inh) / step : 1 (unless refractory)
dw/dt = -w / (16 * step) : 1
i_exc : 1
i_inh : 1
'''
g = b2.NeuronGroup(n, eqs, threshold="v >= v_th + w + 64 * (rand() - 0.5)", reset="v = 0; w += 100",
                   refractory=2 * step, method="euler", namespace={"decay": 3968 / 4096, "v_th": 4096, "step": step})
g.run_regularly("i_exc = floor(600 * rand())\ni_inh = floor(200 * rand())", when="start")
spikes = b2.SpikeMonitor(g, record=False)
net = b2.Network(g, spikes)
t0 = time.perf_counter()
net.run(1 * step)  # code generation and compiling (cython: cached in ~/.cython after the first run)
warm = time.perf_counter() - t0
t0 = time.perf_counter()
net.run(steps * step)
run = time.perf_counter() - t0
print(json.dumps({"run_s": run, "warmup_s": warm, "spikes": int(spikes.num_spikes)}))
"""


def _time_brian2(target, neurons, steps, seed, timeout_s=1800):
    proc = subprocess.run([sys.executable, "-c", BRIAN2_SCRIPT, target, str(neurons), str(steps), str(seed)],
                          capture_output=True, text=True, timeout=timeout_s)
    if proc.returncode != 0:
        return {"error": (proc.stderr or proc.stdout).strip().splitlines()[-1:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _rate(work, seconds):
    return round(work / seconds) if seconds > 0 else None


def bench_lif_speed(neurons=LIF_NEURONS, steps=LIF_STEPS, seed=1, brian2=True):
    """LIF neuron-steps/s: numpy model, compiled model, Brian2 numpy and cython targets (module docstring)."""
    work = neurons * steps
    rows = {}
    for backend in ("numpy", "compiled"):
        run, warm, spikes = _time_lif(backend, neurons, steps, seed)
        rows[f"model_{backend}"] = {"run_s": round(run, 3), "warmup_s": round(warm, 3),
                                    "neuron_steps_per_s": _rate(work, run), "spikes_per_neuron_step": spikes / work}
    drive = _time_drive(neurons, steps, seed)
    rows["drive_only"] = {"run_s": round(drive, 3), "neuron_steps_per_s": _rate(work, drive)}
    step_only = _time_step_only(neurons, steps, seed)
    rows["compiled_step_only"] = {"run_s": round(step_only, 3), "neuron_steps_per_s": _rate(work, step_only),
                                  "note": "10 pre-drawn drives reused in turn: the model's share of the work"}
    if brian2:
        for target in ("numpy", "cython"):
            r = _time_brian2(target, neurons, steps, seed)
            if "error" in r:
                rows[f"brian2_{target}"] = r
                continue
            rows[f"brian2_{target}"] = {"run_s": round(r["run_s"], 3), "warmup_s": round(r["warmup_s"], 3),
                                        "neuron_steps_per_s": _rate(work, r["run_s"]),
                                        "spikes_per_neuron_step": r["spikes"] / work}
    compiled_rate = rows["model_compiled"]["neuron_steps_per_s"]
    ratios = {f"compiled_over_{k}": round(compiled_rate / v["neuron_steps_per_s"], 2)
              for k, v in rows.items() if k.startswith(("model_numpy", "brian2")) and v.get("neuron_steps_per_s")}
    return {"neurons": neurons, "steps": steps, "seed": seed,
            "work": "LIFParams(noise_bits=6, adapt_inc=100); fresh int16 drive each step (SFC64), exc 0..599, "
                    "inh 0..199, drawn inside the timed loop; Brian2: equivalent float LIF, drive by rand() "
                    "in run_regularly each step",
            "rows": rows, "ratios": ratios,
            "target_7e7_met": bool(compiled_rate >= 7e7),
            "at_least_brian2_cython": (bool(compiled_rate >= rows["brian2_cython"]["neuron_steps_per_s"])
                                       if rows.get("brian2_cython", {}).get("neuron_steps_per_s") else None)}


def bench_onn_speed(graph="G1", steps=2000, restarts=16, seed=1):
    """A G-set max-cut anneal, numpy against compiled (same cuts)."""
    from neuroxide.models.gset import load_graph
    from neuroxide.models.onn import solve_maxcut
    g = load_graph(graph)
    out = {}
    for backend in ("numpy", "compiled"):
        if backend == "compiled":
            solve_maxcut(g, steps=1, restarts=restarts, seed=seed, backend=backend)  # compile / load the kernel
        r = solve_maxcut(g, steps=steps, restarts=restarts, seed=seed, backend=backend)
        out[backend] = {"wall_s": round(r.wall_s, 3), "cut": r.cut, "cuts": r.cuts,
                        "oscillator_steps_per_s": _rate(g.nodes * restarts * steps, r.wall_s)}
    return {"graph": graph, "nodes": g.nodes, "edges": g.n_edges, "steps": steps, "restarts": restarts,
            "numpy": {k: v for k, v in out["numpy"].items() if k != "cuts"},
            "compiled": {k: v for k, v in out["compiled"].items() if k != "cuts"},
            "cuts_equal": out["numpy"]["cuts"] == out["compiled"]["cuts"],
            "speedup": round(out["numpy"]["wall_s"] / out["compiled"]["wall_s"], 2)}


def bench_snn_speed(steps=32, batch=256, seed=1):
    """The digits network on the test images, numpy SNNModel against the compiled kernel (same spikes)."""
    from neuroxide.experiments.digits import digits_network
    from neuroxide.models.compiled import snn_run
    from neuroxide.models.snn import SNNModel
    from neuroxide.models.train import encode, load_digits_split
    network = digits_network()[0]
    x = load_digits_split()[2]
    chunks = [encode(x[i:i + batch], steps, "rate", seed) for i in range(0, len(x), batch)]
    snn_run(SNNModel(network, 1), chunks[0][:, :1])  # compile / load the kernel
    res = {}
    for backend in ("numpy", "compiled"):
        t0 = time.perf_counter()
        traces = [SNNModel(network, s.shape[1]).run(s) if backend == "numpy"
                  else snn_run(SNNModel(network, s.shape[1]), s) for s in chunks]
        res[backend] = (time.perf_counter() - t0, traces)
    same = all(np.array_equal(a.sops, b.sops) and all(np.array_equal(p, q) for p, q in zip(a.spikes, b.spikes))
               for a, b in zip(res["numpy"][1], res["compiled"][1]))
    neuron_steps = len(x) * steps * network.n_neurons
    return {"images": len(x), "steps": steps, "batch": batch, "sizes": network.sizes,
            "numpy": {"wall_s": round(res["numpy"][0], 3), "neuron_steps_per_s": _rate(neuron_steps, res["numpy"][0])},
            "compiled": {"wall_s": round(res["compiled"][0], 3),
                         "neuron_steps_per_s": _rate(neuron_steps, res["compiled"][0])},
            "spikes_and_sops_equal": same, "speedup": round(res["numpy"][0] / res["compiled"][0], 2)}


def bench_model_speed():
    """The three, in one run (module docstring)."""
    return {"lif": bench_lif_speed(), "onn": bench_onn_speed(), "snn": bench_snn_speed()}


# part name (``--only``) -> function returning a JSON-able dict
PARTS = {"model-speed": bench_model_speed}
