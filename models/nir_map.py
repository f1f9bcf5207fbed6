"""NIR graphs <-> the SNN core: import (discretise, quantise), float NIR semantics, export.

The Neuromorphic Intermediate Representation (PyPI ``nir``) describes a spiking network as a
graph of continuous-time nodes. This module reads such a graph into a :class:`FloatNetwork` (the
float NIR semantics, discretised at ``dt``), maps it onto a fixed-point
:class:`~neuroxide.models.snn.CoreNetwork` (:func:`to_core`) and writes core networks back as NIR
(:func:`export_graph`). docs/nir.md has the measured agreement figures.

Graph rules (anything else: :class:`~neuroxide.errors.ParameterError` naming the node and why)
------------------------------------------------------------------------------------------------
* files are read by the tolerant reader (:mod:`neuroxide.models.nir_read`: renamed nodes in edges,
  a missing ``edges`` entry, nested Inputs typed with the outer width, parameters of unequal
  shapes; each repair reported in ``FloatNetwork.repairs``);
* one ``Input`` and one ``Output``; nested ``NIRGraph`` nodes are inlined (their inner Input and
  Output become pass-throughs); an Input typed ``(B, ...)`` whose consumers expect ``(...)`` (or
  ``B = 1``) has a leading batch axis, dropped; a neuron node whose parameters are single values
  takes its size (and shape) from its fan-in (``FloatNetwork.notes`` says so);
* linear nodes ``Affine`` (y = W x + b), ``Linear`` (y = W x), ``Scale`` (y = s * x), ``Flatten``
  and ``Identity`` compose, along every path, into one affine map per neuron node (C-order
  flattening, as NIR's Flatten); several edges into a node add up, as in NIR;
* neuron nodes ``LIF``, ``IF``, ``LI``, ``CubaLIF``, ``CubaLI``, ``Threshold`` form one chain
  Input -> layer 0 -> layer 1 -> ... -> Output: each neuron node is fed by exactly one earlier
  source (Input or the previous layer) plus, optionally, its own spikes (a recurrent edge through
  linear nodes, delivered one step later: snnTorch's RLeaky); ``Output`` reads the last layer
  directly;
* ``Conv1d``/``Conv2d`` become weight-shared convolutions (:class:`~neuroxide.models.snn_conv.ConvGeometry`
  + kernel, ``FloatLayer.conv``; Conv1d as ``(C, 1, L)``; ``'same'`` only where it pads both sides
  equally). ``SumPool2d``/``AvgPool2d`` (x 1/(kH kW)) are the depthwise all-ones convolution and
  compose: pool -> conv is ONE convolution on the unpooled image (a plain pool, kernel = stride,
  no padding, image divisible: each tap of the conv kernel repeated over the pool window, stride
  and padding times the pool size, dilation spread into a larger kernel); pool -> neuron node is
  the grouped all-ones convolution; pool/conv -> Flatten -> Affine is multiplied out into the
  Affine's dense matrix (sparse intermediates). Any other chain with a convolution is multiplied
  out into a matrix (exact, not weight-shared);
* ``Delay`` (``y(t) = x(t - delay)``, module section "Delay" below) becomes the next layer's
  per-source delay line (``CoreLayer.delay``);
* nodes NIR defines but the core has no equivalent for (``I``) and algebraic loops (a cycle through
  linear nodes only) are refused.

Delay
-----
``d = floor(delay / dt + 1/2)`` steps per element, each within ``DELAY_TOL`` (1e-3) steps of a whole
count (else refused: the core delays by whole steps), ``0 <= d <= MAX_DELAY`` (31; negative or longer:
refused naming ``node.delay`` and the range in seconds). A delay's history is empty: the output is 0
for ``t < d``. Where it may sit:

* **on spikes**: after a neuron node or the Input, through Identity/Flatten/Scale only (maps that act
  element by element, so the delay commutes with them): element j delays source neuron j, i.e.
  input row j of the next layer (``FloatLayer.delay``, the core layer's ``delay``): a spike of j in
  step t is integrated in step ``t + d_j``;
* **on a current** (after an Affine/Linear/Conv, before a neuron node): with one ``d`` for the whole
  node it is the same delay of every spike of the source (``W x(t - d) = (W x)(t - d)``; a note says
  so); a bias through it is refused (a delayed bias is 0 for ``t < d``, which no source delay states),
  and a per-element ``d`` is refused (it delays currents, not source neurons);
* Delay nodes in series add up (at most MAX_DELAY in all); two paths from one source with different
  delays, a Delay on a recurrent edge and a Delay between the last layer and the Output are refused.

Discretisation (``dt`` seconds: ``--dt``, else ``metadata['dt']``, else dt = 1 when every neuron
node is ``IF`` (discrete time: Sinabs' IAF, ``v += r I`` per step), else DEFAULT_DT; the rule is in
``FloatNetwork.dt_rule``/``notes``, and a ``tau < dt`` refusal names the node and, where r = tau/dt
(snnTorch's convention) is consistent, the dt it implies. ``euler`` is the default and what
snnTorch, Norse and Sinabs export against; ``exp`` is exact for inputs held constant over a step)
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
in the step the neuron fires; the spike test is NIR's strict ``v > v_threshold``.

Reset by subtraction (``reset="subtract"``, opt-in: :func:`parse_graph`/:func:`load`; NIR has no
field for it): in the step a LIF/IF/CubaLIF neuron fires, ``v = v - v_threshold`` instead of
``v_reset`` (snnTorch's ``reset_mechanism="subtract"``, Spyx's reset, Sinabs' default
``MembraneSubtract``; one spike and one subtraction per step: Sinabs' default ``MultiSpike``, which
emits several spikes in a step, is not modelled). It needs ``v_reset = 0`` and ``v_leak = 0`` on
every such node (else a ParameterError naming ``node.v_reset`` / ``node.v_leak``: a file that
states a non-zero reset value asks for a reset to it, and with ``v_leak != 0`` the subtraction of
``v_threshold`` is not the core's subtraction of ``v_threshold - v_leak``). ``Threshold`` nodes
are stateless and LI/CubaLI never fire: unaffected. The rule is in ``FloatNetwork.reset`` and
``notes``; layers rebuilt from neuroxide's exact export metadata keep their own stored reset.

Layers of one step run in chain order, so a spike crosses the whole chain within the step it was
made (unless a ``Delay`` holds it: ``x[t - d_i]`` on input row i); a recurrent edge delivers the
previous step's spikes. :func:`simulate_float` runs
exactly these equations in float64 (the ``float`` backend).

Mapping onto the core (:func:`to_core`), per neuron node; j indexes the node's neurons
------------------------------------------------------------------------------------------------
Normalise the membrane: ``u_j = (v_j - v_leak_j) / theta_j`` with ``theta_j = v_threshold_j -
v_leak_j`` (> 0; for LI/CubaLI ``theta_j = k r_j``, for Threshold ``theta_j = threshold_j`` and
``v_leak = 0``). Then ``u' = a u + g_j I`` with ``g_j = k r_j w_in_j / theta_j`` (IF: ``dt r_j /
theta_j``, ``a = 1``; Threshold: ``1 / theta_j``, ``a = 0``) and the neuron fires when ``u > 1``,
resetting to ``u_reset_j = (v_reset_j - v_leak_j) / theta_j`` (``reset="subtract"``: ``u -= 1``,
the core layer's ``LIFParams.reset_mode = "subtract"``, ``v -= v_th`` in membrane LSBs).
Per-neuron thresholds, gains and resistances thus become column scales of the weights, which is
exact. What the core shares per layer must then be uniform over the node, or the import is
refused naming the parameter: the leak ``a`` (one decay per layer), ``u_reset``, ``u_init = -v_leak_j / theta_j`` and the bias
``g_j b_j`` (one ``LIFParams.bias`` per layer). CubaLIF/CubaLI: with ``a_s = 0`` (euler,
``tau_syn = dt``) the current is the input and the node is a LIF/LI with gain ``k_s w_in``;
otherwise the layer gets the core's synaptic current (``CoreLayer.syn_decay = round(a_s *
2**16)``, the current in membrane LSBs: ``syn = (syn * syn_decay >> 16) + i_exc - i_inh``, then
the membrane integrates ``syn``), ``tau_syn`` uniform over the node; its bias goes in as an
always-on weight row (below). A convolution's column gains must be uniform per output channel
(they scale its kernel). A recurrent map ``R_eff = R g`` becomes the
core's ``lateral`` when it is uniform lateral inhibition (``-c (1 - I)``, c >= 0, zero diagonal:
one constant, no extra synapses), otherwise the layer's recurrent crossbar (``w_rec_exc``/
``w_rec_inh``, the same level grid as the feed-forward weights; n_in + n_out <= 1024).

A bias into a synaptic current with memory (CubaLIF/CubaLI, ``a_s > 0``) is not a membrane bias (its
response to a constant is ``b (1 - a_s^(t+1)) / (1 - a_s)``): it becomes a weight row (``g b``,
quantised like a weight) from a source that spikes every step: an extra last core input for
layer 0 (``CoreMapping.const_input``, :meth:`CoreMapping.core_input` adds it), for layer k > 0 a
relay neuron appended to layer k - 1 (full weight from that layer's always-on row, threshold
``v_reset + 1`` via ``v_th_neuron``; checked to fire in every step; a lateral inhibition of that
layer moves into its recurrent crossbar). Exact: the same arithmetic as an explicit always-on
input (tested). Event counts (N-MNIST frames): :func:`to_core` ``max_count`` M repeats the first
layer's rows M times and :func:`expand_counts` spreads a count over the copies.

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

``weight_scale = "neuron"`` (opt-in) gives each column (a convolution: each output channel) its own
level grid for a spiking layer whose membrane starts and resets at 0 with no shared bias and no
lateral constant: ``W_eff[:, j] / s_j`` with ``s_j = max|W_eff[:, j]| / w_max`` (>= 1/16), and the
neuron's threshold ``floor(1 / (s_j lsb)) + 1`` in ``v_th_neuron``: exact in float (the membrane is
linear in its inputs), finer weights for the columns with small weights.

Errors this leaves (measured in docs/nir.md): weight rounding (half a level), the floor of the
leak ``(v * decay) >> 16`` (up to one LSB per step) and the threshold rounding (with
``reset="subtract"`` also in what a spike subtracts: ``v_th = floor(1/lsb) + 1`` LSBs for ``1/lsb``,
at most one LSB of the >= 2**13 of a threshold per spike).

``--device``: NIR fixes every neuron's dynamics, so a threshold-switch preset's calibration has
nothing to set here; the crossbar is ideal (device non-idealities belong to ``neuroxide digits``).

Export (:func:`export_graph`): each core layer becomes ``Affine`` (a conv layer: ``Conv2d`` with its
geometry and kernel, neurons shaped ``(C, H, W)``, a ``Flatten`` before a following ``Affine``;
per-neuron thresholds as ``v_threshold``) (weights ``(w_exc - w_inh) *
2**(adc_gain - adc_shift)``, bias the layer's bias) -> ``IF`` (no leak) or ``LIF`` (``tau = dt / (1 - a)``,
``r = tau / dt``) in LSB units (``v_threshold = v_th - 1/2``), or a ``CubaLIF`` (``tau_syn = dt /
(1 - a_s)``, ``w_in = tau_syn / dt``) for a layer with a synaptic current, plus a recurrent
``Linear`` for ``lateral`` and the recurrent block; a layer with input delays gets a ``Delay``
(``delay = d * dt``, the source's shape) on the spikes feeding it. Features NIR cannot state (subtract reset, ``v_init``, refractory steps, adaptation,
threshold noise, the ADC's floor) are listed in the graph's ``neuroxide_lossy`` metadata (a
subtract reset: run the file with ``reset="subtract"`` to get it in float), and each
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
from .nir_read import NEURON_PARAMS
from .snn import MAX_DELAY, CoreLayer, CoreNetwork, network_from_dict, network_to_dict

__all__ = ["NEURON_KINDS", "LINEAR_KINDS", "DISCRETISATIONS", "RESETS", "RESET_SUBTRACT_NOTE", "DEFAULT_DT",
           "DECAY_BITS", "DELAY_TOL", "FORMAT", "FloatLayer", "FloatNetwork", "read_graph", "parse_graph", "load", "simulate_float",
           "to_core", "CoreMapping", "export_graph", "write_graph", "agreement", "flatten_input", "expand_counts",
           "STATE_BITS", "size_state"]

NEURON_KINDS = ("LIF", "IF", "LI", "CubaLIF", "CubaLI", "Threshold")
SPIKING_KINDS = ("LIF", "IF", "CubaLIF", "Threshold")
LINEAR_KINDS = ("Affine", "Linear", "Scale", "Flatten", "Identity", "Conv1d", "Conv2d", "SumPool2d", "AvgPool2d")
DISCRETISATIONS = ("euler", "exp")
RESETS = ("value", "subtract")  # NIR's reset to v_reset, or (opt-in: NIR cannot state it) v -= v_threshold
RESET_SUBTRACT_NOTE = "reset by subtraction: v -= v_threshold after a spike; NIR itself states reset to v_reset"
RESETTING_KINDS = ("LIF", "IF", "CubaLIF")  # the neuron nodes a reset rule applies to (Threshold: stateless)
WEIGHT_SCALES = ("layer", "neuron")  # one weight level grid per layer, or per neuron (per-neuron thresholds)
DEFAULT_DT = 1e-3
DECAY_BITS = 16
MEMBRANE_BITS = 14  # the threshold is resolved to at least 2**13 membrane LSBs (adc_gain)
FORMAT = "neuroxide-nir-core/1"
DELAY_TOL = 1e-3    # a Delay's delay / dt may miss a whole step count by this many steps (float rounding)
_WHY_UNSUPPORTED = {
    "I": "a pure integrator emits no spikes and has no leak; use IF or LI",
}


@dataclass
class FloatLayer:
    """One neuron node of the chain: its input map and its per-neuron NIR parameters.

    ``weight`` ``(n_in, n_out)`` (a numpy array, or a ``scipy.sparse`` matrix for a convolution)
    and ``bias`` ``(n_out,)``: the composed affine map from the feeding layer (or Input); ``conv``:
    None, or ``(ConvGeometry, kernel)`` when that map is one weight-shared convolution (``weight`` is
    then its unrolled matrix); ``rec`` ``(n_out, n_out)`` or None: from this node's own previous
    spikes; ``params``: NIR parameter name -> float64 ``(n_out,)``; ``shape``: the node's neuron
    shape (``(C, H, W)`` after a convolution); ``delay``: None, or int64 ``(n_in,)`` steps per input
    row (the ``Delay`` nodes on the way from the feeding layer: row i's input of step t is the
    source's output of step ``t - delay[i]``, 0 before step 0).
    """

    name: str
    kind: str
    weight: object
    bias: np.ndarray
    rec: np.ndarray | None
    params: dict
    metadata: dict = field(default_factory=dict)
    conv: tuple | None = None
    shape: tuple | None = None
    delay: np.ndarray | None = None

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
    """The chain of neuron nodes of a NIR graph with its discretisation (module docstring).

    ``dt_rule`` says where ``dt`` came from (``--dt``, the file, discrete-time IF, the default);
    ``reset``: ``"value"`` (NIR's reset to ``v_reset``) or ``"subtract"`` (``v -= v_threshold``,
    opt-in; module docstring); ``notes`` lists the rules applied to this file (one line each: the
    CLI prints them) and
    ``repairs`` what the tolerant reader repaired (:mod:`neuroxide.models.nir_read`).
    """

    layers: list
    input_shape: tuple
    dt: float
    discretisation: str
    metadata: dict = field(default_factory=dict)
    dt_rule: str = "given"
    notes: list = field(default_factory=list)
    repairs: list = field(default_factory=list)
    reset: str = "value"

    @property
    def n_in(self):
        return int(np.prod(self.input_shape))

    @property
    def n_out(self):
        return self.layers[-1].n_out


# --- reading ------------------------------------------------------------------------------------

def read_graph(path):
    """``(graph, repairs)``: the tolerant reader (:func:`neuroxide.models.nir_read.read`), with an
    unsupported node type named when that is what the file holds."""
    from .nir_read import read
    try:
        return read(path)
    except ParameterError as e:
        if e.field == "path" and e.why and "no such file" in e.why:
            raise
        _scan_types(path)  # name an unsupported node if that is what the reader choked on
        raise


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




def _param_shape(node):
    """The neuron shape a neuron node's parameters state (the largest), or None when every
    parameter is one value (shape ``()`` or ``(1,)``: the size comes from the fan-in)."""
    shapes = [np.asarray(getattr(node, p)).shape for p in NEURON_PARAMS[_kind(node)] if getattr(node, p, None) is not None]
    big = [s for s in shapes if int(np.prod(s)) > 1]
    return max(big, key=lambda s: int(np.prod(s))) if big else None


def _neuron_params(name, node, n):
    raw = {p: getattr(node, p) for p in NEURON_PARAMS[_kind(node)]}
    params = {p: _vec(name, p, v, n) for p, v in raw.items()}
    if "tau_mem" in params:
        params["tau"] = params.pop("tau_mem")
    for p in ("tau", "tau_syn"):
        if p in params and not np.all(params[p] > 0):
            raise ParameterError(f"node {name!r}.{p}", float(params[p].min()), "> 0 seconds")
    return params


def _pair(name, field_name, value, dims):
    v = np.asarray(value).reshape(-1)
    if v.size == 1:
        v = np.repeat(v, dims)
    if v.size != dims or v.dtype.kind not in "iu":
        raise ParameterError(f"node {name!r}.{field_name}", value.tolist() if hasattr(value, "tolist") else value,
                             f"an integer or {dims} integers")
    return [int(x) for x in v]


def _spatial(name, node, shape, dims, kernel_hint=None):
    """``(C_in, H, W)`` of the values fed to a conv/pool node: its input ``shape`` when that has
    ``dims`` spatial axes, else a flat input reshaped by the node's ``input_shape``."""
    shape = tuple(int(d) for d in shape)
    if len(shape) == dims + 1:
        c, size = shape[0], list(shape[1:])
    else:
        given = getattr(node, "input_shape", None)
        if given is None:
            raise ParameterError(f"node {name!r}.input_shape", None, "the spatial input shape",
                                 why=f"its input is flat ({shape}); the node does not say its image size")
        size = _pair(name, "input_shape", np.asarray(given), dims)
        width = int(np.prod(shape))
        if width % int(np.prod(size)):
            raise ParameterError(f"node {name!r}.input_shape", size, f"a size dividing its {width} input values")
        c = width // int(np.prod(size))
    return (c, 1, size[0]) if dims == 1 else (c, size[0], size[1])


def _conv_geometry(name, node, shape):
    """``(ConvGeometry, kernel float64 (C_out, C_in/groups, kH, kW), bias (C_out,))`` of a
    Conv1d/Conv2d node fed values of ``shape``; padding ``'same'``/``'valid'`` resolved (an
    asymmetric 'same' padding is refused: the core pads symmetrically)."""
    from .snn_conv import ConvGeometry
    w = np.asarray(node.weight, dtype=np.float64)
    dims = w.ndim - 2
    if dims not in (1, 2):
        raise ParameterError(f"node {name!r}.weight", f"shape {w.shape}", "(C_out, C_in/groups, k) or (C_out, C_in/groups, kH, kW)")
    if not np.all(np.isfinite(w)):
        raise ParameterError(f"node {name!r}.weight", "non-finite values", "finite floats")
    c_in, *_ = in_shape = _spatial(name, node, shape, dims)
    groups = int(np.asarray(node.groups).reshape(-1)[0])
    if groups < 1 or w.shape[0] % groups or c_in != w.shape[1] * groups:
        raise ParameterError(f"node {name!r}.groups", groups, f"a divisor of C_out = {w.shape[0]} with C_in = "
                             f"{w.shape[1]} x groups", why=f"its input has {c_in} channels")
    stride = _pair(name, "stride", np.asarray(node.stride), dims)
    dil = _pair(name, "dilation", np.asarray(node.dilation), dims)
    kern = list(w.shape[2:])
    pad_text = node.padding.decode() if isinstance(node.padding, bytes) else node.padding
    if isinstance(pad_text, str) and pad_text in ("same", "valid"):
        tot = [0] * dims if pad_text == "valid" else [d * (k - 1) for d, k in zip(dil, kern)]
        if any(t % 2 for t in tot):
            raise ParameterError(f"node {name!r}.padding", "same", "a symmetric padding",
                                 why="an even kernel span pads one side more; the core pads both sides equally")
        pad = [t // 2 for t in tot]
    else:
        pad = _pair(name, "padding", np.asarray(pad_text), dims)
    if dims == 1:
        stride, pad, dil, w = [1] + stride, [0] + pad, [1] + dil, w[:, :, None, :]
    try:
        geom = ConvGeometry(in_shape=in_shape, out_channels=w.shape[0], kernel=tuple(w.shape[2:]), stride=tuple(stride),
                            padding=tuple(pad), dilation=tuple(dil), groups=groups)
    except ParameterError as e:
        raise ParameterError(f"node {name!r}.{e.field}", e.value, e.allowed, why=e.why) from None
    bias = _vec(name, "bias", node.bias if getattr(node, "bias", None) is not None else 0.0, w.shape[0])
    return geom, w, bias


def _pool_geometry(name, node, shape):
    """SumPool2d / AvgPool2d fed ``shape`` -> ``(ConvGeometry, kernel, None)``: the depthwise
    convolution with an all-ones kernel (AvgPool2d: all 1/(kH kW))."""
    from .snn_conv import ConvGeometry
    c, h, w = _spatial(name, node, shape, 2)
    k = _pair(name, "kernel_size", np.asarray(node.kernel_size), 2)
    s = _pair(name, "stride", np.asarray(node.stride), 2)
    p = _pair(name, "padding", np.asarray(node.padding), 2)
    if _kind(node) == "AvgPool2d" and any(p):
        raise ParameterError(f"node {name!r}.padding", p, "0", why="an average over a padded window is not one kernel")
    try:
        geom = ConvGeometry(in_shape=(c, h, w), out_channels=c, kernel=tuple(k), stride=tuple(s), padding=tuple(p),
                            groups=c)
    except ParameterError as e:
        raise ParameterError(f"node {name!r}.{e.field}", e.value, e.allowed, why=e.why) from None
    value = 1.0 if _kind(node) == "SumPool2d" else 1.0 / (k[0] * k[1])
    return geom, np.full(geom.kernel_shape, value), None


class _Map:
    """A linear map from one source's flattened output to a node's output, of output ``shape``:
    the identity (``ident``), a convolution (``conv`` geometry + ``kernel``; ``pool`` when it is a
    plain non-overlapping pooling), or a matrix ``mat`` (numpy or scipy.sparse, ``(n_src, width)``)."""

    def __init__(self, shape, mat=None, conv=None, kernel=None, ident=False, pool=False, delay=None):
        self.shape, self.mat, self.conv, self.kernel, self.ident, self.pool = tuple(shape), mat, conv, kernel, ident, pool
        self.delay = delay   # None, or int (n_src,): steps from each source element (a Delay on the path)

    def with_delay(self, delay):
        return _Map(self.shape, self.mat, self.conv, self.kernel, self.ident, self.pool, delay)

    def elementwise(self):
        """True when the map is the identity or a diagonal (Scale) on the source's elements (a
        delay then commutes with it, element for element)."""
        if self.ident:
            return True
        if self.conv is not None or self.mat is None or self.mat.shape[0] != self.mat.shape[1]:
            return False
        import scipy.sparse as sp
        mat = sp.coo_matrix(self.mat)
        return bool(np.all(mat.row[mat.data != 0] == mat.col[mat.data != 0]))

    @property
    def width(self):
        return int(np.prod(self.shape))

    def matrix(self):
        import scipy.sparse as sp

        from .snn_conv import unrolled_sparse
        if self.ident:
            return sp.identity(self.width, format="csr")
        if self.conv is not None:
            return unrolled_sparse(self.conv, self.kernel, np.float64)
        return self.mat

    def reshaped(self, shape):
        return _Map(shape, self.mat, self.conv, self.kernel, self.ident, self.pool, self.delay)


def _dense_or_sparse(m):
    """A matrix product result kept sparse only where that saves memory."""
    import scipy.sparse as sp
    if sp.issparse(m) and m.shape[0] * m.shape[1] <= 1 << 20:
        return m.toarray()
    return m


def _add_maps(a, b, name="", src=""):
    if a.shape != b.shape and a.width != b.width:
        raise AssertionError((a.shape, b.shape))
    da = np.zeros(1, np.int64) if a.delay is None else a.delay
    db = np.zeros(1, np.int64) if b.delay is None else b.delay
    if not np.array_equal(np.broadcast_to(da, np.broadcast_shapes(da.shape, db.shape)),
                          np.broadcast_to(db, np.broadcast_shapes(da.shape, db.shape))):
        raise ParameterError(f"node {name!r}", f"two paths from {src!r} with different delays",
                             "one delay per source neuron on every path into a node",
                             why="the core delays a spike once, at its source (a delay line per layer input)")
    import scipy.sparse as sp
    m = a.matrix() + b.matrix()
    return _Map(a.shape, _dense_or_sparse(sp.csr_matrix(m) if sp.issparse(m) else m), delay=a.delay)


def _compose_pool_conv(pool, geom, kernel):
    """A plain pooling (kernel = stride, no padding, image divisible by it) followed by a
    convolution -> one convolution on the unpooled image: each kernel tap repeated over the pool
    window (times the pool's value), stride and padding multiplied by the pool size, dilation
    spread into the kernel (module docstring). None when the pooling is not plain."""
    from .snn_conv import ConvGeometry
    pg = pool.conv
    kp = pg.kernel
    c, h, w = pg.in_shape
    if pg.stride != kp or any(pg.padding) or h % kp[0] or w % kp[1]:
        return None
    value = float(pool.kernel.reshape(-1)[0])
    co, cig, kh, kw = kernel.shape
    dh, dw = geom.dilation
    big = np.zeros((co, cig, (kh - 1) * dh * kp[0] + kp[0], (kw - 1) * dw * kp[1] + kp[1]))
    for a in range(kh):
        for b in range(kw):
            y0, x0 = a * dh * kp[0], b * dw * kp[1]
            big[:, :, y0:y0 + kp[0], x0:x0 + kp[1]] = kernel[:, :, a:a + 1, b:b + 1] * value
    g = ConvGeometry(in_shape=(c, h, w), out_channels=co, kernel=big.shape[2:],
                     stride=(geom.stride[0] * kp[0], geom.stride[1] * kp[1]),
                     padding=(geom.padding[0] * kp[0], geom.padding[1] * kp[1]), groups=geom.groups)
    assert g.out_shape == geom.out_shape, (g.out_shape, geom.out_shape)
    return g, big


def _apply(name, node, m, bias):
    """``(map', bias')`` of linear node ``name`` applied to the map ``m`` (and to the summed bias
    vector ``bias`` of its input, or None)."""
    import scipy.sparse as sp
    kind = _kind(node)
    if kind in ("Identity", "Input", "Output"):
        return m, bias
    if kind == "Flatten":
        return m.reshaped((m.width,)), bias
    if kind in ("Affine", "Linear"):
        w = np.asarray(node.weight, dtype=np.float64)
        if w.ndim != 2:
            raise ParameterError(f"node {name!r}.weight", f"shape {w.shape}", "a 2-D (n_out, n_in) matrix",
                                 why="batched weights do not map onto one crossbar")
        if w.shape[1] != m.width:
            raise ParameterError(f"node {name!r}.weight", f"shape {w.shape}", f"(n_out, {m.width})",
                                 why=f"its input carries {m.width} values")
        if not np.all(np.isfinite(w)):
            raise ParameterError(f"node {name!r}.weight", "non-finite values", "finite floats")
        mat = w.T.copy() if m.ident else m.matrix() @ w.T
        mat = np.asarray(mat.toarray() if sp.issparse(mat) else mat)
        out_bias = None if bias is None else bias @ w.T
        if kind == "Affine":
            b = _vec(name, "bias", node.bias, w.shape[0])
            out_bias = b if out_bias is None else out_bias + b
        return _Map((w.shape[0],), mat), out_bias
    if kind == "Scale":
        s = _vec(name, "scale", node.scale, m.width)
        if m.ident:
            mat = sp.diags(s, format="csr")
        else:
            base = m.matrix()
            mat = sp.csr_matrix(base.multiply(s[None, :])) if sp.issparse(base) else base * s
        return _Map(m.shape, _dense_or_sparse(mat)), None if bias is None else bias * s
    if kind in ("Conv1d", "Conv2d", "SumPool2d", "AvgPool2d"):
        pool = kind in ("SumPool2d", "AvgPool2d")
        geom, kernel, cbias = (_pool_geometry if pool else _conv_geometry)(name, node, m.shape)
        new = None
        if m.ident:
            new = _Map(geom.out_shape, conv=geom, kernel=kernel,
                       pool=pool and geom.stride == geom.kernel and not any(geom.padding))
        elif m.pool and not pool:
            composed = _compose_pool_conv(m, geom, kernel)
            if composed is not None:
                new = _Map(geom.out_shape, conv=composed[0], kernel=composed[1])
        if new is None:  # anything else: the product of the unrolled maps (a dense/sparse crossbar)
            from .snn_conv import unrolled_sparse
            mat = m.matrix() @ unrolled_sparse(geom, kernel, np.float64)
            new = _Map(geom.out_shape, _dense_or_sparse(sp.csr_matrix(mat) if sp.issparse(mat) else mat))
        out_bias = None
        if bias is not None:
            from .snn_conv import unrolled_sparse
            out_bias = np.asarray(unrolled_sparse(geom, kernel, np.float64).T @ bias).reshape(-1)
        if cbias is not None and np.any(cbias):
            per = np.repeat(cbias, geom.n_out // geom.out_channels)
            out_bias = per if out_bias is None else out_bias + per
        return new, out_bias
    raise AssertionError(kind)


def _input_shape(name, node, nodes, edges, notes):
    """The Input's shape, a leading batch axis dropped (with a note) when the nodes it feeds
    expect the remaining axes (or it is a batch of one)."""
    shape = tuple(int(d) for d in np.asarray(node.input_type["input"]).reshape(-1))
    if not shape or min(shape) < 1:
        raise ParameterError(f"node {name!r}.shape", shape, "positive dimensions")
    if len(shape) < 2:
        return shape
    expect = set()
    for a, b in edges:
        if a != name:
            continue
        nxt = nodes[b]
        k = _kind(nxt)
        if k in ("Affine", "Linear"):
            expect.add(int(np.asarray(nxt.weight).shape[-1]))
        elif k in ("Conv1d", "Conv2d"):
            w = np.asarray(nxt.weight)
            expect.add(len(shape) - 1 if len(shape) - 1 == w.ndim - 1 else -1)
    rest = shape[1:]
    drop = False
    if shape[0] == 1:
        drop = True
    elif expect and all(e == int(np.prod(rest)) or e == len(rest) for e in expect) and int(np.prod(shape)) not in expect:
        drop = True
    if drop:
        notes.append(f"node {name!r}: Input shape {shape} read as a leading batch axis of {shape[0]} over {rest}")
        return rest
    return shape


def _choose_dt(dt, meta, neuron_kinds):
    """``(dt, rule)``: ``--dt``; else the file's ``metadata['dt']``; else, when every neuron node
    is IF (no time constant: Sinabs' IAF and other discrete-time exports), dt = 1 so that
    ``v += r I`` per step; else DEFAULT_DT."""
    if dt is not None:
        return dt, "--dt"
    if "dt" in meta:
        return float(np.asarray(meta["dt"]).reshape(-1)[0]), "the file's metadata"
    if neuron_kinds and all(k == "IF" for k in neuron_kinds):
        return 1.0, ("no dt in the file and every neuron node is IF: discrete time, dt = 1 "
                     "(Sinabs' IAF semantics, v += r I per step)")
    return DEFAULT_DT, f"no dt in the file: the default {DEFAULT_DT:g} s"


def _check_subtract(layers):
    """``reset="subtract"`` needs ``v_reset = 0`` and ``v_leak = 0`` on every node it resets
    (module docstring); a ParameterError naming the node's field otherwise."""
    for la in layers:
        if la.kind not in RESETTING_KINDS:
            continue
        for pname, why in (("v_reset", "a reset by subtraction has no reset value, and the file states a reset to a "
                                       "non-zero one"),
                           ("v_leak", "v -= v_threshold is the core's subtraction of its threshold above the leak "
                                      "potential only for v_leak = 0")):
            vals = la.params.get(pname)
            if vals is not None and np.any(vals != 0.0):
                bad = float(vals[np.argmax(np.abs(vals))])
                raise ParameterError(f"node {la.name!r}.{pname}", bad, "0 with reset 'subtract'", why=why)


def _delay_steps(name, node, dt, width):
    """A Delay node's ``delay`` (seconds) as int64 steps ``d = floor(delay / dt + 1/2)`` per element:
    each within DELAY_TOL steps of a whole step count, in ``0..MAX_DELAY`` (ParameterError naming the
    node's field otherwise)."""
    raw = np.asarray(node.delay, dtype=np.float64).reshape(-1)
    field_name = f"node {name!r}.delay"
    if raw.size == 1 and width > 1:
        raw = np.full(width, raw[0])
    if raw.size != width:
        raise ParameterError(field_name, f"{raw.size} values", f"{width} (one per element of its input)")
    top = f"0..{MAX_DELAY * dt:g} s, a whole number of steps of dt = {dt:g} s (0..{MAX_DELAY} steps)"
    if not np.all(np.isfinite(raw)):
        raise ParameterError(field_name, "non-finite values", top)
    if raw.min() < 0:
        raise ParameterError(field_name, float(raw.min()), top, why="a negative delay would need the future")
    steps = raw / dt
    d = np.floor(steps + 0.5)
    off = np.abs(steps - d)
    if off.max() > DELAY_TOL:
        i = int(np.argmax(off))
        raise ParameterError(field_name, float(raw[i]), top,
                             why=f"{steps[i]:.6g} steps of dt = {dt:g} s is not within {DELAY_TOL:g} of a whole "
                                 f"step count; the core delays by whole steps (pass --dt to match)")
    if d.max() > MAX_DELAY:
        raise ParameterError(field_name, float(raw.max()), top,
                             why=f"{int(d.max())} steps; the core's delay line holds {MAX_DELAY + 1} slots")
    return d.astype(np.int64)


def _delay_terms(name, node, terms, bias, in_shape, dt, notes):
    """``(terms, bias)`` of a ``Delay`` node: its input maps from each source with the node's delay
    added per source element (module docstring, "Delay")."""
    width = int(np.prod(in_shape))
    d = _delay_steps(name, node, dt, width)
    if bias is not None and np.any(bias):
        raise ParameterError(f"node {name!r}", "a bias through a Delay", "a Delay on spikes or on a bias-free current",
                             why="a delayed bias is 0 for the first steps, which a delay of the source spikes "
                                 "cannot state; put the Delay before the Affine")
    out = {}
    for src, m in terms.items():
        n_src = m.width if m.ident else (m.conv.n_in if m.conv is not None else int(m.mat.shape[0]))
        if m.elementwise():
            per_src = d.copy()
        elif np.all(d == d[0]):
            per_src = np.full(n_src, d[0], dtype=np.int64)
            if d[0]:
                notes.append(f"node {name!r}: a uniform delay of {int(d[0])} step(s) on an input current, mapped as "
                             f"the same delay of every spike of {src!r} (exact: the map before it is linear and "
                             f"bias-free)")
        else:
            raise ParameterError(f"node {name!r}.delay", f"{int(d.min())}..{int(d.max())} steps across its elements",
                                 "one delay for the whole node, or a Delay on spikes (right after a neuron node or "
                                 "the Input)",
                                 why="a per-element delay of a summed input current is not a delay per source neuron, "
                                     "which is what the core's delay line holds")
        total = per_src if m.delay is None else m.delay + per_src
        if total.max() > MAX_DELAY:
            raise ParameterError(f"node {name!r}.delay", int(total.max()), f"0..{MAX_DELAY} steps in all",
                                 why=f"Delay nodes in series add up; the core's delay line holds {MAX_DELAY + 1} slots")
        out[src] = m.with_delay(total)
    if d.any():
        notes.append(f"node {name!r}: delays of {int(d.min())}..{int(d.max())} steps (round(delay / dt), dt = {dt:g} s)")
    return out, bias


def parse_graph(graph, dt=None, discretisation="euler", repairs=(), reset="value"):
    """A NIR graph -> :class:`FloatNetwork` (module docstring's graph rules), or ParameterError.
    ``reset``: ``"value"`` (NIR's semantics) or ``"subtract"`` (``v -= v_threshold`` after a spike,
    what NIR cannot state; opt-in)."""
    if discretisation not in DISCRETISATIONS:
        raise ParameterError("discretisation", discretisation, " | ".join(DISCRETISATIONS))
    if reset not in RESETS:
        raise ParameterError("reset", reset, " | ".join(RESETS))
    meta = dict(getattr(graph, "metadata", None) or {})
    nodes, edges, passthrough = _flatten_graph(graph)
    for name, node in nodes.items():
        kind = _kind(node)
        if kind in _WHY_UNSUPPORTED:
            raise ParameterError(f"node {name!r}", kind, "Input, Output, Delay, " + ", ".join(LINEAR_KINDS + NEURON_KINDS),
                                 why=_WHY_UNSUPPORTED[kind])
        if kind not in ("Input", "Output", "Delay") + LINEAR_KINDS + NEURON_KINDS:
            raise ParameterError(f"node {name!r}", kind, "Input, Output, Delay, " + ", ".join(LINEAR_KINDS + NEURON_KINDS),
                                 why="unknown node type")
    dt, rule = _choose_dt(dt, meta, [_kind(v) for v in nodes.values() if _kind(v) in NEURON_KINDS])
    if isinstance(dt, bool) or not isinstance(dt, (int, float)) or not (math.isfinite(dt) and 0 < dt <= 1e3):
        raise ParameterError("dt", dt, "a time step in seconds, 0 < dt <= 1000")
    dt = float(dt)
    notes = [f"dt = {dt:g} s ({rule})"]
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
    shape = _input_shape(inp, nodes[inp], nodes, edges, notes)

    preds = {n: [] for n in nodes}
    for a, b in edges:
        preds[b].append(a)
    neurons = {n for n, v in nodes.items() if _kind(v) in NEURON_KINDS}
    shapes, params = {inp: shape}, {}
    for n in neurons:
        s = _param_shape(nodes[n])
        if s is not None:
            shapes[n] = s

    memo, visiting, used, sizing = {}, set(), set(), set()

    class _Unsized(Exception):
        pass

    def neuron_shape(n):
        if n in shapes:
            return shapes[n]
        if n in sizing:
            raise _Unsized(n)
        sizing.add(n)
        try:
            terms, _, m_shape = summed_input(n, skip_unsized=True)
        finally:
            sizing.discard(n)
        shapes[n] = m_shape
        if int(np.prod(m_shape)) > 1:
            notes.append(f"node {n!r}: one value per parameter, broadcast over its fan-in of "
                         f"{int(np.prod(m_shape))} neurons")
        return m_shape

    def source_terms(name):
        """Maps from sources (Input, neuron nodes) to the OUTPUT of ``name``:
        ``({source: _Map}, bias (width,) or None, shape)``."""
        used.add(name)
        if name == inp or name in neurons:
            s = shape if name == inp else neuron_shape(name)
            return {name: _Map(s, ident=True)}, None, s
        if name in memo:
            return memo[name]
        if name in visiting:
            raise ParameterError(f"node {name!r}", "a cycle through linear nodes only",
                                 "cycles that pass through a neuron node", why="an algebraic loop has no time step")
        visiting.add(name)
        try:
            terms, bias, in_shape = summed_input(name)
            new_terms, new_bias = {}, None
            if _kind(nodes[name]) == "Delay":
                new_terms, new_bias = _delay_terms(name, nodes[name], terms, bias, in_shape, dt, notes)
            for i, (s, m) in enumerate(terms.items() if _kind(nodes[name]) != "Delay" else ()):
                # the input bias goes through once, with the first term; a delay stays with its source
                m2, b2 = _apply(name, nodes[name], m, bias if i == 0 else None)
                new_terms[s] = m2 if m.delay is None else m2.with_delay(m.delay)
                if i == 0:
                    new_bias = b2
            width_shape = next(iter(new_terms.values())).shape
        finally:
            visiting.discard(name)
        memo[name] = (new_terms, new_bias, width_shape)
        return memo[name]

    def summed_input(name, skip_unsized=False):
        if not preds[name]:
            raise ParameterError(f"node {name!r}", "no incoming edge", "a node fed by the Input through the chain",
                                 why="missing edge")
        terms, bias, s_shape = {}, None, None
        for p in preds[name]:
            try:
                t, b, s = source_terms(p)
            except _Unsized:
                if skip_unsized:
                    continue
                raise
            if s_shape is not None and int(np.prod(s)) != int(np.prod(s_shape)):
                raise ParameterError(f"node {name!r}", f"inputs of widths {int(np.prod(s_shape))} and {int(np.prod(s))}",
                                     "edges of equal width")
            s_shape = s if s_shape is None or len(s) > len(s_shape) else s_shape
            for src, m in t.items():
                terms[src] = _add_maps(terms[src], m, name, src) if src in terms else m
            if b is not None:
                bias = b if bias is None else bias + b
        if s_shape is None:
            raise ParameterError(f"node {name!r}", "no input of known width", "a node fed by the Input")
        return terms, bias, s_shape

    inputs = {}
    for n in sorted(neurons):
        used.add(n)
        n_shape = neuron_shape(n)
        terms, bias, in_shape = summed_input(n)
        width = int(np.prod(in_shape))
        size = int(np.prod(n_shape))
        if width != size:
            raise ParameterError(f"node {n!r}", f"{size} neurons fed {width} values",
                                 f"an input of width {size}", why="shape mismatch")
        if len(in_shape) > len(n_shape):
            shapes[n] = n_shape = in_shape
        params[n] = _neuron_params(n, nodes[n], size)
        feed = sorted(set(terms) - {n})
        if len(feed) != 1:
            raise ParameterError(f"node {n!r}", f"inputs from {feed}", "exactly one feeding layer (or Input)",
                                 why="the core's layers form one feed-forward chain; only a layer's own previous "
                                     "spikes may feed back (as uniform lateral inhibition)")
        if n in terms and terms[n].delay is not None:
            raise ParameterError(f"node {n!r}", "a Delay on its recurrent edge", "recurrent edges without a Delay",
                                 why="the core's recurrent crossbar takes the layer's spikes of the previous step; "
                                     "its delay line is on the feed-forward input only")
        inputs[n] = (feed[0], terms[feed[0]], np.zeros(width) if bias is None else np.asarray(bias, dtype=np.float64),
                     terms.get(n))
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
    if out_terms[last].delay is not None:
        delayed = [v for v in nodes if _kind(nodes[v]) == "Delay" and v in used]
        raise ParameterError(f"node {(delayed or [out])[0]!r}", "a Delay between the last layer and the Output",
                             "Delay nodes before an Affine/Linear/Conv or a neuron node",
                             why="the core delays spikes on their way into a layer; the output spikes leave at once")
    if not out_terms[last].ident or (out_bias is not None and np.any(out_bias)):
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
        feed, m, b, rec = inputs[n]
        if rec is not None:
            rec = rec.matrix()
            rec = np.asarray(rec.toarray() if hasattr(rec, "toarray") else rec, dtype=np.float64)
        conv = (m.conv, m.kernel) if m.conv is not None else None
        w = m.matrix()
        if not hasattr(w, "toarray") or (conv is None and w.shape[0] * w.shape[1] <= 1 << 22):
            w = np.asarray(w.toarray() if hasattr(w, "toarray") else w, dtype=np.float64)
        layers.append(FloatLayer(n, _kind(nodes[n]), w, b, rec, params[n], dict(nodes[n].metadata or {}), conv,
                                 tuple(shapes[n]), None if m.delay is None or not m.delay.any() else m.delay))
    if reset == "subtract":
        _check_subtract(layers)
        notes.append(RESET_SUBTRACT_NOTE)
    net = FloatNetwork(layers, shape, dt, discretisation, meta, rule, notes, list(repairs), reset)
    for layer in layers:
        _discrete(net, layer)  # stability checks now
    return net


def load(path, dt=None, discretisation="euler", reset="value"):
    """Read (tolerantly: :mod:`neuroxide.models.nir_read`) and parse a NIR file -> :class:`FloatNetwork`."""
    if reset not in RESETS:  # before reading the file
        raise ParameterError("reset", reset, " | ".join(RESETS))
    graph, repairs = read_graph(path)
    return parse_graph(graph, dt, discretisation, repairs, reset)


# --- float NIR semantics ------------------------------------------------------------------------

def _leak(net, tau, name, pname, r=None):
    """``(a, k)`` of ``tau dv/dt = -v + ...`` at ``net.dt`` (module docstring)."""
    if net.discretisation == "euler":
        a = 1.0 - net.dt / tau
        if np.any(a < -1e-12):
            why = "forward Euler with dt > tau overshoots; pass a smaller --dt or --discretisation exp"
            if getattr(net, "dt_rule", "").startswith("no dt"):
                why += f"; the file has no dt, so the default {net.dt:g} s was used"
            if r is not None and np.all(r > 0):
                guess = np.unique(np.round(tau / r, 12))
                if guess.size == 1 and guess[0] <= float(tau.min()):
                    why += (f"; r = tau / dt (snnTorch's export convention) would mean dt = {guess[0]:.6g} s")
            raise ParameterError(f"node {name!r}.{pname}", float(tau.min()), f">= dt = {net.dt:g} s", why=why)
        a = np.maximum(a, 0.0)
        return a, net.dt / tau
    a = np.exp(-net.dt / tau)
    return a, 1.0 - a


def _discrete(net, layer):
    """Per-neuron discrete coefficients of ``layer``: dict of arrays (a, gain, a_s, k_s, ...)."""
    p, kind, n = layer.params, layer.kind, layer.n_out
    d = {"a_s": None}
    if kind in ("LIF", "LI", "CubaLIF", "CubaLI"):
        a, k = _leak(net, p["tau"], layer.name, "tau", p.get("r"))
        d.update(a=a, gain=k * p["r"], v_leak=p["v_leak"])
    elif kind == "IF":
        d.update(a=np.ones(n), gain=net.dt * p["r"], v_leak=np.zeros(n))
    else:  # Threshold
        d.update(a=np.zeros(n), gain=np.ones(n), v_leak=np.zeros(n))
    if kind in ("CubaLIF", "CubaLI"):
        d["a_s"], d["k_s"] = _leak(net, p["tau_syn"], layer.name, "tau_syn", p.get("w_in"))
        d["w_in"] = p["w_in"]
    if kind in ("LIF", "IF", "CubaLIF"):
        d.update(v_th=p["v_threshold"], v_reset=p["v_reset"])
    elif kind == "Threshold":
        d.update(v_th=p["threshold"], v_reset=np.zeros(n))
    return d


def flatten_input(net, spikes, max_count=1):
    """Input ``(steps, n_in)``, ``(steps, batch, n_in)`` or ``(steps, batch, *input_shape)`` (and
    ``(steps, *input_shape)``: one sample) -> int8 ``(steps, batch, n_in)`` event counts in
    ``0..max_count`` (1: spikes); anything else is a ParameterError."""
    s = np.asarray(spikes)
    if s.dtype.kind not in "iub" and not (s.dtype.kind == "f" and np.all(s == np.round(s))):
        raise ParameterError("spikes", s.dtype.name, "0/1 spikes or event counts (bool, integer or whole floats)")
    if s.size and (s.min() < 0 or s.max() > max_count):
        raise ParameterError("spikes", float(s.max() if s.max() > max_count else s.min()),
                             f"0..{max_count} events per input and step" + (" (spikes)" if max_count == 1 else ""))
    n = net.n_in
    shape = tuple(net.input_shape)
    if s.ndim == 2 and s.shape[1] == n:
        s = s[:, None, :]
    elif s.ndim >= 2 and tuple(s.shape[1:]) == shape and len(shape) > 1:
        s = s.reshape(s.shape[0], 1, n)
    elif s.ndim >= 3 and int(np.prod(s.shape[2:])) == n and (s.ndim == 3 or tuple(s.shape[2:]) == shape):
        s = s.reshape(s.shape[0], s.shape[1], n)
    else:
        raise ParameterError("spikes", f"shape {s.shape}",
                             f"(steps, {n}), (steps, batch, {n}), (steps, *{shape}) or (steps, batch, *{shape})")
    if s.shape[0] < 1 or s.shape[1] < 1:
        raise ParameterError("spikes", f"shape {s.shape}", "at least one step and one sample")
    return s.astype(bool) if max_count == 1 else s.astype(np.int16)


def expand_counts(counts, copies):
    """Event counts ``(steps, batch, n_in)`` in 0..copies -> 0/1 spikes ``(steps, batch, copies *
    n_in)``: copy m of input i (index ``m * n_in + i``) spikes when the count exceeds m. With the
    first layer's rows repeated per copy (:func:`to_core` ``max_count``) the core sums exactly the
    counts."""
    c = np.asarray(counts)
    if copies == 1:
        return c.astype(bool)
    return np.concatenate([c > m for m in range(copies)], axis=-1)


def _mm(x, w):
    """``x @ w`` for a numpy or scipy.sparse ``w``."""
    if hasattr(w, "toarray"):
        return np.asarray((w.T @ x.T).T)
    return x @ w


def simulate_float(net, in_spikes, progress=None, max_count=1):
    """Run the float NIR semantics (module docstring) over ``in_spikes`` ``(steps, batch, n_in)``
    (0/1 spikes, or event counts up to ``max_count``: the input term is ``W x`` either way).

    Returns ``{"spikes": [per layer bool (steps, batch, n_out)], "v": float (steps, batch, n_out) of
    the last layer (its membrane after the step, before a reset is visible only for LI)}``.
    """
    s = flatten_input(net, in_spikes, max_count)
    steps, batch = s.shape[:2]
    coef = [_discrete(net, layer) for layer in net.layers]
    subtract = net.reset == "subtract"
    v = [np.zeros((batch, la.n_out)) for la in net.layers]
    i_syn = [np.zeros((batch, la.n_out)) for la in net.layers]
    prev = [np.zeros((batch, la.n_out)) for la in net.layers]
    spikes = [np.zeros((steps, batch, la.n_out), dtype=bool) for la in net.layers]
    v_out = np.zeros((steps, batch, net.n_out))
    # Delay: each delayed layer keeps its input of the last max(delay) + 1 steps (zeros before step 0)
    hist = [None if la.delay is None else np.zeros((int(la.delay.max()) + 1, batch, la.n_in)) for la in net.layers]
    for t in range(steps):
        x = s[t].astype(np.float64)
        for k, (la, c) in enumerate(zip(net.layers, coef)):
            if hist[k] is not None:   # row i reads its source's output of step t - delay[i]
                depth = hist[k].shape[0]
                hist[k][t % depth] = x
                x = hist[k][(t - la.delay) % depth, :, np.arange(la.n_in)].T
            cur = _mm(x, la.weight) + la.bias
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
                    v[k] = np.where(z, v[k] - c["v_th"] if subtract else c["v_reset"], v[k])
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
    max_count: int = 1
    const_input: bool = False

    def core_input(self, spikes):
        """The core's 0/1 input events for NIR input ``spikes`` (``(steps, batch, n_in)`` spikes or
        counts): counts spread over ``max_count`` copies (:func:`expand_counts`), then the always-on
        channel when a layer takes a bias into its synaptic current."""
        s = expand_counts(spikes, self.max_count)
        if self.const_input:
            s = np.concatenate([s, np.ones(s.shape[:2] + (1,), dtype=bool)], axis=-1)
        return s

    def node_counts(self, k, counts):
        """Layer k's core counts ``(..., n_out)`` restricted to the NIR node's neurons (a bias relay
        neuron dropped)."""
        return np.asarray(counts)[..., :self.layers[k].get("n_node", self.network.layers[k].n_out)]

    def v_float(self, k, v_core):
        """Core membrane ``v_core`` (int, ``(..., n_out)``) of layer k in the NIR node's volts."""
        info = self.layers[k]
        return np.asarray(info["v_leak"]) + np.asarray(info["theta"]) * (np.asarray(v_core) * info["lsb"])

    def to_dict(self):
        return {"format": FORMAT, "network": network_to_dict(self.network), "exact_from_metadata": self.exact,
                "max_count": self.max_count, "const_input": self.const_input,
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


def _layer_to_core(net, layer, weight_bits, copies=1, const_row=False, relay=False, weight_scale="layer"):
    """One core layer (module docstring). ``copies``: input rows repeated per event count;
    ``const_row``: the last input row is an always-on source (the Input's extra channel, or the
    previous layer's relay neuron) that carries a bias into the synaptic current; ``relay``: add
    one neuron that fires every step (it feeds the next layer's ``const_row``); ``weight_scale``:
    ``layer`` (one level grid) or ``neuron`` (one grid per column, the thresholds scaled with it)."""
    c = _discrete(net, layer)
    n = layer.n_out
    gain = c["gain"].copy()
    a_syn, syn_bias = None, False
    if c["a_s"] is not None:
        gain = gain * c["k_s"] * c["w_in"]
        if np.any(c["a_s"] > 1e-12):  # synaptic memory: the core layer's synaptic current (syn_decay)
            a_syn = _uniform(layer, "tau_syn", c["a_s"])
            syn_bias = bool(np.any(layer.bias))
            if syn_bias and (not const_row or layer.conv is not None):
                raise ParameterError(f"node {layer.name!r}", "a bias into a synaptic current with memory",
                                     "bias 0 (or tau_syn = dt), or a dense layer",
                                     why="the core adds its bias to the membrane; a bias into the current is a "
                                         "weight row from an always-on source, which a convolution does not have")
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
    b_eff = 0.0 if syn_bias else _uniform(layer, "bias", layer.bias * g)
    u_init = _uniform(layer, "v_leak", -c["v_leak"] / theta)
    subtract = net.reset == "subtract" and layer.kind in RESETTING_KINDS
    u_reset = 0.0 if subtract or not layer.spiking else _uniform(layer, "v_reset", (c["v_reset"] - c["v_leak"]) / theta)
    conv, kernel_eff = None, None
    if layer.conv is not None:
        conv, kernel = layer.conv
        g_ch = g.reshape(conv.out_channels, -1)
        if np.ptp(g_ch, axis=1).max() > 1e-9 * max(1.0, float(np.abs(g_ch).max())):
            raise ParameterError(f"node {layer.name!r}", "gains (r, w_in, v_threshold) that vary within a channel",
                                 "one gain per output channel", why="a convolution's kernel is shared by a channel's positions")
        kernel_eff = kernel * g_ch[:, 0][:, None, None, None]
        if copies > 1:
            if conv.groups != 1:
                raise ParameterError("max_count", copies, "1 for a grouped first convolution",
                                     why="input counts are spread over copies of the input channels")
            conv = type(conv)(**(conv.to_dict() | {"in_shape": (conv.in_shape[0] * copies, *conv.in_shape[1:])}))
            kernel_eff = np.concatenate([kernel_eff] * copies, axis=1)
        w_eff = kernel_eff.reshape(conv.out_channels, -1).T   # rows: (ci, ky, kx) of a column's kernel
    else:
        dense = layer.weight.toarray() if hasattr(layer.weight, "toarray") else np.asarray(layer.weight)
        w_eff = dense * g
        if copies > 1:
            w_eff = np.tile(w_eff, (copies, 1))
        if const_row:  # the always-on row: the bias into the synaptic current (else unused, zeros)
            w_eff = np.vstack([w_eff, (layer.bias * g)[None, :] if syn_bias else np.zeros((1, n))])
    if relay and conv is not None:
        raise ParameterError(f"node {layer.name!r}", "a convolution feeding a bias into a synaptic current",
                             "a dense layer before it", why="the bias relay neuron is one extra neuron of a dense layer")
    lat, r_eff = 0.0, None
    if layer.rec is not None:
        if conv is not None:
            raise ParameterError(f"node {layer.name!r}", "a recurrent edge on a convolution", "no recurrence",
                                 why="the core's conv layers have no recurrent crossbar")
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
    scale = np.ones(w_eff.shape[1])  # per core column (a conv: per output channel)
    if weight_scale == "neuron" and layer.spiking and not (u_reset or u_init or b_eff or lat):
        # each column on its own level grid: weights / s_j, threshold / s_j (exact for a linear
        # membrane that starts and resets at 0 with no shared bias)
        top = np.abs(w_eff).max(axis=0)
        if r_eff is not None:
            top = np.maximum(top, np.abs(r_eff).max(axis=0))
        if top.max() > 0:
            scale = np.where(top > 0, np.maximum(top / top.max(), 1.0 / 16), 1.0)
            w_eff = w_eff / scale
            if r_eff is not None:
                r_eff = r_eff / scale
    w_max = max(float(np.abs(w_eff).max()) if w_eff.size else 0.0, lat,
                float(np.abs(r_eff).max()) if r_eff is not None else 0.0)
    if w_max == 0.0:
        w_max = 1.0
    if relay:  # one more neuron: full weight from the always-on row, fires every step
        if lat:  # its spikes would count as another neuron's for lateral inhibition: use the recurrent crossbar
            r_eff, lat = -lat * (1.0 - np.eye(n)), 0.0
        col = np.zeros((w_eff.shape[0], 1))
        col[-1, 0] = w_max
        w_eff = np.hstack([w_eff, col])
        if r_eff is not None:
            r_eff = np.pad(r_eff, ((0, 1), (0, 1)))
    n_core = n + int(relay)
    xb = Crossbar(w_eff.shape[0], w_eff.shape[1], DeviceParams(weight_bits=weight_bits)).program(w_eff, w_max=w_max)
    rec = None
    if r_eff is not None:
        if w_eff.shape[0] + n_core > 1024:
            raise ParameterError(f"node {layer.name!r}", f"{w_eff.shape[0]} inputs + {n_core} recurrent rows",
                                 "n_in + n_out <= 1024 for a recurrent layer", why="the core's synapse address")
        rec = Crossbar(n_core, n_core, DeviceParams(weight_bits=weight_bits)).program(r_eff, w_max=w_max)
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
    per_pos = 1 if conv is None else conv.n_out // conv.out_channels
    v_th_cols = np.floor(inv / scale).astype(np.int64) + 1       # = v_th where the scale is 1
    span = max(int(v_th_cols.max()), v_th, abs(v_reset), abs(v_init), drive)
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
                       bias=bias, v_th=v_th, v_reset=min(v_reset, v_th - 1), v_init=v_init,
                       reset_mode="subtract" if subtract else "value",
                       t_ref=0, adapt_inc=0, adapt_shift=1, noise_bits=0)
    v_th_neuron = None
    if np.any(scale != 1.0):
        v_th_neuron = np.repeat(v_th_cols, per_pos)
    if relay:  # the relay's threshold: the lowest the core allows; it must fire in every step
        v_th_neuron = np.concatenate([np.full(n, params.v_th, dtype=np.int64) if v_th_neuron is None
                                      else v_th_neuron, [params.v_reset + 1]])
        i_relay = int(xb.w_exc[-1, -1] - xb.w_inh[-1, -1]) << gain_bits
        worst = min((params.v_reset * decay) >> DECAY_BITS, (v_init * decay) >> DECAY_BITS) + bias + i_relay
        if worst < params.v_reset + 1:
            raise ParameterError(f"node {layer.name!r}", f"a bias relay reaching {worst} LSBs",
                                 f">= v_reset + 1 = {params.v_reset + 1}",
                                 why="its shared bias is too negative for a neuron that must fire every step")
    w_exc, w_inh = xb.w_exc, xb.w_inh
    if conv is not None:  # back to the kernel's shape: stored once
        w_exc = w_exc.T.reshape(conv.kernel_shape)
        w_inh = w_inh.T.reshape(conv.kernel_shape)
    delay = None
    if layer.delay is not None:  # per input row; count copies repeat it, the always-on row has none
        delay = np.tile(layer.delay, copies)
        if const_row and conv is None:
            delay = np.concatenate([delay, [0]])
    core = CoreLayer(w_exc, w_inh, weight_bits, params, adc_shift=0, lateral=min(lateral, params.in_max),
                     adc_gain=gain_bits, w_rec_exc=None if rec is None else rec.w_exc,
                     w_rec_inh=None if rec is None else rec.w_inh,
                     syn_decay=None if a_syn is None else int(round(a_syn * (1 << DECAY_BITS))), conv=conv,
                     v_th_neuron=v_th_neuron, delay=delay)
    info = {"node": layer.name, "kind": layer.kind, "lsb": lsb, "level": xb.scale,
            "col_gain": g / np.repeat(scale, per_pos), "theta": theta,
            "v_leak": c["v_leak"], "exact": False, "n_node": n, "relay": relay, "syn_bias": syn_bias}
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
    if core.conv is not None:  # a convolution: the same geometry and kernel
        if layer.conv is None or layer.conv[0] != core.conv:
            return None
        have = layer.conv[1]
    else:
        have = layer.weight
        if hasattr(have, "toarray"):
            return None
    if w.shape != have.shape or not np.allclose(w, have, rtol=1e-12, atol=1e-12):
        return None
    zeros = np.zeros(core.n_in, dtype=np.int64)
    if not np.array_equal(zeros if core.delay is None else core.delay, zeros if layer.delay is None else layer.delay):
        return None
    return core


def to_core(net, weight_bits=8, seed=1, requantise=False, max_count=1, weight_scale="layer"):
    """Map a :class:`FloatNetwork` onto the core -> :class:`CoreMapping` (module docstring).

    ``max_count``: the most events one input may carry in one step (N-MNIST frames hold counts);
    the core takes 0/1 events, so the first layer's input rows are repeated ``max_count`` times and
    :func:`expand_counts` spreads a count c over the first c copies (exact)."""
    check_int("weight_bits", weight_bits, 1, 8)
    check_int("max_count", max_count, 1, 255)
    if weight_scale not in WEIGHT_SCALES:
        raise ParameterError("weight_scale", weight_scale, " | ".join(WEIGHT_SCALES))
    check_int("seed", seed, 0, 0xFFFF_FFFF)
    exact = None if requantise else [_exact_layer(la) for la in net.layers]
    if exact is not None and all(e is not None for e in exact):
        infos = [{"node": la.name, "kind": la.kind, "lsb": 1.0, "level": 2.0 ** (e.adc_gain - e.adc_shift),
                  "col_gain": np.ones(la.n_out), "theta": np.ones(la.n_out),
                  "v_leak": np.zeros(la.n_out), "exact": True} for la, e in zip(net.layers, exact)]
        meta_seed = net.metadata.get("neuroxide_seed")
        seed = int(meta_seed) if meta_seed is not None else seed
        if max_count != 1:
            raise ParameterError("max_count", max_count, "1 for a network rebuilt from neuroxide's exact layers")
        return CoreMapping(CoreNetwork(tuple(exact), seed=seed), infos, True)
    cores, infos = [], []
    # a bias into a synaptic current: a weight row from an always-on source (the Input's extra
    # channel for layer 0, a relay neuron of the previous layer otherwise)
    need = [la.kind in ("CubaLIF", "CubaLI") and bool(np.any(la.bias)) and bool(np.any(_discrete(net, la)["a_s"] > 1e-12))
            for la in net.layers]
    const_in = list(need)
    for k in range(len(net.layers) - 2, -1, -1):
        const_in[k] = need[k] or const_in[k + 1]
    for k, la in enumerate(net.layers):
        relay = k + 1 < len(net.layers) and const_in[k + 1]
        core, info = _layer_to_core(net, la, weight_bits, max_count if k == 0 else 1, const_in[k], relay,
                                    weight_scale)
        cores.append(core)
        infos.append(info)
    return CoreMapping(CoreNetwork(tuple(cores), seed=seed), infos, False, max_count, bool(const_in[0]))


# --- export ---------------------------------------------------------------------------------------

def export_graph(network, dt=DEFAULT_DT):
    """A :class:`CoreNetwork` -> ``nir.NIRGraph`` (module docstring: units, lossy features, metadata)."""
    import nir
    if not isinstance(network, CoreNetwork):
        raise ParameterError("network", type(network).__name__, "a CoreNetwork")
    first = network.layers[0].conv
    shape = tuple(first.in_shape) if first is not None else (network.n_in,)
    nodes = {"input": nir.Input(input_type={"input": np.array(shape)})}
    edges, lossy, prev = [], set(), "input"
    net_dict = network_to_dict(network)
    for k, layer in enumerate(network.layers):
        p = layer.params
        unit = 2.0 ** (layer.adc_gain - layer.adc_shift)
        a = p.decay / (1 << p.decay_bits)
        if layer.delay is not None:  # the layer's delay line: a Delay on the spikes feeding it
            nodes[f"delay{k}"] = nir.Delay(delay=layer.delay.reshape(shape).astype(np.float64) * dt)
            edges.append((prev, f"delay{k}"))
            prev = f"delay{k}"
        if layer.conv is not None:  # a weight-shared convolution: Conv2d (C-order neurons (c, y, x))
            g = layer.conv
            nodes[f"conv{k}"] = nir.Conv2d(input_shape=np.array(g.in_shape[1:]),
                                           weight=layer.weights.astype(np.float64) * unit, stride=np.array(g.stride),
                                           padding=np.array(g.padding), dilation=np.array(g.dilation),
                                           groups=g.groups, bias=np.full(g.out_channels, float(p.bias)))
            edges.append((prev, f"conv{k}"))
            syn, shape = f"conv{k}", tuple(g.out_shape)
        else:
            if len(shape) > 1:  # after a convolution layer: NIR's Flatten (C order, as the core's addresses)
                nodes[f"flatten{k}"] = nir.Flatten(input_type={"input": np.array(shape)}, start_dim=0, end_dim=-1)
                edges.append((prev, f"flatten{k}"))
                prev = f"flatten{k}"
            w = (layer.weights.astype(np.float64) * unit).T
            nodes[f"affine{k}"] = nir.Affine(weight=w, bias=np.full(layer.n_out, float(p.bias)))
            edges.append((prev, f"affine{k}"))
            syn, shape = f"affine{k}", (layer.n_out,)
        n = shape
        ones = np.ones(shape)
        common = dict(v_threshold=layer.thresholds.reshape(shape) - 0.5, v_reset=ones * float(p.v_reset),
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
        edges.append((syn, f"lif{k}"))
        if layer.lateral or layer.recurrent:
            w_rec = -float(layer.lateral) * (1.0 - np.eye(layer.n_out))
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
    nodes["output"] = nir.Output(output_type={"output": np.array(shape)})
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


# --- state widths from a calibration run -----------------------------------------------------------

STATE_BITS = ("worst", "auto")   # the importer's worst-case widths, or sized by size_state
STATE_MARGIN = 2                 # auto: widths for twice the largest magnitude reached (one bit)


def size_state(mapping, core_spikes, margin=STATE_MARGIN):
    """``(CoreMapping, report)``: ``mapping`` with each spiking layer's ``v_bits``/``in_bits``
    narrowed to what the model reaches on ``core_spikes`` (the core's input, ``(steps, batch,
    n_in)``), times ``margin``; never wider than the worst-case widths of :func:`to_core`.

    Per layer: ``v_bits`` holds ``margin * max(|v|, |syn|, v_th, |v_reset|, |v_init|, |bias|)``
    (the synaptic current shares ``v_bits``); ``in_bits`` holds ``margin * max(|syn|, the column
    currents i_exc, i_inh)`` (a dense layer without delays: the column sums of its input and
    recurrent spikes through the ADC, plus the lateral term; otherwise its worst case is kept).
    Outside that range the arithmetic saturates (never wraps) in the model and the RTL alike, so
    model and RTL stay equal; only the agreement with float can change (measure it). An LI / CubaLI
    output layer (its membrane is the output, its threshold the largest value) keeps its widths.
    ``report``: one ``{"layer", "v_bits", "in_bits", "worst_v_bits", "worst_in_bits", "v_reached",
    "in_reached"}`` per layer."""
    from dataclasses import replace

    from .snn import SNNModel
    net = mapping.network
    model = SNNModel(net, core_spikes.shape[1])
    n = len(net.layers)
    # running maxima, step by step (no recorded trace: a CNN's full state would not fit in memory)
    v_max, syn_max = [0] * n, [0] * n
    i_max = [None if la.conv is not None or la.delay is not None else 0 for la in net.layers]
    prev = [np.zeros((core_spikes.shape[1], la.n_out), dtype=np.int64) for la in net.layers]
    for s in core_spikes:
        src = s.astype(np.int64)
        spikes = model.step(s)
        for k, layer in enumerate(net.layers):
            st = model.layer_state(k)
            v_max[k] = max(v_max[k], int(np.abs(st["v"]).max(initial=0)))
            if "syn" in st:
                syn_max[k] = max(syn_max[k], int(np.abs(st["syn"]).max(initial=0)))
            if i_max[k] is not None:   # the column sums of this step, through the ADC
                exc = src @ layer.w_exc.astype(np.int64)
                inh = src @ layer.w_inh.astype(np.int64) + layer.lateral * (layer.n_out - 1)
                if layer.w_rec_exc is not None:
                    exc = exc + prev[k] @ layer.w_rec_exc.astype(np.int64)
                    inh = inh + prev[k] @ layer.w_rec_inh.astype(np.int64)
                top = max(int(exc.max(initial=0)), int(inh.max(initial=0)))
                i_max[k] = max(i_max[k], (top << layer.adc_gain) >> layer.adc_shift)
            prev[k] = np.asarray(spikes[k]).astype(np.int64)
            src = prev[k]
    layers, report = [], []
    for k, layer in enumerate(net.layers):
        p = layer.params
        v_reach, syn_reach, i_reach = v_max[k], syn_max[k], i_max[k]
        fixed = max(p.v_th, abs(p.v_reset), abs(p.v_init), abs(p.bias),
                    int(layer.v_th_neuron.max()) if layer.v_th_neuron is not None else 0)
        v_bits, in_bits = p.v_bits, p.in_bits
        spiking = p.v_th < p.v_hi
        if spiking:
            v_bits = min(p.v_bits, max(_bits_signed(margin * max(v_reach, syn_reach, fixed)), 2))
            if i_reach is not None:
                in_bits = min(p.in_bits, v_bits - 1, max(int(margin * max(i_reach, syn_reach)).bit_length(), 1))
            else:
                in_bits = min(p.in_bits, v_bits - 1)
        report.append({"layer": k, "v_bits": v_bits, "in_bits": in_bits, "worst_v_bits": p.v_bits,
                       "worst_in_bits": p.in_bits, "v_reached": max(v_reach, syn_reach),
                       "in_reached": max(i_reach or 0, syn_reach) if i_reach is not None else None})
        layers.append(replace(layer, params=replace(p, v_bits=v_bits, in_bits=in_bits),
                              lateral=min(layer.lateral, (1 << in_bits) - 1)))
    return replace(mapping, network=CoreNetwork(tuple(layers), seed=net.seed)), report
