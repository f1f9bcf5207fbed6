"""``neuroxide maxcut GRAPH``: max-cut on the oscillatory Ising machine (fixed-point model or RTL)."""

from neuroxide.commands import add_json, check_range, emit, status, table
from neuroxide.fileio import check_folder

__all__ = ["register", "ECP5_FMAX_MHZ", "cycles_per_run"]

# Fmax of the sparse onn-core on ULX3S-85F (ECP5-85F) from nextpnr 44.95 MHz, measured with
# `neuroxide build onn-core --board ulx3s-85f -p graph=G22` (see docs/onn.md); the time to solution
# is the cycle count at this clock. --fmax-mhz overrides it.
ECP5_FMAX_MHZ = 44.9


def cycles_per_run(entries, sweeps):
    """Clock cycles of one anneal on the core: 1 start clock + sweeps * (entries + 4)."""
    return 1 + sweeps * (entries + 4)


def _naming_graph(source, func, *a):
    """``func(*a)``; a ParameterError on a derived field (the coupling scale the weights need) names the graph."""
    from neuroxide.errors import ParameterError
    try:
        return func(*a)
    except ParameterError as exc:
        if exc.field.startswith(("--", "graph", "header", "edge")):
            raise
        why = (f"{exc.why}; " if exc.why else "") + f"set by the edge weights of graph {source}"
        raise ParameterError(exc.field, exc.value, exc.allowed, why=why) from None


def cmd_maxcut(args):
    import numpy as np

    from neuroxide.models.gset import best_known, cut_value, known_gset, load_graph
    from neuroxide.models.onn import solve_maxcut
    from neuroxide.rtl.onn_core import coupling_words
    sweeps = check_range("--sweeps", args.sweeps, 1, 65535)
    restarts = check_range("--restarts", args.restarts, 1, 1024)
    seed = check_range("--seed", args.seed, 0, 0xFFFF_FFFF)
    if args.fmax_mhz is not None:
        check_range("--fmax-mhz", args.fmax_mhz, 0.001, 10_000.0, kind=float)
    check_folder("--build-dir", args.build_dir)
    graph = load_graph(args.graph)
    gset_name = known_gset(args.graph)
    known = best_known().get(gset_name) if gset_name else None
    if args.backend == "model":
        res = _naming_graph(args.graph, solve_maxcut, graph, sweeps, restarts, seed)
        cut, cuts, params, wall = res.cut, res.cuts, res.params, res.wall_s
        spins = res.spins
    else:
        from neuroxide.designs import configure
        from neuroxide.flow import simulate_design
        from neuroxide.testbench.runner import available_simulators
        sim = args.simulator or ("verilator" if "verilator" in available_simulators() else None)
        cuts, wall, mism = [], 0.0, 0
        spins = None
        for r in range(restarts):
            cfg = configure("onn-core", {"graph": str(args.graph), "anneal_steps": sweeps,
                                         "seed": (seed + r) & 0xFFFF_FFFF})
            status(f"maxcut: RTL restart {r + 1}/{restarts} on {sim or 'default simulator'}")
            out = simulate_design(cfg, sim, sweeps, args.build_dir)
            mism += out["mismatches"]
            wall += out["wall_s"]
            cuts.append(int(out["cut"]))
            if spins is None or cuts[-1] == max(cuts):
                spins = np.array(out["spins"])
        params = cfg.params
        cut = max(cuts)
        assert cut == cut_value(graph, spins)
    from neuroxide.models.gset import ising_couplings
    entries = len(coupling_words(params, ising_couplings(graph), dense=False))
    cycles = restarts * cycles_per_run(entries, sweeps)
    fmax = args.fmax_mhz if args.fmax_mhz is not None else ECP5_FMAX_MHZ
    result = {"graph": graph.name, "nodes": graph.nodes, "edges": graph.n_edges, "cut": int(cut),
              "best_known": known, "ratio": round(cut / known, 5) if known else None, "cuts": [int(c) for c in cuts],
              "backend": args.backend, "sweeps": sweeps, "restarts": restarts, "seed": seed,
              "cycles": cycles, "cycles_per_sweep": entries + 4, "fmax_mhz": fmax,
              "time_to_solution_s": cycles / (fmax * 1e6) if fmax else None,
              "couple_shift": params.couple_shift, "wall_s": round(wall, 3)}
    if args.backend == "rtl":
        result["mismatches"] = mism
    rows = [[graph.name, graph.nodes, graph.n_edges, cut, known or "-",
             f"{100 * cut / known:.2f}" if known else "-", cycles,
             f"{result['time_to_solution_s'] * 1e3:.3f}" if fmax else "-"]]
    human = table(rows, ["graph", "nodes", "edges", "cut", "best known", "% of best", "cycles", "time (ms)"])
    human += f"\ncuts per restart: {result['cuts']}"
    if not fmax:
        human += "\n(no Fmax known: pass --fmax-mhz for the time to solution)"
    emit(args, result, human)
    return 0 if args.backend == "model" or result.get("mismatches") == 0 else 1


def register(sub):
    p = sub.add_parser(
        "maxcut", help="max-cut of a graph on the oscillatory Ising machine",
        description="Anneal the ONN on a graph (J = -W): injection locking at 2f binarises the phases into spins "
        "while the noise decays; the best cut over the restarts is reported with the cycles the core "
        "needs and the time at the ECP5 Fmax.\n\nexamples:\n  neuroxide maxcut G11\n"
        "  neuroxide maxcut G22 --sweeps 2000 --restarts 16 --json\n  neuroxide maxcut my_graph.txt --backend rtl",
        formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    p.add_argument("graph", help="G-set name (G1..G22, packaged) or a graph file ('N E' then 'i j w' lines)")
    p.add_argument("--backend", choices=("model", "rtl"), default="model",
                   help="model: fixed-point numpy model (default); rtl: cocotb run of the core, checked step by step")
    p.add_argument("--seed", type=int, default=1, help="PRNG seed; restart r uses seed + r (default 1)")
    p.add_argument("--sweeps", type=int, default=2000, help="steps of the anneal, 1..65535 (default 2000)")
    p.add_argument("--restarts", type=int, default=8, help="independent anneals, best kept, 1..1024 (default 8)")
    p.add_argument("--simulator", choices=("icarus", "verilator"), help="rtl backend simulator (default: verilator)")
    p.add_argument("--fmax-mhz", type=float, help="clock for the time to solution (default: measured ECP5 Fmax)")
    p.add_argument("--build-dir", default="build/maxcut", help="rtl backend build folder")
    add_json(p)
    p.set_defaults(func=cmd_maxcut)
