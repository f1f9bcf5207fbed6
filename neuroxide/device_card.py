"""A device card: one PNG that shows what the flow makes of a neuron device, four panels.

1. **fit**: the measured data and the model through it. With a fit result (``fit``) its data and
   model curve; else the preset's published (Vin, rate) points (``presets.published_rate_points``)
   on the model's f-V curve, or the model curve alone where nothing is published.
2. **f-V, float vs fixed**: the device's exact rate beside the calibrated fixed-point LIF's
   (``models.calibrate.calibrate`` / ``sweep``), with the worst relative error.
3. **node waveform, float vs fixed**: the device's node voltage (event-exact simulation) beside the
   fixed-point membrane / scale at the operating drive, as ``calibrate.plot_trace``.
4. **energy per spike beside the review's table**: every published energy per spike of the review's
   Table 1 (``zoo.zoo_energy_table``) with the model's figure of each preset, this device marked,
   and its own rows (``presets.energy_comparison``) listed.

Panels 2 and 3 need a threshold-switch circuit (families ``ts`` and ``oscillator``); for other
families they say so. ``write_card(preset, path, fit=None)`` writes the PNG atomically.
"""

import numpy as np

from neuroxide.errors import ParameterError

__all__ = ["write_card", "card_summary"]


_CURVES = {  # a FitResult's curves (models/devices/fit.py) -> (x, y, model y, x label, y label)
    "fv": ("vin_volt", "f_hz", "model_f_hz", "Vin (V)", "frequency (Hz)"),
    "pulses": (("v_exc_volt", "i_amp"), "pulses_to_fire", "model", "pulse amplitude", "pulses to fire"),
    "probability": ("vin_volt", "p_fire", "model", "Vin (V)", "firing probability"),
}


def _from_curves(fit):
    """The data and model of a device fit's first rate-like curve (f-V, pulses, probability); an I-V
    fit only (no such curve): its sweep points, and the fitted two-state I-V model."""
    c = fit.curves
    for key, (x, y, model, xl, yl) in _CURVES.items():
        if key in c:
            d = c[key]
            x = next(k for k in (x if isinstance(x, tuple) else (x,)) if k in d)
            return {"data_x": d[x], "data_y": d[y], "model_x": d[x], "model_y": d[model], "x_label": xl,
                    "y_label": yl, "title": f"{fit.preset.name}: {fit.family} fit ({key})"}
    if "iv" in c:
        from neuroxide.models.devices import fit as fit_module
        d, m = c["iv"], c.get("model")
        out = {"data_x": d["v_volt"], "data_y": d["i_amp"], "x_label": "device voltage (V)", "y_label": "current (A)",
               "title": f"{fit.preset.name}: {fit.family} fit (I-V)"}
        if m:
            v = np.linspace(0.0, float(np.max(d["v_volt"])), 200)
            v = np.concatenate([v, v[::-1]])
            out |= {"model_x": v, "model_y": fit_module._two_state_current(
                v, m["v_th_volt"], m["v_hold_volt"], m["r_off_ohm"], m["r_on_ohm"])}
        return out
    raise ParameterError("fit", type(fit).__name__, "a fit result with curves fv, pulses, probability or iv")


def _fit_series(fit):
    """``(data_x, data_y, model_x, model_y, x_label, y_label, title, spread)`` of a fit result: a
    device fit (:class:`~neuroxide.models.devices.fit.FitResult`: its curves and measured spread),
    or a mapping with ``data_x``, ``data_y`` and optionally ``model_x``, ``model_y``, ``x_label``,
    ``y_label``, ``title``, ``spread``."""
    if hasattr(fit, "curves") and hasattr(fit, "preset"):
        d = _from_curves(fit) | {"spread": getattr(fit, "spread", {})}
    elif hasattr(fit, "get"):
        d = fit
    else:
        raise ParameterError("fit", type(fit).__name__, "a device fit result or a mapping with data_x and data_y")
    try:
        data_x = np.asarray(d["data_x"], dtype=float)
        data_y = np.asarray(d["data_y"], dtype=float)
    except (KeyError, TypeError, ValueError):
        raise ParameterError("fit", type(fit).__name__, "a fit result with data_x and data_y") from None
    if data_x.shape != data_y.shape or data_x.ndim != 1 or data_x.size == 0:
        raise ParameterError("fit", f"data of shapes {data_x.shape}, {data_y.shape}", "two equal 1-D arrays")
    model_x = np.asarray(d.get("model_x", []), dtype=float)
    model_y = np.asarray(d.get("model_y", []), dtype=float)
    return (data_x, data_y, model_x, model_y, d.get("x_label", "Vin (V)"), d.get("y_label", "rate (Hz)"),
            d.get("title", "fit: data and model"), dict(d.get("spread") or {}))


def _panel_fit(ax, preset, fit, ts):
    from neuroxide.models.devices.presets import published_rate_points
    from neuroxide.models.devices.threshold_switch import f_v_curve
    if fit is not None:
        dx, dy, mx, my, xl, yl, title, spread = _fit_series(fit)
        ax.plot(dx, dy, "o" if dx.size < 200 else ".", ms=5 if dx.size < 200 else 2, label="data")
        if mx.size:
            order = np.argsort(mx) if mx.size == np.unique(mx).size else np.arange(mx.size)
            ax.plot(mx[order], my[order], "-", color="C3", label="model (fitted)")
        kinds = spread.get("v_th_volt") or {}
        if kinds:
            ax.text(0.02, 0.97, "V_th spread: " + ", ".join(f"{k} {100 * v:.2g} %" for k, v in kinds.items()),
                    transform=ax.transAxes, va="top", fontsize=8)
        ax.set_xlabel(xl)
        ax.set_ylabel(yl)
        ax.set_title(title)
        ax.legend(loc="best", fontsize=8)
        return
    if not ts:
        ax.text(0.5, 0.5, "no fit given; published points are drawn\nfor threshold-switch presets only",
                ha="center", va="center", transform=ax.transAxes)
        ax.set_title("fit")
        return
    vins = np.linspace(preset.vin_min_volt, preset.vin_max_volt, 41)
    ax.plot(vins, f_v_curve(preset, vins) / 1e6, "-", label="model (preset)")
    points = published_rate_points(preset)
    if points:
        v, f, src = zip(*points)
        ax.plot(v, np.asarray(f) / 1e6, "o", ms=6, label=f"published: {src[0].split(':')[0]}")
        ax.set_title("model vs published f-V points")
    else:
        ax.set_title("model f-V (no published rates: C fitted to energy)")
    ax.set_xlabel("Vin (V)")
    ax.set_ylabel("rate (MHz)")
    ax.legend(loc="best", fontsize=8)


def _panel_fv(ax, cal):
    from neuroxide.models.calibrate import sweep
    vins = np.linspace(cal.preset.vin_min_volt, cal.preset.vin_max_volt, 25)
    c = sweep(cal, vins)
    ax.plot(c.vin_volt, c.rate_float_hz / 1e6, "-", label="device model (float, exact)")
    ax.plot(c.vin_volt, c.rate_fixed_hz / 1e6, "o", ms=3, label=f"fixed-point LIF ({c.encoder.mode} encoder)")
    ax.set_xlabel("Vin (V)")
    ax.set_ylabel("rate (MHz)")
    ax.set_title(f"f-V: float vs fixed, max error {100 * c.max_rel_error:.2f} %  (dt = {c.dt_s:.3g} s)")
    ax.legend(loc="best", fontsize=8)
    return c.max_rel_error


def _panel_waveform(ax, cal, vin, periods=6):
    from neuroxide.models.calibrate import waveform
    run, t_fixed, v_fixed, spike = waveform(cal, vin, periods)
    unit, scale = ("us", 1e6) if t_fixed[-1] > 2e-6 else ("ns", 1e9)
    ax.plot(run.t_s * scale, run.v_node_volt, "-", lw=1.2, label="device node (float, exact)")
    ax.step(t_fixed * scale, v_fixed, where="post", lw=1.0, label="fixed-point membrane / scale")
    spikes = t_fixed[spike]
    ax.plot(spikes * scale, np.full(spikes.size, cal.preset.node_v_th_volt), "v", ms=5, label="fixed-point spikes")
    ax.set_xlabel(f"time ({unit})")
    ax.set_ylabel("V (V)")
    ax.set_title(f"node waveform at Vin = {vin:g} V: float vs fixed")
    ax.legend(loc="lower right", fontsize=7)


def _panel_energy(ax, preset, energy_joule, where):
    from neuroxide.models.devices.zoo import zoo_energy_table
    rows = [r for r in zoo_energy_table() if r["published_energy_joule"] is not None]
    names = [r["preset"] for r in rows]
    y = np.arange(len(rows))
    ax.scatter([r["published_energy_joule"] for r in rows], y, marker="o", color="0.5",
               label="review's Table 1 (published)")
    ax.scatter([r["model_energy_joule"] for r in rows], y, marker="x", color="C0", label="model of each preset")
    mine = preset.name in names
    if not mine:
        names.append(f"{preset.name} (this device)")
        y = np.append(y, len(rows))
    k = names.index(preset.name) if mine else len(names) - 1
    ax.scatter([energy_joule], [k], marker="*", s=160, color="C3", zorder=3,
               label=f"{preset.name}: {energy_joule:.3g} J at {where}")
    ax.axhspan(k - 0.4, k + 0.4, color="C3", alpha=0.12)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("energy per spike (J)")
    ax.set_title("energy per spike beside the review's table")
    ax.legend(loc="lower right", fontsize=7)


def card_summary(preset, fit=None):
    """The figures a card shows, as JSON-able Python (what :func:`write_card` also returns)."""
    from neuroxide.models.devices.presets import energy_comparison
    from neuroxide.models.devices.threshold_switch import ThresholdSwitchPreset
    from neuroxide.models.energy import neuron_device_figures
    fig = neuron_device_figures(preset)
    out = {"device": preset.name, "family": fig["family"], "energy_per_spike_joule": fig["energy_per_spike_joule"],
           "operating_point": fig["operating_point"], "period_s": fig["period_s"], "fit_given": fit is not None}
    if isinstance(preset, ThresholdSwitchPreset):
        out["published"] = [{"source": r["source"], "published_energy_per_spike_joule":
                             r["published_energy_per_spike_joule"], "model_over_published": r["model_over_published"]}
                            for r in energy_comparison(preset)]
    return out


def write_card(preset, path, fit=None):
    """Write the device card of ``preset`` (a preset object or name) to ``path`` (PNG, atomically).

    ``fit``: a device fit (``models.devices.fit.FitResult``) or a mapping of data and model series
    to draw in the first panel (see :func:`_fit_series`); None: the preset's published points. A bad ``path`` (not ``.png``, a folder) raises ParameterError on field
    ``path`` before anything runs. Returns :func:`card_summary` plus ``path`` and, for threshold switches,
    ``fv_max_rel_error`` and ``waveform_vin_volt``.
    """
    from neuroxide.fileio import save_figure
    from neuroxide.models.calibrate import calibrate
    from neuroxide.models.devices.threshold_switch import ThresholdSwitchPreset
    from neuroxide.models.devices.zoo import get_any_preset
    from neuroxide.models.energy import operating_drive_volt
    from neuroxide.plots import new_figure

    from neuroxide.fileio import check_output
    if not str(path).lower().endswith(".png"):
        raise ParameterError("path", str(path), "a .png file")
    check_output("path", path)  # before any work: nothing half-written
    p = get_any_preset(preset) if isinstance(preset, str) else preset
    if fit is not None:
        _fit_series(fit)
    summary = card_summary(p, fit)
    ts = isinstance(p, ThresholdSwitchPreset)
    fig = new_figure(figsize=(13, 9), layout="constrained")
    axes = fig.subplots(2, 2)
    fig.suptitle(f"device card: {p.name} ({summary['family']}) - {getattr(p, 'source', '')}", fontsize=10)
    _panel_fit(axes[0, 0], p, fit, ts)
    if ts:
        cal = calibrate(p)
        vin = operating_drive_volt(p)
        summary["fv_max_rel_error"] = _panel_fv(axes[0, 1], cal)
        _panel_waveform(axes[1, 0], cal, vin)
        summary["waveform_vin_volt"] = vin
    else:
        for ax in (axes[0, 1], axes[1, 0]):
            ax.text(0.5, 0.5, f"f-V and node waveform: threshold-switch circuits only\n"
                    f"(see `neuroxide device {p.name}` for the {summary['family']} calibration)",
                    ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
    _panel_energy(axes[1, 1], p, summary["energy_per_spike_joule"], summary["operating_point"])
    for ax in axes.ravel():
        ax.grid(True, alpha=0.3)
    summary["path"] = save_figure(fig, path, field="path")
    return summary
