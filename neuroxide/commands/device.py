"""``neuroxide device PRESET``: a device's float physics beside its calibrated fixed-point neuron."""

from neuroxide.commands import add_json, emit, plot_path, table
from neuroxide.errors import ParameterError

__all__ = ["register"]


def _parse_sweep(text):
    parts = text.split(":")
    try:
        v0, v1, n = float(parts[0]), float(parts[1]), int(parts[2])
        if len(parts) != 3:
            raise ValueError
    except (ValueError, IndexError):
        raise ParameterError("--sweep", text, "V0:V1:N, e.g. 1.2:4:25 (volts, volts, points)") from None
    if not (0 <= v0 < v1) or not 2 <= n <= 1000:
        raise ParameterError("--sweep", text, "0 <= V0 < V1 and N in 2..1000")
    import numpy as np
    return np.linspace(v0, v1, n)


def cmd_device(args):
    from neuroxide.designs import configure_device, parse_overrides
    from neuroxide.models.calibrate import calibrate, plot_fv, sweep
    from neuroxide.models.devices import energy_comparison
    preset, widths = configure_device(args.preset, parse_overrides(args.params))
    vins = _parse_sweep(args.sweep) if args.sweep else None
    plot = plot_path(args.plot)
    cal = calibrate(preset, dt=args.dt, widths=widths)
    if vins is not None:
        cal = sweep(cal, vins)
    if plot:
        plot_fv(cal, plot)
    report = cal.to_dict() | {"energy": energy_comparison(preset), "plot": plot,
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


def register(sub):
    p = sub.add_parser("device", help="float device model vs calibrated fixed-point neuron (f-V curve)",
                       description="Simulate a threshold-switch neuron preset exactly (event by event), calibrate "
                       "it into the fixed-point LIF, and compare their firing rates over the operating range "
                       "or a sweep; also sets the model's energy per spike beside the published figure.")
    p.add_argument("preset", help="device preset (see `neuroxide list`): nbox, vo2, ag-hfalox, ag-sio2")
    p.add_argument("-p", dest="params", action="append", default=[], metavar="NAME=VALUE",
                   help="override a circuit value (SI units: r_load_ohm, c_farad, r_off_ohm, r_on_ohm, "
                   "r_sense_ohm, v_th_volt, v_hold_volt, vin_min_volt, vin_max_volt) or a calibration width "
                   "(v_bits, in_bits, decay_bits, ref_bits)")
    p.add_argument("--sweep", metavar="V0:V1:N", help="drive sweep in volts (default: the operating range)")
    p.add_argument("--dt", type=float, help="fixed-point time step in seconds (default: 1/40 of the fastest period)")
    p.add_argument("--plot", metavar="FILE.png", help="save the f-V curve and its error as a PNG")
    add_json(p)
    p.set_defaults(func=cmd_device)
