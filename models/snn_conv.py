"""Convolution geometry of a weight-shared core layer (Conv2d, Conv1d, sum pooling).

A convolutional :class:`~neuroxide.models.snn.CoreLayer` stores its kernel once, shape
``kernel_shape = (C_out, C_in // groups, kH, kW)``, and addresses its neurons by ``(c, y, x)``,
flattened in C order (``index = (c * H + y) * W + x``, as NIR's Flatten). Its arithmetic is exactly
that of the dense layer whose matrix is :func:`unrolled` (the reference the tests compare with)::

    out[co, oy, ox] = sum_{ci, ky, kx} in[g * C_in/groups + ci, oy*sH - pH + ky*dH, ox*sW - pW + kx*dW]
                                       * kernel[co, ci, ky, kx]          (g = co // (C_out/groups))

with zero padding (taps outside the input contribute nothing) and
``H_out = (H + 2*pH - dH*(kH-1) - 1) // sH + 1`` (likewise W). Conv1d is the 2-D case with
``in_shape = (C_in, 1, L)`` and ``kernel = (1, k)``; SumPool2d(k, s) feeding a neuron layer is the
depthwise convolution ``out_channels = groups = C`` with an all-ones kernel.

Hardware schedule (the rules both ``rtl/snn_core.py`` and ``models/snn_capacity.py`` read): the
core spreads a group's output channels over ``conv_lanes(g, lanes)`` lanes (the largest power of two
<= lanes dividing C_out/groups), so an event costs ``conv_chunks = (C_out/groups) / conv_lanes``
clocks per tap it reaches (:func:`conv_event_cycles`: at least one); the kernel memory holds
``C_out / conv_lanes`` chunks of ``conv_weight_rows = C_in/groups * kH * kW`` words; an output
neuron's accumulator holds at most ``conv_weight_rows`` levels (:func:`conv_accumulator_bits`).
Inside the core a conv layer numbers its neurons position-major (``j' = (oy * W_out + ox) * C_out +
co``, :func:`conv_internal_order`), so that the channels accumulated in one clock are one word of
its accumulator banks and of its neuron state banks; its spikes leave with the C-order index.

Event view (what the core does): an input event ``(c, y, x)`` reaches the outputs ``(co, oy, ox)``
of its group's channels at every tap ``(ky, kx)`` with ``y + pH - ky*dH = oy*sH`` and ``0 <= oy <
H_out`` (likewise x); :meth:`ConvGeometry.event_taps` lists them. Its fan-out (its synaptic
operations) is ``len(taps) * C_out/groups``.
"""

from dataclasses import dataclass

import numpy as np

from neuroxide.errors import ParameterError, check_int

__all__ = ["ConvGeometry", "unrolled", "unrolled_sparse", "connections", "conv_lanes", "conv_chunks",
           "conv_event_cycles", "conv_accumulator_bits", "conv_weight_rows", "conv_internal_order",
           "conv_axis_table", "conv_event_fields"]

_MAX_SIDE = 1 << 16


def _pair(name, value, lo, hi):
    """A 2-tuple of ints in lo..hi (an int is taken for both axes)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (value, value)
    try:
        t = tuple(value)
    except TypeError:
        raise ParameterError(name, value, f"a pair of integers in {lo}..{hi}") from None
    if len(t) != 2:
        raise ParameterError(name, value, f"a pair of integers in {lo}..{hi}")
    return tuple(check_int(f"{name}[{i}]", v, lo, hi) for i, v in enumerate(t))


@dataclass(frozen=True)
class ConvGeometry:
    """Shape of a 2-D convolution (Conv1d: ``in_shape = (C_in, 1, L)``, ``kernel = (1, k)``).

    ``in_shape`` (C_in, H, W); ``out_channels`` C_out; ``kernel`` (kH, kW); ``stride``; ``padding``
    (zero padding, symmetric, per axis); ``dilation``; ``groups`` (C_in and C_out divisible by it).
    Validated on construction: a bad field raises ParameterError naming it.
    """

    in_shape: tuple
    out_channels: int
    kernel: tuple
    stride: tuple = (1, 1)
    padding: tuple = (0, 0)
    dilation: tuple = (1, 1)
    groups: int = 1

    def __post_init__(self):
        try:
            shape = tuple(self.in_shape)
        except TypeError:
            raise ParameterError("in_shape", self.in_shape, "(C_in, H, W), positive integers") from None
        if len(shape) != 3:
            raise ParameterError("in_shape", self.in_shape, "(C_in, H, W), positive integers")
        shape = tuple(check_int(f"in_shape[{i}]", v, 1, _MAX_SIDE) for i, v in enumerate(shape))
        object.__setattr__(self, "in_shape", shape)
        object.__setattr__(self, "out_channels", check_int("out_channels", self.out_channels, 1, _MAX_SIDE))
        object.__setattr__(self, "kernel", _pair("kernel", self.kernel, 1, 255))
        object.__setattr__(self, "stride", _pair("stride", self.stride, 1, 255))
        object.__setattr__(self, "padding", _pair("padding", self.padding, 0, 255))
        object.__setattr__(self, "dilation", _pair("dilation", self.dilation, 1, 255))
        g = check_int("groups", self.groups, 1, _MAX_SIDE)
        object.__setattr__(self, "groups", g)
        if shape[0] % g or self.out_channels % g:
            raise ParameterError("groups", g, f"a divisor of in channels {shape[0]} and out_channels "
                                 f"{self.out_channels}")
        for axis, name in ((0, "H"), (1, "W")):
            span = self.dilation[axis] * (self.kernel[axis] - 1) + 1
            if shape[1 + axis] + 2 * self.padding[axis] < span:
                raise ParameterError(f"kernel[{axis}]", self.kernel[axis],
                                     f"a dilated span <= {name} + 2*padding = "
                                     f"{shape[1 + axis] + 2 * self.padding[axis]}")

    # --- shapes ------------------------------------------------------------------------------

    @property
    def out_shape(self):
        """``(C_out, H_out, W_out)``."""
        h = (self.in_shape[1] + 2 * self.padding[0] - self.dilation[0] * (self.kernel[0] - 1) - 1) // self.stride[0] + 1
        w = (self.in_shape[2] + 2 * self.padding[1] - self.dilation[1] * (self.kernel[1] - 1) - 1) // self.stride[1] + 1
        return (self.out_channels, h, w)

    @property
    def n_in(self):
        return int(np.prod(self.in_shape))

    @property
    def n_out(self):
        return int(np.prod(self.out_shape))

    @property
    def in_per_group(self):
        return self.in_shape[0] // self.groups

    @property
    def out_per_group(self):
        return self.out_channels // self.groups

    @property
    def kernel_shape(self):
        """``(C_out, C_in // groups, kH, kW)``: the stored weights."""
        return (self.out_channels, self.in_per_group, *self.kernel)

    @property
    def taps(self):
        """Kernel taps per input channel, ``kH * kW``."""
        return self.kernel[0] * self.kernel[1]

    # --- event view ----------------------------------------------------------------------------

    def _axis_taps(self, axis, pos):
        """``[(k, o), ...]``: taps k along ``axis`` through which input position ``pos`` reaches
        output position ``o`` (k ascending)."""
        s, p, d, k = self.stride[axis], self.padding[axis], self.dilation[axis], self.kernel[axis]
        n_o = self.out_shape[1 + axis]
        out = []
        for kk in range(k):
            num = pos + p - kk * d
            if num >= 0 and num % s == 0 and num // s < n_o:
                out.append((kk, num // s))
        return out

    def event_taps(self, y, x):
        """``[(ky, kx, oy, ox), ...]``: the taps through which an input event at ``(y, x)`` (any
        channel) reaches output position ``(oy, ox)``, ky-major (the core's walk order)."""
        return [(ky, kx, oy, ox) for ky, oy in self._axis_taps(0, y) for kx, ox in self._axis_taps(1, x)]

    def fanout(self):
        """int ``(n_in,)``: output neurons each input reaches (its synaptic operations per event)."""
        fy = np.array([len(self._axis_taps(0, y)) for y in range(self.in_shape[1])])
        fx = np.array([len(self._axis_taps(1, x)) for x in range(self.in_shape[2])])
        per = np.multiply.outer(fy, fx) * self.out_per_group
        return np.broadcast_to(per, self.in_shape).reshape(-1).astype(np.int64)

    def max_taps(self):
        """The most taps any input position has (``max len(event_taps)``)."""
        fy = max(len(self._axis_taps(0, y)) for y in range(self.in_shape[1]))
        fx = max(len(self._axis_taps(1, x)) for x in range(self.in_shape[2]))
        return fy * fx

    # --- serialisation -------------------------------------------------------------------------

    def to_dict(self):
        return {"in_shape": list(self.in_shape), "out_channels": self.out_channels, "kernel": list(self.kernel),
                "stride": list(self.stride), "padding": list(self.padding), "dilation": list(self.dilation),
                "groups": self.groups}

    @classmethod
    def from_dict(cls, d):
        if not isinstance(d, dict):
            raise ParameterError("conv", type(d).__name__, "a dict of ConvGeometry fields")
        known = {"in_shape", "out_channels", "kernel", "stride", "padding", "dilation", "groups"}
        extra = set(d) - known
        if extra:
            raise ParameterError(f"conv.{sorted(extra)[0]}", d[sorted(extra)[0]], " | ".join(sorted(known)))
        for need in ("in_shape", "out_channels", "kernel"):
            if need not in d:
                raise ParameterError(f"conv.{need}", None, "present")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


def connections(geometry):
    """Every synapse of the unrolled layer as int64 arrays ``(rows, cols, taps)``: input index,
    output index and flat kernel index (into ``kernel.reshape(-1)``), one entry per (output, tap)
    whose input lies inside the image (zero padding taps are absent). Vectorised; sorted by column."""
    g = geometry
    c_in, h, w = g.in_shape
    c_out, ho, wo = g.out_shape
    kh, kw = g.kernel
    cig, cog = g.in_per_group, g.out_per_group
    co = np.arange(c_out)[:, None, None, None, None, None]
    ci = np.arange(cig)[None, :, None, None, None, None]
    ky = np.arange(kh)[None, None, :, None, None, None]
    kx = np.arange(kw)[None, None, None, :, None, None]
    oy = np.arange(ho)[None, None, None, None, :, None]
    ox = np.arange(wo)[None, None, None, None, None, :]
    iy = oy * g.stride[0] - g.padding[0] + ky * g.dilation[0]
    ix = ox * g.stride[1] - g.padding[1] + kx * g.dilation[1]
    shape = (c_out, cig, kh, kw, ho, wo)
    valid = np.broadcast_to((iy >= 0) & (iy < h) & (ix >= 0) & (ix < w), shape)
    c = (co // cog) * cig + ci
    rows = np.broadcast_to((c * h + iy) * w + ix, shape)
    cols = np.broadcast_to((co * ho + oy) * wo + ox, shape)
    taps = np.broadcast_to(((co * cig + ci) * kh + ky) * kw + kx, shape)
    # order by output column: (c_out, ho, wo) first, then (ci, ky, kx)
    perm = (0, 4, 5, 1, 2, 3)
    valid = valid.transpose(perm)
    return (rows.transpose(perm)[valid].astype(np.int64), cols.transpose(perm)[valid].astype(np.int64),
            taps.transpose(perm)[valid].astype(np.int64))


def _check_kernel(geometry, kernel):
    k = np.asarray(kernel)
    if k.shape != geometry.kernel_shape:
        raise ParameterError("kernel", f"shape {k.shape}", f"{geometry.kernel_shape} (C_out, C_in/groups, kH, kW)")
    return k


def unrolled(geometry, kernel):
    """The dense ``(n_in, n_out)`` matrix the convolution equals (kernel's dtype; int or float)."""
    k = _check_kernel(geometry, kernel)
    rows, cols, taps = connections(geometry)
    out = np.zeros((geometry.n_in, geometry.n_out), dtype=k.dtype)
    out[rows, cols] = k.reshape(-1)[taps]
    return out


def unrolled_sparse(geometry, kernel, dtype=None):
    """:func:`unrolled` as a ``scipy.sparse.csr_matrix`` (only the taps inside the image stored;
    a zero kernel value is kept as an explicit entry, so the structure is the layer's wiring)."""
    import scipy.sparse as sp
    k = _check_kernel(geometry, kernel)
    rows, cols, taps = connections(geometry)
    data = k.reshape(-1)[taps].astype(dtype or k.dtype)
    return sp.csr_matrix((data, (rows, cols)), shape=(geometry.n_in, geometry.n_out))


def _bits(n):
    return max(1, int(n).bit_length())


def conv_lanes(geometry, lanes):
    """Output channels accumulated per clock: the largest power of two <= ``lanes`` dividing
    C_out/groups (so a chunk of channels never straddles a group and lane q is always bank q)."""
    q = 1
    while q * 2 <= lanes and geometry.out_per_group % (q * 2) == 0:
        q *= 2
    return q


def conv_chunks(geometry, lanes):
    """Clocks per tap of an event: the event's group's channels, ``conv_lanes`` at a time."""
    return geometry.out_per_group // conv_lanes(geometry, lanes)


def conv_weight_rows(geometry):
    """Kernel rows ``(ci, ky, kx)`` of one output channel: C_in/groups * kH * kW."""
    return geometry.in_per_group * geometry.taps


def conv_event_cycles(geometry, lanes):
    """int64 ``(n_in,)``: clocks the core's walker spends on an event of each input (C order):
    ``max(1, taps it reaches * conv_chunks)``."""
    taps = geometry.fanout() // geometry.out_per_group
    return np.maximum(1, taps * conv_chunks(geometry, lanes)).astype(np.int64)


def conv_accumulator_bits(geometry, weight_bits):
    """Width of an output neuron's accumulator: every kernel row at the top level fits (an input
    fires at most once per step, and reaches a neuron through one tap), so it cannot wrap."""
    return _bits(conv_weight_rows(geometry) * ((1 << weight_bits) - 1))


def conv_internal_order(geometry):
    """int64 ``(n_out,)``: the C-order index ``(co * H_out + oy) * W_out + ox`` of the core's internal
    neuron ``j' = (oy * W_out + ox) * C_out + co`` (position-major)."""
    c_out, ho, wo = geometry.out_shape
    pos, co = np.divmod(np.arange(c_out * ho * wo), c_out)
    return (co * ho * wo + pos).astype(np.int64)


def conv_axis_table(geometry, axis):
    """The taps of one axis as the core's ROM holds them: ``(table, rows)``, ``table[pos]`` the list
    of ``(k, o)`` (tap, output position) reached from input position ``pos`` (k ascending), ``rows``
    the longest list (at least 1)."""
    side = geometry.in_shape[1 + axis]
    table = [geometry._axis_taps(axis, pos) for pos in range(side)]
    return table, max(1, max(len(t) for t in table))


def conv_event_fields(geometry, lanes):
    """``{field: bits}`` of a decoded event in a conv layer's event list: ``gk0`` (its group's first
    channel chunk), ``ci`` (channel within the group), ``y``, ``x``, ``ny1``/``nx1`` (taps per axis
    less one) and ``empty`` (the event reaches no output)."""
    ty = conv_axis_table(geometry, 0)[1]
    tx = conv_axis_table(geometry, 1)[1]
    chunks = conv_chunks(geometry, lanes)
    return {"gk0": _bits((geometry.groups - 1) * chunks), "ci": _bits(geometry.in_per_group - 1),
            "y": _bits(geometry.in_shape[1] - 1), "x": _bits(geometry.in_shape[2] - 1),
            "ny1": _bits(ty - 1), "nx1": _bits(tx - 1), "empty": 1}
