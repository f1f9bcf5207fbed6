"""NIR graphs <-> the SNN core: import (discretise, quantise), float NIR semantics, export.

The Neuromorphic Intermediate Representation (PyPI ``nir``) describes a spiking network as a
graph of continuous-time nodes. This module reads such a graph into a :class:`FloatNetwork` (the
float NIR semantics, discretised at ``dt``), maps it onto a fixed-point
:class:`~neuroxide.models.snn.CoreNetwork` (:func:`to_core`) and writes core networks back as NIR
(:func:`export_graph`). docs/nir.md has the measured agreement figures.

Graph rules (anything else: :class:`~neuroxide.errors.ParameterError` naming the node and why)
------------------------------------------------------------------------------------------------
* one ``Input`` and one ``Output``; nested ``NIRGraph`` nodes are inlined (their inner Input and
  Output become pass-throughs);
* linear nodes ``Affine`` (y = W x + b), ``Linear`` (y = W x), ``Scale`` (y = s * x), ``Flatten``
  and ``Identity`` compose, along every path, into one affine map per neuron node (C-order
  flattening, as NIR's Flatten); several edges into a node add up, as in NIR;
* neuron nodes ``LIF``, ``IF``, ``LI``, ``CubaLIF``, ``CubaLI``, ``Threshold`` form one chain
  Input -> layer 0 -> layer 1 -> ... -> Output: each neuron node is fed by exactly one earlier
  source (Input or the previous layer) plus, optionally, its own spikes (a recurrent edge through
  linear nodes, delivered one step later: snnTorch's RLeaky); ``Output`` reads the last layer
  directly;
* ``Conv1d``/``Conv2d`` (with ``input_shape``) are unrolled into dense crossbar matrices
  (:func:`conv_matrix`, widths up to 4096);
* nodes NIR defines but the core has no equivalent for (``SumPool2d``, ``AvgPool2d``, ``Delay``,
  ``I``) and algebraic loops (a cycle through linear nodes only) are
  refused.

Discretisation (``dt`` seconds; ``euler`` is the default and what snnTorch, Norse and Sinabs
export against; ``exp`` is exact for inputs held constant over a step)
------------------------------------------------------------------------------------------------
Every node's input current is ``I[t] = W x[t] + b + R z[t-1]`` (x: the feeding layer's spikes of
the same step, z: the node's own spikes of the previous step, R its recurrent map). Per neuron,
with ``a = 1 - dt/tau, k = dt/tau`` (euler) or ``a = exp(-dt/tau), k = 1 - a`` (exp)::

    LIF        v = v_leak + a (v - v_leak) + k r I;   z = v > v_threshold;   v = v_reset where z
    IF         v = v + dt r I                          (same spike and reset; exact for both rules)
    LI         v = v_leak + a (v - v_leak) + k r I     (no spikes: the output is v)
    CubaLIF    i_syn = a_s i_syn + k_s w_in I  (a_s, k_s from tau_syn), then LIF with I := i_syn
    CubaLI     the same current, then LI
    Threshold  z = I > threshold                       (stateless)

State starts at ``v = 0``, ``i_syn = 0``. Reset semantics: NIR's reset-to-value (``v_reset``)
in the step the neuron fires; the spike test is NIR's strict ``v > v_threshold``. Layers of one
step run in chain order, so a spike crosses the whole chain within the step it was made (NIR has
no delays); a recurrent edge delivers the previous step's spikes. :func:`simulate_float` runs
exactly these equations in float64 (the ``float`` backend).

Mapping onto the core (:func:`to_core`), per neuron node; j indexes the node's neurons
------------------------------------------------------------------------------------------------
Normalise the membrane: ``u_j = (v_j - v_leak_j) / theta_j`` with ``theta_j = v_threshold_j -
v_leak_j`` (> 0; for LI/CubaLI ``theta_j = k r_j``, for Threshold ``theta_j = threshold_j`` and
``v_leak = 0``). Then ``u' = a u + g_j I`` with ``g_j = k r_j w_in_j / theta_j`` (IF: ``dt r_j /
theta_j``, ``a = 1``; Threshold: ``1 / theta_j``, ``a = 0``) and the neuron fires when ``u > 1``,
resetting to ``u_reset_j = (v_reset_j - v_leak_j) / theta_j``. Per-neuron thresholds, gains and
resistances thus become column scales of the weights, which is exact. What the core shares per
layer must then be uniform over the node, or the import is refused naming the parameter: the
leak ``a`` (one decay per layer), ``u_reset``, ``u_init = -v_leak_j / theta_j`` and the bias
``g_j b_j`` (one ``LIFParams.bias`` per layer). CubaLIF/CubaLI: with ``a_s = 0`` (euler,
``tau_syn = dt``) the current is the input and the node is a LIF/LI with gain ``k_s w_in``;
otherwise the layer gets the core's synaptic current (``CoreLayer.syn_decay = round(a_s *
2**16)``, the current in membrane LSBs: ``syn = (syn * syn_decay >> 16) + i_exc - i_inh``, then
the membrane integrates ``syn``), ``tau_syn`` uniform over the node and no bias (the core's bias
enters the membrane, not the current). A recurrent map ``R_eff = R g`` becomes the
core's ``lateral`` when it is uniform lateral inhibition (``-c (1 - I)``, c >= 0, zero diagonal:
one constant, no extra synapses), otherwise the layer's recurrent crossbar (``w_rec_exc``/
``w_rec_inh``, the same level grid as the feed-forward weights; n_in + n_out <= 1024).

Quantisation (``weight_bits`` B): the effective weights ``W_eff = W g`` (and ``R_eff``) are
programmed on ideal :class:`~neuroxide.models.crossbar.Crossbar` s (differential pairs, ``2**B``
levels, level = round(|w| / w_max * (2**B - 1)), ``w_max = max(|W_eff|, c, |R_eff|)``); one level
is ``w_max / (2**B - 1)`` of u. The ADC gain ``adc_gain = 14 - bits(floor(1/level) + 1)``
(0..12) makes one level ``2**adc_gain`` membrane LSBs, so the membrane counts in ``lsb = level /
2**adc_gain`` (the threshold spans >= 2**13 LSBs)::

    v_th     = floor(1 / lsb) + 1             (v > 1/lsb  <=>  v >= v_th for integer v)
    decay    = round(a * 2**16), decay_bits = 16
    bias     = round(g b / lsb);  v_reset = round(u_reset / lsb);  v_init = round(u_init / lsb)
    lateral  = round(c / level);  adc_shift = 0;  t_ref = 0, no adaptation, no threshold noise
    in_bits  = bits of the largest column sum (the ADC never saturates), v_bits 16..32 sized so
               the membrane's reachable range fits (at least 64 thresholds for IF)
    LI/CubaLI layers get v_th = the largest v_bits value: they never fire; their output is v.

Errors this leaves (measured in docs/nir.md): weight rounding (half a level), the floor of the
leak ``(v * decay) >> 16`` (up to one LSB per step) and the threshold rounding.

``--device``: NIR fixes every neuron's dynamics, so a threshold-switch preset's calibration has
nothing to set here; the crossbar is ideal (device non-idealities belong to ``neuroxide digits``).

Export (:func:`export_graph`): each core layer becomes ``Affine`` (weights ``(w_exc - w_inh) *
2**(adc_gain - adc_shift)``, bias the layer's bias) -> ``IF`` (no leak) or ``LIF`` (``tau = dt / (1 - a)``,
``r = tau / dt``) in LSB units (``v_threshold = v_th - 1/2``), or a ``CubaLIF`` (``tau_syn = dt /
(1 - a_s)``, ``w_in = tau_syn / dt``) for a layer with a synaptic current, plus a recurrent
``Linear`` for ``lateral`` and the recurrent block. Features NIR cannot state (subtract reset, ``v_init``, refractory steps, adaptation,
threshold noise, the ADC's floor) are listed in the graph's ``neuroxide_lossy`` metadata, and each
neuron node carries the exact fixed-point layer (``neuroxide_layer``, JSON). On import, a graph
whose float weights still equal that layer's is rebuilt from it bit for bit (unless
``requantise``), so export -> import returns the identical fixed-point network.
"""

import json
import math
from dataclasses import dataclass, field

import numpy as np

from neuroxide.errors import ParameterError, check_int

from .crossbar import Crossbar, DeviceParams
from .lif import LIFParams
from .snn import CoreLayer, CoreNetwork, network_from_dict, network_to_dict

__all__ = ["NEURON_KINDS", "LINEAR_KINDS", "DISCRETISATIONS", "DEFAULT_DT", "DECAY_BITS", "FORMAT",
           "FloatLayer", "FloatNetwork", "read_graph", "parse_graph", "load", "simulate_float", "to_core",
           "CoreMapping", "export_graph", "write_graph", "agreement", "flatten_input"]

NEURON_KINDS = ("LIF", "IF", "LI", "CubaLIF", "CubaLI", "Threshold")
SPIKING_KINDS = ("LIF", "IF", "CubaLIF", "Threshold")
LINEAR_KINDS = ("Affine", "Linear", "Scale", "Flatten", "Identity", "Conv1d", "Conv2d")
DISCRETISATIONS = ("euler", "exp")
DEFAULT_DT = 1e-3
DECAY_BITS = 16
MEMBRANE_BITS = 14  # the threshold is resolved to at least 2**13 membrane LSBs (adc_gain)
FORMAT = "neuroxide-nir-core/1"
MAX_UNROLL = 4096  # widths a convolution may be unrolled to (a dense crossbar of in x out)
_WHY_UNSUPPORTED = {
    "SumPool2d": "pooling is not mapped",
    "AvgPool2d": "pooling is not mapped",
    "Delay": "the core has no synaptic delays",
    "I": "a pure integrator emits no spikes and has no leak; use IF or LI",
}


@dataclass
class FloatLayer:
    """One neuron node of the chain: its input map and its per-neuron NIR parameters.

    ``weight`` ``(n_in, n_out)`` and ``bias`` ``(n_out,)``: the composed affine map from the feeding
    layer (or Input); ``rec`` ``(n_out, n_out)`` or None: from this node's own previous spikes;
    ``params``: NIR parameter name -> float64 ``(n_out,)``.
    """

    name: str
    kind: str
    weight: np.ndarray
    bias: np.ndarray
    rec: np.ndarray | None
    params: dict
    metadata: dict = field(default_factory=dict)

    @property
    def n_in(self):
        return self.weight.shape[0]

    @property
    def n_out(self):
        return self.weight.shape[1]

    @property
    def spiking(self):
        return self.kind in SPIKING_KINDS


@dataclass
class FloatNetwork:
    """The chain of neuron nodes of a NIR graph with its discretisation (module docstring)."""

    layers: list
    input_shape: tuple
    dt: float
    discretisation: str
    metadata: dict = field(default_factory=dict)

    @property
    def n_in(self):
        return int(np.prod(self.input_shape))

    @property
    def n_out(self):
        return self.layers[-1].n_out


# --- reading ------------------------------------------------------------------------------------

def read_graph(path):
    """``nir.read(path)`` with every failure (missing, truncated, not HDF5, unknown node type,
    malformed node) turned into a ParameterError naming the file."""
    import nir
    try:
        return nir.read(str(path), type_check=False)
    except FileNotFoundError:
        raise ParameterError("path", str(path), "an existing NIR file", why="no such file") from None
    except Exception as e:  # h5py OSError, KeyError, ValueError, AssertionError, TypeError ...
        _scan_types(path)  # name an unsupported node if that is what nir choked on
        raise ParameterError("path", str(path), "a NIR (HDF5) file written by nir.write",
                             why=f"{type(e).__name__}: {e}") from None


def _scan_types(path):
    """Walk the HDF5 node tree; raise naming the first node of a type the core cannot map."""
    import h5py
    known = ("Input", "Output", "NIRGraph") + LINEAR_KINDS + NEURON_KINDS

    def walk(group, prefix):
        for name, node in group.items():
            if not isinstance(node, h5py.Group) or "type" not in node:
                continue
            kind = node["type"][()]
            kind = kind.decode("utf8", "replace") if isinstance(kind, bytes) else str(kind)
            if kind not in known:
                raise ParameterError(f"node {prefix + name!r}", kind, "Input, Output, " + ", ".join(LINEAR_KINDS + NEURON_KINDS),
                                     why=_WHY_UNSUPPORTED.get(kind, "unknown node type"))
            if kind == "NIRGraph" and "nodes" in node:
                walk(node["nodes"], f"{prefix}{name}.")
    try:
        with h5py.File(str(path), "r") as f:
            root = f["node"]
            if "nodes" in root:
                walk(root["nodes"], "")
    except ParameterError:
        raise
    except Exception:
        return


def _kind(node):
    return type(node).__name__


def _flatten_graph(graph, prefix=""):
    """Nodes ``{name: node}``, edges, pass-through names; nested NIRGraphs inlined."""
    nodes, edges, passthrough, io = {}, [], set(), {}
    for name, node in graph.nodes.items():
        full = prefix + name
        if _kind(node) == "NIRGraph":
            sub_nodes, sub_edges, sub_pass = _flatten_graph(node, full + ".")
            ins = [n for n, v in node.nodes.items() if _kind(v) == "Input"]
            outs = [n for n, v in node.nodes.items() if _kind(v) == "Output"]
            if len(ins) != 1 or len(outs) != 1:
                raise ParameterError(f"node {full!r}", "NIRGraph", "a subgraph with exactly one Input and one Output",
                                     why=f"it has {len(ins)} Input and {len(outs)} Output nodes")
            io[full] = (f"{full}.{ins[0]}", f"{full}.{outs[0]}")
            passthrough |= sub_pass | set(io[full])
            nodes.update(sub_nodes)
            edges += sub_edges
        else:
            nodes[full] = node
    for a, b in graph.edges:
        a, b = prefix + str(a), prefix + str(b)
        a = io[a][1] if a in io else a
        b = io[b][0] if b in io else b
        edges.append((a, b))
    return nodes, edges, passthrough


def _vec(node_name, pname, value, n=None):
    a = np.asarray(value, dtype=np.float64).reshape(-1)
    if n is not None and a.size == 1 and n > 1:
        a = np.full(n, a[0])
    if n is not None and a.size != n:
        raise ParameterError(f"node {node_name!r}.{pname}", f"{a.size} values", f"{n} (one per neuron)")
    if not np.all(np.isfinite(a)):
        raise ParameterError(f"node {node_name!r}.{pname}", "non-finite values", "finite floats")
    return a


_PARAMS = {
    "LIF": ("tau", "r", "v_leak", "v_threshold", "v_reset"),
    "IF": ("r", "v_threshold", "v_reset"),
    "LI": ("tau", "r", "v_leak"),
    "CubaLIF": ("tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in"),
    "CubaLI": ("tau_syn", "tau_mem", "r", "v_leak", "w_in"),
    "Threshold": ("threshold",),
}


def _neuron_params(name, node):
    kind = _kind(node)
    raw = {p: getattr(node, p) for p in _PARAMS[kind]}
    n = max(np.asarray(v).size for v in raw.values())
    params = {p: _vec(name, p, v, n) for p, v in raw.items()}
    if "tau_mem" in params:
        params["tau"] = params.pop("tau_mem")
    for p in ("tau", "tau_syn"):
        if p in params and not np.all(params[p] > 0):
            raise ParameterError(f"node {name!r}.{p}", float(params[p].min()), "> 0 seconds")
    return n, params


def _linear_map(name, node, width):
    """``(apply(M) -> M', bias_out, out_width)`` of a linear node fed ``width`` values."""
    kind = _kind(node)
    if kind in ("Flatten", "Identity", "Input", "Output"):
        return (lambda m: m), None, width
    if kind in ("Affine", "Linear"):
        w = np.asarray(node.weight, dtype=np.float64)
        if w.ndim != 2:
            raise ParameterError(f"node {name!r}.weight", f"shape {w.shape}", "a 2-D (n_out, n_in) matrix",
                                 why="batched weights do not map onto one crossbar")
        if w.shape[1] != width:
            raise ParameterError(f"node {name!r}.weight", f"shape {w.shape}", f"(n_out, {width})",
                                 why=f"its input carries {width} values")
        if not np.all(np.isfinite(w)):
            raise ParameterError(f"node {name!r}.weight", "non-finite values", "finite floats")
        bias = None
        if kind == "Affine":
            bias = _vec(name, "bias", node.bias, w.shape[0])
        wt = w.T
        return (lambda m: m @ wt), bias, w.shape[0]
    if kind == "Scale":
        s = _vec(name, "scale", node.scale, width)
        return (lambda m: m * s), None, width
    if kind in ("Conv1d", "Conv2d"):
        m, bias, width_out = conv_matrix(name, node, width)
        return (lambda x: x @ m), bias, width_out
    raise AssertionError(kind)


def _pair(name, field_name, value, dims):
    v = np.asarray(value).reshape(-1)
    if v.size == 1:
        v = np.repeat(v, dims)
    if v.size != dims or v.dtype.kind not in "iu":
        raise ParameterError(f"node {name!r}.{field_name}", value.tolist() if hasattr(value, "tolist") else value,
                             f"an integer or {dims} integers")
    return [int(x) for x in v]


def conv_matrix(name, node, width):
    """Unroll a Conv1d/Conv2d node into a dense ``(width_in, width_out)`` matrix and its bias.

    C-order (channel, position...) flattening on both sides, as NIR's Flatten; ``out[co, y] =
    bias[co] + sum_{ci, k} weight[co, ci - g*cin_g, k] * in[ci, y*stride - pad + k*dilation]`` with
    zero padding, ``g = co // (C_out / groups)``; padding ``'same'`` puts the odd pad on the right.
    """
    w = np.asarray(node.weight, dtype=np.float64)
    dims = w.ndim - 2
    if node.input_shape is None:
        raise ParameterError(f"node {name!r}.input_shape", None, "the spatial input shape",
                             why="a convolution is unrolled into a crossbar, which needs its input size")
    size = _pair(name, "input_shape", np.asarray(node.input_shape), dims)
    groups = int(np.asarray(node.groups).reshape(-1)[0])
    c_out, cin_g = w.shape[0], w.shape[1]
    if groups < 1 or c_out % groups:
        raise ParameterError(f"node {name!r}.groups", groups, f"a divisor of C_out = {c_out}")
    c_in = cin_g * groups
    n_in = c_in * int(np.prod(size))
    if n_in != width:
        raise ParameterError(f"node {name!r}.input_shape", size, f"C_in x size = {width} values",
                             why=f"its input carries {width} values, the kernel expects {c_in} channels of {size}")
    stride = _pair(name, "stride", np.asarray(node.stride), dims)
    dil = _pair(name, "dilation", np.asarray(node.dilation), dims)
    kern = list(w.shape[2:])
    pad_text = node.padding.decode() if isinstance(node.padding, bytes) else node.padding
    if isinstance(pad_text, str) and pad_text in ("same", "valid"):
        lo = [0] * dims if pad_text == "valid" else [d * (k - 1) // 2 for d, k in zip(dil, kern)]
        hi = [0] * dims if pad_text == "valid" else [d * (k - 1) - a for d, k, a in zip(dil, kern, lo)]
    else:
        lo = _pair(name, "padding", np.asarray(pad_text), dims)
        hi = lo
    out_size = [(n + a + b - d * (k - 1) - 1) // st + 1 for n, a, b, d, k, st in zip(size, lo, hi, dil, kern, stride)]
    if min(out_size) < 1:
        raise ParameterError(f"node {name!r}.weight", f"kernel {kern}", f"a kernel that fits the input {size}")
    n_out = c_out * int(np.prod(out_size))
    if n_in > MAX_UNROLL or n_out > MAX_UNROLL:
        raise ParameterError(f"node {name!r}", f"{n_in} -> {n_out} values", f"widths <= {MAX_UNROLL}",
                             why="too large to unroll into one crossbar")
    m = np.zeros((n_in, n_out))
    out_pos = np.stack(np.meshgrid(*[np.arange(n) for n in out_size], indexing="ij"), -1).reshape(-1, dims)
    out_flat = np.arange(out_pos.shape[0])
    per_group = c_out // groups
    for k_idx in np.ndindex(*kern):
        src = out_pos * np.array(stride) - np.array(lo) + np.array(k_idx) * np.array(dil)
        ok = np.all((src >= 0) & (src < np.array(size)), axis=1)
        src_flat = np.ravel_multi_index(tuple(src[ok].T), size) if ok.any() else np.zeros(0, dtype=int)
        for co in range(c_out):
            g = co // per_group
            for cl in range(cin_g):
                ci = g * cin_g + cl
                np.add.at(m, (ci * int(np.prod(size)) + src_flat, co * len(out_flat) + out_flat[ok]), w[(co, cl) + k_idx])
    bias = np.repeat(_vec(name, "bias", node.bias, c_out), len(out_flat))
    return m, bias, n_out


def parse_graph(graph, dt=None, discretisation="euler"):
    """A NIR graph -> :class:`FloatNetwork` (module docstring's graph rules), or ParameterError."""
    if discretisation not in DISCRETISATIONS:
        raise ParameterError("discretisation", discretisation, " | ".join(DISCRETISATIONS))
    meta = dict(getattr(graph, "metadata", None) or {})
    if dt is None:
        dt = float(meta["dt"]) if "dt" in meta else DEFAULT_DT
    if isinstance(dt, bool) or not isinstance(dt, (int, float)) or not (math.isfinite(dt) and 0 < dt <= 1e3):
        raise ParameterError("dt", dt, "a time step in seconds, 0 < dt <= 1000")
    dt = float(dt)
    nodes, edges, passthrough = _flatten_graph(graph)
    for name, node in nodes.items():
        kind = _kind(node)
        if kind in _WHY_UNSUPPORTED:
            raise ParameterError(f"node {name!r}", kind, "Input, Output, " + ", ".join(LINEAR_KINDS + NEURON_KINDS),
                                 why=_WHY_UNSUPPORTED[kind])
        if kind not in ("Input", "Output") + LINEAR_KINDS + NEURON_KINDS:
            raise ParameterError(f"node {name!r}", kind, "Input, Output, " + ", ".join(LINEAR_KINDS + NEURON_KINDS),
                                 why="unknown node type")
    for a, b in edges:
        for end in (a, b):
            if end not in nodes:
                raise ParameterError("edge", f"{a} -> {b}", "edges between nodes of the graph",
                                     why=f"node {end!r} does not exist")
    top_in = [n for n, v in nodes.items() if _kind(v) == "Input" and n not in passthrough]
    top_out = [n for n, v in nodes.items() if _kind(v) == "Output" and n not in passthrough]
    if len(top_in) != 1 or len(top_out) != 1:
        raise ParameterError("graph", f"{len(top_in)} Input and {len(top_out)} Output nodes",
                             "exactly one Input and one Output", why="the core has one input port and one output layer")
    inp, out = top_in[0], top_out[0]
    shape = tuple(int(d) for d in np.asarray(nodes[inp].input_type["input"]).reshape(-1))
    if not shape or min(shape) < 1:
        raise ParameterError(f"node {inp!r}.shape", shape, "positive dimensions")
    n_input = int(np.prod(shape))

    preds = {n: [] for n in nodes}
    for a, b in edges:
        preds[b].append(a)
    neurons = {n for n, v in nodes.items() if _kind(v) in NEURON_KINDS}
    sizes, params = {inp: n_input}, {}
    for n in neurons:
        sizes[n], params[n] = _neuron_params(n, nodes[n])

    memo, visiting, used = {}, set(), set()

    def source_terms(name):
        """Affine map from sources (Input, neuron nodes) to the OUTPUT of ``name``:
        ``({source: matrix (n_source, width)}, bias (width,) or None, width)``."""
        used.add(name)
        if name == inp or name in neurons:
            return {name: np.eye(sizes[name])}, None, sizes[name]
        if name in memo:
            return memo[name]
        if name in visiting:
            raise ParameterError(f"node {name!r}", "a cycle through linear nodes only",
                                 "cycles that pass through a neuron node", why="an algebraic loop has no time step")
        visiting.add(name)
        terms, bias, width = summed_input(name)
        apply, b_node, width_out = _linear_map(name, nodes[name], width)
        terms = {s: apply(m) for s, m in terms.items()}
        bias = None if bias is None else apply(bias[None, :])[0]
        if b_node is not None:
            bias = b_node if bias is None else bias + b_node
        visiting.discard(name)
        memo[name] = (terms, bias, width_out)
        return memo[name]

    def summed_input(name):
        if not preds[name]:
            raise ParameterError(f"node {name!r}", "no incoming edge", "a node fed by the Input through the chain",
                                 why="missing edge")
        terms, bias, width = {}, None, None
        for p in preds[name]:
            t, b, w = source_terms(p)
            if width is not None and w != width:
                raise ParameterError(f"node {name!r}", f"inputs of widths {width} and {w}", "edges of equal width")
            width = w
            for s, m in t.items():
                terms[s] = terms[s] + m if s in terms else m
            if b is not None:
                bias = b if bias is None else bias + b
        return terms, bias, width

    inputs = {}
    for n in sorted(neurons):
        used.add(n)
        terms, bias, width = summed_input(n)
        if width != sizes[n]:
            raise ParameterError(f"node {n!r}", f"{sizes[n]} neurons fed {width} values",
                                 f"an input of width {sizes[n]}", why="shape mismatch")
        feed = sorted(set(terms) - {n})
        if len(feed) != 1:
            raise ParameterError(f"node {n!r}", f"inputs from {feed}", "exactly one feeding layer (or Input)",
                                 why="the core's layers form one feed-forward chain; only a layer's own previous "
                                     "spikes may feed back (as uniform lateral inhibition)")
        inputs[n] = (feed[0], terms[feed[0]], np.zeros(width) if bias is None else bias, terms.get(n))
    out_terms, out_bias, _ = summed_input(out)
    chain, cur = [], inp
    while True:
        nxt = [n for n in sorted(neurons) if inputs[n][0] == cur]
        if len(nxt) > 1:
            raise ParameterError(f"node {cur!r}", f"feeds {nxt}", "one consumer layer",
                                 why="the core's layers form one chain (no fan-out to parallel layers)")
        if not nxt:
            break
        cur = nxt[0]
        chain.append(cur)
    if not chain:
        raise ParameterError("graph", "no neuron node", "at least one of " + ", ".join(NEURON_KINDS),
                             why="nothing on the Input -> Output path spikes")
    missing = sorted(neurons - set(chain))
    if missing:
        raise ParameterError(f"node {missing[0]!r}", "off the chain", "every neuron node on the Input -> Output chain",
                             why="missing edge or a branch the core cannot hold")
    last = chain[-1]
    if set(out_terms) != {last}:
        raise ParameterError(f"node {out!r}", f"reads {sorted(out_terms)}", f"the last layer {last!r}",
                             why="Output must read the last neuron layer of the chain")
    m = out_terms[last]
    if m.shape[0] != m.shape[1] or not np.allclose(m, np.eye(m.shape[0])) or (out_bias is not None and np.any(out_bias)):
        raise ParameterError(f"node {out!r}", "a linear map after the last neuron layer", "the last layer's spikes",
                             why="the core outputs spikes (or LI potentials); end the graph with a neuron node")
    unused = sorted(set(nodes) - used - {out} - passthrough)
    if unused:
        raise ParameterError(f"node {unused[0]!r}", "not connected", "nodes on the Input -> Output path",
                             why="missing edge")
    for k, n in enumerate(chain[:-1]):
        if _kind(nodes[n]) not in SPIKING_KINDS:
            raise ParameterError(f"node {n!r}", _kind(nodes[n]), ", ".join(SPIKING_KINDS),
                                 why="a non-spiking node (LI, CubaLI) can only be the last layer")
    layers = []
    for n in chain:
        feed, w, b, rec = inputs[n]
        layers.append(FloatLayer(n, _kind(nodes[n]), w, b, rec, params[n], dict(nodes[n].metadata or {})))
    net = FloatNetwork(layers, shape, dt, discretisation, meta)
    for layer in layers:
        _discrete(net, layer)  # stability checks now
    return net


def load(path, dt=None, discretisation="euler"):
    """Read and parse a NIR file -> :class:`FloatNetwork`."""
    return parse_graph(read_graph(path), dt, discretisation)


# --- float NIR semantics ------------------------------------------------------------------------

def _leak(net, tau, name, pname):
    """``(a, k)`` of ``tau dv/dt = -v + ...`` at ``net.dt`` (module docstring)."""
    if net.discretisation == "euler":
        a = 1.0 - net.dt / tau
        if np.any(a < -1e-12):
            raise ParameterError(f"node {name!r}.{pname}", float(tau.min()), f">= dt = {net.dt} s",
                                 why="forward Euler with dt > tau overshoots; use discretisation 'exp' or a smaller dt")
        a = np.maximum(a, 0.0)
        return a, net.dt / tau
    a = np.exp(-net.dt / tau)
    return a, 1.0 - a


def _discrete(net, layer):
    """Per-neuron discrete coefficients of ``layer``: dict of arrays (a, gain, a_s, k_s, ...)."""
    p, kind, n = layer.params, layer.kind, layer.n_out
    d = {"a_s": None}
    if kind in ("LIF", "LI", "CubaLIF", "CubaLI"):
        a, k = _leak(net, p["tau"], layer.name, "tau")
        d.update(a=a, gain=k * p["r"], v_leak=p["v_leak"])
    elif kind == "IF":
        d.update(a=np.ones(n), gain=net.dt * p["r"], v_leak=np.zeros(n))
    else:  # Threshold
        d.update(a=np.zeros(n), gain=np.ones(n), v_leak=np.zeros(n))
    if kind in ("CubaLIF", "CubaLI"):
        d["a_s"], d["k_s"] = _leak(net, p["tau_syn"], layer.name, "tau_syn")
        d["w_in"] = p["w_in"]
    if kind in ("LIF", "IF", "CubaLIF"):
        d.update(v_th=p["v_threshold"], v_reset=p["v_reset"])
    elif kind == "Threshold":
        d.update(v_th=p["threshold"], v_reset=np.zeros(n))
    return d


def flatten_input(net, spikes):
    """Input spikes ``(steps, n_in)``, ``(steps, batch, n_in)`` or ``(steps, batch, *input_shape)``
    -> bool ``(steps, batch, n_in)``; anything else is a ParameterError."""
    s = np.asarray(spikes)
    if s.dtype.kind not in "iub" and not (s.dtype.kind == "f" and np.all((s == 0) | (s == 1))):
        raise ParameterError("spikes", s.dtype.name, "0/1 spikes (bool, integer or 0.0/1.0 floats)")
    if s.size and (s.min() < 0 or s.max() > 1):
        raise ParameterError("spikes", float(s.max() if s.max() > 1 else s.min()), "0 or 1 (spikes)")
    n = net.n_in
    if s.ndim == 2 and s.shape[1] == n:
        s = s[:, None, :]
    elif s.ndim >= 3 and int(np.prod(s.shape[2:])) == n and (s.ndim == 3 or tuple(s.shape[2:]) == net.input_shape):
        s = s.reshape(s.shape[0], s.shape[1], n)
    else:
        raise ParameterError("spikes", f"shape {s.shape}",
                             f"(steps, {n}), (steps, batch, {n}) or (steps, batch, *{net.input_shape})")
    if s.shape[0] < 1 or s.shape[1] < 1:
        raise ParameterError("spikes", f"shape {s.shape}", "at least one step and one sample")
    return s.astype(bool)


def simulate_float(net, in_spikes, progress=None):
    """Run the float NIR semantics (module docstring) over ``in_spikes`` ``(steps, batch, n_in)``.

    Returns ``{"spikes": [per layer bool (steps, batch, n_out)], "v": float (steps, batch, n_out) of
    the last layer (its membrane after the step, before a reset is visible only for LI)}``.
    """
    s = flatten_input(net, in_spikes)
    steps, batch = s.shape[:2]
    coef = [_discrete(net, layer) for layer in net.layers]
    v = [np.zeros((batch, la.n_out)) for la in net.layers]
    i_syn = [np.zeros((batch, la.n_out)) for la in net.layers]
    prev = [np.zeros((batch, la.n_out)) for la in net.layers]
    spikes = [np.zeros((steps, batch, la.n_out), dtype=bool) for la in net.layers]
    v_out = np.zeros((steps, batch, net.n_out))
    for t in range(steps):
        x = s[t].astype(np.float64)
        for k, (la, c) in enumerate(zip(net.layers, coef)):
            cur = x @ la.weight + la.bias
            if la.rec is not None:
                cur = cur + prev[k] @ la.rec
            if c["a_s"] is not None:
                i_syn[k] = c["a_s"] * i_syn[k] + c["k_s"] * c["w_in"] * cur
                cur = i_syn[k]
            if la.kind == "Threshold":
                z = cur > c["v_th"]
                v[k] = cur
            else:
                v[k] = c["v_leak"] + c["a"] * (v[k] - c["v_leak"]) + c["gain"] * cur
                if la.spiking:
                    z = v[k] > c["v_th"]
                    v[k] = np.where(z, c["v_reset"], v[k])
                else:
                    z = np.zeros_like(v[k], dtype=bool)
            spikes[k][t] = z
            prev[k] = z.astype(np.float64)
            x = prev[k]
        v_out[t] = v[-1]
        if progress is not None:
            progress(t + 1, steps)
    return {"spikes": spikes, "v": v_out}


# --- mapping onto the core ----------------------------------------------------------------------

@dataclass
class CoreMapping:
    """What :func:`to_core` made: the network and, per layer, how to read it back in NIR units.

    ``layers[k]``: ``{"node", "kind", "lsb" (u per membrane LSB), "level" (u per weight level),
    "col_gain" (g per neuron), "theta" (per neuron: v = v_leak + theta * u), "v_leak", "exact"
    (rebuilt from export metadata)}``.
    """

    network: CoreNetwork
    layers: list
    exact: bool

    def v_float(self, k, v_core):
        """Core membrane ``v_core`` (int, ``(..., n_out)``) of layer k in the NIR node's volts."""
        info = self.layers[k]
        return np.asarray(info["v_leak"]) + np.asarray(info["theta"]) * (np.asarray(v_core) * info["lsb"])

    def to_dict(self):
        return {"format": FORMAT, "network": network_to_dict(self.network), "exact_from_metadata": self.exact,
                "layers": [{k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in la.items()}
                           for la in self.layers]}


def _uniform(layer, pname, values, tol=1e-9):
    values = np.asarray(values, dtype=np.float64)
    lo, hi = float(values.min()), float(values.max())
    if hi - lo > tol * max(1.0, abs(hi), abs(lo)):
        raise ParameterError(f"node {layer.name!r}.{pname}", f"{lo:.6g}..{hi:.6g} across its neurons",
                             "one value for the whole node",
                             why="the core shares this per layer (after normalising thresholds and gains)")
    return float(values.mean())


def _bits_signed(x):
    return int(math.ceil(x)).bit_length() + 1


def _layer_to_core(net, layer, weight_bits):
    c = _discrete(net, layer)
    n = layer.n_out
    gain = c["gain"].copy()
    a_syn = None
    if c["a_s"] is not None:
        gain = gain * c["k_s"] * c["w_in"]
        if np.any(c["a_s"] > 1e-12):  # synaptic memory: the core layer's synaptic current (syn_decay)
            a_syn = _uniform(layer, "tau_syn", c["a_s"])
            if np.any(layer.bias):
                raise ParameterError(f"node {layer.name!r}", "a bias into a synaptic current with memory",
                                     "bias 0 (or tau_syn = dt)",
                                     why="the core adds its bias to the membrane, not to the synaptic current")
    if layer.spiking:
        theta = c["v_th"] - c["v_leak"]
        if np.any(theta <= 0):
            raise ParameterError(f"node {layer.name!r}.v_threshold", float((c["v_th"] - c["v_leak"]).min()),
                                 "v_threshold > v_leak", why="a neuron at rest would already be above threshold")
    else:
        theta = gain.copy()
        if np.any(theta == 0):
            raise ParameterError(f"node {layer.name!r}.r", 0.0, "non-zero", why="an LI node with r = 0 never moves")
    g = gain / theta
    a = _uniform(layer, "tau (its leak factor a)", c["a"])
    b_eff = _uniform(layer, "bias", layer.bias * g)
    u_init = _uniform(layer, "v_leak", -c["v_leak"] / theta)
    u_reset = _uniform(layer, "v_reset", (c["v_reset"] - c["v_leak"]) / theta) if layer.spiking else 0.0
    w_eff = layer.weight * g
    lat, r_eff = 0.0, None
    if layer.rec is not None:
        if not layer.spiking:
            raise ParameterError(f"node {layer.name!r}", "recurrent LI", "a spiking node", why="LI emits no spikes")
        r_eff = layer.rec * g
        off = r_eff[~np.eye(n, dtype=bool)]
        diag_ok = np.allclose(np.diag(r_eff), 0.0, atol=1e-12)
        c_lat = -float(off.mean()) if off.size else 0.0
        if diag_ok and off.size and np.ptp(off) <= 1e-9 * max(1.0, abs(c_lat)) and c_lat >= 0:
            lat, r_eff = c_lat, None   # uniform lateral inhibition: the cheap path
        elif not np.any(r_eff):
            r_eff = None
    w_max = max(float(np.abs(w_eff).max()) if w_eff.size else 0.0, lat,
                float(np.abs(r_eff).max()) if r_eff is not None else 0.0)
    if w_max == 0.0:
        w_max = 1.0
    xb = Crossbar(layer.n_in, n, DeviceParams(weight_bits=weight_bits)).program(w_eff, w_max=w_max)
    rec = None
    if r_eff is not None:
        if layer.n_in + n > 1024:
            raise ParameterError(f"node {layer.name!r}", f"{layer.n_in} inputs + {n} recurrent rows",
                                 "n_in + n_out <= 1024 for a recurrent layer", why="the core's synapse address")
        rec = Crossbar(n, n, DeviceParams(weight_bits=weight_bits)).program(r_eff, w_max=w_max)
    gain_bits = min(max(MEMBRANE_BITS - (int(1.0 / xb.scale) + 1).bit_length(), 0), 12)
    lsb = xb.scale / (1 << gain_bits)
    inv = 1.0 / lsb
    lateral = int(round(lat / xb.scale))
    bias = int(round(b_eff * inv))
    v_reset = int(round(u_reset * inv))
    v_init = int(round(u_init * inv))
    decay = int(round(a * (1 << DECAY_BITS)))
    col_exc, col_inh = xb.w_exc.sum(axis=0), xb.w_inh.sum(axis=0)
    if rec is not None:
        col_exc, col_inh = col_exc + rec.w_exc.sum(axis=0), col_inh + rec.w_inh.sum(axis=0)
    pos = int(col_exc.max()) << gain_bits
    neg = (int(col_inh.max()) + lateral * (n - 1)) << gain_bits
    drive = max(pos + max(bias, 0), neg + max(-bias, 0), 1)
    if a_syn is not None:  # the synaptic current integrates the drive: bounded by drive / (1 - a_s)
        drive = int(math.ceil(drive * min(64.0, 1.0 / max(1.0 - a_syn, 1e-9)))) + 1
        pos = neg = drive
    v_th = int(math.floor(inv)) + 1
    span = max(v_th, abs(v_reset), abs(v_init), drive)
    span = span * (64.0 if a > 1.0 - 1.0 / 64 else 1.0 / (1.0 - a)) + drive
    v_bits = min(max(_bits_signed(2 * span), 16), 32)
    in_bits = min(max(pos, neg, 1).bit_length(), v_bits - 1)
    v_hi = (1 << (v_bits - 1)) - 1
    if not layer.spiking:
        v_th = v_hi
    for name, value in (("v_threshold", v_th), ("v_reset", v_reset), ("v_leak", v_init), ("bias", bias)):
        if abs(value) > v_hi:
            raise ParameterError(f"node {layer.name!r}.{name}", value, f"|value| <= {v_hi} membrane LSBs",
                                 why="does not fit the core's 32-bit membrane at this weight scale")
    params = LIFParams(v_bits=v_bits, in_bits=in_bits, decay_bits=DECAY_BITS, ref_bits=1, adapt_bits=1, decay=decay,
                       bias=bias, v_th=v_th, v_reset=min(v_reset, v_th - 1), v_init=v_init, reset_mode="value",
                       t_ref=0, adapt_inc=0, adapt_shift=1, noise_bits=0)
    core = CoreLayer(xb.w_exc, xb.w_inh, weight_bits, params, adc_shift=0, lateral=min(lateral, params.in_max),
                     adc_gain=gain_bits, w_rec_exc=None if rec is None else rec.w_exc,
                     w_rec_inh=None if rec is None else rec.w_inh,
                     syn_decay=None if a_syn is None else int(round(a_syn * (1 << DECAY_BITS))))
    info = {"node": layer.name, "kind": layer.kind, "lsb": lsb, "level": xb.scale, "col_gain": g, "theta": theta,
            "v_leak": c["v_leak"], "exact": False}
    return core, info


def _exact_layer(layer):
    """The fixed-point layer stored by :func:`export_graph`, if the float weights still match it."""
    text = layer.metadata.get("neuroxide_layer")
    if not isinstance(text, str):
        return None
    try:
        d = json.loads(text)
        core = network_from_dict({"seed": 1, "layers": [d]}).layers[0]
    except (ValueError, TypeError, KeyError, ParameterError):
        return None
    w = core.weights.astype(np.float64) * 2.0 ** (core.adc_gain - core.adc_shift)
    if w.shape != layer.weight.shape or not np.allclose(w, layer.weight, rtol=1e-12, atol=1e-12):
        return None
    return core


def to_core(net, weight_bits=8, seed=1, requantise=False):
    """Map a :class:`FloatNetwork` onto the core -> :class:`CoreMapping` (module docstring)."""
    check_int("weight_bits", weight_bits, 1, 8)
    check_int("seed", seed, 0, 0xFFFF_FFFF)
    exact = None if requantise else [_exact_layer(la) for la in net.layers]
    if exact is not None and all(e is not None for e in exact):
        infos = [{"node": la.name, "kind": la.kind, "lsb": 1.0, "level": 2.0 ** (e.adc_gain - e.adc_shift),
                  "col_gain": np.ones(la.n_out), "theta": np.ones(la.n_out),
                  "v_leak": np.zeros(la.n_out), "exact": True} for la, e in zip(net.layers, exact)]
        meta_seed = net.metadata.get("neuroxide_seed")
        seed = int(meta_seed) if meta_seed is not None else seed
        return CoreMapping(CoreNetwork(tuple(exact), seed=seed), infos, True)
    cores, infos = [], []
    for la in net.layers:
        core, info = _layer_to_core(net, la, weight_bits)
        cores.append(core)
        infos.append(info)
    return CoreMapping(CoreNetwork(tuple(cores), seed=seed), infos, False)


# --- export ---------------------------------------------------------------------------------------

def export_graph(network, dt=DEFAULT_DT):
    """A :class:`CoreNetwork` -> ``nir.NIRGraph`` (module docstring: units, lossy features, metadata)."""
    import nir
    if not isinstance(network, CoreNetwork):
        raise ParameterError("network", type(network).__name__, "a CoreNetwork")
    nodes = {"input": nir.Input(input_type={"input": np.array([network.n_in])})}
    edges, lossy, prev = [], set(), "input"
    net_dict = network_to_dict(network)
    for k, layer in enumerate(network.layers):
        p = layer.params
        n = layer.n_out
        unit = 2.0 ** (layer.adc_gain - layer.adc_shift)
        w = (layer.weights.astype(np.float64) * unit).T
        a = p.decay / (1 << p.decay_bits)
        ones = np.ones(n)
        nodes[f"affine{k}"] = nir.Affine(weight=w, bias=np.full(n, float(p.bias)))
        common = dict(v_threshold=ones * (p.v_th - 0.5), v_reset=ones * float(p.v_reset),
                      metadata={"neuroxide_layer": json.dumps(net_dict["layers"][k], sort_keys=True)})
        if layer.syn_decay is not None:
            a_s = layer.syn_decay / (1 << p.decay_bits)
            tau_m = dt / (1.0 - a) if a < 1 else 1e12 * dt
            tau_s = dt / (1.0 - a_s) if a_s < 1 else 1e12 * dt
            if a >= 1 or a_s >= 1:
                lossy.add("no-leak membrane or current (as tau = 1e12 dt)")
            nodes[f"lif{k}"] = nir.CubaLIF(tau_syn=ones * tau_s, tau_mem=ones * tau_m, r=ones * tau_m / dt,
                                           v_leak=np.zeros(n), w_in=ones * (tau_s / dt), **common)
        elif p.decay == 1 << p.decay_bits:
            nodes[f"lif{k}"] = nir.IF(r=ones / dt, **common)
        else:
            tau = dt / (1.0 - a)
            nodes[f"lif{k}"] = nir.LIF(tau=ones * tau, r=ones * tau / dt, v_leak=np.zeros(n), **common)
        edges += [(prev, f"affine{k}"), (f"affine{k}", f"lif{k}")]
        if layer.lateral or layer.recurrent:
            w_rec = -float(layer.lateral) * (1.0 - np.eye(n))
            if layer.recurrent:
                w_rec = w_rec + (layer.w_rec_exc - layer.w_rec_inh)
            nodes[f"recurrent{k}"] = nir.Linear(weight=(w_rec * unit).T)
            edges += [(f"lif{k}", f"recurrent{k}"), (f"recurrent{k}", f"lif{k}")]
        if p.reset_mode == "subtract":
            lossy.add("reset_mode=subtract")
        if p.v_init:
            lossy.add("v_init")
        if p.t_ref:
            lossy.add("t_ref")
        if p.adapt_inc:
            lossy.add("adaptation")
        if p.noise_bits:
            lossy.add("threshold noise")
        if layer.adc_shift:
            lossy.add("adc_shift floor")
        if p.v_min is not None:
            lossy.add("v_min")
        prev = f"lif{k}"
    nodes["output"] = nir.Output(output_type={"output": np.array([network.n_out])})
    edges.append((prev, "output"))
    meta = {"dt": float(dt), "neuroxide_format": FORMAT, "neuroxide_seed": int(network.seed),
            "neuroxide_lossy": ", ".join(sorted(lossy)) or "none"}
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=meta, type_check=False), sorted(lossy)


def write_graph(graph, path):
    """``nir.write`` atomically (a failed write leaves no file behind)."""
    import nir

    from neuroxide.fileio import atomic_path
    with atomic_path(path) as tmp:
        nir.write(str(tmp), graph)
    return path


# --- agreement ------------------------------------------------------------------------------------

def agreement(counts_a, counts_b):
    """Spike-count agreement of two ``(batch, n_out)`` count arrays.

    ``overall = 1 - sum|a - b| / sum max(a, b)`` (1.0 when neither spiked), ``per_neuron`` the same
    per output neuron, ``exact`` the fraction of (sample, neuron) pairs with equal counts.
    """
    a = np.asarray(counts_a, dtype=np.int64)
    b = np.asarray(counts_b, dtype=np.int64)
    diff = np.abs(a - b)
    top = np.maximum(a, b)

    def ratio(d, t):
        return 1.0 - float(d) / float(t) if t else 1.0
    return {"overall": ratio(diff.sum(), top.sum()),
            "per_neuron": [ratio(diff[:, j].sum(), top[:, j].sum()) for j in range(a.shape[1])],
            "exact": float((diff == 0).mean()),
            "abs_count_error": int(diff.sum()), "spikes": [int(a.sum()), int(b.sum())]}
