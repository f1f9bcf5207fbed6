"""``neuroxide device PRESET``: a device's float physics beside its calibrated fixed-point neuron;
``neuroxide device fit DATA.csv ...``: a preset fitted to measurements.

The experiments are ``neuroxide.experiments.device`` (every family's comparison, the export of a
preset, the fit); this module parses the preset (a built-in name or a ``.toml`` preset file), its
``-p`` overrides, ``--sweep``, ``--dt`` and ``--export``, runs it and prints the family's table (and
its figure with ``--plot``). ``fit`` is a reserved first word: ``device fit ...`` is parsed by its own
parser (``neuroxide device fit --help``), so no preset may be called ``fit``.
"""

import argparse
import dataclasses

from neuroxide.commands import add_json, emit, flags_of, naming_flags, plot_path, table
from neuroxide.errors import ParameterError
from neuroxide.experiments.device import SWEEP_MEANING, DeviceSetup
from neuroxide.fileio import check_output

__all__ = ["register"]


def _parse_sweep(text):
    """``"V0:V1:N"`` -> ``(V0, V1, N)``; the experiment checks the range."""
    parts = text.split(":")
    try:
        if len(parts) != 3:
            raise ValueError
        return float(parts[0]), float(parts[1]), int(parts[2])
    except ValueError:
        raise ParameterError("--sweep", text, "V0:V1:N, e.g. 1.2:4:25 (start, stop, points)") from None


def _fmt(x, fmt="{:.4g}"):
    if x is None or x != x:
        return "-"
    if x == float("inf"):
        return "never"
    return fmt.format(x)


def _family_table(cal):
    c, cv = cal, cal.curve
    fam = c.family
    if fam in ("fefet", "afefet"):
        rows = [[_fmt(v, "{:.3g}"), _fmt(a), _fmt(b), i] for v, a, b, i in
                zip(cv["v_inh_volt"], cv["pulses_float"], cv["pulses_fixed"], cv["i_inh"])]
        head = (f"excitatory pulses of {c.preset.v_exc_volt:g} V (i_exc = {c.extra['i_exc']} LSB), each followed by an "
                "inhibitory pulse; pulses to fire from rest:")
        return head, table(rows, ["V_inh (V)", "pulses float", "pulses fixed", "i_inh (LSB)"])
    if fam == "mtj":
        rows = [[f"{i * 1e6:.4g}", _fmt(a / 1e6), _fmt(b / 1e6), e] for i, a, b, e in
                zip(cv["i_amp"], cv["rate_float_hz"], cv["rate_fixed_hz"], cv["i_exc"])]
        f = c.fidelity
        head = (f"winner-take-all, 4 neurons at {', '.join(f'{x * 1e6:.0f}' for x in c.extra['wta_currents_amp'])} uA "
                f"(w_lat = {c.extra['w_lat']} LSB): spikes float {f['wta_counts_float']}, fixed {f['wta_counts_fixed']}; "
                f"without lateral inhibition float {f['no_wta_counts_float']}, fixed {f['no_wta_counts_fixed']}")
        return head, table(rows, ["I (uA)", "f float (MHz)", "f fixed (MHz)", "i_exc (LSB)"])
    if fam == "stochastic":
        rows = [[f"{v:.4g}", f"{a:.3f}", f"{m:.3f}", f"{b:.3f}", i] for v, a, m, b, i in
                zip(cv["vin_volt"], cv["p_float"], cv["p_float_mc"], cv["p_fixed"], cv["i_exc"])]
        head = (f"single trials: threshold sigma/mu = {100 * c.preset.sigma_rel:g} %, 50 % at "
                f"{c.fidelity['vin_50_volt']:.4g} V; fixed point: {c.params.noise_bits}-bit xorshift32 threshold noise, "
                f"{c.fidelity['trials']} trials per drive")
        return head, table(rows, ["Vin (V)", "P float", "P float MC", "P fixed", "i_exc (LSB)"])
    if fam == "dendrite":
        rows = [[f"{a:.3g}", f"{q:.3g}", f"{nf:.3f}", f"{nx:.3f}", s] for a, q, nf, nx, s in
                zip(cv["amplitude_volt"], cv["charge_float_coulomb"], cv["norm_float"], cv["norm_fixed"],
                    cv["soma_spikes_100_steps"])]
        head = (f"dendrite filter: d_th = {c.params.d_th} LSB ({c.params.d_th / c.scale:.3g} V), leak "
                f"{c.params.d_decay}/{1 << c.params.d_decay_bits}; 10 pulses per amplitude")
        return head, table(rows, ["V (V)", "charge float (C)", "norm float", "norm fixed", "soma spikes/100"])
    rows = [[f"{v:.4g}", _fmt(a / 1e6), _fmt(b / 1e6), "latched on" if lat else ("no oscillation" if a == 0 else "")]
            for v, a, b, lat in zip(cv["vin_volt"], cv["rate_float_hz"], cv["rate_fixed_hz"], cv["latched"])]
    head = (f"oscillates for {c.preset.onset_vin_volt:.4g} V < Vin < {c.preset.latch_vin_volt:.4g} V; at and above the "
            "latch limit the encoder emits i_exc = 0 (self-protection: the device stays on and stops spiking)")
    return head, table(rows, ["Vin (V)", "f float (MHz)", "f fixed (MHz)", ""])


def _ts_lines(result):
    """The f-V table of a threshold-switch preset, with its operating range and energy per spike."""
    preset, cal = result.preset, result.calibration

    def mhz(x):
        return "-" if x != x else f"{x / 1e6:.4g}"  # NaN: latched, no fixed-point equivalent

    rows = []
    for v, ff, fx, e in zip(cal.vin_volt, cal.rate_float_hz, cal.rate_fixed_hz, cal.rel_error):
        note = "latched on" if v >= preset.latch_vin_volt else ("no oscillation" if ff == 0 else "")
        rows.append([f"{v:.4g}", mhz(ff), mhz(fx), "-" if e != e else f"{100 * e:.2f}", note])
    lines = [f"{preset.name}: {preset.source}",
             f"oscillates for {preset.onset_vin_volt:.4g} V < Vin < {preset.latch_vin_volt:.4g} V; "
             f"assumed values: {', '.join(preset.assumed) or 'none'}",
             f"fixed point: dt = {cal.dt_s:.4g} s, v_bits = {cal.params.v_bits}, {cal.encoder.mode} encoder", "",
             table(rows, ["Vin (V)", "f float (MHz)", "f fixed (MHz)", "error %", ""]), "",
             f"max rate error where it oscillates: {100 * cal.max_rel_error:.2f} %"]
    for e in result.energy:
        lines.append(f"energy per spike at {e['model_vin_volt']:g} V: model {e['model_branch_energy_per_spike_joule']:.3g} J"
                     f" (device branch), published {e['published_energy_per_spike_joule']:.3g} J ({e['source']})")
    return lines


def _zoo_lines(result):
    """The family's table of a zoo preset, with its fixed-point parameters, fidelity and energy."""
    preset, cal, energy = result.preset, result.calibration, result.energy
    head, tab = _family_table(cal)
    published = energy["published_energy_joule"]
    return [f"{preset.name} ({result.family}): {preset.source}",
            f"assumed values: {', '.join(preset.assumed) or 'none'}",
            f"fixed point: {type(cal.params).__name__}(" + ", ".join(
                f"{k}={v}" for k, v in dataclasses.asdict(cal.params).items()) + ")", "", head, "", tab, "",
            f"fidelity ({cal.fidelity['metric']}): max {100 * cal.fidelity['max_error']:.2f} %",
            f"energy per spike: model {energy['model_energy_joule']:.3g} J at {energy['operating_point']}" + (
                f", published {published:.3g} J ({energy['published_source']})" if published else
                ", no published figure in the review's Table 1")]


def _spread_lines(spread, uncertainty):
    """A preset file's measured spreads and fit uncertainties, one line each (none: no lines)."""
    lines = []
    if uncertainty:
        lines.append("fit uncertainty (1 sigma): " + ", ".join(f"{k} {v:.3g}" for k, v in uncertainty.items()))
    if spread:
        lines.append("measured spread (relative sigma): " + ", ".join(
            f"{k} " + "/".join(f"{kind} {100 * v:.2g} %" for kind, v in kinds.items()) for k, kinds in spread.items()))
    return lines


def cmd_export(args):
    from neuroxide.experiments.device import export_device
    from neuroxide.overrides import naming_overrides, parse_overrides
    overrides = parse_overrides(args.params)
    if args.sweep is not None or args.dt is not None or args.plot is not None or args.card is not None:
        raise ParameterError("--export", args.export, "with -p only (not --sweep, --dt, --plot, --card)",
                             why="--export writes the preset file and runs nothing")
    with naming_overrides(overrides, f"preset {args.preset}"), naming_flags({"path": "--export"}):
        out = export_device(args.preset, overrides, check_output("--export", args.export))
    emit(args, out, f"{out['preset']} ({out['family']}) written to {out['export']}")
    return 0


def cmd_device(args):
    from neuroxide.experiments.device import plot_device, run_device
    from neuroxide.models.devices.zoo import get_any_preset
    from neuroxide.overrides import naming_overrides, parse_overrides
    get_any_preset(args.preset)  # unknown name or bad file: ParameterError listing every family's presets
    if args.export is not None:
        return cmd_export(args)
    overrides = parse_overrides(args.params)
    with naming_overrides(overrides, f"preset {args.preset}"), naming_flags(flags_of(DeviceSetup, preset="preset")):
        setup = DeviceSetup(args.preset, overrides, None if args.sweep is None else _parse_sweep(args.sweep), args.dt)
        plot = check_output("--plot", plot_path(args.plot))
        card = check_output("--card", plot_path(args.card))
        result = run_device(setup)
    if plot:
        plot_device(result, plot)
    if card:
        from neuroxide.device_card import write_card
        write_card(result.preset, card)
    lines = _ts_lines(result) if result.family == "ts" else _zoo_lines(result)
    if setup.document is not None:
        lines[1:1] = _spread_lines(setup.document.spread, setup.document.uncertainty)
    lines += [f"{what}: {path}" for what, path in (("plot", plot), ("card", card)) if path]
    extra = {"plot": plot, "card": card}
    if setup.document is not None:
        extra |= {"spread": setup.document.spread, "uncertainty": setup.document.uncertainty,
                  "preset_file": setup.document.path}
    emit(args, result.to_dict() | extra, "\n".join(lines))
    return 0


def cmd_fit(args):
    from neuroxide.experiments.device import DeviceFitSetup, run_fit, write_fit
    from neuroxide.models.devices.preset_file import PRESET_SUFFIX
    flags = {"paths": "DATA", "family": "--family", "base": "--base", "name": "--name", "preset_path": "-o",
             "plot_path": "--plot"}
    with naming_flags(flags):
        setup = DeviceFitSetup(tuple(args.data), args.family, args.base, args.name)
        output = check_output("-o", args.output)
        if output is not None and not str(output).lower().endswith(PRESET_SUFFIX):
            raise ParameterError("-o", output, f"a file name ending in {PRESET_SUFFIX}")
        plot = check_output("--plot", plot_path(args.plot))
        card = check_output("--card", plot_path(args.card))
        result = run_fit(setup)                 # bad data: ParameterError naming file, row and column
        written = write_fit(result, output, plot)
        if card:
            from neuroxide.device_card import write_card
            write_card(result.preset, card, fit=result)
            written["card"] = card
    p = result
    rows = [[k, f"{v:.6g}", f"{p.sigma[k]:.2g}", f"{abs(p.sigma[k] / v) * 100:.2g}" if v else "-"]
            for k, v in p.parameters.items()]
    lines = [f"{p.preset.name} ({p.family}) fitted to {', '.join(p.data)}", "",
             table(rows, ["parameter (SI)", "value", "1 sigma", "sigma %"])]
    if p.spread:
        srows = [[k, kind, f"{100 * v:.3g}", "-" if p.spread_sigma[k][kind] != p.spread_sigma[k][kind] or
                  p.spread_sigma[k][kind] == float("inf") else f"{100 * p.spread_sigma[k][kind]:.2g}"]
                 for k, kinds in p.spread.items() for kind, v in kinds.items()]
        lines += ["", table(srows, ["spread of", "kind", "sigma/value %", "1 sigma %"])]
    lines += ["", "residual RMS: " + ", ".join(f"{k} {v:.3g}" for k, v in p.residual_rms.items()),
              f"assumed (from the base preset, not measured): {', '.join(p.preset.assumed) or 'none'}"]
    lines += [f"{what}: {path}" for what, path in written.items()]
    emit(args, p.to_dict() | {"output": written.get("preset"), "plot": written.get("plot")}, "\n".join(lines))
    return 0


def _fit_parser(parser_class):
    from neuroxide.models.devices.fit import CSV_FORMATS, FAMILY_FORMATS, FIT_FAMILIES
    formats = "\n".join(f"  {name}: {', '.join(f.required)}" + (f" [{', '.join(f.optional + f.labels)}]" if
                        f.optional or f.labels else "") + f"\n      {f.meaning}" for name, f in CSV_FORMATS.items())
    p = parser_class(
        prog="neuroxide device fit",
        description="Fit a device family's values to measurements (least squares, with 1-sigma uncertainties "
        "and residuals) and write them as a preset file that every command accepts in place of a preset name. "
        "Values the data do not determine come from --base and stay listed as assumed. CSV columns are "
        "named with their SI unit; lines starting with # are comments (docs/devices.md).",
        epilog="CSV formats (columns: required [optional]):\n" + formats + "\n\nfamily -> formats: " + "; ".join(
            f"{k}: {' + '.join(v)}" for k, v in FAMILY_FORMATS.items()) +
        "\n\nexamples (models/data/measurements):\n"
        "  neuroxide device fit ts_iv.csv ts_fv.csv --family ts -o my.toml --plot fit.png\n"
        "  neuroxide device fit thermal_iv.csv thermal_fv.csv --family oscillator -o osc.toml --json\n"
        "  neuroxide device fit fefet_pulses.csv --family fefet -o fefet.toml\n"
        "  neuroxide device my.toml --plot fv.png",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", nargs="+", metavar="DATA.csv", help="measurement files (ts/oscillator: one iv file and "
                   "optionally one fv file; other families: one file)")
    p.add_argument("--family", required=True, choices=FIT_FAMILIES, help="the device family to fit")
    p.add_argument("-o", dest="output", metavar="FILE.toml", help="write the fitted preset file here")
    p.add_argument("--base", help="preset (name or file) giving the values the data do not determine "
                   "(default per family: nbox, nbo2-osc, fefet-sihfo2, afefet-hzo, mtj-sot, nbox-stochastic)")
    p.add_argument("--name", help="the fitted preset's name (default: the first file's name)")
    p.add_argument("--plot", metavar="FILE.png", help="save data and fitted model curves as a PNG")
    p.add_argument("--card", metavar="FILE.png", help="device card of the fitted preset: the fit, f-V and node "
                   "waveform float vs fixed, energy per spike beside the review's table")
    add_json(p)
    p.set_defaults(func=cmd_fit)
    return p


def _reserve_fit(parser, fit_parser):
    """``device fit ...`` goes to ``fit_parser``: argparse has no optional subcommand beside a
    positional, so the device parser's own parse hands the words after a leading ``fit`` over."""
    plain = parser.parse_known_args

    def parse_known_args(args=None, namespace=None):
        if args and args[0] == "fit":
            return fit_parser.parse_known_args(args[1:], namespace)
        return plain(args, namespace)
    parser.parse_known_args = parse_known_args


def register(sub):
    from neuroxide.models.devices.zoo import ALL_PRESETS, family_of
    names = ", ".join(f"{n} ({family_of(p)})" for n, p in ALL_PRESETS.items())
    p = sub.add_parser(
        "device", help="float device physics vs its calibrated fixed-point neuron, for every device family",
        description="Simulate a device preset with its float physics model, calibrate it into a fixed-point "
        "neuron and compare the two with the figure of its family: f-V curve (threshold switch; oscillator "
        "across its latch limit), excitatory pulses to fire vs inhibitory amplitude (FeFET, AFeFET), rate vs "
        "current and a winner-take-all raster (MTJ), firing probability vs drive (stochastic TS), filtering "
        "curve (dendrite). Also sets the model's energy per spike beside the review's published figure, and "
        "lists the preset's sources and assumed values.",
        epilog="examples:\n  neuroxide device nbox --sweep 0.5:6:23 --plot fv.png\n"
        "  neuroxide device fefet-sihfo2 --plot fefet.png --json\n  neuroxide device mtj-sot --sweep 80e-6:160e-6:17\n"
        "  neuroxide device nbox-stochastic -p sigma_rel=0.05\n  neuroxide device nbo2-osc --sweep 1:4.5:36\n"
        "  neuroxide device dendrite-li2020 --plot dendrite.png\n"
        "  neuroxide device nbox --export my.toml           write a preset file to start from\n"
        "  neuroxide device my.toml --plot fv.png           a preset file wherever a preset name goes\n"
        "  neuroxide device fit iv.csv fv.csv --family ts -o my.toml   fit a preset to measurements",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="%(prog)s [-h] PRESET [-p NAME=VALUE] [--sweep V0:V1:N] [--dt DT] [--plot FILE.png] "
              "[--card FILE.png] [--export FILE.toml] [--json]\n       %(prog)s fit DATA.csv [DATA.csv ...] --family F [-o FILE.toml] "
              "[--base PRESET] [--plot FILE.png] [--card FILE.png] [--json]   (see: neuroxide device fit --help)")
    p.add_argument("preset", help=f"device preset: a preset file NAME.toml (docs/devices.md) or one of {names}")
    p.add_argument("-p", dest="params", action="append", default=[], metavar="NAME=VALUE",
                   help="override a device value (SI units; the preset's numeric fields, e.g. r_load_ohm, "
                   "c_farad, v_th_volt for TS; tau0_s, v_act_volt for FeFET; i_dep_amp for MTJ; sigma_rel for "
                   "stochastic) or a calibration width (v_bits, in_bits, decay_bits, ref_bits)")
    p.add_argument("--sweep", metavar="V0:V1:N", help="sweep of the family's input: " + "; ".join(
        f"{k}: {v}" for k, v in SWEEP_MEANING.items()))
    p.add_argument("--dt", type=float, help="fixed-point time step in seconds (ts, oscillator, mtj; default: 1/40 "
                   "of the fastest period)")
    p.add_argument("--plot", metavar="FILE.png", help="save the family's float-vs-fixed figure as a PNG")
    p.add_argument("--card", metavar="FILE.png", help="device card: f-V and node waveform float vs fixed, "
                   "energy per spike beside the review's table, published points (one PNG)")
    p.add_argument("--export", metavar="FILE.toml", help="write the preset (with its -p overrides) as a preset "
                   "file to start from, and run nothing else")
    add_json(p)
    p.set_defaults(func=cmd_device)
    _reserve_fit(p, _fit_parser(type(p)))
