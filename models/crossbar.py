"""Memristor crossbar synapses: float weights -> device conductances -> the core's integer levels.

Each signed weight is a **differential pair** of non-volatile devices, G+ on the excitatory line and
G- on the inhibitory one (w ~ G+ - G-; one of the two sits at G_min). Each device has
``2**weight_bits`` nominal conductance levels evenly spaced from ``g_min_siemens`` to
``g_max_siemens``. Programming a weight matrix, per device, in this order::

    k      = round(|w| / w_max * (2**weight_bits - 1))          target level of the pair's active side
    G_nom  = G_min + k * dG,   dG = (G_max - G_min) / (2**weight_bits - 1)
    G_d2d  = G_min + (G_nom - G_min) * (1 + d2d_sigma * z_dev)  device-to-device spread: z_dev ~ N(0,1),
                                                                drawn once per device (seeded, fixed)
    G_prog = clip(G_d2d + write_sigma * (G_max - G_min) * z_w, G_min, G_max)
                                                                programming noise: fresh z_w per write
    stuck devices (fraction stuck_at, seeded, fixed): G_prog = G_min or G_max whatever was written
    level  = round((G_prog - G_min) / (G_max - G_min) * (2**grid_bits - 1))   the integer grid

The last line is what the core stores and what :meth:`Crossbar.program` returns as ``w_exc``/``w_inh``
(docs/snn_contract.md): the conductance **actually programmed**, read back on an integer grid of
``grid_bits`` bits. Resolution choice: ``grid_bits`` defaults to ``weight_bits`` (one grid step per
device level; ideal devices map exactly, and spread shows only where it moves a device by more than
half a level), and may be set finer (up to 8) so that small spread becomes visible: with 4-bit
devices on an 8-bit grid a nominal level k is grid value 17 k and the spread perturbs it in steps of
1/255 of the range. ``neuroxide digits`` uses an 8-bit grid for every device width.

Read noise (``read_sigma``: every read of every device draws ``G * (1 + read_sigma * z)``) exists
only in the float model (:meth:`Crossbar.read`). The integer core reads stored levels exactly;
reproducing read noise bit-exactly in RTL would need a PRNG draw per synapse read, a cost out of
proportion to the effect, so it is left out of the contract on purpose.

The column **ADC** of the float model converts each line's current (excitatory and inhibitory
separately, like the core) to an unsigned ``adc_bits`` code over ``0..adc_full_scale`` (in units
of the weight scale; clipped above: the ADC saturates). In the integer core the same ADC is
``min(acc >> adc_shift, 2**in_bits - 1)``; ``adc_bits`` becomes the neurons' ``in_bits``.

Randomness here is host-side float physics, not part of the bit-exact contract: each draw comes
from ``numpy.random.default_rng([seed, stream])`` with streams 1 (d2d), 2 (stuck-at), 3 (write
noise, plus the write counter) and 4 (read noise, plus the read counter).
"""

from dataclasses import dataclass

import numpy as np

from neuroxide.errors import ParameterError, check_int

__all__ = ["DeviceParams", "Crossbar", "Programmed", "DEVICE_DOCS", "split_differential"]

DEVICE_DOCS = {
    "weight_bits": "conductance levels per device: 2**weight_bits (1..8)",
    "grid_bits": "integer grid the programmed conductance is read back on (weight_bits..8; None: weight_bits)",
    "g_min_siemens": "lowest conductance (level 0, a stuck-off device)",
    "g_max_siemens": "highest conductance (top level, a stuck-on device)",
    "d2d_sigma": "device-to-device spread of the conductance window, relative (0..1), fixed per device",
    "write_sigma": "programming noise, std relative to G_max - G_min (0..1), fresh per write",
    "read_sigma": "read noise, relative std per read (0..1); float model only",
    "stuck_at": "fraction of devices stuck (0..1), fixed per device",
    "stuck_on_fraction": "of the stuck devices, the fraction stuck at G_max (0..1); the rest at G_min",
    "adc_bits": "column ADC resolution (1..16); the core's in_bits",
}


def _check_float(name, value, lo, hi):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) \
            or not np.isfinite(value) or not lo <= value <= hi:
        raise ParameterError(name, value, f"{lo}..{hi}", DEVICE_DOCS.get(name))
    return float(value)


def _check_int(name, value, lo, hi):
    return check_int(name, value, lo, hi, DEVICE_DOCS.get(name))


@dataclass(frozen=True)
class DeviceParams:
    """The devices of a crossbar and their non-idealities (:data:`DEVICE_DOCS`); all validated."""

    weight_bits: int = 4
    grid_bits: int | None = None
    g_min_siemens: float = 1e-6
    g_max_siemens: float = 100e-6
    d2d_sigma: float = 0.0
    write_sigma: float = 0.0
    read_sigma: float = 0.0
    stuck_at: float = 0.0
    stuck_on_fraction: float = 0.5
    adc_bits: int = 12

    def __post_init__(self):
        _check_int("weight_bits", self.weight_bits, 1, 8)
        if self.grid_bits is not None:
            _check_int("grid_bits", self.grid_bits, self.weight_bits, 8)
        _check_float("g_min_siemens", self.g_min_siemens, 0.0, 1.0)
        _check_float("g_max_siemens", self.g_max_siemens, 0.0, 1.0)
        if not self.g_max_siemens > self.g_min_siemens:
            raise ParameterError("g_max_siemens", self.g_max_siemens, f"> g_min_siemens = {self.g_min_siemens}")
        for name in ("d2d_sigma", "write_sigma", "read_sigma", "stuck_at", "stuck_on_fraction"):
            _check_float(name, getattr(self, name), 0.0, 1.0)
        _check_int("adc_bits", self.adc_bits, 1, 16)

    @property
    def levels(self):
        return 1 << self.weight_bits

    @property
    def grid(self):
        """Bits of the integer grid (``grid_bits``, or ``weight_bits`` when None)."""
        return self.weight_bits if self.grid_bits is None else self.grid_bits

    @property
    def grid_max(self):
        return (1 << self.grid) - 1

    @property
    def ideal(self):
        return self.d2d_sigma == 0 and self.write_sigma == 0 and self.read_sigma == 0 and self.stuck_at == 0


def split_differential(weights):
    """Signed weights -> (positive part, negative part), both >= 0: w = w_pos - w_neg."""
    w = np.asarray(weights, dtype=np.float64)
    return np.maximum(w, 0.0), np.maximum(-w, 0.0)


@dataclass
class Programmed:
    """The result of :meth:`Crossbar.program`.

    ``w_exc``/``w_inh``: int64 ``(n_in, n_out)`` grid levels (the core's matrices); ``g_siemens``:
    float ``(2, n_in, n_out)`` conductances actually programmed (G+, G-); ``scale``: float weight
    per grid step, so ``(w_exc - w_inh) * scale`` approximates the float weights; ``grid_bits``.
    """

    w_exc: np.ndarray
    w_inh: np.ndarray
    g_siemens: np.ndarray
    scale: float
    grid_bits: int

    @property
    def weights(self):
        """The float weights the programmed crossbar represents."""
        return (self.w_exc - self.w_inh) * self.scale


class Crossbar:
    """An ``n_in x n_out`` crossbar of differential pairs (2 devices per weight).

    The device-to-device spread and the stuck-at map are drawn once, here, from ``seed``: they
    belong to this physical array and stay the same across :meth:`program` calls.
    """

    def __init__(self, n_in, n_out, device=None, seed=0):
        self.n_in = _check_int("n_in", n_in, 1, 1 << 20)
        self.n_out = _check_int("n_out", n_out, 1, 1 << 20)
        self.device = device if device is not None else DeviceParams()
        if not isinstance(self.device, DeviceParams):
            raise ParameterError("device", type(self.device).__name__, "a DeviceParams")
        self.seed = _check_int("seed", seed, 0, 0xFFFF_FFFF)
        d = self.device
        shape = (2, self.n_in, self.n_out)
        z = np.random.default_rng([self.seed, 1]).standard_normal(shape)
        self.d2d_gain = np.maximum(1.0 + d.d2d_sigma * z, 0.0)  # a window cannot be negative
        rs = np.random.default_rng([self.seed, 2])
        stuck = rs.random(shape) < d.stuck_at
        on = rs.random(shape) < d.stuck_on_fraction
        # +1 stuck at G_max, -1 stuck at G_min, 0 healthy
        self.stuck = np.where(stuck, np.where(on, 1, -1), 0).astype(np.int8)
        self.writes = 0
        self.reads = 0
        self.g_siemens = np.full(shape, d.g_min_siemens)

    @property
    def g_range_siemens(self):
        return self.device.g_max_siemens - self.device.g_min_siemens

    def target_levels(self, weights, w_max=None):
        """Nominal device levels ``(2, n_in, n_out)`` (G+ then G-) and the float weight per level."""
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (self.n_in, self.n_out):
            raise ParameterError("weights", f"shape {w.shape}", f"({self.n_in}, {self.n_out})")
        if not np.isfinite(w).all():
            raise ParameterError("weights", "non-finite values", "finite floats")
        if w_max is None:
            w_max = float(np.abs(w).max())
        if not (np.isfinite(w_max) and w_max >= 0):
            raise ParameterError("w_max", w_max, "a finite float >= 0")
        top = self.device.levels - 1
        per_level = w_max / top if w_max > 0 else 1.0
        pos, neg = split_differential(w)
        levels = np.clip(np.floor(np.stack([pos, neg]) / per_level + 0.5), 0, top).astype(np.int64)
        return levels, per_level

    def program(self, weights, w_max=None):
        """Write ``weights`` (float ``(n_in, n_out)``, clipped at +-``w_max``, default max |w|).

        Returns :class:`Programmed`; see the module docstring for the steps. Each call is one
        write of the whole array: the programming noise is fresh, spread and faults are not.
        """
        d = self.device
        levels, per_level = self.target_levels(weights, w_max)
        top = d.levels - 1
        g_nom = d.g_min_siemens + levels / top * self.g_range_siemens
        g = d.g_min_siemens + (g_nom - d.g_min_siemens) * self.d2d_gain
        if d.write_sigma:
            zw = np.random.default_rng([self.seed, 3, self.writes]).standard_normal(g.shape)
            g = g + d.write_sigma * self.g_range_siemens * zw
        g = np.clip(g, d.g_min_siemens, d.g_max_siemens)
        g = np.where(self.stuck > 0, d.g_max_siemens, np.where(self.stuck < 0, d.g_min_siemens, g))
        self.writes += 1
        self.g_siemens = g
        grid = np.floor((g - d.g_min_siemens) / self.g_range_siemens * d.grid_max + 0.5).astype(np.int64)
        grid = np.clip(grid, 0, d.grid_max)
        # a grid step is (grid_max / top) device levels' worth of weight
        scale = per_level * top / d.grid_max
        return Programmed(w_exc=grid[0], w_inh=grid[1], g_siemens=g, scale=scale, grid_bits=d.grid)

    def read(self, x, scale=1.0, adc_full_scale=None):
        """Float model of one read: column currents for input activities ``x`` (``(..., n_in)``).

        Returns ``(i_exc, i_inh)`` in units of weight (conductance above G_min divided by the
        window, times ``scale``), each with fresh read noise (``read_sigma``) and, when
        ``adc_full_scale`` is given, through the ``adc_bits`` ADC over ``0..adc_full_scale``.
        """
        d = self.device
        x = np.asarray(x, dtype=np.float64)
        g = self.g_siemens
        if d.read_sigma:
            z = np.random.default_rng([self.seed, 4, self.reads]).standard_normal((*x.shape[:-1], *g.shape))
            g = g * (1.0 + d.read_sigma * z)
        self.reads += 1
        # G_min is the zero of each line: the pair's common offset cancels in a differential read
        w = (g - d.g_min_siemens) / self.g_range_siemens * (d.grid_max * scale)
        if w.ndim == 3:
            i_exc, i_inh = x @ w[0], x @ w[1]
        else:
            i_exc = np.einsum("...i,...ij->...j", x, w[..., 0, :, :])
            i_inh = np.einsum("...i,...ij->...j", x, w[..., 1, :, :])
        if adc_full_scale is not None:
            i_exc, i_inh = (self.adc(i, adc_full_scale) for i in (i_exc, i_inh))
        return i_exc, i_inh

    def adc(self, current, full_scale):
        """Unsigned ``adc_bits`` ADC over ``0..full_scale``: floor to a code, saturate, back to units."""
        if not full_scale > 0:
            raise ParameterError("adc_full_scale", full_scale, "> 0")
        top = (1 << self.device.adc_bits) - 1
        lsb = full_scale / top
        return np.clip(np.floor(np.asarray(current) / lsb), 0, top) * lsb
