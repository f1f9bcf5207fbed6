"""``neuroxide digits``: handwritten digits on memristor-crossbar synapses, float / model / RTL.

The 8x8 digits (scikit-learn) classified by the 64-64-10 network of ``neuroxide.models.train``:
trained in float (cached under build/digits), programmed onto crossbars with the chosen device
non-idealities, converted to the fixed-point SNN core and run on one of three back ends:

* ``float``: the non-spiking ReLU network with the weights the crossbars actually hold;
* ``model``: the fixed-point spiking model (``neuroxide.models.snn``), rate-coded inputs;
* ``rtl``: the generated core under cocotb (``neuroxide.testbench.snn_bench.run_network``), fed the
  model's very input events and compared with the model at every step.
"""

import sys
import textwrap
import time

from neuroxide.commands import add_json, check_range, emit, plot_path, status, table
from neuroxide.errors import ParameterError, ToolchainError
from neuroxide.fileio import check_folder, check_output

__all__ = ["register", "evaluate", "BACKENDS", "check_args"]

BACKENDS = ("float", "model", "rtl")
N_TEST = 540  # the fixed split's test set
MAX_SEED = 0xFFFF_FFFF


def check_args(args):
    """Validate every option before anything runs or is written (bad input exits 2)."""
    check_range("--weight-bits", args.weight_bits, 1, 8)
    check_range("--d2d-sigma", args.d2d_sigma, 0.0, 1.0, kind=float)
    check_range("--stuck-at", args.stuck_at, 0.0, 1.0, kind=float)
    check_range("--write-sigma", args.write_sigma, 0.0, 1.0, kind=float)
    if args.limit is not None:
        check_range("--limit", args.limit, 1, N_TEST)
    check_range("--seed", args.seed, 0, MAX_SEED)
    check_range("--steps", args.steps, 1, 1024)
    check_output("--plot", plot_path(args.plot))
    check_folder("--build-dir", args.build_dir)
    if args.backend not in BACKENDS:
        raise ParameterError("--backend", args.backend, " | ".join(BACKENDS))


def _confusion(y, pred, n=10):
    import numpy as np
    m = np.zeros((n, n), dtype=np.int64)
    np.add.at(m, (y, pred), 1)
    return m


def evaluate(backend="model", weight_bits=4, d2d_sigma=0.0, stuck_at=0.0, write_sigma=0.0, limit=None, seed=1,
             steps=32, encoding="rate", readout_mode="count", simulator=None, build_dir="build/digits",
             progress=None, rtl_progress=None):
    """Run the digits test set on ``backend``; returns ``(report, extras)``.

    ``report`` is JSON-able (accuracy, n, mismatches, sops, cycles, sop_per_cycle, ...); ``extras``
    holds arrays for plotting (``y``, ``pred``, ``spikes`` per layer incl. input, ``confusion``).
    ``progress(images)`` is called as the model finishes images, ``rtl_progress(done, total)`` as
    the RTL bench finishes steps.
    """
    import numpy as np

    from neuroxide.models.crossbar import DeviceParams
    from neuroxide.models.snn import float_forward, readout
    from neuroxide.models.train import PIXEL_MAX, TrainConfig, accuracy, convert, encode, load_digits_split, run_snn, trained_mlp

    t0 = time.perf_counter()
    run_network = _rtl_hook() if backend == "rtl" else None  # fail before any work when it is missing
    x_tr, _, x_te, y_te = load_digits_split()
    n = N_TEST if limit is None else limit
    x, y = x_te[:n], y_te[:n]
    weights = trained_mlp(TrainConfig(), cache_dir=build_dir)
    device = DeviceParams(weight_bits=weight_bits, grid_bits=8, d2d_sigma=d2d_sigma, write_sigma=write_sigma,
                          stuck_at=stuck_at)
    network, info = convert(weights, x_tr, device, seed=seed, network_seed=seed)
    scores, _ = float_forward(weights, x / PIXEL_MAX)
    float_reference = accuracy(scores.argmax(axis=1), y)
    report = {"backend": backend, "n": int(n), "weight_bits": weight_bits, "d2d_sigma": d2d_sigma,
              "stuck_at": stuck_at, "write_sigma": write_sigma, "seed": seed, "steps": steps,
              "encoding": encoding, "readout": readout_mode, "float_reference_accuracy": float_reference,
              "layers": [{"n_in": layer.n_in, "n_out": layer.n_out, "v_th": layer.params.v_th,
                          "adc_shift": layer.adc_shift} for layer in network.layers],
              "mismatches": None, "sops": None, "cycles": None, "sop_per_cycle": None, "simulator": None}
    extras = {"y": y, "spikes": None}
    if backend == "float":
        scores, _ = float_forward([i["weights"] for i in info], x / PIXEL_MAX)
        pred = scores.argmax(axis=1)
    else:
        pred, spikes, sops = run_snn(network, x, steps, encoding, seed, readout_mode, progress=progress)
        s_in = encode(x, steps, encoding, seed)
        extras["spikes"] = [s_in] + spikes
        report["sops"] = int(sops.sum())
        if backend == "rtl":
            res = run_network(network, s_in.astype(np.uint8), simulator=simulator,
                              build_dir=f"{build_dir}/rtl", progress=rtl_progress)
            rtl_spikes = [np.asarray(s, dtype=bool) for s in res["spikes"]]
            rtl_pred = readout(rtl_spikes[-1], readout_mode)
            report.update({"mismatches": int(res["mismatches"]), "cycles": int(res["cycles"]),
                           "sops": int(res["sops"]), "model_sops": int(sops.sum()),
                           "sop_per_cycle": float(res["sop_per_cycle"]), "simulator": res.get("simulator"),
                           "rtl_wall_s": res.get("wall_s"), "rtl_build_s": res.get("build_s"),
                           "prediction_mismatches": int((rtl_pred != pred).sum())})
            extras["spikes"] = [s_in] + rtl_spikes
            pred = rtl_pred
    report["accuracy"] = accuracy(pred, y)
    conf = _confusion(y, pred)
    report["confusion"] = conf.tolist()
    report["wall_s"] = round(time.perf_counter() - t0, 3)
    extras.update(pred=pred, confusion=conf)
    return report, extras


def _rtl_hook():
    try:
        from neuroxide.testbench.snn_bench import run_network
    except ModuleNotFoundError as e:
        if e.name and e.name.startswith("neuroxide.testbench.snn_bench"):
            raise ToolchainError("the rtl backend needs neuroxide.testbench.snn_bench (the SNN core's cocotb "
                                 "bench), which is not installed in this checkout", missing=True) from None
        raise
    return run_network


def plot_digits(report, extras, path, sample=0):
    """Spike raster of one test image per layer (input, hidden, output) beside the confusion matrix."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from neuroxide.fileio import save_figure
    spikes = extras["spikes"]
    fig = plt.figure(figsize=(12, 5.5), layout="constrained")
    grid = fig.add_gridspec(3, 2, width_ratios=[1.5, 1])
    title = (f"{report['backend']}: {100 * report['accuracy']:.1f} % on {report['n']} test images, "
             f"{report['weight_bits']}-bit devices, d2d {100 * report['d2d_sigma']:.0f} %, "
             f"stuck-at {100 * report['stuck_at']:.0f} %")
    fig.suptitle(title)
    if spikes is not None:
        names = ["input (64 pixels)", f"hidden ({spikes[1].shape[2]})", "output (10 digits)"]
        for k, (name, s) in enumerate(zip(names, spikes)):
            ax = fig.add_subplot(grid[k, 0])
            t, j = np.nonzero(s[:, sample, :])
            ax.scatter(t, j, s=6, marker="|", color="k")
            ax.set_xlim(-0.5, s.shape[0] - 0.5)
            ax.set_ylim(-0.5, s.shape[2] - 0.5)
            ax.set_ylabel(name)
            if k == 2:
                ax.set_xlabel(f"time step (image {sample}: digit {extras['y'][sample]}, "
                              f"predicted {extras['pred'][sample]})")
                ax.set_yticks(range(10))
    else:
        ax = fig.add_subplot(grid[:, 0])
        ax.text(0.5, 0.5, "float back end: no spikes", ha="center", va="center")
        ax.set_axis_off()
    ax = fig.add_subplot(grid[:, 1])
    conf = extras["confusion"]
    ax.imshow(conf, cmap="Blues")
    for i in range(10):
        for j in range(10):
            if conf[i, j]:
                ax.text(j, i, str(conf[i, j]), ha="center", va="center", fontsize=7,
                        color="w" if conf[i, j] > conf.max() / 2 else "k")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true digit")
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_title("confusion matrix")
    save_figure(fig, path)
    plt.close(fig)


def cmd_digits(args):
    check_args(args)
    from tqdm import tqdm
    n = N_TEST if args.limit is None else args.limit
    status(f"digits: {args.backend} back end, {n} test images x {args.steps} steps, "
           f"{args.weight_bits}-bit devices ...")
    rtl_bar = None

    def rtl_progress(done, total):
        nonlocal rtl_bar
        if rtl_bar is None:
            rtl_bar = tqdm(total=total, desc="RTL steps compared", unit="step", file=sys.stderr, leave=False)
        rtl_bar.update(done - rtl_bar.n)

    try:
        with tqdm(total=n, desc="model images", unit="img", file=sys.stderr, leave=False) as bar:
            report, extras = evaluate(args.backend, args.weight_bits, args.d2d_sigma, args.stuck_at,
                                      args.write_sigma, args.limit, args.seed, args.steps, args.encoding, args.readout,
                                      args.simulator, args.build_dir, progress=bar.update, rtl_progress=rtl_progress)
    finally:
        if rtl_bar is not None:
            rtl_bar.close()
    if args.plot:
        plot_digits(report, extras, args.plot)
    report["plot"] = args.plot
    if report["mismatches"]:
        status(f"error: the RTL differs from the model on {report['mismatches']} steps")

    def show(v, fmt="{}"):
        return "-" if v is None else fmt.format(v)

    rows = [[report["backend"], f"{100 * report['accuracy']:.2f} %", report["n"], show(report["mismatches"]),
             show(report["sops"]), show(report["cycles"]), show(report["sop_per_cycle"], "{:.3f}")]]
    lines = [table(rows, ["backend", "accuracy", "images", "mismatches", "SOPs", "cycles", "SOP/cycle"]),
             f"float reference network (unquantised): {100 * report['float_reference_accuracy']:.2f} %"]
    if args.plot:
        lines.append(f"plot: {args.plot}")
    emit(args, report, "\n".join(lines))
    return 1 if report["mismatches"] else 0


def register(sub):
    p = sub.add_parser(
        "digits", help="8x8 handwritten digits on crossbar synapses: float, fixed-point model or RTL",
        formatter_class=lambda prog: __import__("argparse").RawDescriptionHelpFormatter(prog, width=100),
        description=textwrap.dedent("""\
            Classify scikit-learn's 8x8 handwritten digits (fixed split: test_size=0.3, random_state=0,
            540 test images) with a 64-64-10 network trained in numpy (cached under build/digits),
            programmed onto memristor crossbars (differential pairs, --weight-bits levels per device,
            device-to-device spread, stuck-at faults) and converted to the fixed-point SNN core
            (rate-coded inputs over --steps time steps, integrate-and-fire neurons, spike-count readout).

            back ends: float  the ReLU network with the weights the crossbars hold (no spikes)
                       model  the bit-exact fixed-point spiking model (numpy)
                       rtl    the Amaranth core under cocotb, compared with the model at every step"""),
        epilog=textwrap.dedent("""\
            examples:
              neuroxide digits                                   fixed-point model, 4-bit ideal devices
              neuroxide digits --backend float --weight-bits 2
              neuroxide digits --d2d-sigma 0.1 --stuck-at 0.02 --seed 3 --plot digits.png
              neuroxide digits --backend rtl --limit 100 --simulator verilator --json

            JSON keys: backend, accuracy, n, mismatches, sops, cycles, sop_per_cycle (null where the back
            end has none), confusion, float_reference_accuracy, layers, wall_s, plot"""))
    p.add_argument("--backend", choices=BACKENDS, default="model", help="float | model | rtl (default model)")
    p.add_argument("--weight-bits", type=int, default=4, metavar="B",
                   help="conductance levels per device = 2**B, 1..8 (default 4)")
    p.add_argument("--d2d-sigma", type=float, default=0.0, metavar="S",
                   help="device-to-device spread of the conductance window, relative, 0..1 (default 0)")
    p.add_argument("--stuck-at", type=float, default=0.0, metavar="P",
                   help="fraction of devices stuck at G_min or G_max (half each), 0..1 (default 0)")
    p.add_argument("--write-sigma", type=float, default=0.0, metavar="S",
                   help="programming noise relative to G_max - G_min, 0..1 (default 0)")
    p.add_argument("--limit", type=int, metavar="N", help=f"first N test images only, 1..{N_TEST} (default all)")
    p.add_argument("--seed", type=int, default=1, metavar="S",
                   help="seed of the devices' spread and faults, the rate encoder and the neurons (default 1)")
    p.add_argument("--steps", type=int, default=32, metavar="T", help="presentation window in steps, 1..1024 (default 32)")
    p.add_argument("--encoding", choices=("rate", "current"), default="rate",
                   help="rate: Bernoulli spikes from xorshift32; current: deterministic IF encoder (default rate)")
    p.add_argument("--readout", choices=("count", "first"), default="count",
                   help="class = most output spikes, or earliest output spike (default count)")
    p.add_argument("--simulator", choices=("icarus", "verilator"), default=None,
                   help="simulator of the rtl back end (default: the bench's default)")
    p.add_argument("--build-dir", default="build/digits", help="cache of trained weights and RTL builds")
    p.add_argument("--plot", metavar="FILE.png", help="spike raster of one image per layer + confusion matrix")
    add_json(p)
    p.set_defaults(func=cmd_digits)
