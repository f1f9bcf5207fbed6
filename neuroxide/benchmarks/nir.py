"""NIR import: fixed-point model vs float NIR semantics, and RTL vs model, on imported graphs.

Part ``nir-agreement``: random graphs built with the ``nir`` package (Input -> [Affine -> neuron]
x L -> Output; weights N(0, sigma^2) with sigma = gain / sqrt(fan_in)), imported at ``weight_bits``
4, 6 and 8 and run on random Bernoulli inputs (``steps`` steps, ``batch`` samples, input rate
0.2). For each graph family and width: spike-count agreement of the last layer, model vs float
(``neuroxide.models.nir_map.agreement``: 1 - sum|dc| / sum max(c)), the fraction of (sample,
neuron) with identical counts, the worst output neuron, and the same agreement when only the
weights are quantised (float semantics with the crossbar's weights), which isolates the error
the weights alone cause; the model against that weights-only float network (what the fixed-point
membrane, leak and threshold add); and the per-neuron totals over all samples (1 - sum_j
|sum_b dc| / sum c: whether quantisation biases a neuron's rate). Plot: ``docs/img/nir_agreement.png``.

Part ``nir-paper``: every graph of models/data/nir_paper (the NIR paper's files, as the frameworks
wrote them) imported at 8-bit weights (dt 1e-4 for LIF and Braille, as the paper; the CNN: IF ->
dt = 1) and run on float and model: the cost of the import in a fresh interpreter (time, peak
RSS, core JSON size); LIF: the spike steps on the paper's input against the framework's trace;
Braille: ``batch`` random inputs, agreement per layer (model vs float, weights-only float vs float,
model vs weights-only float) and the memory plan on iCE40UP5K / ULX3S-85F; CNN: the N-MNIST sample
and ``batch`` event-like random count frames, the same figures, the predicted class, the plan.
Braille and CNN also with ``weight_scale="neuron"`` (one level grid per neuron), and with
``reset="subtract"`` (v -= v_threshold after a spike on float and model: snnTorch's subtract reset,
Sinabs' default MembraneSubtract; NIR cannot state it), at both weight scales (``reset_subtract``,
``reset_subtract_weight_scale_neuron``; the CNN's per input set; Braille: the ``noBias_subtract``
files, the ones trained with that reset).
Part ``nir-paper-rtl``: the LIF files on the paper's input and the Braille graphs on short random
inputs through the cocotb bench (every installed simulator): mismatches and cycles.

Part ``nir-rtl``: one imported 3-layer graph (bias, a recurrent crossbar on the first layer,
adc_gain) through the cocotb bench on every installed simulator: mismatches (full state, every
step) and cycles.
"""

import copy
from pathlib import Path

import numpy as np

import neuroxide.models

__all__ = ["PARTS", "FAMILIES", "make_graph", "nir_agreement", "nir_rtl", "nir_paper", "nir_paper_rtl"]

DT = 1e-3
FAMILIES = {
    # name: (sizes, neuron kind, lateral, gain)
    "LIF 64-10": ((64, 10), "lif", None, 2.5),
    "LIF 64-48-10": ((64, 48, 10), "lif", None, 2.5),
    "LIF 64-48-32-10": ((64, 48, 32, 10), "lif", None, 2.5),
    "IF 64-48-10": ((64, 48, 10), "if", None, 1.5),
    "LIF 64-48-10 + lateral": ((64, 48, 10), "lif", 0.15, 2.5),
    "LIF 64-48(recurrent)-10": ((64, 48, 10), "lif", "rec", 2.5),
    "CubaLIF(tau_syn=dt) 64-48-10": ((64, 48, 10), "cuba", None, 2.5),
    "CubaLIF(tau_syn=5 ms) 64-48-10": ((64, 48, 10), "cuba5", None, 2.5),
}


def make_graph(sizes, kind, lateral, gain, seed, tau=0.01):
    """A random chain graph built with the nir package (module docstring)."""
    import nir
    rng = np.random.default_rng(seed)
    nodes = {"input": nir.Input(np.array([sizes[0]]))}
    edges, prev = [], "input"
    for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        bias = 0.0 if kind == "cuba5" else 0.02  # a bias cannot enter a synaptic current with memory
        nodes[f"fc{k}"] = nir.Affine(rng.normal(0, gain / np.sqrt(a), (b, a)), np.full(b, bias))
        ones = np.ones(b)
        if kind == "lif":
            node = nir.LIF(tau=ones * tau, r=ones * tau / DT, v_leak=0 * ones, v_threshold=ones, v_reset=0 * ones)
        elif kind == "if":
            node = nir.IF(r=ones / DT, v_threshold=ones, v_reset=0 * ones)
        else:  # cuba: tau_syn = dt (no synaptic memory); cuba5: tau_syn = 5 ms (the core's synaptic current)
            tau_syn = DT if kind == "cuba" else 5e-3
            node = nir.CubaLIF(tau_syn=ones * tau_syn, tau_mem=ones * tau, r=ones * tau / DT, v_leak=0 * ones,
                               v_threshold=ones, v_reset=0 * ones, w_in=ones)
        nodes[f"n{k}"] = node
        edges += [(prev, f"fc{k}"), (f"fc{k}", f"n{k}")]
        prev = f"n{k}"
    if lateral == "rec":  # a general recurrent matrix on the hidden layer (snnTorch RLeaky)
        n = sizes[1]
        nodes["rec"] = nir.Linear(rng.normal(0, 0.5 / np.sqrt(n), (n, n)))
        edges += [("n0", "rec"), ("rec", "n0")]
    elif lateral:
        n = sizes[-1]
        nodes["rec"] = nir.Linear(-lateral * (1 - np.eye(n)))
        edges += [(prev, "rec"), ("rec", prev)]
    nodes["output"] = nir.Output(np.array([sizes[-1]]))
    edges.append((prev, "output"))
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata={"dt": DT}, type_check=False)


def _weights_only(net, mapping):
    """The float network with only its weights (feed-forward and recurrent crossbars, conv kernels,
    the always-on row of a bias into a synaptic current) replaced by what the core holds."""
    from neuroxide.models.snn_conv import unrolled_sparse
    q = copy.deepcopy(net)
    for k, (fl, core, info) in enumerate(zip(q.layers, mapping.network.layers, mapping.layers)):
        n = info.get("n_node", core.n_out)
        if core.conv is not None:
            geom, _ = fl.conv
            kern = core.weights.astype(np.float64) * info["level"]
            kern = kern[:, :geom.in_per_group]   # one copy of a count-expanded first layer
            g = info["col_gain"].reshape(geom.out_channels, -1)[:, 0]
            fl.weight = unrolled_sparse(geom, kern / g[:, None, None, None], np.float64)
            continue
        w = core.weights[:fl.n_in, :n]   # one copy of count-expanded inputs; no always-on row or relay
        fl.weight = w * info["level"] / info["col_gain"]
        if info.get("syn_bias"):  # the bias into the synaptic current: the always-on (last) row
            fl.bias = core.weights[-1, :n] * info["level"] / info["col_gain"]
        if core.recurrent:
            fl.rec = (core.w_rec_exc - core.w_rec_inh)[:n, :n] * info["level"] / info["col_gain"]
    return q


def _stats(values):
    v = np.asarray(values, dtype=float)
    return {"mean": round(float(v.mean()), 5), "min": round(float(v.min()), 5), "max": round(float(v.max()), 5)}


def nir_agreement(seeds=(1, 2, 3), bits=(4, 6, 8), steps=100, batch=64, rate=0.2, plot="docs/img/nir_agreement.png",
                  progress=True):
    from tqdm import tqdm

    from neuroxide.models.nir_map import agreement, parse_graph, simulate_float, to_core
    from neuroxide.models.snn import SNNModel
    out = {"steps": steps, "batch": batch, "rate": rate, "seeds": list(seeds), "dt": DT, "families": {}}
    jobs = [(f, b, s) for f in FAMILIES for b in bits for s in seeds]
    raw = {}
    for fam, b, seed in tqdm(jobs, desc="nir agreement", disable=not progress, leave=False):
        sizes, kind, lateral, gain = FAMILIES[fam]
        net = parse_graph(make_graph(sizes, kind, lateral, gain, seed))
        mapping = to_core(net, b)
        s = np.random.default_rng([seed, 99]).random((steps, batch, sizes[0])) < rate
        fl = simulate_float(net, s)
        tr = SNNModel(mapping.network, batch).run(s)
        fq = simulate_float(_weights_only(net, mapping), s)
        c_model, c_float = tr.counts(), fl["spikes"][-1].sum(axis=0)
        a = agreement(c_model, c_float)
        aq = agreement(fq["spikes"][-1].sum(axis=0), c_float)
        am = agreement(c_model, fq["spikes"][-1].sum(axis=0))
        tot_m, tot_f = c_model.sum(axis=0), c_float.sum(axis=0)
        totals = 1.0 - np.abs(tot_m - tot_f).sum() / max(1, tot_f.sum())
        rate_out = float(fl["spikes"][-1].mean())
        raw.setdefault((fam, b), []).append((a["overall"], a["exact"], min(a["per_neuron"]), aq["overall"], rate_out,
                                            am["overall"], totals))
    for fam in FAMILIES:
        out["families"][fam] = {}
        for b in bits:
            r = np.array(raw[(fam, b)])
            out["families"][fam][str(b)] = {"agreement": _stats(r[:, 0]), "exact_counts": _stats(r[:, 1]),
                                            "worst_neuron": _stats(r[:, 2]), "weights_only_agreement": _stats(r[:, 3]),
                                            "output_rate": _stats(r[:, 4]), "model_vs_weights_only": _stats(r[:, 5]),
                                            "per_neuron_totals": _stats(r[:, 6])}
    if plot:
        _plot(out, bits, plot)
        out["plot"] = plot
    return out


def _plot(out, bits, path):
    from neuroxide.fileio import save_figure
    from neuroxide.plots import new_figure
    fig = new_figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.subplots()
    for fam, per_bits in out["families"].items():
        y = [100 * per_bits[str(b)]["agreement"]["mean"] for b in bits]
        lo = [100 * per_bits[str(b)]["agreement"]["min"] for b in bits]
        hi = [100 * per_bits[str(b)]["agreement"]["max"] for b in bits]
        line, = ax.plot(bits, y, marker="o", label=fam)
        ax.fill_between(bits, lo, hi, color=line.get_color(), alpha=0.15)
    ax.axhline(99, color="0.5", ls="--", lw=1)
    ax.set_xlabel("weight bits (conductance levels 2**B per device)")
    ax.set_ylabel("spike-count agreement, model vs float NIR (%)")
    ax.set_title(f"imported NIR graphs: {out['batch']} random inputs x {out['steps']} steps, "
                 f"{len(out['seeds'])} seeds (band: min..max)", fontsize=10)
    ax.set_xticks(list(bits))
    ax.legend(fontsize=8)
    save_figure(fig, path)


def nir_rtl(steps=200, batch=4, progress=True):
    from neuroxide.models.nir_map import parse_graph, to_core
    from neuroxide.testbench.runner import available_simulators
    from neuroxide.testbench.snn_bench import run_network
    net = parse_graph(make_graph((32, 24, 16, 8), "lif", "rec", 2.5, seed=11))
    mapping = to_core(net, 8)
    s = np.random.default_rng(12).random((steps, batch, 32)) < 0.2
    out = {"steps": steps, "batch": batch, "neurons": mapping.network.n_neurons,
           "adc_gain": [la.adc_gain for la in mapping.network.layers],
           "v_bits": [la.params.v_bits for la in mapping.network.layers],
           "recurrent": [la.recurrent for la in mapping.network.layers]}
    for sim in available_simulators():
        res = run_network(mapping.network, s, simulator=sim, build_dir=f"build/bench/nir_rtl/{sim}", lanes=8)
        out[sim] = {k: res[k] for k in ("mismatches", "cycles", "sop_per_cycle", "wall_s", "spikes_total")}
    return out


PAPER = str(Path(neuroxide.models.__file__).parent / "data" / "nir_paper")  # the package data
PAPER_DT = {"lif": 1e-4, "braille": 1e-4, "cnn": None}  # the paper's dt (the files carry none); cnn: IF -> dt = 1


def _import_cost(path, dt, max_count):
    """Wall time, peak RSS (VmHWM: ru_maxrss would carry the parent's peak across exec) and core-JSON
    size of ``load`` + ``to_core`` in a fresh interpreter."""
    import json
    import subprocess
    import sys
    code = ("import json, resource, sys, time\n"
            "t0 = time.perf_counter()\n"
            "from neuroxide.models.nir_map import load, to_core\n"
            "t1 = time.perf_counter()\n"
            f"net = load({str(path)!r}, {dt!r})\n"
            f"m = to_core(net, 8, max_count={max_count})\n"
            "t2 = time.perf_counter()\n"
            "size = len(json.dumps(m.to_dict()))\n"
            "hwm = [int(x.split()[1]) for x in open('/proc/self/status') if x.startswith('VmHWM')]\n"
            "peak = hwm[0] if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "print(json.dumps({'import_s': round(t2 - t1, 3), 'python_and_modules_s': round(t1 - t0, 3),"
            " 'peak_rss_mb': round(peak / 1024, 1), 'core_json_bytes': size}))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _agree(net, mapping, x, max_count=1):
    """Per layer: model vs float, weights-only float vs float, model vs weights-only float."""
    from neuroxide.models.nir_map import agreement, simulate_float
    from neuroxide.models.snn import SNNModel
    fl = simulate_float(net, x, max_count=max_count)
    fq = simulate_float(_weights_only(net, mapping), x, max_count=max_count)
    tr = SNNModel(mapping.network, x.shape[1]).run(mapping.core_input(x))
    layers = []
    for k in range(len(net.layers)):
        cm, cf, cq = mapping.node_counts(k, tr.counts(k)), fl["spikes"][k].sum(0), fq["spikes"][k].sum(0)
        layers.append({"node": net.layers[k].name, "model_vs_float": round(agreement(cm, cf)["overall"], 5),
                       "weights_only_vs_float": round(agreement(cq, cf)["overall"], 5),
                       "model_vs_weights_only": round(agreement(cm, cq)["overall"], 5),
                       "spikes_float": int(cf.sum()), "spikes_model": int(cm.sum())})
    cm, cf = tr.counts(), fl["spikes"][-1].sum(0)
    return {"layers": layers, "output": layers[-1],
            "class_agreement": round(float((cm.argmax(-1) == cf.argmax(-1)).mean()), 5),
            "class_float": cf.argmax(-1).tolist()[:8], "class_model": cm.argmax(-1).tolist()[:8]}


def nir_paper(batch=32, braille_steps=200, braille_rate=0.1, cnn_rate=0.23 / 8, progress=True):
    """Every graph of models/data/nir_paper imported and run on float and model (module docstring)."""
    from neuroxide.experiments.nir import random_input
    from neuroxide.models.nir_map import load, simulate_float, to_core
    from neuroxide.models.snn import SNNModel
    from neuroxide.models.snn_capacity import plan
    out = {"batch": batch, "files": {}}
    for path in sorted(Path(PAPER).glob("*.nir")):
        name = path.stem
        family = name.split("_")[0]
        dt = PAPER_DT[family]
        max_count = 8 if family == "cnn" else 1
        net = load(path, dt)
        mapping = to_core(net, 8, max_count=max_count)
        rec = {"dt": net.dt, "repairs": net.repairs, "notes": net.notes,
               "layers": [f"{la.kind} {la.n_in}->{la.n_out}" + (" conv" if la.conv else "") for la in net.layers],
               "core_layers": [(c.n_in, c.n_out, "conv" if c.is_conv else "dense") for c in mapping.network.layers],
               "cost": _import_cost(path, dt, max_count)}
        if family == "lif":
            csv = np.loadtxt(Path(PAPER) / f"{name}_trace.csv", delimiter=",")
            x = csv[:, 0].astype(bool)[:, None, None]
            fl = simulate_float(net, x)
            tr = SNNModel(mapping.network).run(mapping.core_input(x))
            rec |= {"paper_input_spikes": int(x.sum()),
                    "float_steps": np.nonzero(fl["spikes"][-1][:, 0, 0])[0].tolist(),
                    "model_steps": np.nonzero(tr.spikes[-1][:, 0, 0])[0].tolist(),
                    "framework_trace_steps": np.nonzero(csv[:, 2])[0].tolist(),
                    "float_vs_trace_membrane_max_abs": float(np.abs(fl["v"][:, 0, 0] - csv[:, 1]).max())}
        elif family == "braille":
            x = random_input(net.n_in, braille_steps, batch, braille_rate, 1)
            rec |= {"input": f"{batch} x {braille_steps} steps, Bernoulli rate {braille_rate}",
                    **_agree(net, mapping, x)}
            per = _agree(net, to_core(net, 8, weight_scale="neuron"), x)
            rec["weight_scale_neuron"] = {"layers": per["layers"], "class_agreement": per["class_agreement"]}
            if "subtract" in name:  # trained with snnTorch's subtract reset (bias_zero: reset to zero, as NIR says)
                sub = load(path, dt, reset="subtract")
                for key, scale in (("reset_subtract", "layer"), ("reset_subtract_weight_scale_neuron", "neuron")):
                    per = _agree(sub, to_core(sub, 8, weight_scale=scale), x)
                    rec[key] = {"layers": per["layers"], "class_agreement": per["class_agreement"]}
            for board, lanes in (("icebreaker", 4), ("ulx3s-85f", 16)):
                p = plan(mapping.network, lanes, board)
                rec[f"plan_{board}_lanes{lanes}"] = {"fits": p.fits, "bram": p.bram_needed, "bram_available": p.device.bram,
                                                     "spram": p.spram_needed, "weights": p.weight_kind}
        else:
            sample = np.load(Path(PAPER) / "nmnist_sample_counts.npy")[:, None]
            rec["nmnist_sample"] = _agree(net, mapping, sample.reshape(10, 1, -1).astype(np.int16), max_count)
            x = random_input(net.n_in, 10, batch, cnn_rate, 1, max_count)
            rec["event_like_random"] = {"input": f"{batch} x 10 bins, Binomial({max_count}, {cnn_rate:.4f}) counts",
                                        **_agree(net, mapping, x, max_count)}
            per = _agree(net, to_core(net, 8, max_count=max_count, weight_scale="neuron"), x, max_count)
            rec["event_like_random_weight_scale_neuron"] = {"layers": per["layers"],
                                                            "class_agreement": per["class_agreement"]}
            sub = load(path, dt, reset="subtract")
            for key, scale in (("reset_subtract", "layer"), ("reset_subtract_weight_scale_neuron", "neuron")):
                m_sub = to_core(sub, 8, max_count=max_count, weight_scale=scale)
                rec[key] = {"nmnist_sample": _agree(sub, m_sub, sample.reshape(10, 1, -1).astype(np.int16), max_count),
                            "event_like_random": _agree(sub, m_sub, x, max_count)}
            for board, lanes in (("ulx3s-85f", 16), ("ulx3s-85f", 4)):
                p = plan(mapping.network, lanes, board)
                top = sorted(p.memories, key=lambda m: -m.blocks)[:3]
                rec[f"plan_{board}_lanes{lanes}"] = {"fits": p.fits, "bram": p.bram_needed,
                                                     "bram_available": p.device.bram,
                                                     "largest": [f"{m.name} {m.blocks}" for m in top]}
        out["files"][name] = rec
    return out


def nir_paper_rtl(steps=60, batch=2):
    """The LIF files on the paper's input and the four Braille graphs (``steps`` x ``batch`` random
    inputs) through the cocotb bench on every installed simulator: mismatches and cycles."""
    from neuroxide.experiments.nir import random_input
    from neuroxide.models.nir_map import load, to_core
    from neuroxide.testbench.runner import available_simulators
    from neuroxide.testbench.snn_bench import run_network
    out = {}
    for path in sorted(Path(PAPER).glob("*.nir")):
        family = path.stem.split("_")[0]
        if family == "cnn":
            continue  # the CNN's RTL run: docs/nir.md (minutes per sample)
        net = load(path, PAPER_DT[family])
        mapping = to_core(net, 8)
        if family == "lif":
            x = np.loadtxt(Path(PAPER) / f"{path.stem}_trace.csv", delimiter=",")[:, 0].astype(bool)[:, None, None]
        else:
            x = random_input(net.n_in, steps, batch, 0.1, 1)
        out[path.stem] = {}
        for sim in available_simulators():
            res = run_network(mapping.network, mapping.core_input(x).astype(np.uint8), simulator=sim,
                              build_dir=f"build/bench/nir_paper_rtl/{path.stem}/{sim}", lanes=8)
            out[path.stem][sim] = {k: res[k] for k in ("mismatches", "cycles", "wall_s", "spikes_total")}
    return out


PARTS = {"nir-agreement": nir_agreement, "nir-rtl": nir_rtl, "nir-paper": nir_paper, "nir-paper-rtl": nir_paper_rtl}
