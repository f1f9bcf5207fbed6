"""``neuroxide learn DEMO``: learning on the chip -- STDP + WTA (digits, mnist, letters), supervised
SDSP (sdsp-mnist), on the learning core's model or in float, with a synapse device's update curve.

The experiment is ``neuroxide.experiments.learn``; this module parses its options, runs it and
prints the accuracy (and writes the receptive fields, the weight evolution and, with ``--sweep``,
the accuracy-vs-device plot into ``--plot-dir``).
"""

import sys
import textwrap
from pathlib import Path

from neuroxide.commands import add_backend, add_json, emit, flags_of, naming_flags, status, table
from neuroxide.experiments.backends import Backend
from neuroxide.experiments.learn import BACKENDS, DEMOS, MAX_EPOCHS, LearnSetup, device_names

__all__ = ["register"]


def cmd_learn(args):
    from tqdm import tqdm

    from neuroxide.experiments.learn import (plot_device_sweep, plot_receptive_fields, plot_weight_evolution,
                                             run_device_sweep, run_learn)
    from neuroxide.fileio import check_folder
    with naming_flags(flags_of(LearnSetup, demo="DEMO")):  # every option before anything runs or is written
        setup = LearnSetup(args.demo, args.backend, args.device, args.epochs, args.train, args.test, args.seed,
                           args.learning_rate, args.weight_bits, args.steps)
    check_folder("--plot-dir", args.plot_dir)
    spec = setup.spec
    status(f"learn {setup.demo}: {spec.meaning}; {setup.backend.value} back end, {setup.epochs_used} epoch(s)"
           + (f", device {setup.device}" if setup.device else "") + " ...")
    bar = tqdm(total=1, desc="samples", unit="smp", file=sys.stderr, leave=False)

    def progress(done, total):
        bar.total = total
        bar.update(done - bar.n)

    try:
        result = run_learn(setup, progress)
    finally:
        bar.close()
    report = result.to_dict()
    plots = {}
    if args.plot_dir:
        folder = Path(args.plot_dir)
        folder.mkdir(parents=True, exist_ok=True)
        plots["receptive_fields"] = plot_receptive_fields(result, folder / f"learn_{setup.demo}_fields.png")
        plots["weight_evolution"] = plot_weight_evolution(result, folder / f"learn_{setup.demo}_evolution.png")
    if args.sweep:
        with tqdm(total=1, desc="device sweep", unit="run", file=sys.stderr, leave=False) as sbar:
            def sweep_progress(done, total):
                sbar.total = total
                sbar.update(done - sbar.n)
            points = run_device_sweep(setup, progress=sweep_progress)
        report["device_sweep"] = [p.to_dict() for p in points]
        if args.plot_dir:
            plots["device_sweep"] = plot_device_sweep(setup, points, Path(args.plot_dir)
                                                      / f"learn_{setup.demo}_device_sweep.png")
    report["plots"] = plots
    per_class = report["neurons_per_class"]
    rows = [[report["backend"], setup.device or "-", f"{100 * report['accuracy']:.2f} %",
             "-" if report["train_accuracy"] is None else f"{100 * report['train_accuracy']:.2f} %",
             report["n_train"], report["epochs"], report["n_test"], f"{report['learn_s']:.1f} s",
             report["samples_per_s"]]]
    lines = [table(rows, ["backend", "device", "test accuracy", "train accuracy", "train samples", "epochs",
                          "test samples", "learning", "samples/s"])]
    if spec.kind == "wta":
        lines.append("neurons per class: " + ", ".join(f"{c}: {n}" for c, n in zip(spec.classes, per_class)))
        missing = [k for k, v in report["core_features"].items() if not v]
        if missing and setup.backend is Backend.MODEL:
            lines.append("note: the learning core lacks " + " and ".join(missing) + " (see docs/learning.md): "
                         "this model run uses the rule without them")
    if report.get("rtl"):
        r = report["rtl"]
        lines.append(f"rtl ({r['simulator']}): {r['steps']:,} training steps, {r['cycles']:,} clock cycles, "
                     f"{r['mismatches']} mismatches with the model (every level and state, every step), "
                     f"{r['weight_changes']:,} level changes, {r['wall_s']:.0f} s")
    if "device_sweep" in report:
        srows = [[p["device"] or "-", p["nonlinearity"], p["asymmetry"], f"{100 * p['accuracy']:.1f} %"]
                 for p in report["device_sweep"]]
        lines.append(table(srows, ["preset", "non-linearity", "asymmetry", "accuracy"]))
    for name, path in plots.items():
        lines.append(f"{name}: {path}")
    emit(args, report, "\n".join(lines))
    return 0


def register(sub):
    p = sub.add_parser(
        "learn", help="learning on the chip: STDP + WTA and supervised SDSP demos, float or the core's model",
        formatter_class=lambda prog: __import__("argparse").RawDescriptionHelpFormatter(prog, width=100),
        description=textwrap.dedent("""\
            Train a learning layer of the core with its own plasticity rule from rate-coded samples, then
            score it (docs/learning.md). Unsupervised demos assign each neuron the class of its highest mean
            response on the training set (Diehl & Cook 2015); sdsp-mnist has one neuron per class and a
            teacher input. --device takes a synapse preset whose update curve (non-linear, asymmetric,
            spread) becomes the core's step tables.

            demos:
            """) + "\n".join(f"  {k:<11} {v}" for k, v in DEMOS.items()) + "\n\nback ends: "
        + "\n           ".join(f"{b.value:<6} {meaning}" for b, meaning in BACKENDS.items())
        + "\n           (rtl: the training on the RTL equals the model's, so the test score is the model's)",
        epilog=textwrap.dedent("""\
            examples:
              neuroxide learn digits                              the core's model, 5 epochs
              neuroxide learn mnist --backend float --plot-dir build/learn
              neuroxide learn sdsp-mnist --epochs 1 --train 1000 --json
              neuroxide learn letters --device pcmo --plot-dir build/learn
              neuroxide learn letters --backend rtl --epochs 1 --train 40
              neuroxide learn digits --backend float --sweep --plot-dir build/learn

            JSON keys: demo, dataset, kind, backend, device, device_model, accuracy, train_accuracy, n_train,
            n_test, epochs, seed, steps_per_sample, n_in, n_out, weight_bits, labels, neurons_per_class,
            confusion, learn_s, eval_s, wall_s, samples_per_s, time_steps_per_s, synapse_steps_per_s,
            weight_changes, core_features, plots, device_sweep (with --sweep), rtl (--backend rtl: simulator,
            steps, mismatches, cycles, cycles_per_step_learning, weight_changes, spikes, wall_s)"""))
    p.add_argument("demo", metavar="DEMO", help="one of " + ", ".join(DEMOS))
    add_backend(p, BACKENDS, Backend.MODEL)
    p.add_argument("--device", metavar="PRESET",
                   help="synapse update preset: " + ", ".join(device_names()) + " (default: the rule's own bounds)")
    p.add_argument("--epochs", type=int, metavar="N", help=f"passes over the training samples, 1..{MAX_EPOCHS} "
                   "(default: the demo's)")
    p.add_argument("--train", type=int, metavar="N", help="first N training samples (default all)")
    p.add_argument("--test", type=int, metavar="N", help="first N test samples (default all)")
    p.add_argument("--seed", type=int, default=1, metavar="S",
                   help="seed of the initial weights, the sample order, the encoder and the rounding (default 1)")
    p.add_argument("--learning-rate", type=float, metavar="R",
                   help="STDP eta / SDSP step in levels per event, 0.0001..1 (default: the demo's)")
    p.add_argument("--weight-bits", type=int, metavar="B", help="levels per synapse 2**B, 1..8 (default: the demo's)")
    p.add_argument("--steps", type=int, metavar="T", help="time steps per sample, 4..1024 (default: the demo's)")
    p.add_argument("--sweep", action="store_true",
                   help="also run the accuracy-vs-device sweep (non-linearity x asymmetry, and the presets)")
    p.add_argument("--plot-dir", metavar="DIR",
                   help="write learn_DEMO_fields.png, learn_DEMO_evolution.png (and learn_DEMO_device_sweep.png)")
    add_json(p)
    p.set_defaults(func=cmd_learn)
