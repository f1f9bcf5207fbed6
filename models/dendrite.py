"""Fixed-point multi-dendrite neuron (Li 2020): dendrites filter weak inputs and integrate strong ones.

One update rule, :func:`dendrite_step`, written once over the ops layer: numpy here, Amaranth
gates in ``neuroxide.rtl.dendrite``. Each neuron has ``n_dend`` dendrites feeding one soma.

The state of a neuron (``d``: one value per dendrite, ``v``, ``ref``, ``spike``) and its input
(``x``, one value per dendrite) are declared once, with their widths, by
:attr:`DendriteParams.state_layout` and :attr:`DendriteParams.input_layout` (everything unsigned:
inputs are amplitudes). One time step, in this order::

    g[j]    = x[j] if x[j] >= d_th else 0                      filter: weak input blocked
    d'[j]   = clamp((d[j] * d_decay) >> d_decay_bits + g[j], 0, 2**d_bits - 1)   dendrite integrates, leaks
    soma_in = sum_j (d'[j] >> d_shift)                         dendrites drive the soma
    v_int   = clamp((v * decay) >> decay_bits + soma_in, 0, 2**v_bits - 1)
    fire    = (ref == 0) and (v_int >= v_th)
    if ref > 0:  v' = v, ref' = ref - 1                        refractory: soma held (dendrites go on)
    elif fire:   v' = v_reset, ref' = t_ref
    else:        v' = v_int, ref' = 0

Rounding is floor (shifts of unsigned values), and every narrowing is a saturation, never a wrap.
"""

from dataclasses import dataclass

import numpy as np

from neuroxide.errors import ParameterError

from .fixedpoint import NUMPY, FixedPointParams, unsigned_range
from .layout import StateField, StateLayout

__all__ = ["DENDRITE_PARAM_DOCS", "DendriteParams", "DendriteState", "DendriteModel", "dendrite_step", "MAX_DENDRITES"]

MAX_DENDRITES = 8

DENDRITE_PARAM_DOCS = {
    "n_dend": "dendrites per neuron",
    "in_bits": "width of each dendrite input x (unsigned)",
    "d_bits": "dendrite state width (unsigned)",
    "d_decay_bits": "fraction bits of the dendrite leak factor",
    "d_decay": "dendrite leak factor * 2**d_decay_bits",
    "d_th": "filter threshold: inputs below it are blocked",
    "d_shift": "dendrite -> soma attenuation: soma gets d >> d_shift",
    "v_bits": "soma membrane width (unsigned)",
    "decay_bits": "fraction bits of the soma leak factor",
    "decay": "soma leak factor * 2**decay_bits",
    "v_th": "soma threshold",
    "v_reset": "soma value after a spike",
    "ref_bits": "refractory counter width",
    "t_ref": "refractory steps after a spike",
}


@dataclass(frozen=True)
class DendriteParams(FixedPointParams):
    """Widths and constants of the multi-dendrite neuron (module docstring, :data:`DENDRITE_PARAM_DOCS`)."""

    n_dend: int = 4
    in_bits: int = 8
    d_bits: int = 12
    d_decay_bits: int = 8
    d_decay: int = 192
    d_th: int = 128
    d_shift: int = 2
    v_bits: int = 14
    decay_bits: int = 8
    decay: int = 240
    v_th: int = 4000
    v_reset: int = 0
    ref_bits: int = 4
    t_ref: int = 2

    @property
    def in_max(self):
        return unsigned_range(self.in_bits)[1]

    @property
    def d_max(self):
        return unsigned_range(self.d_bits)[1]

    @property
    def v_max(self):
        return unsigned_range(self.v_bits)[1]

    @property
    def state_layout(self):
        """State of one neuron, in the order :func:`dendrite_step` takes and returns it."""
        return StateLayout(
            StateField("d", self.d_bits, count=self.n_dend, doc="each dendrite's integrated input"),
            StateField("v", self.v_bits, doc="soma membrane"),
            StateField("ref", self.ref_bits, doc="refractory steps left"),
            StateField("spike", 1, doc="fired on the step just taken"),
        )

    @property
    def input_layout(self):
        """Input of one neuron per step: one amplitude per dendrite."""
        return StateLayout(StateField("x", self.in_bits, count=self.n_dend, doc="dendrite input amplitude"))

    def validate(self):
        self._check("n_dend", 1, MAX_DENDRITES)
        self._check("in_bits", 1, 16)
        self._check("d_bits", self.in_bits, 24, f"at least in_bits={self.in_bits}")
        self._check("d_decay_bits", 1, 16)
        self._check("d_decay", 0, 1 << self.d_decay_bits, f"leak x 2**d_decay_bits, d_decay_bits={self.d_decay_bits}")
        self._check("d_th", 0, self.in_max, f"in_bits={self.in_bits}")
        self._check("d_shift", 0, self.d_bits)
        self._check("v_bits", 2, 24)
        self._check("decay_bits", 1, 16)
        self._check("decay", 0, 1 << self.decay_bits, f"leak x 2**decay_bits, decay_bits={self.decay_bits}")
        self._check("v_th", 1, self.v_max, f"v_bits={self.v_bits}")
        self._check("v_reset", 0, self.v_th - 1, "a reset at or above v_th would fire again at once")
        self._check("ref_bits", 1, 16)
        self._check("t_ref", 0, unsigned_range(self.ref_bits)[1], f"ref_bits={self.ref_bits}")


def dendrite_step(ops, p, d, v, ref, x):
    """One step of the rule (module docstring) on back end ``ops``.

    ``d`` and ``x`` are sequences of ``n_dend`` values (numpy arrays or Amaranth values), ``v`` and
    ``ref`` one value each. Returns ``(d', v', ref', spike)`` (the fields of ``p.state_layout``,
    in its order) with ``d'`` a list.
    """
    d_next = []
    soma_in = 0
    for j in range(p.n_dend):
        g = ops.select(x[j] >= p.d_th, x[j], 0)
        dj = ops.let(f"d{j}_next", ops.clamp(((d[j] * p.d_decay) >> p.d_decay_bits) + g, 0, p.d_max))
        d_next.append(dj)
        soma_in = soma_in + (dj >> p.d_shift)
    v_int = ops.let("v_int", ops.clamp(((v * p.decay) >> p.decay_bits) + soma_in, 0, p.v_max))
    refractory = ops.let("refractory", ref != 0)
    fire = ops.let("fire", ~refractory & (v_int >= p.v_th))
    v_n = ops.select(refractory, v, ops.select(fire, p.v_reset, v_int))
    ref_n = ops.select(refractory, ref - 1, ops.select(fire, p.t_ref, 0))
    return d_next, v_n, ref_n, fire


# one attribute per field of DendriteParams.state_layout
DendriteState = DendriteParams().state_layout.record(
    "DendriteState", "Full state: ``d`` (..., n_dend), ``v``, ``ref`` (...), ``spike`` (...) bool.", __name__)


class DendriteModel:
    """Vectorised fixed-point multi-dendrite neurons (the golden model); ``shape`` neurons."""

    def __init__(self, params=None, shape=1):
        self.params = params if params is not None else DendriteParams()
        self.shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        self.reset()

    def reset(self):
        self.state = DendriteState(**self.params.state_layout.initial(self.shape))

    def run(self, x):
        """Run ``len(x)`` steps on inputs ``x`` of shape ``(steps, *shape, n_dend)``.

        Returns ``{field: array}`` of the state after every step (``d``: (steps, *shape, n_dend)).
        """
        p = self.params
        x = np.asarray(x)
        if x.dtype.kind not in "iub":
            raise ParameterError("x", x.dtype.name, "integer arrays")
        x = np.broadcast_to(x.astype(np.int64), (x.shape[0], *self.shape, p.n_dend))
        if x.size and (x.min() < 0 or x.max() > p.in_max):
            bad = int(x.min()) if x.min() < 0 else int(x.max())
            raise ParameterError("x", bad, f"0..{p.in_max} (in_bits={p.in_bits})")
        steps = x.shape[0]
        out = p.state_layout.empty((steps, *self.shape))
        s = self.state
        d = [s.d[..., j] for j in range(p.n_dend)]
        v, ref = s.v, s.ref
        for t in range(steps):
            d, v, ref, spike = dendrite_step(NUMPY, p, d, v, ref, [x[t, ..., j] for j in range(p.n_dend)])
            for trace, value in zip(out.values(), (np.stack(d, axis=-1), v, ref, spike)):
                trace[t] = value
        if steps:
            self.state = DendriteState(*(trace[-1].copy() for trace in out.values()))
        return out
