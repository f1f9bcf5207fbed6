"""``neuroxide hh``: float Hodgkin-Huxley vs the fixed-point LUT model (and its RTL) on a stimulus set.

The experiment is ``neuroxide.experiments.hh``; this module parses its options, runs it and prints
the per-stimulus table (and the membrane traces with ``--plot``).
"""

from neuroxide.commands import add_backend, add_json, emit, flags_of, naming_flags, plot_path, status, table
from neuroxide.experiments.backends import Backend
from neuroxide.experiments.hh import BACKENDS, RMSE_TARGET_MV, HHSetup
from neuroxide.fileio import check_folder, check_output

__all__ = ["register"]


def _stimuli(text):
    """``all`` or a comma list -> stimulus names (the text itself when the list is empty, so the
    error names what was typed)."""
    from neuroxide.models.hh import STIMULI
    return list(STIMULI) if text == "all" else [s.strip() for s in text.split(",") if s.strip()] or [text]


def cmd_hh(args):
    from neuroxide.experiments.hh import plot_hh, run_hh
    with naming_flags(flags_of(HHSetup, stimuli="--stimulus")):
        setup = HHSetup(_stimuli(args.stimulus), args.steps, args.backend, args.vo2)
    plot = check_output("--plot", plot_path(args.plot))
    check_folder("--build-dir", args.build_dir)
    if setup.backend is Backend.RTL:
        from neuroxide.flow import check_simulation
        check_simulation(args.simulator, 1, None)
        status(f"running {len(setup.stimuli)} stimuli on the RTL ({args.simulator or 'default simulator'}) ...")
    result = run_hh(setup, args.simulator, args.build_dir)
    if plot:
        plot_hh(result, plot)
    report = result.to_dict() | {"plot": plot}
    vo2 = result.vo2
    dash = lambda x: "-" if x is None else x  # noqa: E731
    rows = result.rows
    text = table([[r["stimulus"], f"{r['rmse_mv']:.4f}", f"{r['max_abs_mv']:.3f}", r["spikes_float"],
                   r["spikes_fixed"], dash(r["max_shift_steps"]), dash(r["rtl_mismatches"]), r["match"]] for r in rows],
                 ["stimulus", "RMSE mV", "max |dv| mV", "spikes float", "spikes fixed", "max shift (steps)",
                  "RTL mismatches", "ok"])
    text += (f"\nworst RMSE {result.max_rmse_mv:.4f} mV (target < {RMSE_TARGET_MV} mV); "
             f"{result.matched}/{len(rows)} stimuli: RMSE below target, same spike count, shift <= 1 step")
    if vo2 is not None:
        text += f"\ntwo-VO2-channel neuron: {vo2['spikes']} spikes at {vo2['rate_hz'] / 1e3:.1f} kHz"
    if plot:
        text += f"\nplot: {plot}"
    emit(args, report, text)
    return 0 if result.matched == len(rows) else 1


def register(sub):
    p = sub.add_parser(
        "hh", help="Hodgkin-Huxley: float vs fixed-point LUT model vs RTL (membrane RMSE, spike times)",
        description="Run the classic squid-axon Hodgkin-Huxley neuron (forward Euler, dt = 0.01 ms) in float64 "
        "and in fixed point with interpolated lookup-table gating (the model, or the generated Verilog under "
        "cocotb) over a standard stimulus set (rest, steps, pulses, ramp, noise), and report the membrane "
        "RMSE and spike-time shifts. Exit 1 if a stimulus misses RMSE < 1.83 mV, the spike count, or a "
        "one-step spike-time match.",
        epilog="examples:\n  neuroxide hh\n  neuroxide hh --stimulus step15,noise --json\n"
        "  neuroxide hh --backend rtl --simulator verilator --plot hh.png --vo2",
        formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    p.add_argument("--stimulus", default="all", help="comma list of rest, step3, step7, step15, step40, pulse, "
                   "ramp, noise, or all (default)")
    add_backend(p, BACKENDS, Backend.MODEL)
    p.add_argument("--steps", type=int, default=None, help="0.01 ms steps per stimulus, 10..10000 (default 10000)")
    p.add_argument("--simulator", default=None, help="icarus | verilator for --backend rtl")
    p.add_argument("--build-dir", default="build/hh", help="simulator build folder (default build/hh)")
    p.add_argument("--plot", metavar="FILE.png", help="save float vs fixed membrane traces as a PNG")
    p.add_argument("--vo2", action="store_true", help="also simulate the two-VO2-channel HH neuron (float "
                   "device model) and add it to the report and plot")
    add_json(p)
    p.set_defaults(func=cmd_hh)
