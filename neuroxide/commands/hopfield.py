"""``neuroxide hopfield``: associative memory on the ONN, retrieval accuracy vs flipped pixels.

The experiment is ``neuroxide.experiments.hopfield``; this module parses its options, runs it and
prints the table per noise level (and the accuracy curve with ``--plot``).
"""

from neuroxide.commands import add_backend, add_json, emit, flags_of, naming_flags, plot_path, status, table
from neuroxide.experiments.backends import Backend
from neuroxide.experiments.hopfield import BACKENDS, DEFAULT_NOISE, RULES, HopfieldSetup
from neuroxide.fileio import check_output

__all__ = ["register"]


def cmd_hopfield(args):
    from neuroxide.experiments.hopfield import plot_hopfield, run_hopfield
    with naming_flags(flags_of(HopfieldSetup)):
        setup = HopfieldSetup(args.n, args.patterns, DEFAULT_NOISE if args.noise is None else (args.noise,),
                              args.backend, args.rule, args.steps, args.seed)
    plot = check_output("--plot", plot_path(args.plot))
    result = run_hopfield(setup, on_status=status)
    if plot:
        plot_hopfield(result, plot)
    rows = [[f"{r['noise']:.2f}", f"{100 * r['accuracy']:.2f}", f"{100 * r['perfect_recall']:.1f}",
             f"{100 * r['float_hopfield_accuracy']:.2f}"] for r in result.levels]
    human = f"{setup.rule}, N={setup.n}, {setup.patterns} patterns, backend {setup.backend.value}\n" + table(
        rows, ["flipped", "ONN acc %", "perfect %", "float Hopfield acc %"])
    emit(args, result.to_dict() | {"plot": plot}, human)
    return 1 if result.mismatches else 0


def register(sub):
    import argparse
    p = sub.add_parser(
        "hopfield", help="associative memory on the ONN: retrieval accuracy vs flipped pixels",
        description="Store random +-1 patterns in the oscillator couplings (Hebbian or Storkey, 5-bit "
        "differential weights), start the oscillators at a corrupted pattern (pixel -> phase 0 or 180 deg) "
        "and let them lock; report the pixels retrieved beside a float Hopfield network with the same "
        "weights.\n\nexamples:\n  neuroxide hopfield\n  neuroxide hopfield --n 100 --patterns 10 --noise 0.2 --json\n"
        "  neuroxide hopfield --backend rtl --n 32 --patterns 3\n  neuroxide hopfield --plot hop.png",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=100, help="oscillators (pixels), 8..1024 (default 100)")
    p.add_argument("--patterns", type=int, default=10, help="stored patterns (default 10 = 0.1 N)")
    p.add_argument("--noise", type=float, help="fraction of flipped pixels (default: sweep 0, 0.1, 0.2, 0.3)")
    add_backend(p, BACKENDS, Backend.MODEL)
    p.add_argument("--rule", choices=RULES, default="hebbian", help="learning rule")
    p.add_argument("--steps", type=int, default=40, help="ONN steps (float: periods) of retrieval (default 40)")
    p.add_argument("--seed", type=int, default=1, help="patterns, corruption and PRNG seed")
    p.add_argument("--plot", metavar="FILE.png", help="accuracy vs flipped pixels as a PNG")
    add_json(p)
    p.set_defaults(func=cmd_hopfield)
