"""``neuroxide hh``: float Hodgkin-Huxley vs the fixed-point LUT model (and its RTL) on a stimulus set."""

from neuroxide.commands import add_json, check_range, emit, plot_path, status, table
from neuroxide.errors import ParameterError
from neuroxide.fileio import check_folder, check_output

__all__ = ["register", "run_hh", "plot_hh", "RMSE_TARGET_MV"]

RMSE_TARGET_MV = 1.83  # best published single-multiplier FPGA HH
BACKENDS = ("model", "rtl")


def _stimuli(text):
    from neuroxide.models.hh import STIMULI
    names = list(STIMULI) if text == "all" else [s.strip() for s in text.split(",") if s.strip()]
    for name in names or [text]:
        if name not in STIMULI:
            raise ParameterError("--stimulus", name, " | ".join(STIMULI) + " or all")
    return names


def run_hh(names, steps=None, backend="model", simulator=None, build_dir="build/hh"):
    """Per-stimulus rows: ``stimulus, rmse_mv, max_abs_mv, spikes_float, spikes_fixed, max_shift_steps,
    rtl_mismatches`` (RMSE and spikes from the RTL run with ``backend="rtl"``) plus traces."""
    import numpy as np

    from neuroxide.models import hh
    if backend not in BACKENDS:
        raise ParameterError("--backend", backend, " | ".join(BACKENDS))
    rows = hh.compare(names, steps)
    rtl = None
    if backend == "rtl":
        from neuroxide.designs import configure
        from neuroxide.flow import simulate_design
        cfg = configure("hh", {"stimuli": ",".join(names)})
        rtl = simulate_design(cfg, simulator, len(rows[0]["v_float"]), build_dir)
    for r in rows:
        r["rtl_mismatches"] = None
        if rtl is not None:
            got = rtl["per_stimulus"][r["stimulus"]]
            v = np.array(got["v_mv_rtl"])
            r["v_fixed"] = v
            r["rmse_mv"] = float(np.sqrt(np.mean((r["v_float"] - v) ** 2)))
            r["max_abs_mv"] = float(np.max(np.abs(r["v_float"] - v)))
            steps_rtl = got["spike_steps_rtl"]
            r["spikes_fixed"] = len(steps_rtl)
            r["rtl_mismatches"] = got["mismatches"]
            ref = r["spike_steps_float"]
            r["max_shift_steps"] = (int(np.max(np.abs(np.array(ref) - np.array(steps_rtl)))) if ref else 0) \
                if len(ref) == len(steps_rtl) else None
        r["match"] = bool(r["rmse_mv"] < RMSE_TARGET_MV and r["spikes_fixed"] == r["spikes_float"]
                          and r["max_shift_steps"] is not None and r["max_shift_steps"] <= 1
                          and not r["rtl_mismatches"])
    return rows, rtl


def plot_hh(rows, path, backend, vo2=None):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from neuroxide.fileio import save_figure
    from neuroxide.models.hh import DT_MS
    panels = len(rows) + (1 if vo2 is not None else 0)
    ncols = 3
    nrows = -(-panels // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(13, 2.6 * nrows), squeeze=False)
    for ax in axes.flat[panels:]:
        ax.axis("off")
    label = "fixed point (RTL run)" if backend == "rtl" else "fixed point (model)"
    for ax, r in zip(axes.flat, rows):
        t = np.arange(len(r["v_float"])) * DT_MS
        ax.plot(t, r["v_float"], color="0.7", lw=2.2, label="float64 HH")
        ax.plot(t, r["v_fixed"], color="C0", lw=0.8, label=label)
        ax.plot(t, -95 + r["current"], color="C3", lw=0.7, label="I - 95 (uA/cm^2)")
        ax.set_title(f"{r['stimulus']}: RMSE {r['rmse_mv']:.3f} mV, spikes {r['spikes_float']}/{r['spikes_fixed']}",
                     fontsize=9)
        ax.set_ylim(-100, 60)
        ax.tick_params(labelsize=7)
    axes.flat[0].legend(fontsize=6, loc="upper right")
    if vo2 is not None:
        ax = axes.flat[len(rows)]
        ax.plot(vo2["t_s"] * 1e6, vo2["v_out_volt"], color="C2", lw=0.8)
        ax.set_title(f"two-VO2-channel neuron (float device model): {vo2['spikes']} spikes", fontsize=9)
        ax.set_xlabel("us", fontsize=7)
        ax.set_ylabel("V", fontsize=7)
        ax.tick_params(labelsize=7)
    fig.suptitle("Hodgkin-Huxley (squid), dt = 0.01 ms: float64 (grey) vs fixed point with interpolated LUT "
                 "gating; x: ms, y: mV", fontsize=10)
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)
    return path


def cmd_hh(args):
    names = _stimuli(args.stimulus)
    plot = check_output("--plot", plot_path(args.plot))
    check_folder("--build-dir", args.build_dir)
    if args.backend not in BACKENDS:
        raise ParameterError("--backend", args.backend, " | ".join(BACKENDS))
    steps = None if args.steps is None else check_range("--steps", args.steps, 10, 10_000)
    if args.backend == "rtl":
        from neuroxide.flow import check_simulation
        check_simulation(args.simulator, 1, None)
        status(f"running {len(names)} stimuli on the RTL ({args.simulator or 'default simulator'}) ...")
    rows, rtl = run_hh(names, steps, args.backend, args.simulator, args.build_dir)
    vo2 = None
    if args.vo2:
        from neuroxide.models.devices.vo2_hh import simulate as vo2_simulate
        vo2 = vo2_simulate(drive_volt=2.0)
    if plot:
        plot_hh(rows, plot, args.backend, vo2)
    from neuroxide.models import hh
    k = hh.make_fixed()
    keys = ("stimulus", "rmse_mv", "max_abs_mv", "spikes_float", "spikes_fixed", "max_shift_steps",
            "rtl_mismatches", "match")
    out_rows = [{key: r[key] for key in keys} for r in rows]
    worst = max(r["rmse_mv"] for r in rows)
    result = {"backend": args.backend, "stimuli": out_rows, "max_rmse_mv": worst, "rmse_target_mv": RMSE_TARGET_MV,
              "matched": sum(r["match"] for r in rows), "total": len(rows), "dt_ms": hh.DT_MS,
              "widths": {"v_frac": k.v_frac, "v_bits": k.v_bits, "g_frac": k.g_frac, "k_bits": k.k_bits,
                         "lut_frac": k.lut_frac, "lut_size": k.lut_size},
              "params": hh.SQUID.__dict__, "simulator": rtl["simulator"] if rtl else None, "plot": plot}
    if vo2 is not None:
        result["vo2"] = {key: vo2[key] for key in ("spikes", "rate_hz", "spike_amplitude_volt", "drive_volt")}
    dash = lambda x: "-" if x is None else x  # noqa: E731
    text = table([[r["stimulus"], f"{r['rmse_mv']:.4f}", f"{r['max_abs_mv']:.3f}", r["spikes_float"],
                   r["spikes_fixed"], dash(r["max_shift_steps"]), dash(r["rtl_mismatches"]), r["match"]] for r in rows],
                 ["stimulus", "RMSE mV", "max |dv| mV", "spikes float", "spikes fixed", "max shift (steps)",
                  "RTL mismatches", "ok"])
    text += (f"\nworst RMSE {worst:.4f} mV (target < {RMSE_TARGET_MV} mV); "
             f"{result['matched']}/{len(rows)} stimuli: RMSE below target, same spike count, shift <= 1 step")
    if vo2 is not None:
        text += f"\ntwo-VO2-channel neuron: {vo2['spikes']} spikes at {vo2['rate_hz'] / 1e3:.1f} kHz"
    if plot:
        text += f"\nplot: {plot}"
    emit(args, result, text)
    return 0 if result["matched"] == len(rows) else 1


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
    p.add_argument("--backend", default="model", help="model (default) | rtl (cocotb run of the Verilog)")
    p.add_argument("--steps", type=int, default=None, help="0.01 ms steps per stimulus, 10..10000 (default 10000)")
    p.add_argument("--simulator", default=None, help="icarus | verilator for --backend rtl")
    p.add_argument("--build-dir", default="build/hh", help="simulator build folder (default build/hh)")
    p.add_argument("--plot", metavar="FILE.png", help="save float vs fixed membrane traces as a PNG")
    p.add_argument("--vo2", action="store_true", help="also simulate the two-VO2-channel HH neuron (float "
                   "device model) and add it to the report and plot")
    add_json(p)
    p.set_defaults(func=cmd_hh)
