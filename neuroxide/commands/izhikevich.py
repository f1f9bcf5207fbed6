"""``neuroxide izhikevich``: the 20 panels of Izhikevich (2004), float vs fixed point vs RTL."""

from neuroxide.commands import add_json, emit, plot_path, status, table
from neuroxide.errors import ParameterError
from neuroxide.fileio import check_folder, check_output

__all__ = ["register", "run_izhikevich", "plot_catalogue"]

BACKENDS = ("float", "model", "rtl")


def _panels(text):
    from neuroxide.models.izhikevich import PANELS, check_panels
    if text.lower() == "all":
        return list(PANELS)
    return check_panels([p.strip() for p in text.split(",") if p.strip()] or [text])


def run_izhikevich(panels, backend="model", simulator=None, build_dir="build/izhikevich", progress=None):
    """Per-panel rows ``panel, behaviour, spikes_float, spikes_fixed, max_shift_steps, rtl_mismatches,
    match`` plus traces (``times_ms``, ``v_float``, ``v_plot``) for the catalogue.

    ``float``: reference only; ``model``: + the fixed-point model; ``rtl``: + the cocotb run of the
    Verilog (spike counts and times then come from the RTL, and its mismatches against the model).
    """
    import numpy as np

    from neuroxide.models import izhikevich as iz
    if backend not in BACKENDS:
        raise ParameterError("--backend", backend, " | ".join(BACKENDS))
    results = iz.run_panels(panels)
    rtl = None
    if backend == "rtl":
        from neuroxide.designs import configure
        from neuroxide.flow import simulate_design
        cfg = configure("izhikevich", {"panel": "all"})
        cfg = type(cfg)(**(cfg.__dict__ | {"panels": tuple(panels)}))
        rtl = simulate_design(cfg, simulator, 10**6, build_dir, progress=progress)
    rows = []
    for r in results:
        row = {"panel": r["panel"], "behaviour": r["behaviour"], "steps": r["steps"],
               "spikes_float": r["spikes_float"], "spikes_fixed": None, "max_shift_steps": None,
               "rtl_mismatches": None, "times_ms": r["times_ms"], "v_float": r["float_v"], "v_plot": r["float_v"]}
        if backend == "model":
            row.update(spikes_fixed=r["spikes_fixed"], max_shift_steps=r["max_shift_steps"], v_plot=r["fixed_v"])
        elif backend == "rtl":
            got = rtl["per_panel"][r["panel"]]
            n = r["steps"]
            steps_rtl = [s for s in got["spike_steps_rtl"] if s < n]
            _, shift = iz.compare_spikes(r["spike_steps_float"], steps_rtl)
            v = np.array(got["v_mv_rtl"][:n])
            v[steps_rtl] = iz.V_PEAK_MV  # drawn like the figure: the spike step at the 30 mV peak
            row.update(spikes_fixed=len(steps_rtl), max_shift_steps=shift, rtl_mismatches=got["mismatches"],
                       v_plot=v)
        if backend == "float":
            row["match"] = None
        else:
            row["match"] = bool(row["spikes_fixed"] == row["spikes_float"] and row["max_shift_steps"] is not None
                                and row["max_shift_steps"] <= 1 and not row["rtl_mismatches"])
        rows.append(row)
    return rows, rtl


def plot_catalogue(rows, path, backend):
    """The 5x4 catalogue of the 20 panels (or fewer), ``v_plot`` over the float reference."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from neuroxide.fileio import save_figure
    from neuroxide.models.izhikevich import load_protocols, stimulus_current
    protos = load_protocols()
    ncols = 4
    nrows = max(1, -(-len(rows) // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(13, 2.3 * nrows), squeeze=False)
    label = {"float": "float64 reference", "model": "fixed-point model", "rtl": "RTL (cocotb run)"}[backend]
    for ax in axes.flat[len(rows):]:
        ax.axis("off")
    for ax, row in zip(axes.flat, rows):
        t = row["times_ms"]
        if backend != "float":
            ax.plot(t, row["v_float"], color="0.7", lw=2.2, label="float64")
        ax.plot(t, row["v_plot"], color="C0", lw=0.8, label=label)
        current = stimulus_current(row["panel"], t)
        span = np.ptp(current) or 1.0
        ax.plot(t, -95 + 12 * (current - current.min()) / span, color="C3", lw=0.8)
        ok = "" if row["match"] is None else ("  ok" if row["match"] else "  MISMATCH")
        ax.set_title(f"({row['panel']}) {protos[row['panel']].behaviour}{ok}", fontsize=9)
        ax.set_ylim(-100, 40)
        ax.tick_params(labelsize=7)
    axes.flat[0].legend(fontsize=6, loc="upper right")
    fig.suptitle(f"Izhikevich (2004) firing patterns: {label} over float64 (grey); input current in red "
                 "(scaled); x: ms, y: mV", fontsize=10)
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)
    return path


def cmd_izhikevich(args):
    panels = _panels(args.panel)
    plot = check_output("--plot", plot_path(args.plot))
    check_folder("--build-dir", args.build_dir)
    if args.backend not in BACKENDS:
        raise ParameterError("--backend", args.backend, " | ".join(BACKENDS))
    if args.backend == "rtl":
        from neuroxide.flow import check_simulation
        check_simulation(args.simulator, 1, None)
        status(f"running {len(panels)} panel(s) on the RTL ({args.simulator or 'default simulator'}) ...")
    rows, rtl = run_izhikevich(panels, args.backend, args.simulator, args.build_dir)
    if plot:
        plot_catalogue(rows, plot, args.backend)
    keys = ("panel", "behaviour", "spikes_float", "spikes_fixed", "max_shift_steps", "rtl_mismatches", "match")
    out_rows = [{k: r[k] for k in keys} for r in rows]
    matched = sum(1 for r in rows if r["match"])
    result = {"backend": args.backend, "panels": out_rows, "matched": matched, "total": len(rows), "plot": plot,
              "simulator": rtl["simulator"] if rtl else None}
    dash = lambda x: "-" if x is None else x  # noqa: E731
    text = table([[r["panel"], r["behaviour"], r["spikes_float"], dash(r["spikes_fixed"]), dash(r["max_shift_steps"]),
                   dash(r["rtl_mismatches"]), dash(r["match"])] for r in rows],
                 ["panel", "behaviour", "spikes float", "spikes fixed", "max shift (steps)", "RTL mismatches", "match"])
    if args.backend != "float":
        text += f"\n{matched}/{len(rows)} panels: spike count equal and every spike within one step"
    if plot:
        text += f"\nplot: {plot}"
    emit(args, result, text)
    return 0 if args.backend == "float" or matched == len(rows) else 1


def register(sub):
    p = sub.add_parser(
        "izhikevich", help="the 20 firing patterns of Izhikevich (2004): float vs fixed point vs RTL",
        description="Run the 20 panels of Izhikevich's 2004 firing-pattern figure with the exact protocol "
        "(forward Euler, dt and input from models/data/izhikevich2004_protocols.csv) in float64, in the "
        "fixed-point model (Q.40 v and u) and/or on the generated Verilog under cocotb, and compare spike "
        "counts and times. Exit 1 if a panel's spike count differs or a spike moves by more than one step.",
        epilog="examples:\n  neuroxide izhikevich\n  neuroxide izhikevich --panel H --json\n"
        "  neuroxide izhikevich --backend rtl --plot catalogue.png\n"
        "  neuroxide izhikevich --backend rtl --simulator verilator --panel A,C,H",
        formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    p.add_argument("--panel", default="all", help="A..T, a comma list (A,C,H) or all (default)")
    p.add_argument("--backend", default="model", help="float | model (default) | rtl (cocotb run of the Verilog)")
    p.add_argument("--simulator", default=None, help="icarus | verilator for --backend rtl (default: icarus if present)")
    p.add_argument("--build-dir", default="build/izhikevich", help="simulator build folder (default build/izhikevich)")
    p.add_argument("--plot", metavar="FILE.png", help="save the 5x4 catalogue of the panels as a PNG")
    add_json(p)
    p.set_defaults(func=cmd_izhikevich)
