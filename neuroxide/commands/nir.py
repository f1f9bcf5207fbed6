"""``neuroxide nir import|run|export``: NIR graphs (snnTorch, Norse, Sinabs, Rockpool, Lava-DL) on the SNN core.

The mapping rules (graph shapes, discretisation, reset, quantisation) live in
``neuroxide.models.nir_map`` and the experiment around them in ``neuroxide.experiments.nir``; this
module is the command line:

* ``import``: NIR file -> core configuration JSON (``neuroxide simulate/build snn-core -p network=...``);
* ``run``: NIR file + input spikes -> output spikes on the float NIR semantics, the fixed-point model
  and/or the RTL (cocotb), with the spike-count agreement between them;
* ``export``: a core network (the digits network, or a configuration JSON) -> NIR file.
"""

import argparse
import sys
import textwrap
import time

from neuroxide.commands import add_backend, add_json, emit, flags_of, naming_flags, plot_path, status, table
from neuroxide.errors import ParameterError
from neuroxide.experiments.backends import Backend
from neuroxide.experiments.checks import check_range
from neuroxide.experiments.nir import BACKENDS, MAX_COUNT, MAX_SEED, NIRImportSetup

__all__ = ["register"]

# the arguments of the experiment and of neuroxide.models.nir_map, by the flag that gives them
FLAGS = flags_of(NIRImportSetup, path="FILE") | {"spikes": "--input", "steps": "--random-steps", "batch": "--batch",
                                                 "rate": "--rate", "lanes": "--lanes", "max_count": "--max-count"}


RESET_SUBTRACT_SHOWN = ("reset by subtraction (--reset subtract): v -= v_threshold after a spike; NIR itself states "
                        "reset to v_reset")


def _fmt():
    return lambda prog: argparse.RawDescriptionHelpFormatter(prog, width=100)


def _load(args, max_count=None):
    """``(FloatNetwork, CoreMapping)`` of the file and import options of ``args``."""
    from neuroxide.experiments.nir import import_nir
    count = args.max_count if max_count is None else max_count
    net, mapping = import_nir(NIRImportSetup(args.file, args.dt, args.discretisation, args.weight_bits, args.seed,
                                             args.requantise, 1 if count is None else count, args.weight_scale,
                                             args.reset))
    if getattr(args, "state_bits", "worst") == "auto":
        mapping = _size_state(net, mapping)
    return net, mapping


# --state-bits auto: the calibration input (stated in the import report)
CALIBRATION = {"steps": 200, "batch": 32, "rate": 0.1, "seed": 0}


def _size_state(net, mapping):
    """``mapping`` with its state widths sized on :data:`CALIBRATION` random input
    (``nir_map.size_state``); each layer's info records the widths."""
    from dataclasses import replace

    from neuroxide.experiments.nir import random_input
    from neuroxide.models.nir_map import size_state
    c = CALIBRATION
    x = random_input(net.n_in, c["steps"], c["batch"], c["rate"], c["seed"], mapping.max_count)
    sized, report = size_state(mapping, mapping.core_input(x))
    return replace(sized, layers=[info | {"state_bits": r} for info, r in zip(mapping.layers, report)])


def _rule_lines(net, mapping):
    """One line per repair of the tolerant reader and per import rule applied to this file."""
    from neuroxide.models.nir_map import RESET_SUBTRACT_NOTE
    lines = [f"repaired: {r}" for r in net.repairs]
    lines += [f"rule: {RESET_SUBTRACT_SHOWN}" if n == RESET_SUBTRACT_NOTE else f"rule: {n}" for n in net.notes]
    if mapping.max_count > 1:
        lines.append(f"rule: up to {mapping.max_count} events per input and step: the first layer's input rows "
                     f"repeated {mapping.max_count} times ({mapping.network.n_in} core inputs)")
    for info in mapping.layers:
        if info.get("syn_bias"):
            lines.append(f"rule: node {info['node']!r}: its bias enters the synaptic current as a weight row from an "
                         "always-on source")
        if info.get("relay"):
            lines.append(f"rule: node {info['node']!r}: one extra neuron that fires every step (the next layer's "
                         "always-on source)")
    if mapping.const_input:
        lines.append(f"rule: core input {mapping.network.n_in - 1} is always on (every step)")
    sized = [info["state_bits"] for info in mapping.layers if "state_bits" in info]
    if sized:
        c = CALIBRATION
        lines.append(f"rule: --state-bits auto: widths for twice the largest |v|, |syn| and input current the model "
                     f"reaches on {c['batch']} x {c['steps']} steps of random input (rate {c['rate']}, seed {c['seed']}); "
                     "beyond them the state saturates (model and RTL alike): "
                     + "; ".join(f"layer {r['layer']} v_bits {r['v_bits']} (worst case {r['worst_v_bits']}), in_bits "
                                 f"{r['in_bits']} ({r['worst_in_bits']})" for r in sized))
    return lines


def _layer_rows(net, mapping):
    rows = []
    for fl, core, info in zip(net.layers, mapping.network.layers, mapping.layers):
        p = core.params
        rows.append([fl.name, fl.kind + (" conv" if core.conv is not None else ""), f"{core.n_in}->{core.n_out}", p.v_th, f"{p.decay}/2^{p.decay_bits}",
                     "-" if core.syn_decay is None else core.syn_decay, p.bias,
                     p.v_reset if p.reset_mode == "value" else "subtract", core.lateral,
                     "yes" if core.recurrent else "-", core.adc_gain, p.v_bits, p.in_bits])
    return table(rows, ["node", "kind", "shape", "v_th", "decay", "syn_decay", "bias", "v_reset", "lateral",
                        "recurrent", "adc_gain", "v_bits", "in_bits"])


def _layers_json(net, mapping):
    out = []
    for fl, core, info in zip(net.layers, mapping.network.layers, mapping.layers):
        p = core.params
        out.append({"node": fl.name, "kind": fl.kind, "n_in": core.n_in, "n_out": core.n_out, "v_th": p.v_th,
                    "decay": p.decay, "decay_bits": p.decay_bits, "bias": p.bias, "v_reset": p.v_reset,
                    "reset_mode": p.reset_mode,
                    "v_init": p.v_init, "lateral": core.lateral, "adc_gain": core.adc_gain, "v_bits": p.v_bits,
                    "in_bits": p.in_bits, "weight_bits": core.weight_bits, "lsb": info["lsb"],
                    "syn_decay": core.syn_decay, "recurrent": core.recurrent,
                    "conv": core.conv.to_dict() if core.conv is not None else None,
                    "stored_weights": int(core.w_exc.size), "bias_relay": bool(info.get("relay"))})
    return out


# --- import -----------------------------------------------------------------------------------

def _check_weight_format(weight_format, network):
    """``weight_format`` (``pair`` | ``signed``) if ``network`` can be stored in it, else ParameterError
    (exit 2): ``signed`` keeps one level ``w_exc - w_inh`` per synapse, so every synapse needs
    min(w_exc, w_inh) = 0, which every imported network has (each float weight is one level of
    one sign)."""
    from neuroxide.models.snn_capacity import check_signed_weights, check_weight_format
    with naming_flags({"weight_format": "--weight-format"}):
        check_weight_format(weight_format)
        if weight_format == "signed":
            check_signed_weights(network)
    return weight_format


def _weight_format_line(weight_format, network):
    weight_bits = max(la.weight_bits for la in network.layers)
    if weight_format == "pair":
        return (f"weight format: pair (w_exc, w_inh: {2 * weight_bits} bits a synapse; --weight-format signed: "
                f"{weight_bits + 1} bits)")
    return (f"weight format: signed (w_exc - w_inh: {weight_bits + 1} bits a synapse instead of {2 * weight_bits}; "
            "every synapse has min(w_exc, w_inh) = 0)")


def cmd_import(args):
    from neuroxide.fileio import write_json
    t0 = time.perf_counter()
    with naming_flags(FLAGS):
        net, mapping = _load(args)
    _check_weight_format(args.weight_format, mapping.network)
    config = mapping.to_dict() | {"source": str(args.file), "dt": net.dt, "discretisation": net.discretisation,
                                  "weight_bits": args.weight_bits, "weight_format": args.weight_format}
    if args.output:
        write_json(args.output, config)
    report = {"file": str(args.file), "output": args.output, "dt": net.dt, "discretisation": net.discretisation,
              "reset": net.reset,
              "weight_bits": args.weight_bits, "weight_format": args.weight_format,
              "exact_from_metadata": mapping.exact, "n_in": net.n_in,
              "n_out": net.n_out, "neurons": mapping.network.n_neurons,
              "synapses": int(sum(la.n_in * la.n_out for la in mapping.network.layers)),
              "layers": _layers_json(net, mapping), "repairs": net.repairs, "notes": _rule_lines(net, mapping),
              "max_count": mapping.max_count, "const_input": mapping.const_input,
              "wall_s": round(time.perf_counter() - t0, 3)}
    lines = [f"{args.file}: {len(net.layers)} layer(s), {net.n_in} inputs -> {net.n_out} outputs, dt = {net.dt:g} s "
             f"({net.discretisation}), {args.weight_bits}-bit weights"
             + (" (exact fixed-point layers from the file's neuroxide metadata)" if mapping.exact else ""),
             *_rule_lines(net, mapping), _layer_rows(net, mapping)]
    lines.append(_weight_format_line(args.weight_format, mapping.network))
    if args.output:
        wf = "" if args.weight_format == "pair" else f" -p weight_format={args.weight_format}"
        lines.append(f"core configuration: {args.output}  (neuroxide simulate|build snn-core -p network={args.output}{wf})")
    emit(args, report, "\n".join(lines))
    return 0


# --- run --------------------------------------------------------------------------------------

def cmd_run(args):
    import numpy as np
    from tqdm import tqdm

    from neuroxide.experiments.nir import check_lanes, plot_run, random_input, run_nir
    from neuroxide.models.nir_map import flatten_input
    plot_path(args.plot)
    if (args.input is None) == (args.random_steps is None):
        raise ParameterError("--input", args.input, "exactly one of --input SPIKES.npy and --random-steps T")
    with naming_flags(FLAGS):
        check_lanes(args.lanes)
        count = args.max_count
        raw = None
        if args.input is not None:
            try:
                raw = np.load(args.input, allow_pickle=False)
            except (OSError, ValueError, EOFError) as e:
                raise ParameterError("--input", args.input, "a .npy file of 0/1 spikes or event counts",
                                     why=str(e)) from None
            if count is None and raw.dtype.kind in "iuf" and raw.size and np.isfinite(raw).all() and raw.max() > 1:
                if raw.max() > MAX_COUNT:
                    raise ParameterError("--input", float(raw.max()), f"0..{MAX_COUNT} events per input and step")
                count = int(raw.max())  # event counts: the first layer's input rows repeated per event
        net, mapping = _load(args, count)
        if raw is not None:
            spikes = flatten_input(net, raw, mapping.max_count)
        else:
            spikes = random_input(net.n_in, args.random_steps, args.batch, args.rate, args.seed, mapping.max_count)
    steps, batch = spikes.shape[:2]
    status(f"nir run: {args.backend} back end, {batch} sample(s) x {steps} steps, {net.n_in} -> {net.n_out}")
    bar = tqdm(total=steps if args.backend != "rtl" else steps * batch, desc=f"{args.backend} steps",
               unit="step", file=sys.stderr, leave=False)

    def progress(done, total):
        bar.total = total
        bar.update(done - bar.n)
    _check_weight_format(args.weight_format, mapping.network)
    try:
        result = run_nir(net, mapping, spikes, args.backend, args.simulator, args.build_dir, args.lanes, progress,
                         weight_format=args.weight_format)
    finally:
        bar.close()
    if args.output:
        from neuroxide.fileio import atomic_path
        with atomic_path(args.output) as tmp, open(tmp, "wb") as f:
            np.savez(f, **result.outputs)
    if args.plot:
        plot_run(result, args.plot)
    report = result.to_dict() | {"file": str(args.file), "plot": args.plot, "output": args.output,
                                 "weight_format": args.weight_format,
                                 "repairs": net.repairs, "notes": _rule_lines(net, mapping), "dt": net.dt,
                                 "reset": net.reset}
    lines = [*_rule_lines(net, mapping), table([[k, v] for k, v in report["spikes"].items()], ["backend", "output spikes"])]
    if "agreement_model_float" in report:
        a = report["agreement_model_float"]
        lines.append(f"spike-count agreement model vs float: {100 * a['overall']:.2f} % "
                     f"(exact counts on {100 * a['exact']:.1f} % of sample x neuron)")
    if "li_rms_error_relative" in report:
        lines.append(f"LI output: membrane RMS error {100 * report['li_rms_error_relative']:.3f} % of its range, "
                     f"class (argmax of summed v) agreement {100 * report['li_class_agreement']:.1f} %")
    if "mismatches" in report:
        lines.append(f"RTL vs model: {report['mismatches']} mismatching steps (full state, every neuron, every step), "
                     f"{report['cycles']} cycles on {report['simulator']}, {args.weight_format} weights")
    if args.plot:
        lines.append(f"plot: {args.plot}")
    emit(args, report, "\n".join(lines))
    if result.mismatches:
        status(f"error: the RTL differs from the model on {result.mismatches} steps")
        return 1
    return 0


# --- export -----------------------------------------------------------------------------------

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
        from neuroxide.experiments.digits import digits_network
        network = digits_network(args.weight_bits, args.seed)[0]
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
    subtract = [k for k, la in enumerate(network.layers) if la.params.reset_mode == "subtract"]
    report["reset_subtract_layers"] = subtract
    lines = [f"{args.output}: {len(network.layers)} layer(s), {network.n_in} -> {network.n_out}, nodes "
             f"{', '.join(sorted(graph.nodes))}",
             "NIR cannot state: " + (", ".join(lossy) if lossy else "nothing (the float graph is the network)")
             + "; the exact fixed-point layers travel in each neuron node's neuroxide_layer metadata"]
    if subtract:
        lines.append(f"warning: layer(s) {', '.join(map(str, subtract))} reset by subtraction (v -= v_th), which NIR "
                     "cannot state: the file says reset to v_reset, and that is what another framework (and "
                     "neuroxide's float backend) will run; neuroxide nir run|import FILE --reset subtract runs the "
                     "subtraction")
    emit(args, report, "\n".join(lines))
    return 0


# --- parser -------------------------------------------------------------------------------------

def _add_import_options(p):
    p.add_argument("file", metavar="FILE.nir", help="a NIR graph (HDF5, nir.write)")
    p.add_argument("--dt", type=float, default=None, metavar="SECONDS",
                   help="time step; default: the graph's metadata 'dt', else 1 when every neuron node is IF "
                        "(discrete time, Sinabs), else 1e-3")
    p.add_argument("--discretisation", choices=("euler", "exp"), default="euler",
                   help="euler: a = 1 - dt/tau (what snnTorch/Norse/Sinabs export against); exp: a = exp(-dt/tau)")
    p.add_argument("--weight-bits", type=int, default=8, metavar="B", help="conductance levels 2**B per device, 1..8 (default 8)")
    p.add_argument("--seed", type=int, default=1, metavar="S", help="seed of the core's neuron PRNGs (and --random-steps input)")
    p.add_argument("--requantise", action="store_true",
                   help="quantise the float weights even when the file carries neuroxide's exact layers")
    p.add_argument("--weight-scale", choices=("layer", "neuron"), default="layer",
                   help="one weight level grid per layer (default), or per neuron with its threshold scaled "
                        "alike (finer weights; layers that start and reset at 0 without a shared bias)")
    p.add_argument("--reset", choices=("value", "subtract"), default="value",
                   help="after a spike: value (default, NIR's semantics: v = v_reset) or subtract (v -= v_threshold: "
                        "snnTorch's reset_mechanism='subtract', Spyx, Sinabs' MembraneSubtract; NIR cannot state "
                        "it; LIF/IF/CubaLIF nodes need v_reset = 0 and v_leak = 0) on float, model and rtl")
    p.add_argument("--weight-format", choices=("pair", "signed"), default="pair",
                   help="the core's weight memory: pair (default: w_exc and w_inh, 2 x B bits a synapse) or signed "
                        "(w_exc - w_inh, B + 1 bits: about half the weight block RAM; every imported synapse has "
                        "min(w_exc, w_inh) = 0, so the model is the same). import: recorded in the JSON as "
                        "weight_format (build with -p weight_format=signed); run: the rtl back end's core")
    p.add_argument("--state-bits", choices=("worst", "auto"), default="worst",
                   help="membrane/current widths: worst (default: sized so nothing ever saturates) or auto (twice the "
                        "largest value the model reaches on 32 x 200 steps of random input, rate 0.1, seed 0: "
                        "narrower, fewer logic cells; beyond it the state saturates, in model and RTL alike)")
    p.add_argument("--max-count", type=int, default=None, metavar="M",
                   help=f"events one input may carry per step, 1..{MAX_COUNT} (the core's input rows repeated M "
                        "times; run: default the --input's largest count, else 1)")


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
            nested graphs) compose into one crossbar per neuron node; Conv1d/Conv2d become weight-shared
            conv layers, SumPool2d/AvgPool2d fold into the next convolution or Affine (or a grouped
            all-ones convolution); LIF, IF, LI, CubaLIF, CubaLI (synaptic current; a bias into it via an
            always-on source) and Threshold become core layers (forward-Euler or exact-exponential
            discretisation at --dt, reset to v_reset when v > v_threshold, or with --reset subtract
            v -= v_threshold, which NIR cannot state), weights quantised to 2**--weight-bits
            conductance levels. A node's recurrent edge becomes lateral inhibition or a recurrent
            crossbar. Files nir.read rejects are repaired where that is unambiguous (one
            "repaired:" line each); the rules applied are printed ("rule:"). Anything the core cannot
            hold exits 2 naming the node and why."""),
                         epilog=textwrap.dedent("""\
            examples:
              neuroxide nir import net.nir
              neuroxide nir import net.nir --dt 1e-4 --weight-bits 6 -o build/net_core.json --json
              neuroxide nir import net.nir --weight-format signed -o core.json   then: build snn-core -p network=core.json -p weight_format=signed

            JSON keys: file, output, dt, discretisation, reset, weight_bits, weight_format, exact_from_metadata, n_in, n_out,
            neurons, synapses, repairs, notes, max_count, const_input, layers (node, kind, v_th, decay,
            syn_decay, bias, reset_mode, lateral, recurrent, adc_gain, v_bits, lsb, conv, stored_weights,
            bias_relay ...)"""))
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
              neuroxide nir run net.nir --input spikes.npy                  spikes: (steps, [batch,] n_in or input shape)
              neuroxide nir run cnn_sinabs.nir --input nmnist_sample_counts.npy   counts (10, 2, 34, 34): 8 copies per input
              neuroxide nir run net.nir --random-steps 100 --batch 32 --rate 0.2 --plot run.png
              neuroxide nir run net.nir --random-steps 50 --backend rtl --simulator verilator --json
              neuroxide nir run net.nir --random-steps 50 --backend rtl --weight-format signed   the core with signed weights

            JSON keys: steps, batch, backend, reset, weight_format, spikes (per backend), counts, agreement_model_float (overall,
            per_neuron, exact), hidden_agreement_model_float, mismatches, cycles, agreement_rtl_model,
            li_rms_error_relative, li_class_agreement (LI outputs), wall_s"""))
    _add_import_options(pr)
    pr.add_argument("--input", metavar="SPIKES.npy",
                    help="0/1 spikes or event counts: (steps, n_in), (steps, batch, n_in), (steps, *input shape) "
                         "or (steps, batch, *input shape)")
    pr.add_argument("--random-steps", type=int, metavar="T",
                    help="instead of --input: T steps of Bernoulli spikes (with --max-count M: Binomial(M, P) counts)")
    pr.add_argument("--batch", type=int, default=16, metavar="B", help="samples of --random-steps input (default 16)")
    pr.add_argument("--rate", type=float, default=0.2, metavar="P", help="spike probability of --random-steps input (default 0.2)")
    add_backend(pr, BACKENDS, Backend.MODEL)
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

            JSON keys: network, output, dt, layers, n_in, n_out, lossy, nodes, reset_subtract_layers"""))
    pe.add_argument("network", metavar="NETWORK", help="digits | CONFIG.json (nir import -o, or {seed, layers})")
    pe.add_argument("-o", "--output", required=True, metavar="FILE.nir", help="the NIR file to write")
    pe.add_argument("--dt", type=float, default=None, metavar="SECONDS", help="time step written (default 1e-3)")
    pe.add_argument("--weight-bits", type=int, default=4, metavar="B", help="digits: device levels 2**B (default 4)")
    pe.add_argument("--seed", type=int, default=1, metavar="S", help="digits: device and neuron seed (default 1)")
    add_json(pe)
    pe.set_defaults(func=cmd_export)
