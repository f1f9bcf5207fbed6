"""``neuroxide demo``: one oxide neuron through the whole flow, on built-in defaults.

NbOx threshold-switch preset -> calibration (float device vs fixed-point f-V curve, PNG) ->
Verilog of the calibrated neuron -> cocotb proof (full state, every step) -> iCEBreaker bitstream
with resource and Fmax report -> report.json and a summary table.
"""

import dataclasses
import time
from pathlib import Path

__all__ = ["run_demo", "stimulus_for"]

DEMO_STEPS = 10_000
DEMO_NEURONS = 4


def stimulus_for(calibration):
    """On-chip random drive on the calibrated scale: mean excitation about the largest device drive."""
    from neuroxide.models.stimulus import StimulusParams
    p = calibration.params
    exc_bits = min(p.in_bits, int(calibration.i_exc.max()).bit_length() + 1)
    return StimulusParams(p_exc=224, p_inh=48, exc_bits=exc_bits, inh_bits=max(0, exc_bits - 2))


def run_demo(preset="nbox", board="icebreaker", out_dir="build/demo", simulator=None, steps=DEMO_STEPS,
             n=DEMO_NEURONS, skip_build=False, progress=None, overrides=None):
    """Run the demo flow; returns the report dict (also written to ``out_dir/report.json``)."""
    from neuroxide.designs.lif import DesignConfig
    from neuroxide.experiments.device import configure_device
    from neuroxide.fileio import write_json
    from neuroxide.flow import build_design, simulate_design, write_verilog
    from neuroxide.models.calibrate import calibrate, plot_fv, plot_trace
    from neuroxide.models.devices import energy_comparison
    from neuroxide.testbench.runner import default_simulator

    say = progress or (lambda stage, msg: None)
    device, widths = configure_device(preset, overrides)  # validate everything before anything is written
    simulator = simulator or default_simulator()
    if not skip_build:
        from neuroxide.boards.platforms import get_board
        get_board(board)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = {"preset": preset, "board": board, "out_dir": str(out)}
    t_all = time.perf_counter()

    say("calibrate", f"calibrating the {preset} preset into a fixed-point LIF")
    t0 = time.perf_counter()
    cal = calibrate(device, widths=widths)
    plot = plot_fv(cal, out / f"fv_{device.name}.png")  # device.name: a preset file's path is no file name
    vin_mid = float(cal.vin_volt[len(cal.vin_volt) // 2])
    trace_plot = plot_trace(cal, vin_mid, out / f"trace_{device.name}.png")
    report["calibration"] = {"dt_s": cal.dt_s, "max_rel_error": cal.max_rel_error,
                             "vin_range_volt": [float(cal.vin_volt[0]), float(cal.vin_volt[-1])],
                             "encoder": cal.encoder.mode, "plot": str(plot), "trace_plot": str(trace_plot),
                             "lif_params": dataclasses.asdict(cal.params), "wall_s": round(time.perf_counter() - t0, 2)}
    report["energy"] = energy_comparison(device)

    cfg = DesignConfig("lif", cal.params, n, 1, stimulus_for(cal).validate(cal.params.in_bits))
    say("verilog", "writing the calibrated neuron's Verilog")
    _, info = write_verilog(cfg, out / "lif.v")
    report["verilog"] = info

    say("simulate", f"proving the Verilog equal to the model: {steps} steps on {simulator}")
    report["simulate"] = simulate_design(cfg, simulator, steps, out / "sim")

    if not skip_build:
        say("build", f"building the {board} bitstream (yosys + nextpnr from YoWASP; the first run compiles them)")
        report["build"] = build_design(cfg, board, out / "boards")
    report["wall_s"] = round(time.perf_counter() - t_all, 1)
    write_json(out / "report.json", report)
    return report


def summary_rows(report):
    """Rows ``(stage, result)`` of the demo's summary table."""
    cal, sim = report["calibration"], report["simulate"]
    rows = [
        ("device preset", report["preset"]),
        ("calibration", f"dt = {cal['dt_s']:.4g} s, max f-V error {100 * cal['max_rel_error']:.2f} % "
                        f"over {cal['vin_range_volt'][0]:g}-{cal['vin_range_volt'][1]:g} V ({cal['encoder']} encoder)"),
        ("plots", f"{cal['plot']}, {cal['trace_plot']}"),
        ("Verilog", f"{report['verilog']['file']} ({report['verilog']['lines']} lines)"),
        ("cocotb proof", f"{sim['simulator']}: {sim['steps']} steps x {sim['neurons']} neurons, "
                         f"{sim['spikes']} spikes, {sim['mismatches']} mismatches"),
    ]
    for e in report.get("energy", [])[:1]:
        rows.append(("energy/spike", f"model {e['model_branch_energy_per_spike_joule']:.3g} J vs published "
                                     f"{e['published_energy_per_spike_joule']:.3g} J ({e['source']})"))
    if "build" in report:
        b = report["build"]
        rows.append(("bitstream", f"{b['board']} ({b['device']}): {b['luts']} LUTs, {b['ffs']} FFs, "
                                  f"{b['dsps']} DSPs, {b['brams']} BRAMs, Fmax {b['fmax_mhz'] or 0:.1f} MHz"))
        rows.append(("", b["bitstream"]))
    rows.append(("report", str(Path(report["out_dir"]) / "report.json")))
    rows.append(("total time", f"{report['wall_s']:.0f} s"))
    return rows
