"""MNIST on the SNN core: speed of the whole path, and the RTL check (docs/mnist.md).

The network is the shipped 784-256-10 MNIST network (``neuroxide.models.mnist``) at 4-bit devices on
an 8-bit grid, converted as ``neuroxide digits --dataset mnist`` does (seed 1); inputs are the real
test images of the fixed split, rate coded over ``steps`` steps (seed 1).

Parts:

* ``mnist-speed``: time steps per second and inferences per second of

  - the fixed-point model on this CPU, numpy and compiled (``models.compiled``) back ends, one
    sample at a time (batch 1, the state reset between samples) and batched (all images at once, in
    batches of ``batch``), one BLAS thread (``threadpoolctl``; Brian2's cython target uses one core
    too); compile / kernel-load time excluded;
  - Brian2 (cython target, in a child process as ``benchmarks/speed.py`` runs it) simulating the
    same network one sample at a time: the samples one after another in simulated time, the
    membranes reset at each sample's first step (``run_regularly``), input spikes from a
    ``SpikeGeneratorGroup`` holding the model's very input events, integrate-and-fire neurons with
    subtractive reset and the core's thresholds, dense synapses of weight ``(w_exc - w_inh) /
    2**adc_shift`` (a float equivalent: the core floors each column sum and saturates at the ADC's
    range, Brian2 adds float weights; and Brian2 delivers a spike to the next layer one step later).
    Its class predictions are compared with the model's and the agreement reported;
  - the core at ``fmax_mhz`` (a parameter: the measured Fmax of the board build), from its exact
    cycle formula (``neuroxide.rtl.snn_core.step_cycles``) over the model's own per-step event
    counts of every layer for these images: inferences/s = Fmax / cycles per inference.

  and the ratios (core over each). Beside them, SOP per clock of the core on this network at its
  own input activity and with exactly 64 and 128 (seeded, uniformly drawn) input events per step,
  and (``by_lanes``) at its own activity and at 64 events per step for each width in ``lanes_sweep``
  (``neurons_per_clock`` capped at the lanes).
* ``mnist-rtl``: ``neuroxide digits --dataset mnist --backend rtl`` on the first ``limit`` (20)
  test images: the core's cocotb bench against the model at every step (mismatches, cycles,
  accuracy, wall time).
"""

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

__all__ = ["PARTS", "mnist_speed", "mnist_rtl", "core_cycles", "BRIAN2_MNIST_SCRIPT"]

DEFAULT_FMAX_MHZ = 100.0  # ECP5-85F, lanes 16, the first core (docs/snn_core.md); pass the measured one


def _network_and_inputs(n, steps, seed=1, weight_bits=4):
    from neuroxide.experiments.digits import digits_network, load_dataset
    from neuroxide.models.train import encode
    network = digits_network(weight_bits, seed, dataset="mnist")[0]
    x_te, y_te = load_dataset("mnist")[2:]
    x, y = x_te[:n], y_te[:n]
    return network, x, y, encode(x, steps, "rate", seed)


def _formula():
    """``(name, function)`` of the core's exact cycle formula: ``run_cycles`` (a whole run, steps
    overlapping; the second-generation core) where it exists, else the first core's ``step_cycles``."""
    from neuroxide.rtl import snn_core
    if hasattr(snn_core, "run_cycles"):
        return "run_cycles", snn_core.run_cycles
    return "step_cycles", snn_core.step_cycles


def core_cycles(network, in_spikes, lanes=16, neurons_per_clock=None):
    """Per sample: ``(cycles, sops, events)`` of the core running ``in_spikes`` ``(steps, batch, n_in)``
    one sample after another, from the exact cycle formula over the model's own spikes of every layer
    at every step: with ``run_cycles``, the cycle of the last ``step_done`` + 1 (cycle 0 reads the
    sample's first input word); with the first core's ``step_cycles``, the sum over the steps.
    ``events``: ``(steps, batch, layers)`` events into each layer."""
    from neuroxide.models.snn import SNNModel
    name, fn = _formula()
    trace = SNNModel(network, in_spikes.shape[1]).run(in_spikes)
    n_in_events = in_spikes.sum(axis=2)
    events = np.stack([n_in_events] + [trace.spikes[k].sum(axis=2) for k in range(len(network.layers) - 1)], axis=2)
    kw = {} if neurons_per_clock is None else {"neurons_per_clock": neurons_per_clock}
    cycles = []
    for b in range(in_spikes.shape[1]):
        if name == "run_cycles":
            done = fn(network, lanes, [int(e) for e in n_in_events[:, b]], [sp[:, b] for sp in trace.spikes], **kw)
            cycles.append(done[-1] + 1)
        else:
            cycles.append(sum(fn(network, lanes, [int(e) for e in events[t, b]], **kw)[0]
                              for t in range(events.shape[0])))
    return np.array(cycles, dtype=np.int64), trace.sops.astype(np.int64), events


def _random_events(n_in, steps, batch, per_step, seed):
    """``per_step`` distinct input channels per step and sample, drawn uniformly (seeded)."""
    gen = np.random.default_rng(seed)
    s = np.zeros((steps, batch, n_in), dtype=bool)
    for t in range(steps):
        for b in range(batch):
            s[t, b, gen.choice(n_in, per_step, replace=False)] = True
    return s


def _time_model(network, s_in, backend, batch):
    """``(seconds, predictions)``: the model over ``s_in`` in batches of ``batch`` (1: a sample at a
    time, the state reset between samples), on one BLAS thread (Brian2's cython target runs on one
    core too, and on a loaded machine more BLAS threads only contend)."""
    from threadpoolctl import threadpool_limits

    from neuroxide.models.snn import SNNModel, readout
    if backend == "compiled":
        SNNModel(network, 1, backend="compiled").run(s_in[:, :1])  # compile / load the kernel
    models, preds = {}, []
    with threadpool_limits(limits=1):
        t0 = time.perf_counter()
        for start in range(0, s_in.shape[1], batch):
            chunk = s_in[:, start:start + batch]
            model = models.get(chunk.shape[1])
            if model is None:
                model = models[chunk.shape[1]] = SNNModel(network, chunk.shape[1], backend=backend)
            else:
                model.reset()
            preds.append(readout(model.run(chunk).spikes[-1]))
        seconds = time.perf_counter() - t0
    return seconds, np.concatenate(preds)


# The Brian2 side: `python -c BRIAN2_MNIST_SCRIPT TARGET NPZ`; prints one JSON line.
BRIAN2_MNIST_SCRIPT = r"""
import ctypes, gc, json, sys, time
import numpy as np
if not hasattr(np.ndarray, "ptp"):  # Brian2 2.9 wraps ndarray.ptp, removed in numpy 2.4
    gc.get_referents(np.ndarray.__dict__)[0]["ptp"] = lambda a, *args, **kw: np.ptp(a, *args, **kw)
    ctypes.pythonapi.PyType_Modified(ctypes.py_object(np.ndarray))
import brian2 as b2
target, path = sys.argv[1], sys.argv[2]
f = np.load(path)
steps, n_samples, n_layers = int(f["steps"]), int(f["n_samples"]), int(f["n_layers"])
b2.prefs.codegen.target = target
b2.defaultclock.dt = 1 * b2.ms
step = 1 * b2.ms
t0 = time.perf_counter()
inp = b2.SpikeGeneratorGroup(int(f["n_in"]), f["in_index"], f["in_step"] * step)
objects, pre = [inp], inp
for k in range(n_layers):
    w = f[f"w{k}"]
    g = b2.NeuronGroup(w.shape[1], "v : 1\nv_th : 1\nv_init : 1", threshold="v >= v_th", reset="v -= v_th",
                       method="exact")
    g.v_th = f[f"v_th{k}"]
    g.v_init = f[f"v_init{k}"]
    g.v = f[f"v_init{k}"]
    g.run_regularly("v = v_init", dt=steps * step, when="start")  # each sample starts from v_init
    s = b2.Synapses(pre, g, "w : 1", on_pre="v_post += w")
    i, j = np.meshgrid(np.arange(w.shape[0]), np.arange(w.shape[1]), indexing="ij")
    s.connect(i=i.ravel(), j=j.ravel())
    s.w = w.ravel()
    objects += [g, s]
    pre = g
mon = b2.SpikeMonitor(pre)
net = b2.Network(*objects, mon)
build = time.perf_counter() - t0
t0 = time.perf_counter()
net.run(0 * step)  # code generation and compiling (cython: cached in ~/.cython after the first run)
warm = time.perf_counter() - t0
t0 = time.perf_counter()
net.run(n_samples * steps * step)
run = time.perf_counter() - t0
sample = (np.asarray(mon.t / step) + 0.5).astype(np.int64) // steps
counts = np.zeros((n_samples, pre.N), dtype=np.int64)
np.add.at(counts, (sample, np.asarray(mon.i)), 1)
print(json.dumps({"run_s": run, "warmup_s": warm, "build_s": build, "pred": counts.argmax(axis=1).tolist()}))
"""


def _time_brian2(network, s_in, steps, target="cython", timeout_s=1800):
    steps_, n, _ = s_in.shape
    t_idx, b_idx, i_idx = np.nonzero(s_in)
    arrays = {"steps": steps, "n_samples": n, "n_layers": len(network.layers), "n_in": network.n_in,
              "in_index": i_idx.astype(np.int64), "in_step": (b_idx * steps + t_idx).astype(np.float64)}
    for k, layer in enumerate(network.layers):
        arrays[f"w{k}"] = (layer.w_exc.astype(np.float64) - layer.w_inh) / float(1 << layer.adc_shift)
        arrays[f"v_th{k}"] = np.full(layer.n_out, float(layer.params.v_th))
        arrays[f"v_init{k}"] = np.full(layer.n_out, float(layer.params.v_init))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "net.npz"
        np.savez(path, **arrays)
        proc = subprocess.run([sys.executable, "-c", BRIAN2_MNIST_SCRIPT, target, str(path)], capture_output=True,
                              text=True, timeout=timeout_s)
    if proc.returncode != 0:
        return {"error": (proc.stderr or proc.stdout).strip().splitlines()[-1:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _rate(work, seconds):
    return round(work / seconds, 1) if seconds > 0 else None


def mnist_speed(fmax_mhz=DEFAULT_FMAX_MHZ, lanes=16, neurons_per_clock=16, steps=32, n_single=100,
                n_batched=1000, batch=250, n_brian2=100, seed=1, brian2=True, lanes_sweep=(16, 32, 64, 128)):
    """Inferences/s and steps/s: model (batch 1, batched), Brian2 cython (one sample at a time) and
    the core at ``fmax_mhz`` from its cycle formula; SOP/clk at real and at 64 / 128 input events per step."""
    network, x, y, s_all = _network_and_inputs(max(n_single, n_batched, n_brian2), steps, seed)
    rows = {}
    preds = {}
    for backend in ("numpy", "compiled"):
        for name, n, b in (("batch1", n_single, 1), ("batched", n_batched, batch)):
            sec, pred = _time_model(network, s_all[:, :n], backend, b)
            rows[f"model_{backend}_{name}"] = {"images": n, "batch": b, "run_s": round(sec, 3),
                                               "inferences_per_s": _rate(n, sec),
                                               "steps_per_s": _rate(n * steps, sec),
                                               "accuracy": round(float(np.mean(pred == y[:n])), 4)}
            preds[f"{backend}_{name}"] = pred
    if brian2:
        r = _time_brian2(network, s_all[:, :n_brian2], steps)
        if "error" in r:
            rows["brian2_cython_batch1"] = r
        else:
            pred = np.asarray(r["pred"])
            rows["brian2_cython_batch1"] = {
                "images": n_brian2, "batch": 1, "run_s": round(r["run_s"], 3), "warmup_s": round(r["warmup_s"], 3),
                "build_s": round(r["build_s"], 3), "inferences_per_s": _rate(n_brian2, r["run_s"]),
                "steps_per_s": _rate(n_brian2 * steps, r["run_s"]),
                "accuracy": round(float(np.mean(pred == y[:n_brian2])), 4),
                "agreement_with_model": round(float(np.mean(pred == preds["numpy_batch1"][:n_brian2])), 4)}
    # the core: exact cycles over the model's own events, on the images timed at batch 1
    n_core = n_single
    cycles, sops, events = core_cycles(network, s_all[:, :n_core], lanes, neurons_per_clock)
    per_inf = float(cycles.mean())
    core_rate = fmax_mhz * 1e6 / per_inf
    rows["core_formula"] = {"images": n_core, "fmax_mhz": fmax_mhz, "lanes": lanes,
                            "neurons_per_clock": neurons_per_clock, "formula": f"rtl.snn_core.{_formula()[0]}",
                            "cycles_per_inference": round(per_inf, 1),
                            "cycles_per_step": round(per_inf / steps, 1),
                            "inferences_per_s": round(core_rate, 1), "steps_per_s": round(core_rate * steps, 1),
                            "sop_per_clk": round(float(sops.sum() / cycles.sum()), 3),
                            "gsop_per_s": round(float(sops.sum() / cycles.sum()) * fmax_mhz / 1e3, 3),
                            "note": "the sample's steps (state reset between samples not counted)"}
    ratios = {f"core_over_{k}": round(core_rate / v["inferences_per_s"], 2)
              for k, v in rows.items() if k != "core_formula" and v.get("inferences_per_s")}
    activity = {"real": {"input_events_per_step": round(float(events[:, :, 0].mean()), 2),
                         "hidden_events_per_step": round(float(events[:, :, 1].mean()), 2),
                         "sop_per_clk": rows["core_formula"]["sop_per_clk"],
                         "cycles_per_step": rows["core_formula"]["cycles_per_step"]}}
    for per_step in (64, 128):
        s = _random_events(network.n_in, steps, 20, per_step, seed)
        c, so, ev = core_cycles(network, s, lanes, neurons_per_clock)
        activity[f"{per_step}_events"] = {"input_events_per_step": per_step,
                                          "hidden_events_per_step": round(float(ev[:, :, 1].mean()), 2),
                                          "sop_per_clk": round(float(so.sum() / c.sum()), 3),
                                          "cycles_per_step": round(float(c.mean()) / steps, 1)}
    # SOP/clk against the core's width: the same real inputs (the first 20 images) and 64 events per step
    by_lanes = {}
    s64 = _random_events(network.n_in, steps, 20, 64, seed)
    for n_lanes in lanes_sweep:
        npc = min(neurons_per_clock, n_lanes) if neurons_per_clock is not None else None
        row = {"neurons_per_clock": npc}
        for name, s in (("real", s_all[:, :20]), ("64_events", s64)):
            c, so, _ = core_cycles(network, s, n_lanes, npc)
            row[f"sop_per_clk_{name}"] = round(float(so.sum() / c.sum()), 3)
            row[f"cycles_per_step_{name}"] = round(float(c.mean()) / steps, 1)
        by_lanes[str(n_lanes)] = row
    activity["by_lanes"] = by_lanes
    return {"network": "784-" + "-".join(str(s) for s in network.sizes[1:]), "weight_bits": 4, "steps": steps,
            "synapses": int(sum(layer.n_in * layer.n_out for layer in network.layers)),
            "cpu": _cpu_name(), "rows": rows, "ratios": ratios, "sop_per_clk": activity,
            "targets": {"sop_per_clk_real_ge_64": activity["real"]["sop_per_clk"] >= 64,
                        "sop_per_clk_64_events_ge_128": activity["64_events"]["sop_per_clk"] >= 128,
                        "core_10x_model_batch1": ratios.get("core_over_model_compiled_batch1", 0) >= 10
                        and ratios.get("core_over_model_numpy_batch1", 0) >= 10,
                        "core_10x_brian2": (ratios.get("core_over_brian2_cython_batch1", 0) >= 10) if brian2 else None}}


def _cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform
    return platform.processor() or platform.machine()


def mnist_rtl(limit=20, simulator="verilator", build_dir="build/bench/mnist_rtl"):
    """The RTL back end on the first ``limit`` MNIST test images (every state, every step compared)."""
    from neuroxide.experiments.digits import DigitsSetup, run_digits
    res = run_digits(DigitsSetup(backend="rtl", limit=limit, dataset="mnist"), simulator, build_dir)
    d = res.to_dict()
    return {k: d[k] for k in ("n", "accuracy", "mismatches", "prediction_mismatches", "sops", "model_sops", "cycles",
                              "sop_per_cycle", "simulator", "rtl_wall_s", "rtl_build_s", "wall_s")}


PARTS = {"mnist-speed": mnist_speed, "mnist-rtl": mnist_rtl}
