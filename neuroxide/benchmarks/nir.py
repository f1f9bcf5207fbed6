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

Part ``nir-rtl``: one imported 3-layer graph (bias, a recurrent crossbar on the first layer,
adc_gain) through the cocotb bench on every installed simulator: mismatches (full state, every
step) and cycles.
"""

import copy

import numpy as np

__all__ = ["PARTS", "FAMILIES", "make_graph", "nir_agreement", "nir_rtl"]

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
    """The float network with only its weights (feed-forward and recurrent crossbars) replaced by
    what the crossbars hold."""
    q = copy.deepcopy(net)
    for fl, core, info in zip(q.layers, mapping.network.layers, mapping.layers):
        fl.weight = core.weights * info["level"] / info["col_gain"]
        if core.recurrent:
            fl.rec = (core.w_rec_exc - core.w_rec_inh) * info["level"] / info["col_gain"]
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


PARTS = {"nir-agreement": nir_agreement, "nir-rtl": nir_rtl}
