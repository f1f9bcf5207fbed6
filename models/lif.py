"""Fixed-point leaky integrate-and-fire neuron: the golden model of the ``lif`` design.

One update rule, :func:`lif_step`, serves both back ends: numpy here (vectorised over any array
of neurons) and Amaranth gates in ``neuroxide.rtl.lif``. Every width, rounding and update order is
fixed below; the RTL must equal this model on the full state at every step.

The state of a neuron (``v``, ``ref``, ``adapt``, ``rng``, ``spike``) and its inputs (``i_exc``,
``i_inh``) are declared once, with widths and signedness, by :attr:`LIFParams.state_layout` and
:attr:`LIFParams.input_layout`; the numpy state, the RTL ports, the bench trace words and the bench
comparison derive from them. One time step, in this order::

    rng'    = xorshift32(rng)                                   always advances, one draw per step
    a_dec   = adapt - (adapt >> adapt_shift)                    adaptation decays (floor)
    v_int   = clamp((v * decay) >> decay_bits                   leak: multiply by decay / 2**decay_bits
                    + bias + i_exc - i_inh,  v_min, v_max)      integrate, saturating
    noise   = (rng' >> (32 - noise_bits)) - 2**(noise_bits-1)   uniform, 0 when noise_bits == 0
    theta   = v_th + a_dec + noise                              effective threshold
    fire    = (ref == 0) and (v_int >= theta)
    if ref > 0:  v' = v,  ref' = ref - 1                        refractory: input ignored, v held
    elif fire:   v' = v_reset                   (reset_mode "value")
                 v' = clamp(v_int - v_th, ...)  (reset_mode "subtract")
                 ref' = t_ref
    else:        v' = v_int, ref' = 0
    adapt'  = clamp(a_dec + (adapt_inc if fire else 0), 0, 2**adapt_bits - 1)

Rounding is floor (arithmetic shift) throughout; the only narrowing is by saturation, so no value
ever wraps. ``v_max`` is the largest ``v_bits`` value, ``v_min`` a parameter (default the most
negative ``v_bits`` value) that bounds how far inhibition can push the membrane.
"""

from dataclasses import dataclass

import numpy as np

from neuroxide.errors import ParameterError

from .fixedpoint import NUMPY, FixedPointParams, signed_range, unsigned_range
from .layout import StateField, StateLayout
from .prng import RNG_STATE, seeds_for, xorshift32

__all__ = ["PARAM_DOCS", "LIFParams", "LIFState", "LIFTrace", "LIFModel", "lif_step", "RESET_MODES", "RNG_STREAM"]

RESET_MODES = ("value", "subtract")
RNG_STREAM = 1  # stream id of the threshold-noise PRNG in prng.seed_for

# one line per LIFParams field, for `neuroxide list` and error messages
PARAM_DOCS = {
    "v_bits": "membrane width (signed)",
    "in_bits": "width of each of i_exc, i_inh (unsigned)",
    "decay_bits": "fraction bits of the leak factor",
    "ref_bits": "refractory counter width",
    "adapt_bits": "adaptation state width",
    "decay": "leak factor * 2**decay_bits; 2**decay_bits means no leak",
    "bias": "constant drive added every step",
    "v_th": "threshold",
    "v_reset": "reset value (reset_mode 'value')",
    "v_min": "lower saturation bound of v; None: most negative v_bits value",
    "v_init": "membrane at power-up / reset",
    "t_ref": "refractory steps after a spike",
    "adapt_inc": "threshold increase per spike; 0 disables adaptation",
    "adapt_shift": "adaptation decays by adapt >> adapt_shift per step",
    "noise_bits": "uniform threshold noise of 2**noise_bits LSBs; 0 disables",
    "reset_mode": "on a spike: 'value' (v = v_reset) or 'subtract' (v -= v_th)",
}


@dataclass(frozen=True)
class LIFParams(FixedPointParams):
    """Widths and constants of the fixed-point LIF neuron (all integers, see module docstring).

    :data:`PARAM_DOCS` says what each field means.
    """

    v_bits: int = 16
    in_bits: int = 12
    decay_bits: int = 12
    ref_bits: int = 6
    adapt_bits: int = 12
    decay: int = 3968
    bias: int = 0
    v_th: int = 4096
    v_reset: int = 0
    v_min: int | None = None
    v_init: int = 0
    reset_mode: str = "value"
    t_ref: int = 2
    adapt_inc: int = 0
    adapt_shift: int = 4
    noise_bits: int = 0

    # derived bounds ------------------------------------------------------------------------
    @property
    def v_lo(self):
        return signed_range(self.v_bits)[0] if self.v_min is None else self.v_min

    @property
    def v_hi(self):
        return signed_range(self.v_bits)[1]

    @property
    def in_max(self):
        return unsigned_range(self.in_bits)[1]

    @property
    def adapt_max(self):
        return unsigned_range(self.adapt_bits)[1]

    # layouts: the one declaration of the state and input widths ------------------------------
    @property
    def state_layout(self):
        """State of one neuron, in the order :func:`lif_step` takes and returns it (RTL ports,
        trace words, numpy fields and bench comparisons derive from it)."""
        return StateLayout(
            StateField("v", self.v_bits, signed=True, doc="membrane, in LSBs of the calibrated voltage scale"),
            StateField("ref", self.ref_bits, doc="refractory steps left"),
            StateField("adapt", self.adapt_bits, doc="threshold adaptation (spike-frequency adaptation)"),
            RNG_STATE,  # the stochastic threshold's PRNG
            StateField("spike", 1, doc="fired on the step just taken"),
        )

    @property
    def input_layout(self):
        """Inputs of one neuron per step."""
        return StateLayout(
            StateField("i_exc", self.in_bits, doc="excitatory drive"),
            StateField("i_inh", self.in_bits, doc="inhibitory drive"),
        )

    def initial_state(self, shape, seeds):
        """``{field: array of shape}`` at power-up: ``v = v_init``, PRNG states ``seeds``, the rest 0."""
        return self.state_layout.initial(shape, v=self.v_init, rng=np.asarray(seeds).reshape(shape))

    # validation ------------------------------------------------------------------------------
    def validate(self):
        self._check("v_bits", 4, 32)
        lo, hi = signed_range(self.v_bits)
        self._check("v_th", 1, hi, f"the threshold must fit in v_bits={self.v_bits} (signed)")
        self._check("in_bits", 1, self.v_bits - 1, f"inputs must be narrower than v_bits={self.v_bits}")
        self._check("decay_bits", 1, 16)
        self._check("ref_bits", 1, 16)
        self._check("adapt_bits", 1, 24)
        self._check("decay", 0, 1 << self.decay_bits, f"leak factor x 2**decay_bits, decay_bits={self.decay_bits}")
        self._check("bias", lo, hi, f"v_bits={self.v_bits}")
        if self.v_min is not None:
            self._check("v_min", lo, 0, f"v_bits={self.v_bits}")
        self._check("v_reset", self.v_lo, self.v_th - 1, "a reset at or above v_th would fire again at once")
        self._check("v_init", self.v_lo, hi, f"v_min..v_max of v_bits={self.v_bits}")
        if self.reset_mode not in RESET_MODES:
            raise ParameterError("reset_mode", self.reset_mode, " | ".join(RESET_MODES))
        self._check("t_ref", 0, unsigned_range(self.ref_bits)[1], f"ref_bits={self.ref_bits}")
        self._check("adapt_inc", 0, unsigned_range(self.adapt_bits)[1], f"adapt_bits={self.adapt_bits}")
        self._check("adapt_shift", 1, self.adapt_bits)
        self._check("noise_bits", 0, self.v_bits - 1, f"v_bits={self.v_bits}")


def lif_step(ops, p, v, ref, adapt, rng, i_exc, i_inh):
    """One time step of the LIF rule (module docstring) on back end ``ops``.

    Returns ``(v, ref, adapt, rng, spike)`` after the step (the fields of ``p.state_layout``, in
    its order). Values are numpy arrays or Amaranth values; ``p`` is a :class:`LIFParams` whose
    constants become literals in the gates. The ``ops.stage(...)`` lines are pipeline cuts (3):
    registers under ``rtl.fixedpoint.PipelinedOps``, no-ops for numpy and single-cycle gates, so the
    arithmetic is the same on every back end.
    """
    rng_n = ops.let("rng_next", xorshift32(ops, rng))
    a_dec = ops.let("adapt_decayed", adapt - (adapt >> p.adapt_shift))
    v_leak = ops.let("v_leak", (v * p.decay) >> p.decay_bits)
    drive = ops.let("drive", p.bias + i_exc - i_inh)
    v, ref, rng_n, a_dec, v_leak, drive = ops.stage(v, ref, rng_n, a_dec, v_leak, drive)
    v_int = ops.let("v_int", ops.clamp(v_leak + drive, p.v_lo, p.v_hi))
    theta = p.v_th + a_dec
    if p.noise_bits:
        theta = theta + (rng_n >> (32 - p.noise_bits)) - (1 << (p.noise_bits - 1))
    theta = ops.let("theta", theta)
    refractory = ops.let("refractory", ref != 0)
    v, ref, rng_n, a_dec, v_int, theta, refractory = ops.stage(v, ref, rng_n, a_dec, v_int, theta, refractory)
    fire = ops.let("fire", ~refractory & (v_int >= theta))
    if p.reset_mode == "value":
        v_fire = p.v_reset
    else:
        v_fire = ops.let("v_fire", ops.clamp(v_int - p.v_th, p.v_lo, p.v_hi))
    v, ref, rng_n, a_dec, v_int, v_fire, refractory, fire = ops.stage(v, ref, rng_n, a_dec, v_int, v_fire,
                                                                      refractory, fire)
    v_n = ops.select(refractory, v, ops.select(fire, v_fire, v_int))
    ref_n = ops.select(refractory, ref - 1, ops.select(fire, p.t_ref, 0))
    adapt_n = ops.clamp(a_dec + ops.select(fire, p.adapt_inc, 0), 0, p.adapt_max)
    return v_n, ref_n, adapt_n, rng_n, fire


# one attribute per field of LIFParams.state_layout (names do not depend on the widths)
LIFState = LIFParams().state_layout.record(
    "LIFState", "Full state of an array of neurons: int64 arrays of one shape (``spike`` bool).", __name__)


class _TraceMethods:
    @property
    def steps(self):
        return self.v.shape[0]

    def spike_counts(self):
        return self.spike.sum(axis=0)


LIFTrace = LIFParams().state_layout.record(
    "LIFTrace", "State after every step of a run: arrays of shape ``(steps, *neurons)``.", __name__, _TraceMethods)


class LIFModel:
    """Vectorised fixed-point LIF neurons (the golden model).

    ``shape`` is an int (``n`` neurons) or a tuple (e.g. ``(batch, n)``); neuron ``k`` of the
    flattened shape gets PRNG seed ``seed_for(seed, RNG_STREAM, k)``, the same as neuron ``k`` of
    ``rtl.lif.LIFNeuronArray(params, n, seed)``.

    ``backend`` is ``"numpy"`` (vectorised over the neurons, the default) or ``"compiled"`` (the same
    rule traced and JIT-compiled by :mod:`neuroxide.models.compiled`: one loop over steps and neurons,
    several times faster, the same state bit for bit; the first use of a parameter structure
    compiles for about a second, cached on disk).
    """

    def __init__(self, params=None, shape=1, seed=1, backend="numpy"):
        from .compiled import BACKENDS
        self.params = params if params is not None else LIFParams()
        self.shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        self.seed = seed
        if backend not in BACKENDS:
            raise ParameterError("backend", backend, " | ".join(BACKENDS))
        self.backend = backend
        self.reset()

    def reset(self):
        seeds = seeds_for(self.seed, RNG_STREAM, int(np.prod(self.shape)))
        self.state = LIFState(**self.params.initial_state(self.shape, seeds))

    def _check_dtype(self, name, x):
        x = np.asarray(x)
        if x.dtype.kind not in "iub":
            raise ParameterError(name, x.dtype.name, "integer arrays")
        return x

    def _check_input(self, name, x):
        x = self._check_dtype(name, x)
        if x.size and (x.min() < 0 or x.max() > self.params.in_max):
            bad = x.min() if x.min() < 0 else x.max()
            raise ParameterError(name, int(bad), f"0..{self.params.in_max} (in_bits={self.params.in_bits})")
        return x.astype(np.int64, copy=False)

    def step(self, i_exc=0, i_inh=0):
        """Advance every neuron one step; returns the spike array."""
        if self.backend == "compiled":
            self.state = self._compiled(i_exc, i_inh, 1, record=False)[0]
            return self.state.spike
        i_exc = self._check_input("i_exc", i_exc)
        i_inh = self._check_input("i_inh", i_inh)
        s = self.state
        v, ref, adapt, rng, spike = lif_step(NUMPY, self.params, s.v, s.ref, s.adapt, s.rng, i_exc, i_inh)
        self.state = LIFState(v, ref, adapt, rng, np.broadcast_to(spike, self.shape).copy())
        return self.state.spike

    def run(self, i_exc, i_inh=None):
        """Run ``len(i_exc)`` steps; inputs are ``(steps, *shape)`` arrays (or broadcastable).

        Returns a :class:`LIFTrace` of the state after each step.
        """
        if self.backend == "compiled":
            i_exc = self._check_dtype("i_exc", i_exc)
            steps = i_exc.shape[0]
            if not steps:  # nothing to run: the numpy path's empty trace
                return self._run_numpy(i_exc, i_inh)
            self.state, trace = self._compiled(i_exc, 0 if i_inh is None else i_inh, steps, record=True)
            return LIFTrace(**trace)
        return self._run_numpy(i_exc, i_inh)

    def _compiled(self, i_exc, i_inh, steps, record):
        """``(state', trace)`` of ``steps`` steps on the compiled back end; inputs checked like numpy's."""
        from .compiled import lif_kernel
        i_exc = self._check_dtype("i_exc", i_exc)
        i_inh = self._check_dtype("i_inh", i_inh)
        state = {f: getattr(self.state, f) for f in self.state.FIELDS}
        out = lif_kernel(self.params).advance(state, i_exc, i_inh, steps, record, self._private_state(state))
        if out is None:  # an input out of range: the numpy checker names it (and nothing changed)
            self._check_input("i_exc", i_exc)
            self._check_input("i_inh", i_inh)
            raise AssertionError("the compiled LIF kernel rejected inputs the numpy checker accepts")
        new, trace = out
        return LIFState(**new), trace

    def _private_state(self, state):
        """True when nothing outside this model holds the state or a view of it, so a step may overwrite
        it (no allocation: the page faults of fresh arrays cost more than a compiled step). References
        are counted (a view holds its base, so a view of the state counts too)."""
        import sys
        if sys.getrefcount(self.state) > 2:
            return False
        for name in state:
            a = state[name]  # referenced by the LIFState, the dict, ``a`` and getrefcount's argument
            if sys.getrefcount(a) > 4 or a.base is not None or not (a.flags.c_contiguous and a.flags.writeable) \
                    or a.dtype != (bool if name == "spike" else np.int64):
                return False
        return True

    def _run_numpy(self, i_exc, i_inh):
        i_exc = self._check_input("i_exc", i_exc)
        i_inh = np.zeros_like(i_exc) if i_inh is None else self._check_input("i_inh", i_inh)
        steps = i_exc.shape[0]
        out = self.params.state_layout.empty((steps, *self.shape))
        s = self.state
        v, ref, adapt, rng = s.v, s.ref, s.adapt, s.rng
        for t in range(steps):
            state = lif_step(NUMPY, self.params, v, ref, adapt, rng, i_exc[t], i_inh[t])
            for trace, value in zip(out.values(), state):
                trace[t] = value
            v, ref, adapt, rng, _ = state
        self.state = LIFState(*(trace[-1].copy() for trace in out.values())) if steps else s
        return LIFTrace(**out)
