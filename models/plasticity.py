"""On-chip learning: plasticity rules in fixed point, written once over the ops layer.

The rules here serve both back ends like :func:`neuroxide.models.lif.lif_step`: numpy (vectorised
over a whole crossbar) in :class:`PlasticModel`, Amaranth gates in ``neuroxide.rtl.plasticity``
(one synapse per rule unit, the weight memory updated read-modify-write by
``neuroxide.rtl.plastic_layer``). A weight is a conductance *level* ``w`` in ``0..W`` with
``W = 2**weight_bits - 1``; every update saturates into that range and never wraps.

Rules (``RULES``), equations and their fixed-point form
--------------------------------------------------------
Traces (STDP) and calcium (SDSP) are leaky counters, one per input row (``pre_trace``) and one per
output neuron (``post_trace``, ``ca``)::

    x' = clamp(floor(x * decay / 2**decay_bits) + (s ? inc : 0), 0, 2**bits - 1)      trace_step
    x' = s ? inc : floor(x * decay / 2**decay_bits)                  (trace_mode "nearest")
    ca' = clamp(floor(ca * ca_decay / 2**decay_bits) + (s_post ? ca_inc : 0), 0, 2**ca_bits - 1)

(``decay < 2**decay_bits``, so a counter left alone reaches 0: floor strictly decreases it.)

**Pair-based STDP** (``stdp-add``, ``stdp-mult``): potentiation on a post spike by the pre trace,
depression on a pre spike by the post trace. As real numbers, with ``x`` in ``[0, 1)``::

    dw = s_post * A+ * x_pre * f+(w)  -  s_pre * A- * x_post * f-(w)      (levels)
    stdp-add:  f+ = f- = 1                       stdp-mult: f+(w) = (W - w) / 2**weight_bits,
                                                            f-(w) = w / 2**weight_bits (soft bounds)

Fixed point: ``a_plus``, ``a_minus`` are ``A+``, ``A-`` in levels with ``frac_bits`` (``F``)
fractional bits; traces have ``trace_bits`` (``T``) bits::

    m+ = (a_plus  * pre_trace  * f+) >> (T + G)      m- = (a_minus * post_trace * f-) >> (T + G)

with ``f+ = 1, G = 0`` (add), ``f+ = W - w, G = weight_bits`` (mult), or the device tables
``f+ = up[w], G = tables.frac_bits`` when ``tables`` is given (which then replace the rule's own
bound). ``m+``, ``m-`` are steps in ``2**-F`` levels.

**Post-spike depression** ``a_post`` (STDP only; 0, the default, builds nothing): Diehl & Cook's
offset, every synapse of a spiking column is depressed, also those of silent inputs::

    dw = s_post * (A+ * x_pre * f+(w) - A_post * f-(w)) - s_pre * A- * x_post * f-(w)
    m- = (s_pre ? (a_minus * post_trace * f-) >> (T + G) : 0) + (s_post ? (a_post * f-) >> G : 0)

**SDSP** (``sdsp``, ODIN, Frenkel et al. 2019), evaluated on a pre spike against the post neuron's
membrane ``V`` and calcium ``Ca`` at the start of the step::

    up   = s_pre and V >= theta_m and theta_l <= Ca < theta_h_up      -> w += 1 level
    down = s_pre and V <  theta_m and theta_l <= Ca < theta_h_down    -> w -= 1 level

Fixed point: ``m+ = up ? (sdsp_up * f+) >> G : 0`` and ``m- = down ? (sdsp_down * f-) >> G : 0``
(``sdsp_up = sdsp_down = 2**F``, no tables: exactly one level, as ODIN). A teacher input drives the
post neuron (``PlasticLayer.teacher_drive``) so its calcium enters the up window: supervised SDSP.

**Rounding** of a step ``m`` (``2**-F`` levels) to whole levels: stochastic with ``stochastic``
(the default), ``floor((m + r) / 2**F)`` with ``r`` uniform in ``0..2**F-1`` (so the expected step
is exactly ``m / 2**F``: the cycle-to-cycle noise of a device whose update is a probabilistic
transition), else floor. ``r+`` is the top ``F`` bits of the synapse's 32-bit random word, ``r-``
its low ``F`` bits (``F <= 16``: disjoint bits). Then::

    w' = clamp(w + ((m+ + r+) >> F) - ((m- + r-) >> F), 0, W)

**Device-aware updates** (:class:`UpdateTables`, :func:`tables_from_device`): the relative step at
each level, ``up[w]``, ``down[w]`` with ``frac_bits`` fractional bits (``2**frac_bits`` is the
nominal step): a soft-bounded, asymmetric, non-linear conductance response, aihwkit style::

    up[w]   = round(2**frac_bits * g_up   * (1 - w/W) ** nonlinearity_up)
    down[w] = round(2**frac_bits * g_down * (w/W)     ** nonlinearity_down)

(``nonlinearity 0``: linear, constant step; ``1``: soft bounds; ``g_down / g_up = asymmetry``.)
Per-device spread: :class:`PlasticLayer` ``column_gain`` scales the steps of each output column by a
constant fixed when the crossbar is programmed (``m = (m * gain_j) >> GAIN_BITS``),
:func:`column_gains` draws them log-normal from a seed.

Randomness
----------
One xorshift32 word per input row (``rng_row``, stream :data:`RNG_STREAM_ROW`) and per output
column (``rng_col``, stream :data:`RNG_STREAM_COL`) advance once per step, every step; synapse
``(i, j)`` draws ``rng_row[i] ^ rng_col[j]`` (after the advance). Two independent streams XORed:
each synapse's word is uniform and two synapses' words are pairwise independent, at the cost of
``n_in + n_out`` state words instead of one per synapse.

One step of :class:`PlasticModel` (the order the RTL follows)
-------------------------------------------------------------
1. ``net_j = sum_i s_i * (w_ij - w_zero)`` with the weights at the start of the step;
   ``i_exc = clamp(max(net, 0) * 2**w_shift + teacher_j * teacher_drive, 0, in_max)``,
   ``i_inh = clamp(max(-net, 0) * 2**w_shift + lateral * (k - spike_j) + inhibited_j, 0, in_max)``
   (``k``: spikes of the layer on the previous step, ``spike_j``: neuron j's; ``inhibited_j`` is
   ``teacher_inh`` for a neuron not taught when a teacher vector is given).
2. The LIF neurons step (``lif_step``): post spikes ``s_post``. With ``PlasticLayer.wta`` only the
   crossing neuron with the largest ``v_int - theta`` (lowest index on ties) fires; the others take
   the not-fired branch (:func:`lif_quiet`, :func:`wta_margin`, :func:`wta_winner`).
3. If ``learn``: every weight by :func:`weight_update` with ``s_pre``, ``s_post``, and the traces,
   membrane and calcium at the start of the step.
4. Traces and calcium advance with this step's spikes (also when not learning).
"""

import dataclasses
from dataclasses import dataclass

import numpy as np

from neuroxide.errors import ParameterError

from .fixedpoint import NUMPY, FixedPointParams, signed_range
from .layout import StateField, StateLayout
from .lif import LIFParams, lif_step
from .lif import RNG_STREAM as LIF_RNG_STREAM
from .prng import seeds_for, xorshift32

__all__ = ["RULES", "TRACE_MODES", "PlasticityParams", "UpdateTables", "tables_from_device", "DEVICE_PRESETS",
           "trace_step", "calcium_step", "weight_update", "learning_steps", "PlasticLayer", "PlasticModel",
           "column_gains", "GAIN_BITS", "lif_quiet", "wta_margin", "wta_winner", "RNG_STREAM_ROW", "RNG_STREAM_COL",
           "lookup", "layer_drive",
           "layer_to_dict", "layer_from_dict", "LearningSchedule", "run_schedule",
           "WEIGHT_UPDATE_STAGES"]

RULES = ("stdp-add", "stdp-mult", "sdsp")
TRACE_MODES = ("add", "nearest")
RNG_STREAM_ROW = 11  # prng.seed_for stream ids of the rounding PRNG words
RNG_STREAM_COL = 12
GAIN_BITS = 8  # fractional bits of a column gain (2**GAIN_BITS = nominal device)
_INT32 = signed_range(32)


@dataclass(frozen=True)
class UpdateTables:
    """Device-aware step sizes: the relative step at each level ``0..2**weight_bits-1``, integers with
    ``frac_bits`` fractional bits (``2**frac_bits`` is the nominal step, 0 no change)."""

    up: tuple
    down: tuple
    frac_bits: int = 8

    def __post_init__(self):
        object.__setattr__(self, "up", tuple(int(x) for x in self.up))
        object.__setattr__(self, "down", tuple(int(x) for x in self.down))

    def validate(self, weight_bits):
        """ParameterError naming the field when the tables do not fit ``weight_bits``."""
        from neuroxide.errors import check_int
        check_int("tables.frac_bits", self.frac_bits, 0, 12)
        levels = 1 << weight_bits
        for name in ("up", "down"):
            table = getattr(self, name)
            if len(table) != levels:
                raise ParameterError(f"tables.{name}", f"{len(table)} entries", f"{levels} (2**weight_bits)",
                                     f"one step per level of weight_bits={weight_bits}")
            hi = 4 << self.frac_bits
            for k, x in enumerate(table):
                check_int(f"tables.{name}[{k}]", x, 0, hi, f"at most 4x the nominal step 2**{self.frac_bits}")


def tables_from_device(nonlinearity_up=1.0, nonlinearity_down=1.0, asymmetry=1.0, weight_bits=4, frac_bits=8,
                       gain=1.0):
    """:class:`UpdateTables` of a soft-bounded, asymmetric, non-linear device (module docstring):

    ``up[w] = gain * (1 - w/W)**nonlinearity_up``, ``down[w] = gain * asymmetry * (w/W)**nonlinearity_down``
    (relative to the nominal step), rounded to ``frac_bits`` fractional bits. ``nonlinearity 0`` is a
    linear device (constant step), ``1`` soft bounds, larger values a device that saturates early;
    ``asymmetry`` is the ratio of the nominal depression step to the potentiation step.
    """
    from neuroxide.errors import check_int
    check_int("weight_bits", weight_bits, 1, 8)
    check_int("frac_bits", frac_bits, 0, 12)
    for name, value, lo, hi in (("nonlinearity_up", nonlinearity_up, 0.0, 8.0),
                                ("nonlinearity_down", nonlinearity_down, 0.0, 8.0),
                                ("asymmetry", asymmetry, 0.0, 4.0), ("gain", gain, 0.0, 4.0)):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not lo <= value <= hi:
            raise ParameterError(name, value, f"{lo}..{hi}")
    if gain * max(1.0, asymmetry) > 4.0:
        raise ParameterError("gain", gain, f"0..{4.0 / max(1.0, asymmetry):g}", "gain * asymmetry must be <= 4")
    top = (1 << weight_bits) - 1
    x = np.arange(top + 1) / top
    one = 1 << frac_bits
    up = np.rint(one * gain * (1.0 - x) ** nonlinearity_up).astype(int)
    down = np.rint(one * gain * asymmetry * x ** nonlinearity_down).astype(int)
    return UpdateTables(tuple(up), tuple(down), frac_bits)


# Device presets for tables_from_device. "linear"/"soft-bound" are the textbook devices; the oxide
# entries are ASSUMED shapes (non-linearity and asymmetry of the order reported for filamentary
# oxide synapses, e.g. the aihwkit presets' response curves), not fits to one published data set.
DEVICE_PRESETS = {
    "linear": dict(nonlinearity_up=0.0, nonlinearity_down=0.0, asymmetry=1.0),
    "soft-bound": dict(nonlinearity_up=1.0, nonlinearity_down=1.0, asymmetry=1.0),
    "taox-assumed": dict(nonlinearity_up=2.0, nonlinearity_down=1.0, asymmetry=1.5),
    "hfox-assumed": dict(nonlinearity_up=3.0, nonlinearity_down=2.0, asymmetry=2.0),
}


@dataclass(frozen=True)
class PlasticityParams(FixedPointParams):
    """Widths, rates and thresholds of a plasticity rule (all integers; module docstring)."""

    rule: str = "stdp-add"
    weight_bits: int = 4          # levels 0..2**weight_bits-1
    frac_bits: int = 8            # fractional bits of a step (in levels); stochastic rounding draws this many bits
    stochastic: bool = True       # stochastic rounding (cycle-to-cycle noise) instead of floor
    # STDP traces
    trace_bits: int = 8
    decay_bits: int = 8           # fraction bits of every decay factor
    trace_decay: int = 230        # trace *= trace_decay / 2**decay_bits per step (< 1)
    trace_inc: int = 128          # added per spike
    trace_mode: str = "add"       # "add" (all-to-all) | "nearest" (a spike sets the trace to trace_inc)
    a_plus: int = 128             # potentiation at full pre trace, levels * 2**frac_bits
    a_minus: int = 96             # depression at full post trace, levels * 2**frac_bits
    a_post: int = 0               # depression of every synapse of a column on its post spike (STDP only),
                                  # levels * 2**frac_bits (Diehl & Cook's x_tar offset)
    # SDSP (calcium, thresholds)
    ca_bits: int = 8
    ca_decay: int = 248           # floor decay: at least 1 per step below 2**decay_bits / (2**decay_bits - ca_decay)
    ca_inc: int = 32
    theta_m: int = 2048           # membrane threshold (LIF v units)
    theta_l: int = 16             # calcium windows: theta_l <= Ca < theta_h_up / theta_h_down
    theta_h_up: int = 192
    theta_h_down: int = 96
    sdsp_up: int | None = None    # SDSP step, levels * 2**frac_bits; None: one level (2**frac_bits)
    sdsp_down: int | None = None
    # device-aware steps
    tables: UpdateTables | None = None

    @property
    def w_max(self):
        return (1 << self.weight_bits) - 1

    @property
    def trace_max(self):
        return (1 << self.trace_bits) - 1

    @property
    def ca_max(self):
        return (1 << self.ca_bits) - 1

    @property
    def step_max(self):
        """Largest step (in 2**-frac_bits levels): the whole weight range."""
        return self.w_max << self.frac_bits

    @property
    def sdsp_up_q(self):
        return (1 << self.frac_bits) if self.sdsp_up is None else self.sdsp_up

    @property
    def sdsp_down_q(self):
        return (1 << self.frac_bits) if self.sdsp_down is None else self.sdsp_down

    def validate(self):
        if self.rule not in RULES:
            raise ParameterError("rule", self.rule, " | ".join(RULES))
        if self.trace_mode not in TRACE_MODES:
            raise ParameterError("trace_mode", self.trace_mode, " | ".join(TRACE_MODES))
        if not isinstance(self.stochastic, bool):
            raise ParameterError("stochastic", self.stochastic, "true | false")
        self._check("weight_bits", 1, 8)
        self._check("frac_bits", 0, 16, "the random word gives 16 bits to each direction")
        self._check("trace_bits", 1, 16)
        self._check("decay_bits", 1, 12)
        self._check("trace_decay", 0, (1 << self.decay_bits) - 1, f"a factor < 1 with decay_bits={self.decay_bits}")
        self._check("trace_inc", 0, self.trace_max, f"trace_bits={self.trace_bits}")
        fit = f"at most the weight range, {self.w_max} levels x 2**frac_bits (weight_bits={self.weight_bits})"
        self._check("a_plus", 0, self.step_max, fit)
        self._check("a_minus", 0, self.step_max, fit)
        self._check("a_post", 0, self.step_max if self.rule != "sdsp" else 0,
                    fit if self.rule != "sdsp" else "an STDP offset: 0 with rule sdsp")
        self._check("ca_bits", 1, 12)
        self._check("ca_decay", 0, (1 << self.decay_bits) - 1, f"a factor < 1 with decay_bits={self.decay_bits}")
        self._check("ca_inc", 0, self.ca_max, f"ca_bits={self.ca_bits}")
        self._check("theta_m", *_INT32)
        self._check("theta_l", 0, self.ca_max, f"ca_bits={self.ca_bits}")
        self._check("theta_h_up", self.theta_l, self.ca_max + 1, "theta_l..2**ca_bits")
        self._check("theta_h_down", self.theta_l, self.ca_max + 1, "theta_l..2**ca_bits")
        for name in ("sdsp_up", "sdsp_down"):
            if getattr(self, name) is not None:
                self._check(name, 0, self.step_max, fit)
        if self.tables is not None:
            if not isinstance(self.tables, UpdateTables):
                raise ParameterError("tables", type(self.tables).__name__, "UpdateTables or None")
            self.tables.validate(self.weight_bits)


def lookup(ops, table, index, index_bits):
    """``table[index]`` (Python ints, ``2**index_bits`` entries). Numpy indexes the array; gates get a
    binary tree of ``select`` on the bits of ``index`` (the same value: tests/test_plasticity.py)."""
    if ops.name == "numpy":
        return np.asarray(table, dtype=np.int64)[index]
    level = list(table)
    for k in range(index_bits):
        bit = ops.let(f"lut_bit{k}", (index >> k) & 1)
        level = [ops.select(bit, level[2 * m + 1], level[2 * m]) for m in range(len(level) // 2)]
    return level[0]


def _leaky(ops, x, spike, decay, inc, bits, decay_bits, nearest=False):
    decayed = (x * decay) >> decay_bits
    if nearest:
        return ops.select(spike, inc, decayed)
    return ops.clamp(decayed + ops.select(spike, inc, 0), 0, (1 << bits) - 1)


def trace_step(ops, trace, spike, p):
    """An STDP trace one step on (module docstring): decays, ``+trace_inc`` on a spike, saturating."""
    return _leaky(ops, trace, spike, p.trace_decay, p.trace_inc, p.trace_bits, p.decay_bits,
                  p.trace_mode == "nearest")


def calcium_step(ops, ca, spike, p):
    """The SDSP calcium variable one step on: decays, ``+ca_inc`` on a post spike, saturating."""
    return _leaky(ops, ca, spike, p.ca_decay, p.ca_inc, p.ca_bits, p.decay_bits)


def learning_steps(ops, w, pre_spike, post_spike, pre_trace, post_trace, v_post, ca_post, p, gain=None, live=()):
    """``(m_up, m_down, *live)``: the potentiation and depression of a synapse this step, in
    ``2**-frac_bits`` levels, before rounding (module docstring). ``gain``: the column's device gain
    (``GAIN_BITS`` fractional bits) or None. ``live``: values the caller needs after this function,
    carried across its pipeline cut (``ops.stage``: one register stage in pipelined gates, after the
    rate x trace products and the device factors; nothing on numpy)."""
    t = p.tables
    if t is not None:
        f_up = ops.let("f_up", lookup(ops, t.up, w, p.weight_bits))
        f_down = ops.let("f_down", lookup(ops, t.down, w, p.weight_bits))
        g = t.frac_bits
    elif p.rule == "stdp-mult":
        f_up, f_down, g = ops.let("f_up", p.w_max - w), w, p.weight_bits
    else:
        f_up, f_down, g = 1, 1, 0
    if p.rule == "sdsp":
        window = ops.let("ca_window", ca_post >= p.theta_l)
        high = ops.let("v_high", v_post >= p.theta_m)
        gate_up = ops.let("sdsp_up", pre_spike & high & window & (ca_post < p.theta_h_up))
        gate_down = ops.let("sdsp_down", pre_spike & ~high & window & (ca_post < p.theta_h_down))
        rate_up, rate_down, shift = p.sdsp_up_q, p.sdsp_down_q, g
    else:
        gate_up, gate_down = post_spike, pre_spike
        rate_up = ops.let("rate_up", p.a_plus * pre_trace)
        rate_down = ops.let("rate_down", p.a_minus * post_trace)
        shift = p.trace_bits + g
    gains = () if gain is None else (gain,)
    offset = p.rule != "sdsp" and p.a_post != 0  # a_post: nothing in the gates when 0
    posts = (ops.let("rate_post", ops.select(post_spike, p.a_post, 0)),) if offset else ()
    gate_up, gate_down, rate_up, rate_down, f_up, f_down, *rest = ops.stage(
        gate_up, gate_down, rate_up, rate_down, f_up, f_down, *posts, *gains, *live)
    if offset:
        rate_post, *rest = rest
    if gain is not None:
        gain, *rest = rest
    live = rest
    m_up = ops.select(gate_up, (rate_up * f_up) >> shift, 0)
    m_down = ops.select(gate_down, (rate_down * f_down) >> shift, 0)
    if offset:
        m_down = m_down + ((rate_post * f_down) >> g)
    if gain is not None:
        m_up, m_down = (m_up * gain) >> GAIN_BITS, (m_down * gain) >> GAIN_BITS
    return (ops.let("m_up", m_up), ops.let("m_down", m_down), *live)


def weight_update(ops, w, pre_spike, post_spike, pre_trace, post_trace, v_post, ca_post, rng, p, gain=None):
    """One synapse's weight one step on (module docstring), on back end ``ops`` (numpy: any arrays
    that broadcast, e.g. a whole crossbar). ``rng`` is the synapse's 32-bit random word; returns
    ``(w', xorshift32(rng))`` (a caller visiting synapses one after another may chain the draw;
    :class:`PlasticModel` draws ``rng_row ^ rng_col`` instead). ``w'`` saturates in ``0..W``.
    Two pipeline cuts (:data:`WEIGHT_UPDATE_STAGES`): after the rate x trace products, after the steps."""
    m_up, m_down, w, rng = learning_steps(ops, w, pre_spike, post_spike, pre_trace, post_trace, v_post, ca_post,
                                          p, gain, live=(w, rng))
    m_up, m_down, w, rng = ops.stage(m_up, m_down, w, rng)
    f = p.frac_bits
    if p.stochastic and f:
        r_up, r_down = rng >> (32 - f), rng & ((1 << f) - 1)
        inc, dec = (m_up + r_up) >> f, (m_down + r_down) >> f
    else:
        inc, dec = m_up >> f, m_down >> f
    return ops.clamp(w + inc - dec, 0, p.w_max), xorshift32(ops, rng)


WEIGHT_UPDATE_STAGES = 2  # ops.stage cuts of weight_update


def column_gains(n_out, spread, seed=1):
    """Per-column device gains fixed at programming time: ``round(2**GAIN_BITS * exp(N(0, spread)))``
    clipped to ``0..4 * 2**GAIN_BITS`` (a tuple for ``PlasticLayer.column_gain``); ``spread`` is the
    log-normal sigma of device-to-device variation."""
    if not isinstance(spread, (int, float)) or isinstance(spread, bool) or not 0 <= spread <= 2:
        raise ParameterError("spread", spread, "0..2")
    rng = np.random.default_rng(seed)
    g = np.rint((1 << GAIN_BITS) * np.exp(rng.normal(0.0, spread, n_out)))
    return tuple(int(x) for x in np.clip(g, 0, 4 << GAIN_BITS))


@dataclass(frozen=True)
class PlasticLayer:
    """One learning layer: a crossbar of ``n_in x n_out`` levels feeding ``n_out`` LIF neurons.

    ``lateral``: winner-take-all inhibition added to ``i_inh`` per spike of another neuron on the
    previous step. ``w_zero``: the level that means zero weight (levels below inhibit), ``w_shift``:
    a level is worth ``2**w_shift`` input LSBs. ``teacher_drive`` / ``teacher_inh``: drive added to
    the taught neurons / inhibition of the others when a teacher vector is given (supervised SDSP).
    ``homeostasis``: the LIF adaptation (``params.adapt_inc``, ``adapt_shift``) acts as Diehl &
    Cook's adaptive threshold: :meth:`PlasticModel.rest` keeps it between samples (a large
    ``adapt_shift`` makes it decay slowly; floor decay leaves values below ``2**adapt_shift`` for
    good). ``column_gain``: per-column device gain (:func:`column_gains`) or None. ``wta``: one
    winner per step (:func:`wta_winner`): of the neurons that cross their threshold, only the one
    with the largest margin ``v_int - theta`` (lowest index on ties) fires; the others take
    ``lif_step``'s not-fired branch (``v' = v_int``, ``ref' = 0``, no threshold increase).
    """

    n_in: int
    n_out: int
    weight_bits: int | None = None  # None: plasticity.weight_bits (must agree when given)
    params: LIFParams = dataclasses.field(default_factory=LIFParams)
    plasticity: PlasticityParams = dataclasses.field(default_factory=PlasticityParams)
    lateral: int = 0
    w_shift: int = 6
    w_zero: int = 0
    teacher_drive: int = 0
    teacher_inh: int = 0
    homeostasis: bool = False
    column_gain: tuple | None = None
    seed: int = 1
    wta: bool = False

    def __post_init__(self):
        from neuroxide.errors import check_int
        check_int("n_in", self.n_in, 1, 4096)
        check_int("n_out", self.n_out, 1, 1024)
        if not isinstance(self.params, LIFParams):
            raise ParameterError("params", type(self.params).__name__, "LIFParams")
        if not isinstance(self.plasticity, PlasticityParams):
            raise ParameterError("plasticity", type(self.plasticity).__name__, "PlasticityParams")
        wb = self.plasticity.weight_bits
        if self.weight_bits is None:
            object.__setattr__(self, "weight_bits", wb)
        elif self.weight_bits != wb:
            raise ParameterError("weight_bits", self.weight_bits, str(wb), "must equal plasticity.weight_bits")
        in_max = self.params.in_max
        check_int("lateral", self.lateral, 0, in_max, f"in_bits={self.params.in_bits}")
        check_int("w_shift", self.w_shift, 0, 16)
        check_int("w_zero", self.w_zero, 0, self.plasticity.w_max, f"weight_bits={wb}")
        check_int("teacher_drive", self.teacher_drive, 0, in_max, f"in_bits={self.params.in_bits}")
        check_int("teacher_inh", self.teacher_inh, 0, in_max, f"in_bits={self.params.in_bits}")
        if not isinstance(self.homeostasis, bool):
            raise ParameterError("homeostasis", self.homeostasis, "true | false")
        if not isinstance(self.wta, bool):
            raise ParameterError("wta", self.wta, "true | false")
        check_int("seed", self.seed, 0, 0xFFFF_FFFF)
        lo, hi = signed_range(self.params.v_bits)
        check_int("plasticity.theta_m", self.plasticity.theta_m, lo, hi, f"v_bits={self.params.v_bits}")
        if self.column_gain is not None:
            gains = tuple(self.column_gain)
            if len(gains) != self.n_out:
                raise ParameterError("column_gain", f"{len(gains)} entries", f"{self.n_out} (n_out)")
            for k, g in enumerate(gains):
                check_int(f"column_gain[{k}]", g, 0, 4 << GAIN_BITS)
            object.__setattr__(self, "column_gain", tuple(int(g) for g in gains))

    @property
    def w_max(self):
        return self.plasticity.w_max

    # layouts: the one declaration of the learning state -------------------------------------
    @property
    def neuron_layout(self):
        """State of one output neuron: the LIF state, then the post trace, calcium and column PRNG."""
        p = self.plasticity
        return self.params.state_layout + StateLayout(
            StateField("post_trace", p.trace_bits, doc="STDP post-synaptic trace"),
            StateField("ca", p.ca_bits, doc="SDSP calcium variable"),
            StateField("rng_col", 32, doc="xorshift32 word of the column (stochastic rounding)"))

    @property
    def row_layout(self):
        """State of one input row: the pre trace and the row PRNG."""
        return StateLayout(StateField("pre_trace", self.plasticity.trace_bits, doc="STDP pre-synaptic trace"),
                           StateField("rng_row", 32, doc="xorshift32 word of the row (stochastic rounding)"))

    def initial_state(self):
        """``{field: array}`` at power-up (neuron fields of shape ``(n_out,)``, row fields ``(n_in,)``)."""
        lif_seeds = seeds_for(self.seed, LIF_RNG_STREAM, self.n_out)
        s = self.neuron_layout.initial((self.n_out,), v=self.params.v_init, rng=lif_seeds,
                                       rng_col=seeds_for(self.seed, RNG_STREAM_COL, self.n_out))
        s.update(self.row_layout.initial((self.n_in,), rng_row=seeds_for(self.seed, RNG_STREAM_ROW, self.n_in)))
        return s


def lif_quiet(p):
    """``LIFParams`` ``p`` with a threshold no membrane reaches: ``lif_step`` on it gives every
    neuron's not-fired branch (``v' = v_int``, ``ref' = 0`` or the refractory count down, ``adapt' =
    a_dec``, the same PRNG word), the state of a neuron that crossed but lost the ``wta`` vote. Only
    ``v_th`` differs (a constant beyond the ``v_bits`` range, so it bypasses validation)."""
    import copy
    q = copy.copy(p)
    object.__setattr__(q, "v_th", p.v_hi + (1 << max(p.noise_bits - 1, 0)) + 1)
    return q


def wta_margin(ops, p, v_int, a_dec, rng_n):
    """``v_int - theta`` of ``lif_step`` (``theta = v_th + a_dec + noise``), from the not-fired branch
    of :func:`lif_quiet`: ``v_int`` (its ``v'`` for a neuron not refractory), ``a_dec`` (its
    ``adapt'``) and the advanced PRNG word (its ``rng'``)."""
    theta = p.v_th + a_dec
    if p.noise_bits:
        theta = theta + (rng_n >> (32 - p.noise_bits)) - (1 << (p.noise_bits - 1))
    return v_int - theta


def wta_winner(fire, margin):
    """One-hot ``(n,)`` bool: of the neurons with ``fire``, the one with the largest ``margin``, the
    lowest index on ties; all False when none fires (numpy; the RTL reduces the same way)."""
    fire = np.asarray(fire, dtype=bool)
    out = np.zeros(fire.shape, dtype=bool)
    if fire.any():
        out[int(np.argmax(np.where(fire, margin, np.iinfo(np.int64).min)))] = True
    return out


def layer_drive(ops, layer, net, teacher_on, taught, spike_prev_self, spikes_prev):
    """``(i_exc, i_inh)`` of one neuron from its net crossbar sum ``net`` (module docstring, step 1).
    ``teacher_on``: a teacher vector is given this step; ``taught``: this neuron's teacher bit."""
    p = layer.params
    netg = ops.let("net_scaled", net * (1 << layer.w_shift))
    exc = ops.select(netg > 0, netg, 0) + ops.select(teacher_on & taught, layer.teacher_drive, 0)
    inh = (ops.select(netg < 0, -netg, 0) + layer.lateral * (spikes_prev - spike_prev_self)
           + ops.select(teacher_on & ~taught, layer.teacher_inh, 0))
    return ops.clamp(exc, 0, p.in_max), ops.clamp(inh, 0, p.in_max)


class PlasticModel:
    """The golden model of the learning layer (``rtl.plastic_layer``): batch of one, one step per call.

    ``w`` holds the current levels ``(n_in, n_out)`` int64; ``state`` every other state array
    (``layer.neuron_layout`` fields of shape ``(n_out,)``, ``layer.row_layout`` fields ``(n_in,)``).
    """

    def __init__(self, layer, w_init):
        if not isinstance(layer, PlasticLayer):
            raise ParameterError("layer", type(layer).__name__, "PlasticLayer")
        self.layer = layer
        self.w = self._check_w(w_init)
        self.state = layer.initial_state()
        self._gain = None if layer.column_gain is None else np.asarray(layer.column_gain, np.int64)[None, :]

    def _check_w(self, w):
        layer = self.layer
        w = np.asarray(w)
        if w.shape != (layer.n_in, layer.n_out):
            raise ParameterError("w_init", f"shape {w.shape}", f"({layer.n_in}, {layer.n_out})")
        if w.dtype.kind not in "iu":
            raise ParameterError("w_init", w.dtype.name, "integer levels")
        if w.size and (w.min() < 0 or w.max() > layer.w_max):
            bad = int(w.min() if w.min() < 0 else w.max())
            raise ParameterError("w_init", bad, f"0..{layer.w_max} (weight_bits={layer.weight_bits})")
        return w.astype(np.int64).copy()

    def load(self, w):
        """Replace the weights (levels, checked)."""
        self.w = self._check_w(w)

    def rest(self):
        """Neuron state, traces and calcium back to power-up between samples; weights, PRNG words and
        (with ``homeostasis``) the adaptive thresholds kept."""
        layer = self.layer
        fresh = layer.initial_state()
        keep = {"rng", "rng_col", "rng_row"} | ({"adapt"} if layer.homeostasis else set())
        for name, value in fresh.items():
            if name not in keep:
                self.state[name] = value

    def _vector(self, name, x, n):
        x = np.asarray(x)
        if x.shape != (n,):
            raise ParameterError(name, f"shape {x.shape}", f"({n},)")
        if x.dtype.kind not in "biu" or (x.size and (x.min() < 0 or x.max() > 1)):
            raise ParameterError(name, x.dtype.name if x.dtype.kind not in "biu" else int(x.max()), "0 | 1 (bool)")
        return x.astype(bool)

    def step(self, in_spikes, teacher=None, learn=True):
        """One time step (module docstring); returns the output spikes ``(n_out,)`` bool."""
        layer, p, s = self.layer, self.layer.plasticity, self.state
        pre = self._vector("in_spikes", in_spikes, layer.n_in)
        teacher_on = teacher is not None
        taught = (self._vector("teacher", teacher, layer.n_out) if teacher_on
                  else np.zeros(layer.n_out, dtype=bool))
        # 1. drive from the weights at the start of the step
        net = self.w[pre].sum(axis=0) - int(pre.sum()) * layer.w_zero
        spikes_prev = int(s["spike"].sum())
        i_exc, i_inh = layer_drive(NUMPY, layer, net, teacher_on, taught, s["spike"], spikes_prev)
        # 2. neurons
        v_old, ca_old = s["v"], s["ca"]
        v, ref, adapt, rng, post = lif_step(NUMPY, layer.params, s["v"], s["ref"], s["adapt"], s["rng"], i_exc, i_inh)
        post = np.asarray(post, dtype=bool)
        if layer.wta:  # one winner: the others take the not-fired branch
            vq, refq, adaptq, _, _ = lif_step(NUMPY, lif_quiet(layer.params), s["v"], s["ref"], s["adapt"], s["rng"],
                                              i_exc, i_inh)
            post = wta_winner(post, wta_margin(NUMPY, layer.params, vq, adaptq, rng))
            v, ref, adapt = np.where(post, v, vq), np.where(post, ref, refq), np.where(post, adapt, adaptq)
        # 3. learning: random words advance every step
        rng_row = xorshift32(NUMPY, s["rng_row"])
        rng_col = xorshift32(NUMPY, s["rng_col"])
        if learn:
            self.w = self._learn(pre, post, s["pre_trace"], s["post_trace"], v_old, ca_old, rng_row, rng_col)
        # 4. traces and calcium
        s.update(v=v, ref=ref, adapt=adapt, rng=rng, spike=post, rng_row=rng_row, rng_col=rng_col,
                 pre_trace=trace_step(NUMPY, s["pre_trace"], pre, p),
                 post_trace=trace_step(NUMPY, s["post_trace"], post, p),
                 ca=calcium_step(NUMPY, s["ca"], post, p))
        return post

    def _learn(self, pre, post, pre_trace, post_trace, v_post, ca_post, rng_row, rng_col):
        """The weights after one learning step. Only synapses that can change are computed: a pre row
        with a spike, and (STDP) every row of a post column with a spike; the rest keep their level
        (every step of :func:`learning_steps` is 0 there)."""
        p, w = self.layer.plasticity, self.w
        rows = np.flatnonzero(pre if (p.rule == "sdsp" or not post.any()) else np.ones_like(pre))
        if rows.size == 0:
            return w
        gain = self._gain
        w_new = w.copy()
        w_new[rows], _ = weight_update(NUMPY, w[rows], pre[rows, None], post[None, :], pre_trace[rows, None],
                                       post_trace[None, :], v_post[None, :], ca_post[None, :],
                                       rng_row[rows, None] ^ rng_col[None, :], p, gain)
        return w_new

    def run(self, in_spikes, teacher=None, learn=True):
        """``len(in_spikes)`` steps (``(steps, n_in)``; ``teacher`` None or ``(steps, n_out)``); returns
        the output spikes ``(steps, n_out)`` bool."""
        in_spikes = np.asarray(in_spikes)
        out = np.zeros((in_spikes.shape[0], self.layer.n_out), dtype=bool)
        for t in range(in_spikes.shape[0]):
            out[t] = self.step(in_spikes[t], None if teacher is None else teacher[t], learn)
        return out


# JSON form of a layer (bench configurations, design parameters) --------------------------------
def layer_to_dict(layer):
    """A JSON-able dict of ``layer`` (:func:`layer_from_dict` reads it back)."""
    d = dataclasses.asdict(layer)
    d["params"] = dataclasses.asdict(layer.params)
    d["plasticity"] = dataclasses.asdict(layer.plasticity)
    if layer.plasticity.tables is not None:
        t = layer.plasticity.tables
        d["plasticity"]["tables"] = {"up": list(t.up), "down": list(t.down), "frac_bits": t.frac_bits}
    d["column_gain"] = None if layer.column_gain is None else list(layer.column_gain)
    return d


def layer_from_dict(d):
    """The :class:`PlasticLayer` of a :func:`layer_to_dict` dict (validated)."""
    d = dict(d)
    pl = dict(d.pop("plasticity", {}))
    if pl.get("tables") is not None:
        pl["tables"] = UpdateTables(**pl["tables"])
    params = LIFParams(**d.pop("params", {}))
    if d.get("column_gain") is not None:
        d["column_gain"] = tuple(d["column_gain"])
    return PlasticLayer(params=params, plasticity=PlasticityParams(**pl), **d)


@dataclass
class LearningSchedule:
    """What a learning run feeds the layer, one row per step: ``in_spikes (steps, n_in)``, ``teacher
    (steps, n_out)`` with ``teacher_on (steps,)`` (a teacher vector given on that step), ``learn
    (steps,)``, ``rest (steps,)`` (``rest()`` before that step: a sample boundary). Bool arrays."""

    in_spikes: np.ndarray
    teacher: np.ndarray
    teacher_on: np.ndarray
    learn: np.ndarray
    rest: np.ndarray

    @property
    def steps(self):
        return len(self.in_spikes)

    @classmethod
    def from_samples(cls, samples, teachers=None, learn=True):
        """Samples ``[(steps_k, n_in) spikes]`` one after another, ``rest()`` before each but the first;
        ``teachers``: None or per sample an ``(n_out,)`` teacher vector held for the whole sample."""
        parts = {name: [] for name in ("in_spikes", "teacher", "teacher_on", "learn", "rest")}
        n_out = None if teachers is None else len(teachers[0])
        for k, s in enumerate(samples):
            s = np.asarray(s, dtype=bool)
            steps = s.shape[0]
            parts["in_spikes"].append(s)
            t = np.zeros(n_out or 0, bool) if teachers is None else np.asarray(teachers[k], bool)
            parts["teacher"].append(np.broadcast_to(t, (steps, t.size)))
            parts["teacher_on"].append(np.full(steps, teachers is not None))
            parts["learn"].append(np.full(steps, bool(learn)))
            r = np.zeros(steps, bool)
            r[0] = k > 0
            parts["rest"].append(r)
        return cls(**{name: np.concatenate(v) for name, v in parts.items()})

    def teacher_rows(self, n_out):
        """``teacher`` as ``(steps, n_out)`` (zeros when no teacher was ever given)."""
        t = np.asarray(self.teacher, bool)
        return t if t.shape == (self.steps, n_out) else np.zeros((self.steps, n_out), bool)


def run_schedule(model, schedule, steps=None):
    """Run ``steps`` (default all) rows of ``schedule`` on ``model`` (a :class:`PlasticModel`);
    returns ``{field: array (steps, ...)}`` of the state after every step: every field of
    ``neuron_layout`` ``(steps, n_out)``, of ``row_layout`` ``(steps, n_in)``, and ``w`` ``(steps, n_in, n_out)``."""
    layer = model.layer
    steps = schedule.steps if steps is None else steps
    teacher = schedule.teacher_rows(layer.n_out)
    out = {f.name: [] for f in (*layer.neuron_layout, *layer.row_layout)}
    out["w"] = []
    for t in range(steps):
        if schedule.rest[t]:
            model.rest()
        model.step(schedule.in_spikes[t], teacher[t] if schedule.teacher_on[t] else None, bool(schedule.learn[t]))
        for name in out:
            out[name].append(np.array(model.w if name == "w" else model.state[name]))
    return {name: np.asarray(v) for name, v in out.items()}
