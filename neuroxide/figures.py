"""The README's figures, rendered from recorded results, so a figure and its command cannot disagree.

**Recorded results** live in ``docs/results/<source>.json``, one file per source (a bench part of
``neuroxide/benchmarks/`` or a CLI command), each ``{"source", "command", "provenance", "recorded",
"machine", "versions", "wall_s", "result"}``:

* ``provenance: "measured"``: ``result`` is what ``command`` returned on ``machine`` at ``recorded``;
* ``provenance: "carried over"``: the figures of an earlier run that was not repeated when results
  were first recorded (board builds and long simulator runs take up to an hour); ``note`` says where
  they come from and ``result`` holds only the figures that run published. Recording the source
  again replaces them with a measurement.

**Rendering**: each figure block of a page sits between ``<!-- figures:NAME -->`` and
``<!-- /figures:NAME -->`` (a table, a sentence, or a phrase inside a table cell) and is replaced by
``RENDERERS[NAME](results)``. Text outside the markers is never touched.

Command line (``make figures`` runs the first two)::

    python -m neuroxide.figures --record SOURCE[,SOURCE]   run the sources, write docs/results/ ('cheap': CHEAP_SOURCES)
    python -m neuroxide.figures                            render the pages in place
    python -m neuroxide.figures --check                    exit 1 when a page differs from its rendering
    python -m neuroxide.figures --import-bench results/bench.json   record the parts of a `make bench` run
    python -m neuroxide.figures --list                     the sources, their commands and provenance
"""

import argparse
import contextlib
import io
import json
import math
import os
import platform
import re
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SOURCES", "CHEAP_SOURCES", "RENDERERS", "PAGES", "RESULTS_DIR", "load_results", "render_text",
           "render_pages", "record", "import_bench", "main"]

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "docs" / "results"
PAGES = (ROOT / "README.md", ROOT / "docs" / "snn.md")
MARKER = re.compile(r"<!-- figures:(?P<name>[a-z0-9-]+) -->(?P<body>.*?)<!-- /figures:(?P=name) -->", re.S)


# --- sources: what is recorded, by which command ---------------------------------------------------

@dataclass(frozen=True)
class Source:
    """A recorded result: the command a reader types to measure it, and how this module runs it."""

    command: str
    run: object  # () -> JSON-able result


def _cli_json(*argv):
    """``neuroxide ARGV --json`` in this process; its last stdout line (the JSON contract)."""
    from neuroxide.cli import main
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main([*argv, "--json"])
    if code not in (0, None):
        raise RuntimeError(f"neuroxide {' '.join(argv)} exited {code}")
    return json.loads(out.getvalue().strip().splitlines()[-1])


DEVICE_PRESETS = ("nbox", "vo2", "ag-hfalox", "ag-sio2")
DIGITS_VARIANTS = {"default": (), "backend-float": ("--backend", "float"),
                   "encoding-current": ("--encoding", "current"), "steps-16": ("--steps", "16"),
                   "readout-first": ("--readout", "first")}
DIGITS_RTL = ("digits", "--backend", "rtl", "--limit", "100", "--simulator", "verilator")
NIR_EXAMPLE_RUN = ("nir", "run", "build/nir_example/net.nir", "--random-steps", "200", "--batch", "32", "--rate",
                   "0.25")


def _nir_example():
    import runpy
    runpy.run_path(str(ROOT / "examples" / "nir_example.py"))["main"]("build/nir_example")
    return _cli_json(*NIR_EXAMPLE_RUN)


def _bench(part):
    def run():
        from neuroxide.bench import discover
        return discover()[part]()
    return Source(f"make bench PARTS={part}", run)


SOURCES = {
    "device-fv": Source("neuroxide device PRESET --json, PRESET in " + ", ".join(DEVICE_PRESETS),
                        lambda: {p: _cli_json("device", p) for p in DEVICE_PRESETS}),
    "digits": Source("neuroxide digits --json [--backend float | --encoding current | --steps 16 | --readout first]",
                     lambda: {k: _cli_json("digits", *a) for k, a in DIGITS_VARIANTS.items()}),
    "digits-rtl": Source("neuroxide " + " ".join(DIGITS_RTL) + " --json", lambda: _cli_json(*DIGITS_RTL)),
    "nir-example": Source("python examples/nir_example.py; neuroxide " + " ".join(NIR_EXAMPLE_RUN) + " --json",
                          _nir_example),
    "nir-example-rtl": Source("neuroxide nir run build/nir_example/net.nir --random-steps 500 --batch 4 "
                              "--backend rtl --simulator icarus|verilator --json", None),
    "nir-example-board": Source("neuroxide nir import build/nir_example/net.nir -o build/nir_example/core.json; "
                                "neuroxide build snn-core -p network=build/nir_example/core.json "
                                "--board icebreaker --json", None),
    "nir-recurrent": Source("neuroxide nir run build/nir_example/rec.nir --random-steps 300 --batch 4 --rate 0.25 "
                            "--backend rtl --json; neuroxide build snn-core -p network=build/nir_example/"
                            "rec_core.json --board ulx3s-85f --json", None),
    **{part: _bench(part) for part in ("model", "cocotb", "boards", "digits-accuracy", "digits-faults",
                                       "snn-core-cycles", "snn-core-boards", "nir-agreement", "onn_maxcut",
                                       "onn_verilator", "hostlink", "zoo-boards", "dynamics-boards")},
}
# what `make figures` re-records: each takes seconds to a few minutes on 2 cores
CHEAP_SOURCES = ("device-fv", "digits", "model", "snn-core-cycles", "digits-accuracy", "nir-example")


def _meta():
    import numpy as np
    return {"machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
            "versions": {"numpy": np.__version__}}


def _write(name, entry, results_dir):
    from neuroxide.fileio import write_json
    write_json(Path(results_dir) / f"{name}.json", entry)


def record(names, results_dir=RESULTS_DIR):
    """Run each source of ``names`` and write its result file (measured, now, on this machine)."""
    for name in names:
        source = SOURCES[name]
        if source.run is None:
            raise RuntimeError(f"{name} has no recorder here: run `{source.command}` and record its JSON")
        t0 = time.perf_counter()
        result = source.run()
        _write(name, {"source": name, "command": source.command, "provenance": "measured",
                      "recorded": time.strftime("%Y-%m-%dT%H:%M:%S"), **_meta(),
                      "wall_s": round(time.perf_counter() - t0, 1), "result": result}, results_dir)


def import_bench(path, results_dir=RESULTS_DIR):
    """Record the parts of a ``make bench`` output (``results/bench.json``) that a figure uses."""
    bench = json.loads(Path(path).read_text())
    done = []
    for name, source in SOURCES.items():
        if name in bench and source.command == f"make bench PARTS={name}":
            _write(name, {"source": name, "command": source.command, "provenance": "measured",
                          "recorded": bench.get("date"), "machine": bench.get("machine"),
                          "versions": bench.get("versions"), "wall_s": bench.get(f"{name}_wall_s"),
                          "result": bench[name]}, results_dir)
            done.append(name)
    return done


def load_results(results_dir=RESULTS_DIR):
    """``{source: result}`` of every recorded file."""
    return {p.stem: json.loads(p.read_text())["result"] for p in sorted(Path(results_dir).glob("*.json"))}


# --- formatting ------------------------------------------------------------------------------------

def _pct(fraction, digits=1):
    return f"{100 * fraction:.{digits}f}"


def _exp(x):
    """5.6e7-style: one decimal of mantissa, plain exponent."""
    mantissa, exponent = f"{x:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def _si(value, unit):
    """Two significant digits with an SI prefix: 2.1e-11 J -> '21 pJ'."""
    for scale, prefix in ((1e-15, "f"), (1e-12, "p"), (1e-9, "n"), (1e-6, "u"), (1e-3, "m"), (1.0, "")):
        if abs(value) < scale * 1000:
            return f"{value / scale:.2g} {prefix}{unit}"
    return f"{value:.2g} {unit}"


def _row(cells):
    return "|" + "|".join(f" {c} " if str(c) else " " for c in cells) + "|"


def _table(header, rows):
    """A markdown table between newlines (a block's body)."""
    lines = [_row(header), "|" + "---|" * len(header)] + [_row(row) for row in rows]
    return "\n" + "\n".join(lines) + "\n"


def _paragraph(text):
    """Prose wrapped at 100 columns, as the pages are written; never inside `code` or before a unit."""
    glued = re.sub(r"`[^`]*`", lambda m: m[0].replace(" ", "\u00a0"), text).replace(" %", "\u00a0%")
    return textwrap.fill(glued, 100, break_long_words=False, break_on_hyphens=False).replace("\u00a0", " ")


# --- renderers: one per marker name ---------------------------------------------------------------

# the preset's paper and what the energy is compared with (not figures: the citation beside them)
DEVICE_LABELS = {
    "nbox": ("Pt/NbOx/Pt, Gao 2017 (33 MHz at 4 V)", " (NbO2, Zhang 2020)"),
    "vo2": ("Au/VO2/Au, Yuan 2022 (R_L 4 kOhm, 0.45-0.9 MHz)", ""),
    "ag-hfalox": ("Pt/Ag/TiN/HfAlOx/Pt, Lu 2020", " (C fitted)"),
    "ag-sio2": ("Ag/SiO2/SiO2.03/Pt, Bousoulas 2022", " (C fitted)"),
}


def device_table(r):
    rows = []
    for preset, (label, energy_note) in DEVICE_LABELS.items():
        d = r["device-fv"][preset]
        e = d["energy"][0]
        rows.append([f"`{preset}`", label, f"{min(d['vin_volt']):g}-{max(d['vin_volt']):g} V", _dt(d["dt_s"]),
                     f"{_pct(d['max_rel_error'], 2)} %",
                     f"{_si(e['model_branch_energy_per_spike_joule'], 'J')} vs "
                     f"{_si(e['published_energy_per_spike_joule'], 'J')}{energy_note}"])
    return _table(["preset", "device (source)", "operating range", "default dt", "max f-V error, fixed vs float",
                   "energy/spike model vs published"], rows)


def _dt(seconds):
    return f"{seconds * 1e9:.3g} ns"


def device_headline(r):
    errors = [r["device-fv"][p]["max_rel_error"] for p in DEVICE_LABELS]
    return f"f-V error {_pct(min(errors))}-{_pct(max(errors))} % on {len(errors)} presets"


def _means(points):
    return [v["mean"] for v in points.values()]


def _keys_pct(points):
    return "/".join(f"{100 * float(k):g}" for k in points)


def _span_pct(points, dash):
    keys = list(points)
    return f"{100 * float(keys[0]):g}{dash}{100 * float(keys[-1]):g}"


def digits_table(r):
    d = r["digits"]["default"]
    acc, faults, rtl = r["digits-accuracy"], r["digits-faults"], r["digits-rtl"]
    bits = ", ".join(_pct(m) for m in _means(acc["bits"]))
    d2d = _means(acc["d2d"])
    mixed = faults["stuck"]["mixed"]
    worst = list(mixed)[-1]
    off, on = faults["stuck"]["off"][worst]["mean"], faults["stuck"]["on"][worst]["mean"]
    harmful = " (a device stuck on is the harmful fault)" if on < off else ""
    noise = faults["read_noise"]

    def noise_at(sigma):
        step, window = noise["step"][sigma]["mean"], noise["window"][sigma]["mean"]
        return f"{100 * float(sigma):g} %: {_pct(step)} % / {_pct(window)} %"
    sigmas = list(noise["step"])
    rows = [
        ["fixed-point model, 4-bit levels, ideal devices, 540 test images, 32 steps",
         f"**{_pct(d['accuracy'], 2)} %** (float network {_pct(d['float_reference_accuracy'], 2)} %)",
         "`neuroxide digits --json`"],
        [f"accuracy vs device bits {list(acc['bits'])[0]}..{list(acc['bits'])[-1]} (mean of {len(acc['seeds'])} seeds)",
         f"{bits} %", "`make bench PARTS=digits-accuracy`"],
        [f"accuracy vs d2d spread {_span_pct(acc['d2d'], '..')} % (4-bit)", f"{_pct(d2d[0])} -> {_pct(d2d[-1])} %",
         "same"],
        [f"accuracy vs stuck-at devices {_keys_pct(mixed)} %, half at G_min, half at G_max",
         ", ".join(_pct(m) for m in _means(mixed)) + " %", "`make bench PARTS=digits-faults`"],
        ["the same, all stuck at G_min / all at G_max",
         f"{100 * float(worst):g} %: {_pct(off)} % / {_pct(on)} %{harmful}", "same"],
        [f"accuracy vs read noise {_span_pct(noise['step'], '-')} % (relative std per device per read), redrawn "
         "every step / held for the 32-step window",
         f"{noise_at(sigmas[-1])}; {noise_at('0.3')} (fast noise averages out over the window)", "same"],
        [f"RTL (SNN core under cocotb, {rtl['simulator'].capitalize()}), first {rtl['n']} test images",
         f"{_pct(rtl['accuracy'])} %, **{rtl['mismatches']} mismatches** (spikes and full state every step), "
         f"{rtl['sops']:,} SOPs in {rtl['cycles']:,} cycles", "`neuroxide " + " ".join(DIGITS_RTL) + " --json`"],
    ]
    return _table(["", "figure", "command"], rows)


def digits_headline(r):
    rtl = r["digits-rtl"]
    return (f"{_pct(r['digits']['default']['accuracy'], 2)} % at 4-bit levels; RTL {rtl['mismatches']} mismatches "
            f"on {rtl['n']} images")


def digits_campaign(r):
    f = r["digits-faults"]
    runs = len(f["seeds"]) * sum(len(points) for points in f["stuck"].values())
    return (f"injected {f['faults_injected']:,} stuck devices over {runs} runs and perturbed "
            f"{f['noisy_reads'] / 1e6:.1f} million device reads")


# board -> (label, LUT-class cells, BRAMs) of its FPGA, shown where the design nearly fills it
BOARD_LABELS = {"icebreaker": ("iCEBreaker (iCE40UP5K)", 5280, 30), "ulx3s-85f": ("ULX3S-85F (LFE5U-85F)", None, None)}


def _of(value, capacity):
    return f"{value} / {capacity}" if capacity else f"{value}"


def _rates(msops):
    """SOP/s at Fmax for the two input densities, one unit when they share it: '72 / 79 M', '745 M / 1.10 G'."""
    parts = [(f"{m / 1000:.2f}", "G") if m >= 1000 else (f"{m:.0f}", "M") for m in msops]
    if parts[0][1] == parts[1][1]:
        return f"{parts[0][0]} / {parts[1][0]} {parts[0][1]}"
    return " / ".join(f"{v} {u}" for v, u in parts)


def snn_core_boards_table(r):
    cycles = r["snn-core-cycles"]["rows"]
    rows = []
    for board, (label, lut_cap, bram_cap) in BOARD_LABELS.items():
        b = r["snn-core-boards"][board]
        npc = b.get("neurons_per_clock", 1)
        spc = [next(c["sop_per_cycle"] for c in cycles
                    if (c["lanes"], c.get("neurons_per_clock", 1), c["p_in"]) == (b["lanes"], npc, p))
               for p in (64, 256)]
        fmax = f"{b['fmax_mhz']:.1f} MHz"
        if b.get("clock_mhz") and b.get("timing_met"):
            fmax += f" ({b['clock_mhz']:g} MHz clock met)"
        bram = _of(b["brams"], bram_cap) + (f" + {b['sprams']} SPRAM" if b.get("sprams") else "")
        rows.append([label, b["lanes"], npc, _of(b["luts"], lut_cap), b["ffs"], bram, b["dsps"], fmax,
                     f"{spc[0]:.2f} / {spc[1]:.2f}", _rates([s * b["fmax_mhz"] for s in spc])])
    events = [next(c["input_events_per_step"] for c in cycles if c["p_in"] == p) for p in (64, 256)]
    return _table(["board", "lanes", "neuron lanes", "LUTs", "FFs", "BRAM", "DSP", "Fmax",
                   f"SOP/cycle ({events[0]:.0f} / {events[1]:.0f} input events per step)", "SOP/s at Fmax"], rows)


NIR_LAYERS = ("LIF 64-10", "LIF 64-48-10", "LIF 64-48-32-10")


def _nir_at(r, key, bits="8"):
    return [r["nir-agreement"]["families"][fam][bits][key]["mean"] for fam in NIR_LAYERS]


def nir_table(r):
    ex, ex_rtl, board, rec = r["nir-example"], r["nir-example-rtl"], r["nir-example-board"], r["nir-recurrent"]
    a = _nir_at(r, "agreement")
    q = _nir_at(r, "model_vs_weights_only")
    sims = [s for s in ("icarus", "verilator") if s in ex_rtl]
    rows = [
        [f"worked example, model vs float NIR, {ex['batch']} random inputs x {ex['steps']} steps",
         f"{_pct(ex['agreement_model_float']['overall'], 2)} % spike-count agreement"],
        [f"its RTL vs model ({' and '.join(s.capitalize() for s in sims)}, {ex_rtl['steps']} steps x "
         f"{ex_rtl['batch']} samples)",
         f"**{sum(ex_rtl[s]['mismatches'] for s in sims)} mismatches**, full state every step"],
        ["its bitstream, iCEBreaker",
         f"{_of(board['luts'], BOARD_LABELS['icebreaker'][1])} LC, {board['ffs']} FF, {board['brams']} BRAM, "
         f"{board['dsps']} DSP, "
         f"{board['fmax_mhz']:.1f} MHz ({board['clock_mhz']:g} MHz met)"],
        ["random graphs, model vs float NIR at 8-bit weights: "
         + " / ".join(str(len(f.split("-")) - 1) for f in NIR_LAYERS) + " LIF layers",
         f"**{_pct(a[0], 2)} %** / " + " / ".join(f"{_pct(x, 2)} %" for x in a[1:])],
        ["the same against a float network with only its weights quantised", " / ".join(f"{_pct(x, 2)} %" for x in q)],
        ["CubaLIF + recurrent hidden layer (ULX3S-85F)",
         f"RTL {rec['mismatches']} mismatches; {rec['luts']} LUTs, {rec['fmax_mhz']:.1f} MHz"],
    ]
    return _table(["", "figure (measured here)"], rows)


def nir_totals(r):
    totals = _nir_at(r, "per_neuron_totals")
    return f"{_pct(min(totals))}-{_pct(max(totals))} %"


def nir_headline(r):
    rtl = r["nir-example-rtl"]
    mismatches = sum(rtl[s]["mismatches"] for s in ("icarus", "verilator") if s in rtl)
    return (f"{_pct(_nir_at(r, 'agreement')[0])} % spike-count agreement (1 layer, 8-bit); RTL {mismatches} "
            "mismatches")


def _gset_key(name):
    return int(name[1:])


def maxcut_table(r):
    m = r["onn_maxcut"]
    graphs = sorted(m["graphs"].items(), key=lambda kv: _gset_key(kv[0]))
    half = (len(graphs) + 1) // 2
    cells = [[name, g["cut"], g["best_known"], f"{100 * g['cut'] / g['best_known']:.2f}"] for name, g in graphs]
    rows = [left + (cells[half + k] if half + k < len(cells) else [""] * 4) for k, left in enumerate(cells[:half])]
    return _table(["graph", "cut", "best known", "%"] * 2, rows)


def maxcut_summary(r):
    graphs = r["onn_maxcut"]["graphs"]
    ratios = {name: g["cut"] / g["best_known"] for name, g in graphs.items()}
    worst = min(ratios, key=ratios.get)
    return f"{100 * sum(ratios.values()) / len(ratios):.2f} %, worst {100 * ratios[worst]:.2f} % ({worst})"


def maxcut_headline(r):
    graphs = r["onn_maxcut"]["graphs"]
    ratios = [g["cut"] / g["best_known"] for g in graphs.values()]
    names = sorted(graphs, key=_gset_key)
    return f"{100 * sum(ratios) / len(ratios):.2f} % of best-known, mean over {names[0]}-{names[-1]}"


ZOO_ROWS = (("`lif` (n = 4)", "boards", None), ("`fefet`", "zoo-boards", "fefet"), ("`afefet`", "zoo-boards", "afefet"),
            ("`mtj`", "zoo-boards", "mtj"), ("`mtj-wta`", "zoo-boards", "mtj-wta"),
            ("`stochastic-ts`", "zoo-boards", "stochastic-ts"), ("`nbo2-osc`", "zoo-boards", "nbo2-osc"),
            ("`dendrite` (1 neuron)", "zoo-boards", "dendrite"),
            ("`izhikevich` pipelined (1)", "dynamics-boards", "izhikevich-pipelined"),
            ("`hh` (1)", "dynamics-boards", "hh"))


def _board_cell(b):
    if "error" in b or b.get("fits") is False:
        need = f" ({b['dsps']} of {b['dsps_available']} DSPs)" if "dsps_available" in b else ""
        return "does not fit" + need
    return f"{b['luts']} / {b['ffs']} / {b['dsps']} / {b['brams']} / {b['fmax_mhz']:.1f} MHz"


def zoo_boards_table(r):
    rows = []
    for label, source, design in ZOO_ROWS:
        per_board = r[source] if design is None else (r[source].get("results", r[source]))[design]
        rows.append([label] + [_board_cell(per_board[b]) for b in ("icebreaker", "ulx3s-85f")])
    return _table(["design", "iCE40UP5K (iCEBreaker)", "ECP5-85F (ULX3S)"], rows)


def _build_time(board):
    first = board.get("first_yowasp_build_s")  # carried over from a first build; a bench run has none
    return f"{board['build_s']:.1f} s" + (f" / ~{first:.0f} s" if first else "")


def bench_table(r):
    coco, link, lif, onn = r["cocotb"], r["hostlink"]["simulate"], r["boards"], r["onn_verilator"]
    simulators = " / ".join(f"{name} {coco[key]['version']}" if coco[key].get("version") else name
                            for key, name in (("icarus", "Icarus"), ("verilator", "Verilator")))
    nodes = onn.get("nodes")
    if nodes is None:  # a bench run names the graph only
        from neuroxide.models.gset import load_graph
        nodes = load_graph(onn["graph"]).nodes
    rows = [
        [f"LIF model, 10^{math.log10(r['model']['neurons']):g} neurons, every feature on",
         f"{_exp(r['model']['neuron_steps_per_s'])} neuron-steps/s"],
        [f"cocotb, {simulators} (lif, 4 neurons, free-running)",
         f"{_exp(coco['icarus']['cycles_per_s'])} / {_exp(coco['verilator']['cycles_per_s'])} cycles/s"],
        ["host link fuzz, Verilator / Icarus",
         f"{link['verilator']['frames_per_s']:,.0f} / {link['icarus']['frames_per_s']:,.0f} frames/s"],
        [f"ONN core under Verilator ({nodes} nodes)", f"{_exp(onn['cycles_per_s'])} clocks/s"],
        ["bitstream build, cached / first YoWASP use",
         f"iCE40 {_build_time(lif['icebreaker'])}, ECP5 {_build_time(lif['ulx3s-85f'])} (lif)"],
    ]
    return _table(["what", "figure"], rows)


# docs/snn.md
def snn_measured(r):
    d = r["digits"]
    acc = r["digits-accuracy"]
    text = "\n" + _paragraph(
        f"`neuroxide digits --json` (4-bit ideal devices, seed 1): **{_pct(d['default']['accuracy'], 2)} %** "
        f"(float reference network {_pct(d['default']['float_reference_accuracy'], 2)} %; float net on the "
        f"programmed 4-bit weights, `--backend float`: {_pct(d['backend-float']['accuracy'], 2)} %). With "
        f"`--encoding current`: {_pct(d['encoding-current']['accuracy'], 2)} %; `--steps 16`: "
        f"{_pct(d['steps-16']['accuracy'], 2)} %; `--readout first`: {_pct(d['readout-first']['accuracy'], 2)} % "
        "(first-spike readout suits latency-coded nets, not a rate-converted one).") + "\n\n" + _paragraph(
        f"`python -m neuroxide.bench --only digits-accuracy` (seeds {', '.join(map(str, acc['seeds']))}; "
        "mean [min..max], %):") + "\n"

    def cell(v, spread=True):
        return (f"{_pct(v['mean'])} [{_pct(v['min'])}..{_pct(v['max'])}]" if spread and v["min"] != v["max"]
                else _pct(v["mean"]))
    text += _table(["device bits"] + list(acc["bits"]),
                   [["SNN model"] + [cell(v) for v in acc["bits"].values()],
                    ["float net, same weights"] + [cell(v, False) for v in acc["bits_float"].values()]])
    text += _table(["d2d spread (4-bit)"] + [f"{100 * float(k):g} %" for k in acc["d2d"]],
                          [["SNN model"] + [cell(v) for v in acc["d2d"].values()]])
    text += _table(["stuck-at devices (4-bit)"] + [f"{100 * float(k):g} %" for k in acc["stuck"]],
                          [["SNN model"] + [cell(v) for v in acc["stuck"].values()]])
    return text


def snn_thresholds(r):
    v_th = [layer["v_th"] for layer in r["digits"]["default"]["layers"]]
    return f"v_th = {v_th[0]} and {v_th[1]} at 4 bits"


def snn_rtl(r):
    rtl = r["digits-rtl"]
    return (f"the first {rtl['n']} test images, **{_pct(rtl['accuracy'])} %**\naccuracy, **{rtl['mismatches']} "
            "mismatches** (spikes and full neuron state compared at every step of every image),\npredictions "
            f"{'identical to' if rtl['prediction_mismatches'] == 0 else 'different from'} the model's, "
            f"{rtl['sops']:,} SOPs (the model counts "
            f"{'the same' if rtl['sops'] == rtl['model_sops'] else format(rtl['model_sops'], ',')})"
            f" in {rtl['cycles']:,} clock\ncycles = {rtl['sop_per_cycle']:.2f} SOP/cycle (8 lanes), {rtl['wall_s']:.0f} s wall "
            f"on a shared 2-core machine, {rtl['rtl_build_s']:.0f} s of it the Verilator build")


RENDERERS = {
    "device-table": device_table, "device-headline": device_headline,
    "digits-table": digits_table, "digits-headline": digits_headline, "digits-campaign": digits_campaign,
    "snn-core-boards": snn_core_boards_table,
    "nir-table": nir_table, "nir-totals": nir_totals, "nir-headline": nir_headline,
    "maxcut-table": maxcut_table, "maxcut-summary": maxcut_summary, "maxcut-headline": maxcut_headline,
    "zoo-boards": zoo_boards_table, "bench-table": bench_table,
    "snn-measured": snn_measured, "snn-thresholds": snn_thresholds, "snn-rtl": snn_rtl,
}


def render_text(text, results, renderers=RENDERERS):
    """``text`` with every figure block replaced by its rendering; an unknown block name is an error."""
    def replace(match):
        name = match["name"]
        if name not in renderers:
            raise KeyError(f"figure block {name!r} has no renderer; known: {', '.join(renderers)}")
        return f"<!-- figures:{name} -->{renderers[name](results)}<!-- /figures:{name} -->"
    return MARKER.sub(replace, text)


def render_pages(pages=PAGES, results_dir=RESULTS_DIR, check=False):
    """Render every page; with ``check`` write nothing and return the pages that differ."""
    from neuroxide.fileio import write_text
    results = load_results(results_dir)
    stale = []
    for page in pages:
        old = Path(page).read_text()
        new = render_text(old, results)
        if new != old:
            stale.append(Path(page))
            if not check:
                write_text(page, new)
    return stale


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m neuroxide.figures", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--record", metavar="SOURCES",
                      help="comma-separated sources to run and record, then render ('cheap': " + ",".join(CHEAP_SOURCES)
                      + ")")
    mode.add_argument("--import-bench", metavar="BENCH_JSON", help="record the parts of a `make bench` output")
    mode.add_argument("--check", action="store_true", help="exit 1 when a page differs from its rendering")
    mode.add_argument("--list", action="store_true", help="list the sources")
    args = ap.parse_args(argv)
    if args.list:
        for name, source in SOURCES.items():
            path = RESULTS_DIR / f"{name}.json"
            provenance = json.loads(path.read_text())["provenance"] if path.exists() else "not recorded"
            print(f"{name:18} {provenance:13} {source.command}")
        return 0
    if args.record:
        names = [s.strip() for s in args.record.split(",") if s.strip()]
        names = [n for name in names for n in (CHEAP_SOURCES if name == "cheap" else (name,))]
        unknown = [n for n in names if n not in SOURCES]
        if unknown:
            print(f"error: --record {','.join(unknown)} unknown; allowed: {', '.join(SOURCES)}", file=sys.stderr)
            return 2
        record(names)
    if args.import_bench:
        print("recorded: " + ", ".join(import_bench(args.import_bench)))
    stale = render_pages(check=args.check)
    for page in stale:
        print(f"{page.relative_to(ROOT)}: {'differs from the recorded results' if args.check else 'rendered'}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
