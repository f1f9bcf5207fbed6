"""Benchmarks of the ONN: max-cut quality on G1-G22, Hopfield retrieval vs noise, the 800-node
Verilator anneal, board resources/Fmax (sparse G22 and dense N oscillators) and resources vs N."""

import time

import numpy as np

__all__ = ["PARTS"]


def bench_maxcut(sweeps=2000, restarts=16, seed=1):
    """Fixed-point model on every G-set graph: best of ``restarts`` anneals of ``sweeps`` steps."""
    from neuroxide.experiments.maxcut import MaxcutSetup, cycles_per_run, run_maxcut
    from neuroxide.models.gset import best_known, gset_names
    bk = best_known()
    rows = {}
    t0 = time.perf_counter()
    for name in gset_names():
        r = run_maxcut(MaxcutSetup(name, sweeps=sweeps, restarts=restarts, seed=seed))
        rows[name] = {"nodes": r.nodes, "edges": r.edges, "cut": r.cut, "best_known": bk[name],
                      "ratio": round(r.cut / bk[name], 5), "mean_restart_ratio": round(float(np.mean(r.cuts)) / bk[name], 5),
                      "couple_shift": r.couple_shift, "cycles": r.cycles,
                      "cycles_per_sweep": r.cycles_per_sweep,
                      "cycles_one_anneal": cycles_per_run(r.cycles_per_sweep, sweeps), "model_wall_s": round(r.wall_s, 2)}
    ratios = [v["ratio"] for v in rows.values()]
    return {"sweeps": sweeps, "restarts": restarts, "seed": seed, "graphs": rows,
            "mean_ratio": round(float(np.mean(ratios)), 5), "min_ratio": round(float(np.min(ratios)), 5),
            "target_mean_0.99_met": bool(np.mean(ratios) >= 0.99), "target_each_0.98_met": bool(np.min(ratios) >= 0.98),
            "wall_s": round(time.perf_counter() - t0, 1)}


def bench_hopfield(n=100, loads=(0.05, 0.1), noises=(0.1, 0.2, 0.3), seeds=range(1, 6)):
    """Fixed-point ONN vs float Hopfield (same Hebbian weights), pixel accuracy averaged over seeds."""
    from neuroxide.models import hopfield as hf
    out = []
    for load in loads:
        for f in noises:
            acc, base = [], []
            for s in seeds:
                pats = hf.random_patterns(n, max(1, int(round(load * n))), s)
                W = hf.hebbian(pats)
                probes = hf.corrupt(pats, f, s + 100)
                acc.append((hf.retrieve_onn_model(hf.quantise(W, 5), probes) == pats).mean())
                base.append((hf.retrieve_float_hopfield(W, probes, s) == pats).mean())
            out.append({"load": load, "noise": f, "onn_accuracy": round(float(np.mean(acc)), 5),
                        "float_hopfield_accuracy": round(float(np.mean(base)), 5),
                        "onn_ge_float": bool(np.mean(acc) >= np.mean(base))})
    return {"n": n, "seeds": len(list(seeds)), "rule": "hebbian", "weight_bits": 5, "rows": out}


def bench_verilator_anneal(graph="G1", sweeps=2000, build_dir="build/bench/onn_sim"):
    """Full anneal of an 800-node G-set graph on Verilator, every phase compared every step."""
    from neuroxide.designs import configure
    from neuroxide.flow import simulate_design
    cfg = configure("onn-core", {"graph": graph, "anneal_steps": sweeps})
    res = simulate_design(cfg, "verilator", sweeps, build_dir)
    return {k: res.get(k) for k in ("steps", "cycles", "mismatches", "field_mismatches", "cut", "wall_s",
                                    "build_s", "free_run_s", "trace_read_s", "cycles_per_s")} | {"graph": graph}


def bench_boards(build_dir="build/bench/onn_boards"):
    """The default core, the sparse G22 core (8 lanes), dense 512 and 800 oscillators (8 lanes) on
    ULX3S-85F; sparse G11 on iCEBreaker (1 lane: the phase RAM is replicated per lane, and the UP5K
    has 30 block RAMs)."""
    from neuroxide.designs import configure
    from neuroxide.flow import build_design
    out = {}
    for key, board, over in (("ulx3s_default", "ulx3s-85f", {}),
                             ("ulx3s_sparse_G22_l8", "ulx3s-85f", {"graph": "G22", "lanes": 8}),
                             ("ulx3s_dense_512", "ulx3s-85f", {"n": 512, "dense": 1}),
                             ("ulx3s_dense_800_l8", "ulx3s-85f", {"n": 800, "dense": 1, "lanes": 8}),
                             ("icebreaker_sparse_G11", "icebreaker", {"graph": "G11", "lanes": 1})):
        res = build_design(configure("onn-core", over), board, build_dir)
        out[key] = {k: res.get(k) for k in ("device", "luts", "ffs", "brams", "dsps", "fmax_mhz", "build_s")}
    return out


def bench_resources_vs_n(ns=(64, 128, 256, 512), board="ulx3s-85f", build_dir="build/bench/onn_scaling",
                         plot="docs/img/onn_resources_vs_n.png"):
    """Dense builds at several N on the ECP5: LUTs, FFs, BRAMs, Fmax vs N, plotted."""
    from neuroxide.designs import configure
    from neuroxide.flow import build_design
    rows = []
    for n in ns:
        res = build_design(configure("onn-core", {"n": n, "dense": 1}), board, build_dir)
        rows.append({"n": n} | {k: res.get(k) for k in ("luts", "ffs", "brams", "dsps", "fmax_mhz", "build_s")})
    from neuroxide.fileio import save_figure
    from neuroxide.plots import new_figure
    fig = new_figure(figsize=(5.5, 3.8))
    ax = fig.subplots()
    x = [r["n"] for r in rows]
    for key in ("luts", "ffs", "brams"):
        ax.loglog(x, [max(r[key] or 0, 1) for r in rows], "o-", label=key)
    ax.set_xlabel("fully connected oscillators N")
    ax.set_ylabel("count")
    ax.set_title(f"dense onn-core on {board}")
    ax.legend()
    fig.tight_layout()
    save_figure(fig, plot)
    return {"board": board, "rows": rows, "plot": plot}


def tts_99(t_run_s, p_success, target=0.99):
    """Time to solution: ``t_run * ln(1 - target) / ln(1 - P)`` (one run when P = 1, None when P = 0)."""
    import math
    if p_success <= 0:
        return None
    if p_success >= 1:
        return t_run_s
    return t_run_s * math.log(1 - target) / math.log(1 - p_success)


def bench_tts(graphs=None, sweeps=(1000, 3000), runs=100, lanes=8, fmax_mhz=None, seed=1):
    """TTS(99 %) of every G-set graph on the core: P = fraction of ``runs`` seeded model runs (seeds
    ``seed .. seed + runs - 1``, compiled back end, bit-exact images of the RTL) whose cut reaches
    99 % of the best known, time per run = clocks of one anneal (``lanes`` lanes) at ``fmax_mhz``
    (default: the measured ECP5 Fmax); the best TTS over ``sweeps`` is kept. Flips per ns =
    oscillator updates per ns of a run."""
    from neuroxide.experiments.maxcut import ECP5_FMAX_MHZ, core_cycles
    from neuroxide.models.gset import best_known, cut_value, gset_names, ising_couplings, load_graph
    from neuroxide.models.onn import ONNModel, anneal_params, maxcut_params
    fmax = fmax_mhz or ECP5_FMAX_MHZ
    bk = best_known()
    rows = {}
    t0 = time.perf_counter()
    for name in graphs or gset_names():
        g = load_graph(name)
        J = ising_couplings(g)
        best = None
        points = []
        for s in sweeps:
            p = anneal_params(s, maxcut_params(J))
            model = ONNModel(p, J, seed, runs, backend="compiled")
            model.run(s)
            cuts = cut_value(g, model.spins())
            _, per_sweep, one = core_cycles(p, g, s, lanes)
            t_run = one / (fmax * 1e6)
            prob = float(np.mean(cuts >= 0.99 * bk[name]))
            tts = tts_99(t_run, prob)
            point = {"sweeps": s, "p99": prob, "mean_ratio": round(float(np.mean(cuts)) / bk[name], 5),
                     "best_ratio": round(float(np.max(cuts)) / bk[name], 5), "cycles_per_sweep": per_sweep,
                     "t_run_s": t_run, "tts99_s": tts, "flips_per_ns": g.nodes * s / t_run / 1e9}
            points.append(point)
            if tts is not None and (best is None or tts < best["tts99_s"]):
                best = point
        rows[name] = {"nodes": g.nodes, "edges": g.n_edges, "best_known": bk[name], "best": best, "points": points}
    return {"runs": runs, "lanes": lanes, "fmax_mhz": fmax, "seed": seed, "sweeps": list(sweeps), "graphs": rows,
            "wall_s": round(time.perf_counter() - t0, 1)}


PARTS = {"onn_tts": bench_tts, "onn_maxcut": bench_maxcut, "onn_hopfield": bench_hopfield, "onn_verilator": bench_verilator_anneal,
         "onn_boards": bench_boards, "onn_scaling": bench_resources_vs_n}
