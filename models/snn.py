"""Fixed-point spiking network of the SNN core: the golden model of ``rtl/snn_core.py``.

The bit-exact contract is docs/snn_contract.md; this module implements it to the letter. A
:class:`CoreNetwork` is a feed-forward stack of :class:`CoreLayer` s, each a crossbar of integer
conductance levels (``w_exc``/``w_inh``, the differential pair made by
:mod:`neuroxide.models.crossbar`) feeding one :func:`~neuroxide.models.lif.lif_step` neuron per
column. One time step t, for layers l = 0, 1, ... in order (``s`` = spikes feeding layer l in
this step, ``prev`` = layer l's own spikes of step t-1)::

    acc_exc[j] = sum_i s[i] * w_exc[i, j]                       exact (no intermediate saturation)
               + sum_k prev[k] * w_rec_exc[k, j]                (optional recurrent block)
    acc_inh[j] = sum_i s[i] * w_inh[i, j] + sum_k prev[k] * w_rec_inh[k, j]
    i_exc, i_inh = column_currents(layer, acc_exc, acc_inh, others = sum(prev) - prev[j])
                                     column ADC (adc_gain, adc_shift, bound) + lateral inhibition
    if syn_decay is not None:        optional synaptic current (signed)
        syn, i_exc, i_inh = synaptic_current_step(layer, syn, i_exc, i_inh)
    (v, ref, adapt, rng), spike = lif_step(params, v, ref, adapt, rng, i_exc, i_inh)

The synapse rules (column ADC, lateral inhibition, synaptic current) are written once in
:mod:`neuroxide.models.synapse` and the neuron's in :mod:`neuroxide.models.lif`; the RTL elaborates
the same functions. A neuron's state is ``CoreLayer.state_layout``: the LIF state, then ``syn``.

The recurrent block (``w_rec_exc``/``w_rec_inh``, ``(n_out, n_out)`` levels, None by default) is a
second crossbar fed by the layer's own spikes of the previous step: to the core these are extra
input rows ``n_in + k`` whose events are the layer's last spikes (their SOPs count like any
event's). ``adc_gain`` (a left shift, 0 by default) lets the membrane count in finer steps than one weight
level (the NIR import uses it to resolve thresholds and leaks); with 0 the ADC is the plain
``min(acc >> adc_shift, 2**in_bits - 1)``.

A convolution layer (``CoreLayer.conv``, a :class:`~neuroxide.models.snn_conv.ConvGeometry`) stores
its kernel once (``w_exc``/``w_inh`` of shape ``conv.kernel_shape``) and is exactly the dense layer
whose matrices are ``unrolled(conv, w_exc)``/``unrolled(conv, w_inh)``; the model computes its column
sums by im2col (never the ``n_in x n_out`` matrix) and counts an event's SOPs as its fan-out.

:class:`SNNModel` runs a batch of independent samples at once (numpy over ``(batch, neurons)``);
every sample starts from the same reset state, so sample b of a batch equals the same input run
alone. The sums are computed as float64 matrix products, which are exact: every operand is a
small integer (0/1 times 0..255) and every sum stays far below float64's exact range of 2**53.

PRNG streams of :func:`~neuroxide.models.prng.seed_for` used by the SNN:

* ``SNN_STREAM = 3``: neuron g (global index over layers) of the core, its stochastic threshold.
* ``ENCODER_STREAM = 4``: input channel i of the rate encoder (host side, not in the core).

(1 is the lone LIF design's threshold noise, 2 its on-chip stimulus.)

Input encoders (host side; the core only sees the resulting 0/1 events):

* :func:`encode_rate` (rate / Bernoulli-Poisson coding): channel i owns one xorshift32 state
  ``seed_for(seed, ENCODER_STREAM, i)``; per step ``r = xorshift32(r)`` and the channel spikes when
  ``(r >> 24) < p[i]``, ``p`` in 0..256 the spike probability x 256 (256 = every step). The stream
  depends on the channel only, so a sample's spikes do not depend on its position in a batch.
* :func:`encode_current` (direct current): a constant current ``p[i] / 256`` into an
  integrate-and-fire input neuron, ``acc += p; spike = acc >= 256; acc -= 256 if spike``, with
  ``acc`` starting at 128 (mid-threshold). Deterministic: the same rate, no noise.

Readout (host side): :func:`readout_count` (spike count over the window, ties to the lowest index)
and :func:`readout_first_spike` (earliest first spike, ties by larger count, then lowest index).
"""

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from neuroxide.errors import ParameterError, check_int

from .fixedpoint import NUMPY
from .layout import StateLayout
from .lif import LIFParams, LIFState, lif_step
from .prng import seeds_for, xorshift32
from .snn_conv import ConvGeometry, unrolled
from .synapse import column_currents, synapse_state_layout, synaptic_current_step

__all__ = ["MAX_DELAY", "SNN_STREAM", "ENCODER_STREAM", "NeuronThresholds", "CoreLayer", "CoreNetwork", "SNNModel", "SNNTrace",
           "encode_rate", "encode_current", "intensity_to_p", "readout_count", "readout_first_spike",
           "readout", "READOUTS", "float_forward", "matmul_in_order", "network_to_dict",
           "network_from_dict"]

MAX_DELAY = 31      # steps: the core's delay line has at most MAX_DELAY + 1 slots (CoreLayer.delay)
SNN_STREAM = 3      # seed_for stream of the core's neuron thresholds (contract)
ENCODER_STREAM = 4  # seed_for stream of the rate encoder's input channels (host side)
READOUTS = ("count", "first")


def _int_matrix(name, w, bits, shape=None):
    """Weight levels validated: int, in 0..2**bits - 1, 2-D (or exactly ``shape``, a conv kernel)."""
    w = np.asarray(w)
    if shape is not None:
        if w.shape != tuple(shape):
            raise ParameterError(name, f"shape {w.shape}", f"{tuple(shape)} (the conv kernel: C_out, C_in/groups, kH, kW)")
    elif w.ndim != 2:
        raise ParameterError(name, f"shape {w.shape}", "a 2-D array (n_in, n_out)")
    if w.dtype.kind not in "iub":
        raise ParameterError(name, w.dtype.name, "an integer array")
    hi = (1 << bits) - 1
    if w.size and (w.min() < 0 or w.max() > hi):
        bad = int(w.min()) if w.min() < 0 else int(w.max())
        raise ParameterError(name, bad, f"0..{hi} (weight_bits={bits})")
    out = w.astype(np.int64, copy=True)
    out.setflags(write=False)
    return out


class NeuronThresholds:
    """A :class:`LIFParams` seen through a per-neuron threshold: every field is ``params``' but
    ``v_th``, which is an array (numpy: one per neuron, broadcast over the batch) or an RTL value.

    :func:`~neuroxide.models.lif.lif_step` reads ``p.v_th`` only after its first pipeline cut (the
    threshold compare) and its second (``reset_mode`` "subtract"); ``v_th`` may be a callable, read
    at each access, so a pipelined back end hands it the threshold delayed to that cut
    (``rtl/snn_core.py`` passes its carried ROM output). Same arithmetic, one rule: the constant
    becomes a value.
    """

    def __init__(self, params, v_th):
        self._params = params
        self._v_th = v_th

    def __getattr__(self, name):
        return getattr(self._params, name)

    @property
    def v_th(self):
        return self._v_th() if callable(self._v_th) else self._v_th


def _int_vector(field, value, n, what, kind, lo, hi, allowed, why):
    """``value`` as a read-only int64 vector of ``n`` entries in ``lo..hi``, else ParameterError naming
    ``field``: the shape (``what`` the entries are), the dtype (``kind``) or the first value outside
    (``allowed``, ``why``)."""
    v = np.asarray(value)
    if v.shape != (n,):
        raise ParameterError(field, f"shape {v.shape}", f"({n},) ({what})")
    if v.dtype.kind not in "iu":
        raise ParameterError(field, v.dtype.name, kind)
    if v.size and (v.min() < lo or v.max() > hi):
        raise ParameterError(field, int(v.min()) if v.min() < lo else int(v.max()), allowed, why)
    out = v.astype(np.int64, copy=True)
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class CoreLayer:
    """One crossbar + neuron column array of the core (contract fields, validated).

    ``w_exc``/``w_inh``: int ``(n_in, n_out)`` conductance levels in ``0..2**weight_bits - 1``;
    ``params``: the :class:`LIFParams` of every neuron of the layer; ``adc_shift`` (0..15) the
    column ADC's right shift; ``lateral`` the inhibition per spike of another neuron of this layer
    in the previous step (0..2**in_bits - 1); ``w_rec_exc``/``w_rec_inh`` (None, or int ``(n_out,
    n_out)`` levels like ``w_exc``): recurrent weights from this layer's spikes of the previous step
    (row k: from neuron k); ``syn_decay`` (None, or 0..2**decay_bits): a synaptic-current state per
    neuron that low-passes the ADC's output (a current-based LIF); ``adc_gain`` (0..12) a left shift of the column sums
    before ``adc_shift`` (the ADC's gain: one weight level is ``2**adc_gain`` membrane LSBs).

    ``conv`` (None, or a :class:`~neuroxide.models.snn_conv.ConvGeometry`): a weight-shared
    convolution. ``w_exc``/``w_inh`` are then the kernel's levels, shape ``conv.kernel_shape``
    (stored once), neurons are ``(c, y, x)`` of ``conv.out_shape`` in C order, and the layer's
    arithmetic is exactly the dense layer with the matrices ``unrolled(conv, w_exc)`` /
    ``unrolled(conv, w_inh)`` (:meth:`dense_levels`). A recurrent block on a conv layer is refused.

    ``delay`` (None, or int ``(n_in,)`` steps in ``0..MAX_DELAY``): per-source axonal delays of the
    layer's feed-forward input: an event on input row i made in step t (the previous layer's spike,
    or a network input) is accumulated in step ``t + delay[i]`` (in place of step t), its SOPs counted
    then; events due before step 0 do not exist (the line starts empty at a reset). The recurrent
    block is not delayed. All zeros is None (no delay line).
    """

    w_exc: np.ndarray
    w_inh: np.ndarray
    weight_bits: int = 4
    params: LIFParams = field(default_factory=LIFParams)
    adc_shift: int = 0
    lateral: int = 0
    adc_gain: int = 0
    w_rec_exc: np.ndarray | None = None
    w_rec_inh: np.ndarray | None = None
    syn_decay: int | None = None
    v_th_neuron: np.ndarray | None = None
    conv: ConvGeometry | None = None
    delay: np.ndarray | None = None

    def __post_init__(self):
        check_int("weight_bits", self.weight_bits, 1, 8)
        if not isinstance(self.params, LIFParams):
            raise ParameterError("params", type(self.params).__name__, "a LIFParams")
        if self.conv is not None and not isinstance(self.conv, ConvGeometry):
            raise ParameterError("conv", type(self.conv).__name__, "None or a ConvGeometry")
        shape = None if self.conv is None else self.conv.kernel_shape
        object.__setattr__(self, "w_exc", _int_matrix("w_exc", self.w_exc, self.weight_bits, shape))
        object.__setattr__(self, "w_inh", _int_matrix("w_inh", self.w_inh, self.weight_bits, shape))
        if self.conv is not None and self.w_rec_exc is not None:
            raise ParameterError("w_rec_exc", "a recurrent block", "None on a conv layer",
                                 "a convolution layer has no recurrent crossbar")
        if self.w_exc.shape != self.w_inh.shape:
            raise ParameterError("w_inh", f"shape {self.w_inh.shape}", f"the shape of w_exc {self.w_exc.shape}")
        if 0 in self.w_exc.shape:
            raise ParameterError("w_exc", f"shape {self.w_exc.shape}", "n_in >= 1 and n_out >= 1")
        check_int("adc_shift", self.adc_shift, 0, 15)
        check_int("adc_gain", self.adc_gain, 0, 12)
        if (self.w_rec_exc is None) != (self.w_rec_inh is None):
            raise ParameterError("w_rec_inh" if self.w_rec_inh is None else "w_rec_exc", None,
                                 "both recurrent matrices or neither")
        if self.syn_decay is not None:
            check_int("syn_decay", self.syn_decay, 0, 1 << self.params.decay_bits,
                      f"leak factor of the synaptic current x 2**decay_bits, decay_bits={self.params.decay_bits}")
        if self.w_rec_exc is not None:
            n = self.w_exc.shape[1]
            for name in ("w_rec_exc", "w_rec_inh"):
                w = _int_matrix(name, getattr(self, name), self.weight_bits)
                if w.shape != (n, n):
                    raise ParameterError(name, f"shape {w.shape}", f"({n}, {n}) (n_out, n_out)")
                object.__setattr__(self, name, w)
        check_int("lateral", self.lateral, 0, self.params.in_max, f"in_bits={self.params.in_bits}")
        object.__setattr__(self, "v_th_neuron", self._check_thresholds(self.v_th_neuron))
        object.__setattr__(self, "delay", self._check_delay(self.delay))

    def _check_delay(self, delay):
        """``delay`` validated: int ``(n_in,)`` steps in ``0..MAX_DELAY`` (input row i's events reach
        the accumulation ``delay[i]`` steps after the source fired); None when absent or all zero (the
        core then has no delay line: same Verilog)."""
        if delay is None:
            return None
        d = _int_vector("delay", delay, self.n_in, "one per input row, n_in", "an integer array of steps", 0,
                        MAX_DELAY, f"0..{MAX_DELAY} steps", f"the core's delay line holds at most {MAX_DELAY + 1} slots")
        return d if d.any() else None

    @property
    def max_delay(self):
        """The largest input delay in steps (0 without a delay line)."""
        return 0 if self.delay is None else int(self.delay.max())

    def _check_thresholds(self, v_th):
        """``v_th_neuron`` validated: int ``(n_out,)`` in the range ``LIFParams.v_th`` allows; None when
        absent or uniform at ``params.v_th`` (the core then has no threshold ROM: same Verilog)."""
        if v_th is None:
            return None
        p = self.params
        lo = p.v_reset + 1 if p.reset_mode == "value" else 1
        v = _int_vector("v_th_neuron", v_th, self.n_out, "n_out", "an integer array", lo, p.v_hi, f"{lo}..{p.v_hi}",
                        f"v_bits={p.v_bits}, above v_reset")
        return None if (v == p.v_th).all() else v

    @property
    def thresholds(self):
        """Every neuron's threshold as int64 ``(n_out,)``: ``v_th_neuron``, else ``params.v_th``."""
        if self.v_th_neuron is not None:
            return self.v_th_neuron
        return np.full(self.n_out, self.params.v_th, dtype=np.int64)

    def neuron_params(self, v_th=None):
        """The params :func:`~neuroxide.models.lif.lif_step` gets for this layer's neurons: ``params``
        itself when the thresholds are uniform, else a :class:`NeuronThresholds` whose ``v_th`` is
        ``v_th`` (default the ``v_th_neuron`` vector; the RTL passes its threshold ROM's output)."""
        if self.v_th_neuron is None:
            return self.params
        return NeuronThresholds(self.params, self.v_th_neuron if v_th is None else v_th)

    @property
    def n_in(self):
        return self.w_exc.shape[0] if self.conv is None else self.conv.n_in

    @property
    def n_out(self):
        return self.w_exc.shape[1] if self.conv is None else self.conv.n_out

    @property
    def is_conv(self):
        return self.conv is not None

    def dense_levels(self):
        """``(w_exc, w_inh)`` as dense ``(n_in, n_out)`` level matrices: the arrays themselves for a
        dense layer, the unrolled kernels (:func:`~neuroxide.models.snn_conv.unrolled`) for a conv
        layer (the reference its arithmetic equals; n_in x n_out memory: for tests and small layers)."""
        if self.conv is None:
            return self.w_exc, self.w_inh
        return unrolled(self.conv, self.w_exc), unrolled(self.conv, self.w_inh)

    def fanout(self):
        """int64 ``(n_in,)``: synaptic operations of one event on each input row (``n_out`` for a
        dense layer; the output neurons it reaches through the kernel for a conv layer)."""
        if self.conv is None:
            return np.full(self.n_in, self.n_out, dtype=np.int64)
        return self.conv.fanout()

    @property
    def weights(self):
        """The signed integer weights ``w_exc - w_inh``."""
        return self.w_exc - self.w_inh

    @property
    def recurrent(self):
        """True when the layer has a recurrent block."""
        return self.w_rec_exc is not None

    @property
    def n_rows(self):
        """Crossbar rows: the inputs, plus the layer's own neurons when recurrent."""
        return self.n_in + (self.n_out if self.recurrent else 0)

    @property
    def state_layout(self):
        """State of one neuron of the layer: the LIF state (``params.state_layout``), then the synaptic
        current ``syn`` when ``syn_decay`` is set (the core's state RAM word, LSB first)."""
        lif = self.params.state_layout
        return lif if self.syn_decay is None else StateLayout(*lif, *synapse_state_layout(self.params))

    def initial_state(self, shape, seeds):
        """``{field: array of shape}`` of :attr:`state_layout` after a reset: the LIF power-up state
        (``LIFParams.initial_state``: ``v = v_init``, PRNG states ``seeds``), ``syn = 0``."""
        return self.state_layout.initial(shape, v=self.params.v_init, rng=np.broadcast_to(seeds, shape))


@dataclass(frozen=True, eq=False)
class CoreNetwork:
    """A feed-forward stack of :class:`CoreLayer` s; layer 0 reads the input spikes.

    ``seed`` seeds the neurons' threshold PRNGs: neuron j of layer l (global index g = sum of the
    earlier layers' n_out + j) starts from ``seed_for(seed, SNN_STREAM, g)``.
    """

    layers: tuple
    seed: int = 1

    def __post_init__(self):
        layers = tuple(self.layers)
        object.__setattr__(self, "layers", layers)
        if not layers or not all(isinstance(layer, CoreLayer) for layer in layers):
            raise ParameterError("layers", f"{len(layers)} items", "one or more CoreLayer")
        for k in range(1, len(layers)):
            if layers[k].n_in != layers[k - 1].n_out:
                raise ParameterError(f"layers[{k}].n_in", layers[k].n_in,
                                     f"{layers[k - 1].n_out} (n_out of layer {k - 1})")
        check_int("seed", self.seed, 0, 0xFFFF_FFFF)

    @property
    def n_in(self):
        return self.layers[0].n_in

    @property
    def n_out(self):
        return self.layers[-1].n_out

    @property
    def sizes(self):
        return [self.n_in] + [layer.n_out for layer in self.layers]

    @property
    def offsets(self):
        """Global index of each layer's neuron 0."""
        return list(np.cumsum([0] + [layer.n_out for layer in self.layers[:-1]]))

    @property
    def n_neurons(self):
        return sum(layer.n_out for layer in self.layers)

    @property
    def state_layout(self):
        """The layers' state layouts merged: every field of any layer (first-seen order), as wide as
        in the widest layer (a narrower layer's value sign- or zero-extends into it). The core's
        write-back port and the bench's trace word."""
        widest = {}
        for layer in self.layers:
            for f in layer.state_layout:
                if f.name not in widest or f.bits > widest[f.name].bits:
                    widest[f.name] = f
        return StateLayout(*widest.values())

    def initial_rng(self):
        """Per-layer int64 arrays ``(n_out,)`` of the neurons' PRNG seeds (SNN_STREAM)."""
        seeds = seeds_for(self.seed, SNN_STREAM, self.n_neurons)
        return [seeds[o:o + layer.n_out] for o, layer in zip(self.offsets, self.layers)]


def network_to_dict(network):
    """A :class:`CoreNetwork` as plain JSON-able Python (the core configuration file format)."""
    return {"seed": network.seed, "layers": [
        {"w_exc": layer.w_exc.tolist(), "w_inh": layer.w_inh.tolist(), "weight_bits": layer.weight_bits,
         "params": dataclasses.asdict(layer.params), "adc_shift": layer.adc_shift, "lateral": layer.lateral,
         **({"adc_gain": layer.adc_gain} if layer.adc_gain else {}),
         **({"w_rec_exc": layer.w_rec_exc.tolist(), "w_rec_inh": layer.w_rec_inh.tolist()} if layer.recurrent else {}),
         **({"syn_decay": layer.syn_decay} if layer.syn_decay is not None else {}),
         **({"v_th_neuron": layer.v_th_neuron.tolist()} if layer.v_th_neuron is not None else {}),
         **({"conv": layer.conv.to_dict()} if layer.conv is not None else {}),
         **({"delay": layer.delay.tolist()} if layer.delay is not None else {})}
        for layer in network.layers]}


def _json_levels(name, rows):
    """Weight levels read from JSON: nested lists of integers only (no floats, strings or
    booleans, which ``np.array(..., dtype=int64)`` would truncate or convert silently)."""
    flat = np.asarray(rows, dtype=object).ravel()
    for x in flat:
        if isinstance(x, bool) or not isinstance(x, int):
            raise ParameterError(name, repr(x)[:40], "integer weight levels")
        if not -(1 << 62) < x < (1 << 62):
            raise ParameterError(name, x, "integer weight levels within 0..2**weight_bits - 1")
    return np.array(rows, dtype=np.int64)


def network_from_dict(d):
    """Inverse of :func:`network_to_dict` (validated: bad fields raise ParameterError)."""
    return CoreNetwork(tuple(CoreLayer(_json_levels("w_exc", la["w_exc"]), _json_levels("w_inh", la["w_inh"]),
                                       la["weight_bits"], LIFParams(**la["params"]), la["adc_shift"], la["lateral"],
                                       la.get("adc_gain", 0),
                                       *((_json_levels("w_rec_exc", la["w_rec_exc"]),
                                          _json_levels("w_rec_inh", la["w_rec_inh"]))
                                         if "w_rec_exc" in la else (None, None)), la.get("syn_decay"),
                                       _json_levels("v_th_neuron", la["v_th_neuron"])
                                       if "v_th_neuron" in la else None,
                                       ConvGeometry.from_dict(la["conv"]) if "conv" in la else None,
                                       _json_levels("delay", la["delay"]) if "delay" in la else None)
                             for la in d["layers"]), seed=d["seed"])


@dataclass
class SNNTrace:
    """What :meth:`SNNModel.run` saw.

    ``spikes``: per layer, bool ``(steps, batch, n_out)``. ``state``: per layer a dict ``{name: int64
    (steps, batch, n_out)}`` after each step over the fields of ``CoreLayer.state_layout`` but ``spike``
    (v, ref, adapt, rng, and syn where present), or None when not recorded. ``sops``: synaptic
    operations (per input event, one per column of the layer it feeds) as int64 ``(batch,)``.
    ``in_spikes``: the input ``(steps, batch, n_in)``.
    """

    spikes: list
    state: list | None
    sops: np.ndarray
    in_spikes: np.ndarray

    @property
    def steps(self):
        return self.in_spikes.shape[0]

    def counts(self, layer=-1):
        """Spike counts ``(batch, n_out)`` of ``layer`` over the window."""
        return self.spikes[layer].sum(axis=0)


class SNNModel:
    """Vectorised fixed-point model of a :class:`CoreNetwork` over ``batch`` independent samples.

    ``model.step(s_in)`` advances one step with ``s_in`` 0/1 of shape ``(batch, n_in)`` (or
    ``(n_in,)`` when batch == 1) and returns the spikes of every layer; :meth:`run` does a whole
    window. ``model.state[l]`` is layer l's :class:`~neuroxide.models.lif.LIFState` ``(batch, n_out)``.
    """

    def __init__(self, network, batch=1, backend="numpy"):
        from .compiled import BACKENDS
        if not isinstance(network, CoreNetwork):
            raise ParameterError("network", type(network).__name__, "a CoreNetwork")
        if backend not in BACKENDS:
            raise ParameterError("backend", backend, " | ".join(BACKENDS))
        self.network = network
        self.backend = backend  # "compiled": run() through models.compiled.snn_run (same bits, ~20x faster)
        self.batch = check_int("batch", batch, 1, 1 << 24)
        # float64 copies for the exact products (see module docstring); a conv layer keeps its
        # kernel (per group, (C_out/groups, C_in/groups * kH * kW)): no n_in x n_out matrix
        self._w_exc = [self._weights(layer, layer.w_exc) for layer in network.layers]
        self._w_inh = [self._weights(layer, layer.w_inh) for layer in network.layers]
        self._fanout = [layer.fanout() if layer.is_conv else None for layer in network.layers]
        # conv kernels per group as one (C_in/groups*kH*kW, 2*C_out/groups) matrix: exc columns, then inh
        # float32 where it is exact: every column sum (kernel rows x top level) below 2**24
        self._w_conv = [np.concatenate([self._w_exc[k], self._w_inh[k]], axis=1).transpose(0, 2, 1).astype(
                            np.float32 if self._w_exc[k].shape[2] * ((1 << layer.weight_bits) - 1) < (1 << 24)
                            else np.float64)
                        if layer.is_conv else None for k, layer in enumerate(network.layers)]
        self._w_rec = [(layer.w_rec_exc.astype(np.float64), layer.w_rec_inh.astype(np.float64))
                       if layer.recurrent else None for layer in network.layers]
        self._params = [layer.neuron_params() for layer in network.layers]  # per-neuron v_th where set
        self.reset()

    @staticmethod
    def _weights(layer, levels):
        if not layer.is_conv:
            return levels.astype(np.float64)
        g = layer.conv
        return levels.astype(np.float64).reshape(g.groups, g.out_per_group, -1)

    def reset(self):
        """Every neuron back to the initial state (v_init, ref = adapt = 0, seeded rng)."""
        self.state = []
        self.syn = []
        for layer, seeds in zip(self.network.layers, self.network.initial_rng()):
            initial = layer.initial_state((self.batch, layer.n_out), seeds)
            self.syn.append(initial.pop("syn", None))
            self.state.append(LIFState(**initial))
        self.sops = np.zeros(self.batch, dtype=np.int64)
        # delay lines: the last max_delay + 1 steps of each delayed layer's input (slot t % D), empty
        self._delay_hist = [np.zeros((layer.max_delay + 1, self.batch, layer.n_in), dtype=bool)
                            if layer.delay is not None else None for layer in self.network.layers]
        self._t = 0

    def _delayed(self, k, s):
        """Layer k's input events of this step through its delay line: row i's events of step
        ``t - delay[i]`` (none before step 0)."""
        hist = self._delay_hist[k]
        if hist is None:
            return s
        depth = hist.shape[0]
        hist[self._t % depth] = s
        d = self.network.layers[k].delay
        return hist[(self._t - d) % depth, :, np.arange(d.size)].T

    def _check_spikes(self, s_in, steps_axis):
        s = np.asarray(s_in)
        if s.dtype.kind not in "iub":
            raise ParameterError("in_spikes", s.dtype.name, "a 0/1 integer or bool array")
        if s.size and (s.min() < 0 or s.max() > 1):
            raise ParameterError("in_spikes", int(s.max() if s.max() > 1 else s.min()), "0 or 1")
        want = (self.batch, self.network.n_in)
        if steps_axis:
            if s.ndim == 2 and self.batch == 1:
                s = s[:, None, :]
            if s.ndim != 3 or s.shape[1:] != want:
                raise ParameterError("in_spikes", f"shape {s.shape}", f"(steps, {want[0]}, {want[1]})")
        else:
            if s.ndim == 1 and self.batch == 1:
                s = s[None, :]
            if s.shape != want:
                raise ParameterError("in_spikes", f"shape {s.shape}", f"{want}")
        return s.astype(bool, copy=False)

    def _step(self, s_in):
        spikes = []
        s = s_in
        for k, (layer, st) in enumerate(zip(self.network.layers, self.state)):
            p = self._params[k]
            s = self._delayed(k, s)
            if layer.is_conv:
                self.sops += s.astype(np.int64) @ self._fanout[k]
                acc_exc, acc_inh = self._conv_sums(k, s)
            else:
                sf = s.astype(np.float64)
                self.sops += s.sum(axis=1) * layer.n_out
                acc_exc = (sf @ self._w_exc[k]).astype(np.int64)
                acc_inh = (sf @ self._w_inh[k]).astype(np.int64)
            if self._w_rec[k] is not None:
                prev_f = st.spike.astype(np.float64)
                self.sops += st.spike.sum(axis=1) * layer.n_out
                acc_exc = acc_exc + (prev_f @ self._w_rec[k][0]).astype(np.int64)
                acc_inh = acc_inh + (prev_f @ self._w_rec[k][1]).astype(np.int64)
            others = 0  # spikes of the layer's other neurons in the last step (lateral inhibition)
            if layer.lateral:
                prev = st.spike.astype(np.int64)
                others = prev.sum(axis=1, keepdims=True) - prev
            i_exc, i_inh = column_currents(NUMPY, layer, acc_exc, acc_inh, others)
            if layer.syn_decay is not None:
                self.syn[k], i_exc, i_inh = synaptic_current_step(NUMPY, layer, self.syn[k], i_exc, i_inh)
            v, ref, adapt, rng, spike = lif_step(NUMPY, p, st.v, st.ref, st.adapt, st.rng, i_exc, i_inh)
            spike = np.broadcast_to(spike, st.v.shape).copy()
            self.state[k] = LIFState(v, ref, adapt, rng, spike)
            spikes.append(spike)
            s = spike
        self._t += 1
        return spikes

    def _conv_sums(self, k, s):
        """A conv layer's exact int64 column sums ``(batch, n_out)`` of the spikes ``s`` (bool
        ``(batch, n_in)``), by im2col: every output position's input window (zero padded, strided,
        dilated) gathered as a row, times the kernel of its group: products of 0/1 and levels, in
        float32 where every sum stays below 2**24 (exact), else float64 (exact below 2**53)."""
        g = self.network.layers[k].conv
        batch = s.shape[0]
        if not s.any():
            z = np.zeros((batch, g.n_out), dtype=np.int64)
            return z, z.copy()
        (c_in, h, w), (_, ho, wo) = g.in_shape, g.out_shape
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = g.kernel, g.stride, g.padding, g.dilation
        x = np.zeros((batch, c_in, h + 2 * ph, w + 2 * pw), dtype=self._w_conv[k].dtype)
        x[:, :, ph:ph + h, pw:pw + w] = s.reshape(batch, c_in, h, w)
        win = np.lib.stride_tricks.sliding_window_view(x, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))
        win = win[:, :, ::sh, ::sw, ::dh, ::dw][:, :, :ho, :wo]          # (batch, C_in, ho, wo, kh, kw)
        cig, cog = g.in_per_group, g.out_per_group
        out = np.empty((2, batch, g.groups, cog, ho * wo))
        for grp in range(g.groups):
            cols = win[:, grp * cig:(grp + 1) * cig].transpose(0, 2, 3, 1, 4, 5).reshape(batch * ho * wo, -1)
            both = cols @ self._w_conv[k][grp]                               # (batch*ho*wo, 2*cog)
            out[:, :, grp] = both.reshape(batch, ho * wo, 2, cog).transpose(2, 0, 3, 1)
        out = out.reshape(2, batch, -1).astype(np.int64)
        return out[0], out[1]

    def layer_state(self, k):
        """Layer ``k``'s state now: ``{name: (batch, n_out) array}`` over its ``state_layout``."""
        st = self.state[k]
        return {name: self.syn[k] if name == "syn" else getattr(st, name)
                for name in self.network.layers[k].state_layout.names}

    def step(self, s_in):
        """One time step; returns a list (per layer) of bool spike arrays ``(batch, n_out)``."""
        return self._step(self._check_spikes(s_in, steps_axis=False))

    def run(self, in_spikes, record_state=False, progress=None):
        """Run ``in_spikes`` (0/1, ``(steps, batch, n_in)``) from the current state.

        Returns an :class:`SNNTrace`; with ``record_state`` it holds the full neuron state after
        every step (what the RTL bench compares). ``progress(done, total)`` is called per step.
        """
        s_in = self._check_spikes(in_spikes, steps_axis=True)
        steps = s_in.shape[0]
        if self.backend == "compiled" and not any(layer.is_conv or layer.delay is not None
                                                  for layer in self.network.layers):
            # conv layers and delay lines run on the numpy path (same bits): the compiled kernel has neither
            from .compiled import snn_run
            trace = snn_run(self, s_in, record_state)
            if progress is not None:
                progress(steps, steps)
            return trace
        layers = self.network.layers
        spikes = [np.zeros((steps, self.batch, layer.n_out), dtype=bool) for layer in layers]
        state = None
        if record_state:
            state = [{name: np.zeros((steps, self.batch, layer.n_out), dtype=np.int64)
                      for name in layer.state_layout.without("spike").names} for layer in layers]
        sops0 = self.sops.copy()
        for t in range(steps):
            for k, sp in enumerate(self._step(s_in[t])):
                spikes[k][t] = sp
                if record_state:
                    now = self.layer_state(k)
                    for name, recorded in state[k].items():
                        recorded[t] = now[name]
            if progress is not None:
                progress(t + 1, steps)
        return SNNTrace(spikes=spikes, state=state, sops=self.sops - sops0, in_spikes=s_in)


# --- input encoders (host side) -----------------------------------------------------------------

def intensity_to_p(x, x_max):
    """Map intensities ``0..x_max`` (floats or ints) to spike probabilities x 256 (int 0..256)."""
    x = np.asarray(x, dtype=np.float64)
    if not x_max > 0:
        raise ParameterError("x_max", x_max, "> 0")
    if x.size and (x.min() < 0 or x.max() > x_max):
        raise ParameterError("intensity", float(x.min() if x.min() < 0 else x.max()), f"0..{x_max}")
    return np.floor(x * 256.0 / x_max + 0.5).astype(np.int64)


def _check_p(p, steps):
    p = np.asarray(p)
    if p.dtype.kind not in "iu":
        raise ParameterError("p", p.dtype.name, "an integer array of probabilities x 256")
    if p.size and (p.min() < 0 or p.max() > 256):
        raise ParameterError("p", int(p.min() if p.min() < 0 else p.max()), "0..256 (probability x 256)")
    check_int("steps", steps, 1, 1 << 20)
    return p.astype(np.int64)


def encode_rate(p, steps, seed=1):
    """Rate (Bernoulli) coding of ``p`` (int 0..256, shape ``(..., n_in)``): bool ``(steps, ..., n_in)``.

    Channel i draws from ``xorshift32`` seeded ``seed_for(seed, ENCODER_STREAM, i)``; at each step
    the state advances once and the channel spikes when ``(r >> 24) < p[..., i]``.
    """
    p = _check_p(p, steps)
    check_int("seed", seed, 0, 0xFFFF_FFFF)
    n_in = p.shape[-1]
    r = seeds_for(seed, ENCODER_STREAM, n_in)
    out = np.empty((steps, *p.shape), dtype=bool)
    for t in range(steps):
        r = xorshift32(NUMPY, r)
        out[t] = (r >> 24) < p
    return out


def encode_current(p, steps):
    """Direct-current coding: ``p / 256`` per step into an IF neuron, deterministic.

    ``acc`` starts at 128; per step ``acc += p``, a spike when ``acc >= 256``, then ``acc -= 256``.
    Returns bool ``(steps, *p.shape)``; a channel fires ``floor((128 + t * p) / 256)`` times by step t.
    """
    p = _check_p(p, steps)
    acc = np.full(p.shape, 128, dtype=np.int64)
    out = np.empty((steps, *p.shape), dtype=bool)
    for t in range(steps):
        acc = acc + p
        out[t] = acc >= 256
        acc = acc - 256 * out[t]
    return out


# --- readout (host side) ------------------------------------------------------------------------

def readout_count(spikes):
    """Class per sample from the last layer's spikes ``(steps, batch, n_out)``: the largest spike
    count, ties to the lowest index."""
    return np.argmax(np.asarray(spikes).sum(axis=0), axis=-1)


def readout_first_spike(spikes):
    """Class per sample: the neuron that fired first; ties by larger count, then lowest index.
    A sample where nothing fired falls back to the count readout (all zero: index 0)."""
    spikes = np.asarray(spikes, dtype=bool)
    steps = spikes.shape[0]
    fired = spikes.any(axis=0)
    first = np.where(fired, spikes.argmax(axis=0), steps)
    counts = spikes.sum(axis=0)
    n_out = spikes.shape[-1]
    # one sortable key: earlier first spike, then more spikes, then lower index
    key = (first * (steps + 1) + (steps - counts)) * n_out + np.arange(n_out)
    return np.argmin(key, axis=-1)


def readout(spikes, mode="count"):
    if mode == "count":
        return readout_count(spikes)
    if mode == "first":
        return readout_first_spike(spikes)
    raise ParameterError("readout", mode, " | ".join(READOUTS))


# --- float path ---------------------------------------------------------------------------------

def matmul_in_order(a, b):
    """``a @ b`` in float64, summed over k = 0, 1, ... in index order, one rounding per product and
    per sum: ``out = (..((a[:, 0] b[0] + a[:, 1] b[1]) + a[:, 2] b[2]) ..)``.

    Elementwise IEEE-754 operations give the same bits on every machine; BLAS does not (its
    blocking, FMA use and thread split vary), which made trained weights and float accuracies
    differ between machines."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    out = np.zeros(a.shape[:-1] + b.shape[1:])
    for k in range(a.shape[-1]):
        out += a[..., k, None] * b[k]
    return out


def float_forward(weights, x, biases=None):
    """The float (non-spiking) network the SNN approximates: ReLU MLP, ``x @ W + b`` per layer,
    ReLU on hidden layers, raw scores at the output. Returns ``(scores, hidden_activations)``.
    The products are :func:`matmul_in_order`: the same scores on every machine."""
    a = np.asarray(x, dtype=np.float64)
    acts = []
    for k, w in enumerate(weights):
        z = matmul_in_order(a, w)
        if biases is not None and biases[k] is not None:
            z = z + biases[k]
        if k < len(weights) - 1:
            z = np.maximum(z, 0.0)
            acts.append(z)
        a = z
    return a, acts
