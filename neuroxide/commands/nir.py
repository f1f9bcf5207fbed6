"""``neuroxide nir import|run|export``: NIR graphs (snnTorch, Norse, Sinabs, Rockpool, Lava-DL) on the SNN core.

The mapping rules (graph shapes, discretisation, reset, quantisation) live in
``neuroxide.models.nir_map``; this module is the command line around them:

* ``import``: NIR file -> core configuration JSON (``neuroxide simulate/build snn-core -p network=...``);
* ``run``: NIR file + input spikes -> output spikes on the float NIR semantics, the fixed-point model
  and/or the RTL (cocotb), with the spike-count agreement between them;
* ``export``: a core network (the digits network, or a configuration JSON) -> NIR file.
"""

import argparse
import sys
import textwrap
import time

from neuroxide.commands import add_json, check_range, emit, plot_path, status, table
from neuroxide.errors import ParameterError

__all__ = ["register", "run_backends", "BACKENDS", "random_input"]

BACKENDS = ("float", "model", "rtl")
MAX_SEED = 0xFFFF_FFFF


def _fmt():
    return lambda prog: argparse.RawDescriptionHelpFormatter(prog, width=100)


def _check_common(args):
    if args.dt is not None:
        check_range("--dt", args.dt, 1e-9, 1e3, kind=float)
    check_range("--weight-bits", args.weight_bits, 1, 8)
    check_range("--seed", args.seed, 0, MAX_SEED)


def _load(args):
    from neuroxide.models.nir_map import load, to_core
    net = load(args.file, args.dt, args.discretisation)
    mapping = to_core(net, args.weight_bits, args.seed, requantise=args.requantise)
    return net, mapping


def _layer_rows(net, mapping):
    rows = []
    for fl, core, info in zip(net.layers, mapping.network.layers, mapping.layers):
        p = core.params
        rows.append([fl.name, fl.kind, f"{core.n_in}->{core.n_out}", p.v_th, f"{p.decay}/2^{p.decay_bits}",
                     "-" if core.syn_decay is None else core.syn_decay, p.bias, p.v_reset, core.lateral,
                     "yes" if core.recurrent else "-", core.adc_gain, p.v_bits, p.in_bits])
    return table(rows, ["node", "kind", "shape", "v_th", "decay", "syn_decay", "bias", "v_reset", "lateral",
                        "recurrent", "adc_gain", "v_bits", "in_bits"])


def _layers_json(net, mapping):
    out = []
    for fl, core, info in zip(net.layers, mapping.network.layers, mapping.layers):
        p = core.params
        out.append({"node": fl.name, "kind": fl.kind, "n_in": core.n_in, "n_out": core.n_out, "v_th": p.v_th,
                    "decay": p.decay, "decay_bits": p.decay_bits, "bias": p.bias, "v_reset": p.v_reset,
                    "v_init": p.v_init, "lateral": core.lateral, "adc_gain": core.adc_gain, "v_bits": p.v_bits,
                    "in_bits": p.in_bits, "weight_bits": core.weight_bits, "lsb": info["lsb"],
                    "syn_decay": core.syn_decay, "recurrent": core.recurrent})
    return out


# --- import -----------------------------------------------------------------------------------

def cmd_import(args):
    _check_common(args)
    from neuroxide.fileio import write_json
    t0 = time.perf_counter()
    net, mapping = _load(args)
    config = mapping.to_dict() | {"source": str(args.file), "dt": net.dt, "discretisation": net.discretisation,
                                  "weight_bits": args.weight_bits}
    if args.output:
        write_json(args.output, config)
    report = {"file": str(args.file), "output": args.output, "dt": net.dt, "discretisation": net.discretisation,
              "weight_bits": args.weight_bits, "exact_from_metadata": mapping.exact, "n_in": net.n_in,
              "n_out": net.n_out, "neurons": mapping.network.n_neurons,
              "synapses": int(sum(la.n_in * la.n_out for la in mapping.network.layers)),
              "layers": _layers_json(net, mapping), "wall_s": round(time.perf_counter() - t0, 3)}
    lines = [f"{args.file}: {len(net.layers)} layer(s), {net.n_in} inputs -> {net.n_out} outputs, dt = {net.dt:g} s "
             f"({net.discretisation}), {args.weight_bits}-bit weights"
             + (" (exact fixed-point layers from the file's neuroxide metadata)" if mapping.exact else ""),
             _layer_rows(net, mapping)]
    if args.output:
        lines.append(f"core configuration: {args.output}  (neuroxide simulate|build snn-core -p network={args.output})")
    emit(args, report, "\n".join(lines))
    return 0


# --- run --------------------------------------------------------------------------------------

def random_input(n_in, steps, batch, rate, seed):
    """Bernoulli spikes ``(steps, batch, n_in)`` with probability ``rate`` per input and step."""
    import numpy as np
    return np.random.default_rng([seed, 6]).random((steps, batch, n_in)) < rate


def run_backends(net, mapping, spikes, backend="model", simulator=None, build_dir="build/nir", lanes=None,
                 progress=None):
    """Run ``spikes`` (bool ``(steps, batch, n_in)``) on float, and model / rtl as ``backend`` asks.

    Returns ``(report, extras)``: ``report`` has per-backend output spike counts' totals, the
    agreement model vs float and rtl vs model (:func:`~neuroxide.models.nir_map.agreement`), the
    RTL's mismatches; ``extras`` the spike arrays per backend (last layer).
    """
    import numpy as np

    from neuroxide.models.nir_map import agreement, simulate_float
    from neuroxide.models.snn import SNNModel
    t0 = time.perf_counter()
    steps, batch = spikes.shape[:2]
    spiking = net.layers[-1].spiking
    report = {"steps": int(steps), "batch": int(batch), "backend": backend, "output_spiking": spiking,
              "exact_from_metadata": mapping.exact}
    extras = {}
    fl = simulate_float(net, spikes, progress=progress if backend == "float" else None)
    extras["float"] = fl["spikes"][-1]
    counts = {"float": fl["spikes"][-1].sum(axis=0)}
    if backend in ("model", "rtl"):
        trace = SNNModel(mapping.network, batch).run(spikes, record_state=not spiking,
                                                     progress=progress if backend == "model" else None)
        extras["model"] = trace.spikes[-1]
        counts["model"] = trace.counts()
        report["sops"] = int(trace.sops.sum())
        if spiking:
            report["agreement_model_float"] = agreement(counts["model"], counts["float"])
        else:
            v_model = mapping.v_float(len(net.layers) - 1, trace.state[-1]["v"])
            v_float = fl["v"]
            span = float(np.abs(v_float).max()) or 1.0
            report["li_rms_error_relative"] = float(np.sqrt(np.mean((v_model - v_float) ** 2)) / span)
            report["li_class_agreement"] = float(np.mean(v_model.sum(axis=0).argmax(-1) == v_float.sum(axis=0).argmax(-1)))
            extras["v_model"], extras["v_float"] = v_model, v_float
        hidden = [agreement(trace.counts(k), fl["spikes"][k].sum(axis=0))["overall"]
                  for k in range(len(net.layers) - 1)]
        report["hidden_agreement_model_float"] = hidden
    if backend == "rtl":
        from neuroxide.testbench.snn_bench import DEFAULT_LANES, run_network
        res = run_network(mapping.network, spikes.astype(np.uint8), simulator=simulator, build_dir=f"{build_dir}/rtl",
                          progress=progress, lanes=lanes or DEFAULT_LANES)
        rtl = np.asarray(res["spikes"][-1], dtype=bool)
        extras["rtl"] = rtl
        counts["rtl"] = rtl.sum(axis=0)
        report.update({"mismatches": int(res["mismatches"]), "cycles": int(res["cycles"]),
                       "sop_per_cycle": res["sop_per_cycle"], "simulator": res["simulator"], "lanes": res["lanes"],
                       "rtl_wall_s": res["wall_s"], "agreement_rtl_model": agreement(counts["rtl"], counts["model"])})
    report["spikes"] = {k: int(v.sum()) for k, v in counts.items()}
    report["counts"] = {k: v.tolist() for k, v in counts.items()} if batch * net.n_out <= 4096 else None
    report["wall_s"] = round(time.perf_counter() - t0, 3)
    return report, extras


def plot_run(report, extras, path, sample=0):
    """Output raster of one sample per backend + per-neuron spike counts, model vs float."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker
    import numpy as np

    from neuroxide.fileio import save_figure
    names = [k for k in ("float", "model", "rtl") if k in extras]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    ax = axes[0]
    colours = {"float": "tab:blue", "model": "tab:orange", "rtl": "k"}
    offsets = {"float": -0.2, "model": 0.0, "rtl": 0.2}
    for name in names:
        t, j = np.nonzero(extras[name][:, sample, :])
        ax.scatter(t, j + offsets[name], s=8, marker="|", color=colours[name], label=name)
    ax.set_xlabel(f"time step (sample {sample})")
    ax.set_ylabel("output neuron")
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title("output spikes")
    ax = axes[1]
    if "model" in extras:
        cf = extras["float"].sum(axis=0).ravel()
        cm = extras["model"].sum(axis=0).ravel()
        top = max(int(cf.max()), int(cm.max()), 1)
        ax.plot([0, top], [0, top], color="0.7", lw=1)
        ax.scatter(cf, cm, s=10, alpha=0.5)
        ax.set_xlabel("spike count, float NIR semantics")
        ax.set_ylabel("spike count, fixed-point model")
        agree = report.get("agreement_model_float")
        if agree:
            ax.set_title(f"agreement {100 * agree['overall']:.2f} %, exact counts {100 * agree['exact']:.1f} %")
    else:
        ax.set_axis_off()
    save_figure(fig, path)
    plt.close(fig)


def cmd_run(args):
    _check_common(args)
    import numpy as np
    from tqdm import tqdm

    from neuroxide.models.nir_map import flatten_input
    plot_path(args.plot)
    if args.backend not in BACKENDS:
        raise ParameterError("--backend", args.backend, " | ".join(BACKENDS))
    if (args.input is None) == (args.random_steps is None):
        raise ParameterError("--input", args.input, "exactly one of --input SPIKES.npy and --random-steps T")
    if args.random_steps is not None:
        check_range("--random-steps", args.random_steps, 1, 1 << 16)
        check_range("--batch", args.batch, 1, 1 << 16)
        check_range("--rate", args.rate, 0.0, 1.0, kind=float)
    if args.lanes is not None and args.lanes not in (1, 2, 4, 8, 16, 32):
        raise ParameterError("--lanes", args.lanes, "1 | 2 | 4 | 8 | 16 | 32")
    net, mapping = _load(args)
    if args.input is not None:
        try:
            raw = np.load(args.input, allow_pickle=False)
        except (OSError, ValueError, EOFError) as e:
            raise ParameterError("--input", args.input, "a .npy file of 0/1 spikes", why=str(e)) from None
        spikes = flatten_input(net, raw)
    else:
        spikes = random_input(net.n_in, args.random_steps, args.batch, args.rate, args.seed)
    steps, batch = spikes.shape[:2]
    status(f"nir run: {args.backend} back end, {batch} sample(s) x {steps} steps, {net.n_in} -> {net.n_out}")
    bar = tqdm(total=steps if args.backend != "rtl" else steps * batch, desc=f"{args.backend} steps",
               unit="step", file=sys.stderr, leave=False)

    def progress(done, total):
        bar.total = total
        bar.update(done - bar.n)
    try:
        report, extras = run_backends(net, mapping, spikes, args.backend, args.simulator, args.build_dir, args.lanes,
                                      progress)
    finally:
        bar.close()
    report["file"] = str(args.file)
    if args.output:
        from neuroxide.fileio import atomic_path
        with atomic_path(args.output) as tmp, open(tmp, "wb") as f:
            np.savez(f, **{k: v for k, v in extras.items()})
    if args.plot:
        plot_run(report, extras, args.plot)
    report["plot"], report["output"] = args.plot, args.output
    rows = [[k, v] for k, v in report["spikes"].items()]
    lines = [table(rows, ["backend", "output spikes"])]
    if "agreement_model_float" in report:
        a = report["agreement_model_float"]
        lines.append(f"spike-count agreement model vs float: {100 * a['overall']:.2f} % "
                     f"(exact counts on {100 * a['exact']:.1f} % of sample x neuron)")
    if "li_rms_error_relative" in report:
        lines.append(f"LI output: membrane RMS error {100 * report['li_rms_error_relative']:.3f} % of its range, "
                     f"class (argmax of summed v) agreement {100 * report['li_class_agreement']:.1f} %")
    if "mismatches" in report:
        lines.append(f"RTL vs model: {report['mismatches']} mismatching steps (full state, every neuron, every step), "
                     f"{report['cycles']} cycles on {report['simulator']}")
    if args.plot:
        lines.append(f"plot: {args.plot}")
    emit(args, report, "\n".join(lines))
    if report.get("mismatches"):
        status(f"error: the RTL differs from the model on {report['mismatches']} steps")
        return 1
    return 0


# --- export -----------------------------------------------------------------------------------

def _digits_network(args):
    from neuroxide.models.crossbar import DeviceParams
    from neuroxide.models.train import TrainConfig, convert, load_digits_split, trained_mlp
    x_tr = load_digits_split()[0]
    weights = trained_mlp(TrainConfig(), cache_dir=args.build_dir)
    device = DeviceParams(weight_bits=args.weight_bits, grid_bits=8)
    network, _ = convert(weights, x_tr, device, seed=args.seed, network_seed=args.seed)
    return network


def cmd_export(args):
    import json
    from pathlib import Path

    from neuroxide.models.nir_map import DEFAULT_DT, export_graph, write_graph
    from neuroxide.models.snn import network_from_dict
    check_range("--weight-bits", args.weight_bits, 1, 8)
    check_range("--seed", args.seed, 0, MAX_SEED)
    dt = DEFAULT_DT if args.dt is None else check_range("--dt", args.dt, 1e-9, 1e3, kind=float)
    if Path(args.output).suffix.lower() != ".nir":
        raise ParameterError("-o", args.output, "a file name ending in .nir")
    if args.network == "digits":
        network = _digits_network(args)
    else:
        try:
            d = json.loads(Path(args.network).read_text())
            network = network_from_dict(d["network"] if "network" in d else d)
        except FileNotFoundError:
            raise ParameterError("NETWORK", args.network, "digits | a core configuration JSON", why="no such file") from None
        except (ValueError, KeyError, TypeError, OverflowError) as e:
            raise ParameterError("NETWORK", args.network, "digits | a core configuration JSON (nir import -o, "
                                 "or {seed, layers})", why=f"{type(e).__name__}: {e}") from None
    graph, lossy = export_graph(network, dt)
    write_graph(graph, args.output)
    report = {"network": args.network, "output": args.output, "dt": dt, "layers": len(network.layers),
              "n_in": network.n_in, "n_out": network.n_out, "lossy": lossy, "nodes": sorted(graph.nodes)}
    lines = [f"{args.output}: {len(network.layers)} layer(s), {network.n_in} -> {network.n_out}, nodes "
             f"{', '.join(sorted(graph.nodes))}",
             "NIR cannot state: " + (", ".join(lossy) if lossy else "nothing (the float graph is the network)")
             + "; the exact fixed-point layers travel in each neuron node's neuroxide_layer metadata"]
    emit(args, report, "\n".join(lines))
    return 0


# --- parser -------------------------------------------------------------------------------------

def _add_import_options(p):
    p.add_argument("file", metavar="FILE.nir", help="a NIR graph (HDF5, nir.write)")
    p.add_argument("--dt", type=float, default=None, metavar="SECONDS",
                   help="time step; default: the graph's metadata 'dt', else 1e-3")
    p.add_argument("--discretisation", choices=("euler", "exp"), default="euler",
                   help="euler: a = 1 - dt/tau (what snnTorch/Norse/Sinabs export against); exp: a = exp(-dt/tau)")
    p.add_argument("--weight-bits", type=int, default=8, metavar="B", help="conductance levels 2**B per device, 1..8 (default 8)")
    p.add_argument("--seed", type=int, default=1, metavar="S", help="seed of the core's neuron PRNGs (and --random-steps input)")
    p.add_argument("--requantise", action="store_true",
                   help="quantise the float weights even when the file carries neuroxide's exact layers")


def register(sub):
    p = sub.add_parser("nir", help="NIR graphs (snnTorch, Norse, Sinabs, Rockpool, Lava-DL) on the SNN core",
                       formatter_class=_fmt(), description=textwrap.dedent("""\
            Import Neuromorphic Intermediate Representation graphs (PyPI nir) onto the SNN core, run them
            on the float NIR semantics, the fixed-point model or the RTL, and export core networks as NIR.
            Mapping, discretisation and reset rules: neuroxide.models.nir_map and docs/nir.md."""),
                       epilog=textwrap.dedent("""\
            examples:
              neuroxide nir import net.nir -o build/net_core.json
              neuroxide simulate snn-core -p network=build/net_core.json
              neuroxide build snn-core -p network=build/net_core.json --board icebreaker
              neuroxide nir run net.nir --random-steps 100 --batch 64 --json
              neuroxide nir export digits -o digits.nir"""))
    nsub = p.add_subparsers(dest="nir_command", metavar="import|run|export")
    nsub.required = True

    pi = nsub.add_parser("import", help="NIR file -> core configuration JSON", formatter_class=_fmt(),
                         description=textwrap.dedent("""\
            Map a NIR graph onto the SNN core: Input, Output, Affine, Linear, Scale, Flatten (and Identity,
            nested graphs, Conv1d/Conv2d unrolled) compose into one crossbar per neuron node; LIF, IF, LI,
            CubaLIF, CubaLI (synaptic current) and Threshold become core layers (forward-Euler or
            exact-exponential discretisation at --dt, reset to v_reset when v > v_threshold), weights
            quantised to 2**--weight-bits conductance levels. A node's recurrent edge becomes lateral
            inhibition or a recurrent crossbar. Anything the core cannot hold exits 2 naming the node
            and why."""),
                         epilog=textwrap.dedent("""\
            examples:
              neuroxide nir import net.nir
              neuroxide nir import net.nir --dt 1e-4 --weight-bits 6 -o build/net_core.json --json

            JSON keys: file, output, dt, discretisation, weight_bits, exact_from_metadata, n_in, n_out,
            neurons, synapses, layers (node, kind, v_th, decay, syn_decay, bias, lateral, recurrent,
            adc_gain, v_bits, lsb ...)"""))
    _add_import_options(pi)
    pi.add_argument("-o", "--output", metavar="CONFIG.json", help="write the core configuration here")
    add_json(pi)
    pi.set_defaults(func=cmd_import)

    pr = nsub.add_parser("run", help="run a NIR file on float / model / rtl and compare", formatter_class=_fmt(),
                         description=textwrap.dedent("""\
            Run input spikes through a NIR graph. float: NIR's equations in float64 at --dt (the reference);
            model: the imported fixed-point core network (and float, for the agreement); rtl: the generated
            core under cocotb, compared with the model on every neuron's full state at every step (and model
            and float). Spike-count agreement = 1 - sum|a - b| / sum max(a, b) over samples and neurons."""),
                         epilog=textwrap.dedent("""\
            examples:
              neuroxide nir run net.nir --input spikes.npy                  spikes: (steps, n_in) or (steps, batch, n_in)
              neuroxide nir run net.nir --random-steps 100 --batch 32 --rate 0.2 --plot run.png
              neuroxide nir run net.nir --random-steps 50 --backend rtl --simulator verilator --json

            JSON keys: steps, batch, backend, spikes (per backend), counts, agreement_model_float (overall,
            per_neuron, exact), hidden_agreement_model_float, mismatches, cycles, agreement_rtl_model,
            li_rms_error_relative, li_class_agreement (LI outputs), wall_s"""))
    _add_import_options(pr)
    pr.add_argument("--input", metavar="SPIKES.npy", help="0/1 input spikes (steps, [batch,] n_in or input shape)")
    pr.add_argument("--random-steps", type=int, metavar="T", help="instead of --input: T steps of Bernoulli spikes")
    pr.add_argument("--batch", type=int, default=16, metavar="B", help="samples of --random-steps input (default 16)")
    pr.add_argument("--rate", type=float, default=0.2, metavar="P", help="spike probability of --random-steps input (default 0.2)")
    pr.add_argument("--backend", choices=BACKENDS, default="model", help="float | model | rtl (default model)")
    pr.add_argument("--simulator", choices=("icarus", "verilator"), default=None, help="rtl simulator (default icarus)")
    pr.add_argument("--lanes", type=int, default=None, help="rtl: synapses per clock, 1..32 (default 8)")
    pr.add_argument("--build-dir", default="build/nir", help="RTL build directory (default build/nir)")
    pr.add_argument("-o", "--output", metavar="SPIKES.npz", help="save the output spikes per backend")
    pr.add_argument("--plot", metavar="FILE.png", help="output raster per backend + spike counts model vs float")
    add_json(pr)
    pr.set_defaults(func=cmd_run)

    pe = nsub.add_parser("export", help="core network -> NIR file", formatter_class=_fmt(),
                         description=textwrap.dedent("""\
            Write a core network as NIR: Affine -> IF/LIF per layer (membrane in LSB units), a recurrent
            Linear for lateral inhibition. What NIR cannot state (subtract reset, v_init, refractory steps,
            adaptation, noise, the ADC floor) is listed; the exact fixed-point layers ride along in node
            metadata, so neuroxide nir import of the file returns the identical network."""),
                         epilog=textwrap.dedent("""\
            examples:
              neuroxide nir export digits -o digits.nir                     the digits network (neuroxide digits)
              neuroxide nir export build/net_core.json -o again.nir         a configuration from nir import

            JSON keys: network, output, dt, layers, n_in, n_out, lossy, nodes"""))
    pe.add_argument("network", metavar="NETWORK", help="digits | CONFIG.json (nir import -o, or {seed, layers})")
    pe.add_argument("-o", "--output", required=True, metavar="FILE.nir", help="the NIR file to write")
    pe.add_argument("--dt", type=float, default=None, metavar="SECONDS", help="time step written (default 1e-3)")
    pe.add_argument("--weight-bits", type=int, default=4, metavar="B", help="digits: device levels 2**B (default 4)")
    pe.add_argument("--seed", type=int, default=1, metavar="S", help="digits: device and neuron seed (default 1)")
    pe.add_argument("--build-dir", default="build/digits", help="digits: cache of the trained weights")
    add_json(pe)
    pe.set_defaults(func=cmd_export)
