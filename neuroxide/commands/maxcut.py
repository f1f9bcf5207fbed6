"""``neuroxide maxcut GRAPH``: max-cut on the oscillatory Ising machine (fixed-point model or RTL).

The experiment is ``neuroxide.experiments.maxcut``; this module parses its options, runs it and
prints the cut beside the best known one, with the core's cycles and time to solution.
"""

from neuroxide.commands import add_backend, add_json, emit, flags_of, naming_flags, status, table
from neuroxide.experiments.backends import Backend
from neuroxide.experiments.maxcut import BACKENDS, MaxcutSetup
from neuroxide.fileio import check_folder
from neuroxide.models.onn_registers import DEFAULT_LANES, LANE_CHOICES

__all__ = ["register"]


def cmd_maxcut(args):
    from neuroxide.experiments.maxcut import run_maxcut
    with naming_flags(flags_of(MaxcutSetup, graph="graph")):
        setup = MaxcutSetup(args.graph, args.backend, args.sweeps, args.restarts, args.seed, args.fmax_mhz, args.lanes,
                            args.port, args.baud, args.mode, args.schedule, args.row_groups)
    check_folder("--build-dir", args.build_dir)
    result = run_maxcut(setup, args.simulator, args.build_dir, on_status=status)
    report = result.to_dict()
    known, cut, fmax = result.best_known, result.cut, setup.clock_mhz
    rows = [[result.graph_name, result.nodes, result.edges, cut, known or "-",
             f"{100 * cut / known:.2f}" if known else "-", result.cycles,
             f"{report['time_to_solution_s'] * 1e3:.3f}" if fmax else "-"]]
    human = table(rows, ["graph", "nodes", "edges", "cut", "best known", "% of best", "cycles", "time (ms)"])
    human += f"\ncuts per restart: {report['cuts']}"
    if not fmax:
        human += "\n(no Fmax known: pass --fmax-mhz for the time to solution)"
    emit(args, report, human)
    return 0 if setup.backend is Backend.MODEL or result.mismatches == 0 else 1


def register(sub):
    p = sub.add_parser(
        "maxcut", help="max-cut of a graph on the oscillatory Ising machine",
        description="Anneal the ONN on a graph (J = -W): injection locking at 2f binarises the phases into spins "
        "while the noise decays; the best cut over the restarts is reported with the cycles the core "
        "needs and the time at the ECP5 Fmax.\n\nexamples:\n  neuroxide maxcut G11\n"
        "  neuroxide maxcut G22 --sweeps 2000 --restarts 16 --json\n"
        "  neuroxide maxcut G12 --mode colour --schedule tuned --sweeps 10000 --restarts 16\n"
        "  neuroxide maxcut G22 --mode colour --lanes 32 --row-groups 4 --schedule tts --sweeps 500 --fmax-mhz 67.98\n  neuroxide maxcut my_graph.txt --backend rtl",
        formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    p.add_argument("graph", help="G-set name (G1..G22, packaged) or a graph file ('N E' then 'i j w' lines)")
    add_backend(p, BACKENDS, Backend.MODEL)
    p.add_argument("--seed", type=int, default=1, help="PRNG seed; restart r uses seed + r (default 1)")
    p.add_argument("--sweeps", type=int, default=2000, help="steps of the anneal, 1..65535 (default 2000)")
    p.add_argument("--restarts", type=int, default=8, help="independent anneals, best kept, 1..1024 (default 8)")
    p.add_argument("--simulator", choices=("icarus", "verilator"), help="rtl backend simulator (default: verilator)")
    p.add_argument("--fmax-mhz", type=float, help="clock for the time to solution (default: measured ECP5 Fmax)")
    p.add_argument("--lanes", type=int, default=DEFAULT_LANES,
                   help=f"multiply-accumulate lanes of the core, {' | '.join(map(str, LANE_CHOICES))} "
                   f"(the clock count; default {DEFAULT_LANES})")
    p.add_argument("--mode", default="sync", help="update order of the core: sync (every oscillator from the sweep's "
                   "start, default) | colour (colour by colour of a greedy colouring; model and rtl back ends)")
    p.add_argument("--row-groups", type=int, default=1,
                   help="oscillator updates a clock within a colour, a power of two <= --lanes (--mode colour; the "
                   "clock count of the row-group core, whose cut is the colour mode's; default 1)")
    p.add_argument("--schedule", default="default", help="annealing schedule: default | tuned (for long anneals, "
                   "chosen by the onn_tune bench part) | tts (for short anneals of a few hundred sweeps: time to "
                   "solution, chosen by the onn_tune_tts bench part); model and rtl back ends")
    p.add_argument("--build-dir", default="build/maxcut", help="rtl backend build folder")
    p.add_argument("--port", help="board backend: the serial port of the board (or of `neuroxide emulate onn-core`)")
    p.add_argument("--baud", type=int, default=115200, help="board backend: the link's baud rate (default 115200)")
    add_json(p)
    p.set_defaults(func=cmd_maxcut)
