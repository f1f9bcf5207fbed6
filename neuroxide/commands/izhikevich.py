"""``neuroxide izhikevich``: the 20 panels of Izhikevich (2004), float vs fixed point vs RTL.

The experiment is ``neuroxide.experiments.izhikevich``; this module parses its options, runs it and
prints the per-panel table (and the catalogue figure with ``--plot``).
"""

from neuroxide.commands import add_backend, add_json, emit, flags_of, naming_flags, plot_path, status, table
from neuroxide.experiments.backends import Backend
from neuroxide.experiments.izhikevich import BACKENDS, IzhikevichSetup
from neuroxide.fileio import check_folder, check_output

__all__ = ["register"]


def _panels(text):
    """``all`` or a comma list (the text itself when the list is empty, so the error names it)."""
    from neuroxide.models.izhikevich import PANELS
    if text.lower() == "all":
        return list(PANELS)
    return [p.strip() for p in text.split(",") if p.strip()] or [text]


def cmd_izhikevich(args):
    from neuroxide.experiments.izhikevich import plot_catalogue, run_izhikevich
    with naming_flags(flags_of(IzhikevichSetup, panels="panel")):
        setup = IzhikevichSetup(_panels(args.panel), args.backend)
    plot = check_output("--plot", plot_path(args.plot))
    check_folder("--build-dir", args.build_dir)
    if setup.backend is Backend.RTL:
        from neuroxide.flow import check_simulation
        check_simulation(args.simulator, 1, None)
        status(f"running {len(setup.panels)} panel(s) on the RTL ({args.simulator or 'default simulator'}) ...")
    result = run_izhikevich(setup, args.simulator, args.build_dir)
    if plot:
        plot_catalogue(result, plot)
    report = result.to_dict() | {"plot": plot}
    rows = result.panels
    dash = lambda x: "-" if x is None else x  # noqa: E731
    text = table([[r.panel, r.behaviour, r.spikes_float, dash(r.spikes_fixed), dash(r.max_shift_steps),
                   dash(r.rtl_mismatches), dash(r.match)] for r in rows],
                 ["panel", "behaviour", "spikes float", "spikes fixed", "max shift (steps)", "RTL mismatches", "match"])
    if setup.backend is not Backend.FLOAT:
        text += f"\n{result.matched}/{len(rows)} panels: spike count equal and every spike within one step"
    if plot:
        text += f"\nplot: {plot}"
    emit(args, report, text)
    return 0 if setup.backend is Backend.FLOAT or result.matched == len(rows) else 1


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
    add_backend(p, BACKENDS, Backend.MODEL)
    p.add_argument("--simulator", default=None, help="icarus | verilator for --backend rtl (default: icarus if present)")
    p.add_argument("--build-dir", default="build/izhikevich", help="simulator build folder (default build/izhikevich)")
    p.add_argument("--plot", metavar="FILE.png", help="save the 5x4 catalogue of the panels as a PNG")
    add_json(p)
    p.set_defaults(func=cmd_izhikevich)
