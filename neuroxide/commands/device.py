"""``neuroxide device PRESET``: a device's float physics beside its calibrated fixed-point neuron.

Every family of the neuron zoo (``neuroxide.models.devices.zoo``) has its own figure:

* ``ts`` (nbox, vo2, ag-hfalox, ag-sio2): f-V curve, exact event model vs fixed-point LIF;
* ``oscillator`` (nbo2-osc): f-V curve across the latch limit (self-protection), latch-aware encoder;
* ``fefet`` / ``afefet``: excitatory pulses to fire vs inhibitory pulse amplitude;
* ``mtj``: rate vs current and a winner-take-all raster of four neurons;
* ``stochastic``: firing probability vs drive (sigmoid), float vs xorshift32 threshold noise;
* ``dendrite``: filtering curve (weak inputs blocked, strong ones integrated) and soma firing.
"""

import dataclasses

from neuroxide.commands import add_json, emit, plot_path, table
from neuroxide.errors import ParameterError
from neuroxide.fileio import check_output

__all__ = ["register"]

SWEEP_MEANING = {
    "ts": "drive Vin (V)", "oscillator": "drive Vin (V)", "stochastic": "drive Vin (V)",
    "fefet": "inhibitory pulse amplitude (V)", "afefet": "inhibitory pulse amplitude (V)",
    "mtj": "drive current (A)", "dendrite": "pulse amplitude (V)",
}


def _parse_sweep(text):
    import math
    parts = text.split(":")
    try:
        v0, v1, n = float(parts[0]), float(parts[1]), int(parts[2])
        if len(parts) != 3:
            raise ValueError
    except (ValueError, IndexError):
        raise ParameterError("--sweep", text, "V0:V1:N, e.g. 1.2:4:25 (start, stop, points)") from None
    if not (0 <= v0 < v1 and math.isfinite(v1)) or not 2 <= n <= 1000:
        raise ParameterError("--sweep", text, "0 <= V0 < V1 (finite) and N in 2..1000")
    import numpy as np
    return np.linspace(v0, v1, n)


# ------------------------------------------------------------------------------------------------
# threshold-switch presets: the f-V comparison (unchanged contract)

def cmd_ts_device(args):
    from neuroxide.designs import configure_device, parse_overrides
    from neuroxide.models.calibrate import calibrate, plot_fv, sweep
    from neuroxide.models.devices import energy_comparison
    preset, widths = configure_device(args.preset, parse_overrides(args.params))
    vins = _parse_sweep(args.sweep) if args.sweep is not None else None
    plot = check_output("--plot", plot_path(args.plot))
    cal = calibrate(preset, dt=args.dt, widths=widths)
    if vins is not None:
        cal = sweep(cal, vins)
    if plot:
        plot_fv(cal, plot)
    report = cal.to_dict() | {"family": "ts", "energy": energy_comparison(preset), "plot": plot,
                              "onset_vin_volt": preset.onset_vin_volt, "latch_vin_volt": preset.latch_vin_volt,
                              "source": preset.source, "assumed": list(preset.assumed)}

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
    for e in report["energy"]:
        lines.append(f"energy per spike at {e['model_vin_volt']:g} V: model {e['model_branch_energy_per_spike_joule']:.3g} J"
                     f" (device branch), published {e['published_energy_per_spike_joule']:.3g} J ({e['source']})")
    if plot:
        lines.append(f"plot: {plot}")
    emit(args, report, "\n".join(lines))
    return 0


# ------------------------------------------------------------------------------------------------
# the other families

def _apply_overrides(preset, family, overrides):
    """``(preset, calibration options)`` with ``-p`` overrides of device values (SI floats) applied."""
    from neuroxide.designs import si_float
    from neuroxide.models.calibrate import CalibrationWidths
    from neuroxide.models.devices.dendrite import DENDRITE_FIELDS
    from neuroxide.models.devices.fefet import FEFET_FIELDS
    from neuroxide.models.devices.mtj import MTJ_FIELDS
    from neuroxide.models.devices.stochastic import STOCHASTIC_FIELDS
    from neuroxide.models.devices.threshold_switch import CIRCUIT_FIELDS
    fields = {"fefet": FEFET_FIELDS, "afefet": FEFET_FIELDS, "mtj": MTJ_FIELDS, "stochastic": STOCHASTIC_FIELDS,
              "dendrite": DENDRITE_FIELDS, "oscillator": CIRCUIT_FIELDS}[family]
    width_names = [f.name for f in dataclasses.fields(CalibrationWidths)] if family in (
        "fefet", "afefet", "mtj", "stochastic", "oscillator") else []
    device_kw, width_kw = {}, {}
    for name, value in overrides.items():
        if name in fields:
            device_kw[name] = si_float(name, value)
        elif name in width_names:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ParameterError(name, value, "an integer")
            width_kw[name] = value
        else:
            raise ParameterError(name, value, ", ".join(tuple(fields) + tuple(width_names)),
                                 why=f"unknown parameter of {family} preset {preset.name!r}")
    if device_kw:
        assumed = tuple(sorted(set(preset.assumed) | set(device_kw)))
        preset = preset.replace(**device_kw, assumed=assumed) if family != "stochastic" else preset.replace(**device_kw)
    options = {}
    if width_kw:
        options["widths"] = dataclasses.replace(_default_widths(preset, family), **width_kw)
    return preset, options


def _default_widths(preset, family):
    from neuroxide.models.calibrate import CalibrationWidths
    from neuroxide.models.calibrate_zoo import calibrate_zoo
    p = calibrate_zoo(preset).params
    return CalibrationWidths(v_bits=p.v_bits, in_bits=p.in_bits, decay_bits=p.decay_bits, ref_bits=p.ref_bits)


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


def cmd_zoo_device(args, preset):
    from neuroxide.designs import parse_overrides
    from neuroxide.models.calibrate_zoo import calibrate_zoo, plot_zoo
    from neuroxide.models.devices.zoo import family_of, model_energy_joule, zoo_energy_table
    family = family_of(preset)
    preset, options = _apply_overrides(preset, family, parse_overrides(args.params))
    if args.dt is not None:
        if family not in ("oscillator", "mtj"):
            raise ParameterError("--dt", args.dt, "only for ts, oscillator and mtj presets",
                                 why=f"one step of a {family} neuron is one pulse period (or one trial)")
        options["dt"] = args.dt
    if args.sweep is not None:
        key = {"fefet": "v_inh_volt", "afefet": "v_inh_volt", "mtj": "i_amp", "stochastic": "vin_volt",
               "oscillator": "vin_volt", "dendrite": "amplitudes_volt"}[family]
        options[key] = _parse_sweep(args.sweep)
    plot = check_output("--plot", plot_path(args.plot))
    cal = calibrate_zoo(preset, **options)
    if plot:
        plot_zoo(cal, plot)
    energy = [r for r in zoo_energy_table() if r["preset"] == preset.name]
    e_model, where = model_energy_joule(preset)
    published = energy[0]["published_energy_joule"] if energy else None
    report = cal.to_dict() | {"source": preset.source, "assumed": list(preset.assumed), "plot": plot,
                              "sweep_meaning": SWEEP_MEANING[family],
                              "energy": {"model_energy_joule": e_model, "operating_point": where,
                                         "published_energy_joule": published,
                                         "published_source": energy[0]["published_source"] if energy else None}}
    head, tab = _family_table(cal)
    lines = [f"{preset.name} ({family}): {preset.source}",
             f"assumed values: {', '.join(preset.assumed) or 'none'}",
             f"fixed point: {type(cal.params).__name__}(" + ", ".join(
                 f"{k}={v}" for k, v in dataclasses.asdict(cal.params).items()) + ")", "", head, "", tab, "",
             f"fidelity ({cal.fidelity['metric']}): max {100 * cal.fidelity['max_error']:.2f} %",
             f"energy per spike: model {e_model:.3g} J at {where}" + (
                 f", published {published:.3g} J ({energy[0]['published_source']})" if published else
                 ", no published figure in the review's Table 1")]
    if plot:
        lines.append(f"plot: {plot}")
    emit(args, report, "\n".join(lines))
    return 0


def cmd_device(args):
    from neuroxide.models.devices import PRESETS
    from neuroxide.models.devices.zoo import get_any_preset
    from neuroxide.designs import naming_overrides, parse_overrides
    preset = get_any_preset(args.preset)   # unknown name: ParameterError listing every family's presets
    with naming_overrides(parse_overrides(args.params), f"preset {args.preset}"):
        if args.preset in PRESETS:
            return cmd_ts_device(args)
        return cmd_zoo_device(args, preset)


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
        "  neuroxide device dendrite-li2020 --plot dendrite.png",
        formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    p.add_argument("preset", help=f"device preset: {names}")
    p.add_argument("-p", dest="params", action="append", default=[], metavar="NAME=VALUE",
                   help="override a device value (SI units; the preset's numeric fields, e.g. r_load_ohm, "
                   "c_farad, v_th_volt for TS; tau0_s, v_act_volt for FeFET; i_dep_amp for MTJ; sigma_rel for "
                   "stochastic) or a calibration width (v_bits, in_bits, decay_bits, ref_bits)")
    p.add_argument("--sweep", metavar="V0:V1:N", help="sweep of the family's input: " + "; ".join(
        f"{k}: {v}" for k, v in SWEEP_MEANING.items()))
    p.add_argument("--dt", type=float, help="fixed-point time step in seconds (ts, oscillator, mtj; default: 1/40 "
                   "of the fastest period)")
    p.add_argument("--plot", metavar="FILE.png", help="save the family's float-vs-fixed figure as a PNG")
    add_json(p)
    p.set_defaults(func=cmd_device)
