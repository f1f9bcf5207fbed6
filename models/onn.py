"""Fixed-point digital oscillatory neural network (ONN): the golden model of the ``onn-core`` design.

Each oscillator ``i`` is a phase counter ``phase[i]`` of ``phase_bits`` bits (one period = 2**P
counts). In the frame rotating with the common oscillation every counter advances equally each
clock, so only the relative phase matters and the model stores that. Oscillator ``j`` emits a
square wave; correlated over one period with the reference square wave it gives a triangle of its
phase (the period-averaged product of two square waves is a triangle of their phase difference),
and its binarised phase is its spin::

    out_j = Q - min(phase_j, 2**P - phase_j)                   in [-Q, Q]: +Q in phase, -Q anti-phase
    s_j   = +1 if ((phase_j + Q) mod 2**P) < H else -1          H = 2**(P-1) (180 deg), Q = 2**(P-2)

One time step updates every oscillator *synchronously* from the outputs at the start of the step
(Jacobi order; the RTL double-buffers the phase memory). For oscillator ``i``, in this order::

    h       = sum_j J_ij out_j                                  weighted sum of outputs (exact, no wrap:
                                                                acc_bits is checked against Q max_i sum_j |J_ij|)
    rng'    = xorshift32(rng)                                   one draw per oscillator per step
    inj     = min(inj_max, (t * inj_rate) >> SCHED_SHIFT)        injection (SHIL) strength ramps up: anneal
    amp     = noise_max - min(noise_max - noise_min, (t * noise_rate) >> SCHED_SHIFT)   noise decays
    drive   = clamp((h * couple_gain) >> couple_shift, -couple_max, couple_max)   nudge toward sign(h)
    d_c     = |drive| toward phase 0 (s=+1) if drive > 0, toward H (s=-1) if drive < 0, along the
              shorter arc (from the far point it goes down below H, else up); 0 at the target. A nudge
              is a pulse and may pass the target (capping it measured worse: G11 98.6 vs 99.3 %)
    d_inj   = min(inj, distance) toward the nearer of {0, H} (the two SHIL-stable phases); 0 at +-Q
    noise   = (((rng' >> 16) * (2 amp + 1)) >> 16) - amp        uniform integer in [-amp, amp]
    phase'  = (phase + d_c + d_inj + noise) mod 2**P            the one modular wrap: a phase is a circle

``t`` is the step index (0 for the first step), saturating at 2**16 - 1. Defaults anneal well in
~2000 steps (noise 15 -> 0 over 2048 steps, injection 0 -> 2 over 2048): see ``anneal_params``. The update of each
oscillator is :func:`onn_update`, written once over the ops layer (numpy here, gates in
``neuroxide.rtl.onn_core``). Rounding is floor (arithmetic shift) throughout.

Max-cut: ``J = -W`` (``neuroxide.models.gset.ising_couplings``); the spins after the anneal give
the cut. Associative memory: ``J`` from Hebbian/Storkey learning (``neuroxide.models.hopfield``).
Couplings are given dense (an (N, N) array, all-to-all mode) or sparse (scipy CSR, adjacency-list
mode); both give the same h, the RTL differs only in how it walks the coupling memory.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from neuroxide.errors import ParameterError

from .fixedpoint import NUMPY, FixedPointParams, signed_range
from .layout import StateField, StateLayout
from .prng import RNG_STATE, seed_for, xorshift32

__all__ = ["NAMED_SCHEDULES", "ONNParams", "ONNModel", "ONNTrace", "onn_update", "output_of", "spins_of", "schedule", "check_couplings",
           "anneal_params", "solve_maxcut", "UPDATE_MODES", "colour_step_energy", "MaxcutSchedule", "DEFAULT_SCHEDULE", "TUNED_SCHEDULE", "TTS_SCHEDULE", "maxcut_params", "auto_couple_shift", "MaxCutResult", "RNG_STREAM", "SCHED_SHIFT", "T_BITS", "PARAM_DOCS", "initial_state"]

RNG_STREAM = 7  # stream id of the ONN's PRNG in prng.seed_for
SCHED_SHIFT = 12
T_BITS = 16

PARAM_DOCS = {
    "phase_bits": "phase counter width P (period 2**P counts)",
    "weight_bits": "signed coupling weight width",
    "acc_bits": "signed width of the weighted-sum accumulator h",
    "couple_gain": "drive = clamp(h * couple_gain >> couple_shift, +-couple_max)",
    "couple_shift": "right shift (floor) of h * couple_gain",
    "couple_max": "largest coupling nudge per step (counts)",
    "inj_max": "final SHIL injection strength (counts per step)",
    "inj_rate": "injection ramp: inj = min(inj_max, t*inj_rate >> 12)",
    "noise_max": "initial noise amplitude (counts)",
    "noise_min": "final noise amplitude (counts)",
    "noise_rate": "noise decay: amp = noise_max - min(noise_max-noise_min, t*noise_rate >> 12)",
}


@dataclass(frozen=True)
class ONNParams(FixedPointParams):
    """Widths and constants of the fixed-point ONN (see the module docstring)."""

    phase_bits: int = 6
    weight_bits: int = 5
    acc_bits: int = 16
    couple_gain: int = 1
    couple_shift: int = 0
    couple_max: int = 8
    inj_max: int = 2
    inj_rate: int = 4
    noise_max: int = 15
    noise_min: int = 0
    noise_rate: int = 31

    @property
    def half(self):
        return 1 << (self.phase_bits - 1)

    @property
    def quarter(self):
        return 1 << (self.phase_bits - 2)

    @property
    def phase_mask(self):
        return (1 << self.phase_bits) - 1

    @property
    def state_layout(self):
        """State of one oscillator, in the order :func:`onn_update` returns it (the core's update
        stream and the bench trace words derive from it)."""
        return StateLayout(StateField("phase", self.phase_bits, doc="relative phase, one period = 2**phase_bits"),
                           RNG_STATE)  # the noise's PRNG

    def validate(self):
        self._check("phase_bits", 3, 12)
        self._check("weight_bits", 2, 16)
        self._check("acc_bits", self.weight_bits, 31, "h must hold at least one weight")
        self._check("couple_gain", 0, 255)
        self._check("couple_shift", 0, 16)
        q = 1 << (self.phase_bits - 2)
        self._check("couple_max", 0, q - 1, "a nudge must stay below a quarter period")
        self._check("inj_max", 0, q - 1, "a nudge must stay below a quarter period")
        self._check("inj_rate", 0, 0xFFFF)
        self._check("noise_max", 0, q - 1, "noise must stay below a quarter period")
        self._check("noise_min", 0, self.noise_max, "noise_min <= noise_max")
        self._check("noise_rate", 0, 0xFFFF)


def schedule(ops, p, t):
    """``(inj, amp)`` at step ``t``: the annealing schedule (injection up, noise down)."""
    ramp = ops.let("inj_ramp", (t * p.inj_rate) >> SCHED_SHIFT)
    dec = ops.let("noise_dec", (t * p.noise_rate) >> SCHED_SHIFT)
    ramp, dec = ops.stage(ramp, dec)  # a pipeline cut after the multiplies (registers in the core)
    inj = ops.let("inj", ops.select(ramp > p.inj_max, p.inj_max, ramp))
    span = p.noise_max - p.noise_min
    amp = ops.let("amp", p.noise_max - ops.select(dec > span, span, dec))
    return inj, amp


def spins_of(ops, p, phase):
    """1 where the oscillator's binarised phase is spin +1 (phase within a quarter period of 0)."""
    return ((phase + p.quarter) & p.phase_mask) < p.half


def output_of(ops, p, phase):
    """Triangle output ``Q - min(phase, 2**P - phase)`` in [-Q, Q] (signed)."""
    far = ops.let("phase_far", (1 << p.phase_bits) - phase)
    return p.quarter - ops.select(phase < far, phase, far)


def onn_update(ops, p, phase, h, rng, inj, amp):
    """One oscillator update (module docstring) -> ``(phase', rng')`` (the fields of
    ``p.state_layout``); ``h`` is its weighted sum."""
    H, Q = p.half, p.quarter
    rng_n = ops.let("rng_next", xorshift32(ops, rng))
    drive = ops.let("drive", ops.clamp((h * p.couple_gain) >> p.couple_shift, -p.couple_max, p.couple_max))
    # pipeline cuts (registers in the core, nothing in the model): xorshift and drive | noise and
    # nudges | their sum
    span = ops.let("noise_span", 2 * amp + 1)
    phase, drive, rng_n, inj, amp, span = ops.stage(phase, drive, rng_n, inj, amp, span)
    noise = ops.let("noise", (((rng_n >> 16) * span) >> 16) - amp)
    mag = ops.let("drive_mag", ops.select(drive < 0, -drive, drive))
    lower = ops.let("lower_half", phase < H)  # phase in [0, H): the short way to 0 is down
    far = ops.let("phase_far", (1 << p.phase_bits) - phase)
    d_zero = ops.let("dist_zero", ops.select(lower, phase, far))  # circular distance to 0, 0..H
    d_half = ops.let("dist_half", H - d_zero)
    # coupling: toward 0 (drive > 0) or H (drive < 0) along the shorter arc
    to_zero = ops.select(d_zero == 0, 0, ops.select(lower, -mag, mag))  # [H, 2H) goes up through the wrap
    to_half = ops.select(d_half == 0, 0, ops.select(lower, mag, -mag))
    d_c = ops.select(drive > 0, to_zero, ops.select(drive < 0, to_half, 0))
    # injection: toward the nearer of {0, H}, never past it; no push at +-Q (equidistant)
    u = ops.let("phase_mod_half", phase & (H - 1))
    back = ops.let("inj_down", ops.select(inj < u, inj, u))
    fwd = ops.let("inj_up", ops.select(inj < H - u, inj, H - u))
    d_inj = ops.let("d_inj", ops.select(u == Q, 0, ops.select(u > Q, fwd, -back)))
    d_c = ops.let("d_c", d_c)
    phase, d_c, d_inj, noise, rng_n = ops.stage(phase, d_c, d_inj, noise, rng_n)
    phase_n = (phase + d_c + d_inj + noise) & p.phase_mask
    return phase_n, rng_n


def check_couplings(p, J):
    """Validate a coupling matrix for ``p``: square, weights in weight_bits, h within acc_bits."""
    lo, hi = signed_range(p.weight_bits)
    if sp.issparse(J):
        J = J.tocsr()
        data = J.data
        row_abs = np.asarray(abs(J).sum(axis=1)).ravel()
    else:
        J = np.asarray(J)
        if J.ndim != 2:
            raise ParameterError("couplings", J.shape, "a square (N, N) matrix")
        data = J.ravel()
        row_abs = np.abs(J).sum(axis=1)
    row_abs = row_abs * p.quarter  # |out_j| <= Q
    if J.shape[0] != J.shape[1] or J.shape[0] < 1:
        raise ParameterError("couplings", J.shape, "a square (N, N) matrix, N >= 1")
    if len(data) and (data.min() < lo or data.max() > hi):
        raise ParameterError("weight", int(data.min() if data.min() < lo else data.max()), f"{lo}..{hi}",
                             why=f"weight_bits={p.weight_bits}")
    acc_hi = signed_range(p.acc_bits)[1]
    if len(row_abs) and row_abs.max() > acc_hi:
        raise ParameterError("acc_bits", p.acc_bits, f">= {int(row_abs.max()).bit_length() + 1}",
                             why=f"a row's sum of |J| is {int(row_abs.max())}: h could overflow")
    return J


def initial_state(p, n, seed, restarts=1):
    """``(phase, rng)`` at power-up, shape (n, restarts): restart ``r`` of oscillator ``i`` has
    rng = seed_for((seed + r) mod 2**32, RNG_STREAM, i), phase = rng >> (32 - P) (a random start,
    like oscillators powered up unsynchronised). Restart r is thus one run with seed ``seed + r``."""
    rng = np.array([[seed_for((seed + r) & 0xFFFF_FFFF, RNG_STREAM, i) for r in range(restarts)] for i in range(n)],
                   dtype=np.int64).reshape(n, restarts)
    return rng >> (32 - p.phase_bits), rng


# one attribute per field of ONNParams.state_layout
ONNTrace = ONNParams().state_layout.record(
    "ONNTrace", "Phases (and PRNG states) after every step: shape (steps, N, restarts).", __name__)


UPDATE_MODES = ("sync", "colour")


class ONNModel:
    """N oscillators x ``restarts`` independent runs (columns), vectorised over both.

    ``backend`` is ``"numpy"`` (the default) or ``"compiled"``: :meth:`run` then runs the same rules
    traced and JIT-compiled (:func:`neuroxide.models.compiled.onn_run`), with the same phases, PRNG
    states and step index bit for bit; :meth:`step` is numpy on both.

    ``colours`` (default None: the synchronous mode of the module docstring) selects the second
    update mode, *colour order*: a proper colouring of the coupling graph (one colour 0..C-1 an
    oscillator, no coupled pair in one colour; ``gset.greedy_colouring``). A step then updates
    colour 0, then colour 1, ..., each colour's oscillators together from the phases *current* at
    the start of that colour (Gauss-Seidel by colour: colour k sees colours < k already updated in
    this step); within a colour the order is immaterial, as no oscillator reads another of its
    colour. Schedule (t), PRNG draws (one per oscillator a step) and the rule are the same; with one
    colour (no couplings) both modes coincide.
    """

    def __init__(self, params, couplings, seed=1, restarts=1, backend="numpy", colours=None):
        from .compiled import BACKENDS
        if backend not in BACKENDS:
            raise ParameterError("backend", backend, " | ".join(BACKENDS))
        self.backend = backend
        self.params = params
        self.J = check_couplings(params, couplings)
        self.sparse = sp.issparse(self.J)
        self.n = self.J.shape[0]
        if self.sparse:
            self.J = self.J.astype(np.int64)
        else:
            self.J = np.asarray(self.J, dtype=np.int64)
        self.restarts = restarts
        self.phase, self.rng = initial_state(params, self.n, seed, restarts)
        self.t = 0
        self.colours = None
        if colours is not None:
            from .gset import check_colouring, colour_classes
            self.colours = check_colouring(self.J, colours)
            order, bounds = colour_classes(self.colours)
            self.colour_rows = [order[bounds[k]:bounds[k + 1]] for k in range(len(bounds) - 1)]
            Jc = sp.csr_matrix(self.J)
            self._colour_J = [Jc[rows] for rows in self.colour_rows]

    @property
    def mode(self):
        """``"sync"`` (every oscillator from the step's start) or ``"colour"`` (colour by colour)."""
        return "sync" if self.colours is None else "colour"

    def spins(self):
        """Spins (+1/-1 int64, shape (N, restarts)) of the current phases."""
        return np.where(spins_of(NUMPY, self.params, self.phase), 1, -1).astype(np.int64)

    def outputs(self):
        """Triangle outputs (int64, shape (N, restarts)) of the current phases."""
        return output_of(NUMPY, self.params, self.phase).astype(np.int64)

    def field(self):
        return self.J @ self.outputs()

    def step(self):
        p = self.params
        inj, amp = schedule(NUMPY, p, np.int64(self.t))
        if self.colours is None:
            h = self.field()
            self.phase, self.rng = onn_update(NUMPY, p, self.phase, h, self.rng, inj, amp)
        else:
            for rows, Jk in zip(self.colour_rows, self._colour_J):
                h = Jk @ self.outputs()
                ph, rg = onn_update(NUMPY, p, self.phase[rows], h, self.rng[rows], inj, amp)
                self.phase[rows], self.rng[rows] = ph, rg
        self.t = min(self.t + 1, (1 << T_BITS) - 1)

    def run(self, steps, trace=False):
        """Advance ``steps`` steps; with ``trace`` return an :class:`ONNTrace` of every step."""
        if self.backend == "compiled":
            from .compiled import onn_run
            return onn_run(self, steps, trace)
        out = self.params.state_layout.empty((steps, self.n, self.restarts)) if trace else None
        for k in range(steps):
            self.step()
            if trace:
                out["phase"][k], out["rng"][k] = self.phase, self.rng
        return ONNTrace(**out) if trace else None

    def energy(self):
        """Ising energy -1/2 s^T J s per restart."""
        s = self.spins()
        return -(s * (self.J @ s)).sum(axis=0) // 2


def colour_step_energy(params, J, colours, phase_before, phase_after):
    """What the core's ENERGY register holds after a colour-mode step (the synchronous mode's is
    the Ising energy of the phases before the step, :meth:`ONNModel.energy`): ``-(sum_i s_i
    sum_j J_ij s'_j) >> 1`` with ``s`` the spins before the step and ``s'_j`` the spin of j as
    oscillator i's colour read it: after the step if j's colour comes before i's, else before.
    (The core writes phases in place, so the energy of the phases before the step is not at hand;
    the host reads the phases for the true energy.) Phases of shape (N,) or (N, R)."""
    from .gset import check_colouring
    c = check_colouring(J, colours)
    s0 = np.where(spins_of(NUMPY, params, np.asarray(phase_before)), 1, -1).astype(np.int64)
    s1 = np.where(spins_of(NUMPY, params, np.asarray(phase_after)), 1, -1).astype(np.int64)
    A = sp.coo_matrix(J)
    after = c[A.col] < c[A.row]
    seen = np.where(after.reshape((-1,) + (1,) * (s0.ndim - 1)), s1[A.col], s0[A.col])
    total = (A.data.astype(np.int64).reshape(seen.shape[:1] + (1,) * (s0.ndim - 1)) * s0[A.row] * seen).sum(axis=0)
    return -(total >> 1)


def anneal_params(steps, base=None):
    """``base`` (default :class:`ONNParams`) with the schedule rates set so that the noise decays
    from noise_max to noise_min and the injection ramps to inj_max over ``steps`` steps."""
    base = base or ONNParams()
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= (1 << T_BITS) - 1:
        raise ParameterError("sweeps", steps, f"1..{(1 << T_BITS) - 1}")
    inj_rate = min(0xFFFF, -(-(base.inj_max << SCHED_SHIFT) // steps))
    noise_rate = min(0xFFFF, -(-((base.noise_max - base.noise_min) << SCHED_SHIFT) // steps))
    return base.replace(inj_rate=inj_rate, noise_rate=noise_rate)


@dataclass(frozen=True)
class MaxcutSchedule:
    """An annealing schedule for max-cut, relative to the graph and the run's length: the core's
    ``phase_bits``, ``couple_max``, ``inj_max``, ``noise_max`` (noise_min 0); the coupling shift
    ``auto_couple_shift(J) + shift_offset`` (at least 0); the injection reaches ``inj_max`` after
    ``inj_fraction`` of the sweeps and the noise reaches 0 after ``noise_fraction`` of them
    (:meth:`params`). The default is the documented default (``anneal_params(sweeps,
    maxcut_params(J))``); :data:`TUNED_SCHEDULE` the one the tuning run chose."""

    phase_bits: int = 6
    couple_max: int = 8
    inj_max: int = 2
    noise_max: int = 15
    shift_offset: int = 0
    inj_fraction: float = 1.0
    noise_fraction: float = 1.0

    def params(self, J, sweeps):
        """:class:`ONNParams` of this schedule for couplings ``J`` and a run of ``sweeps`` steps."""
        if not 0 < self.inj_fraction <= 1 or not 0 < self.noise_fraction <= 1:
            raise ParameterError("schedule fraction", (self.inj_fraction, self.noise_fraction), "0 < f <= 1")
        base = ONNParams(phase_bits=self.phase_bits, couple_max=self.couple_max, inj_max=self.inj_max,
                         noise_max=self.noise_max, couple_shift=max(0, auto_couple_shift(J) + self.shift_offset))
        base.validate()
        inj_steps = max(1, int(round(sweeps * self.inj_fraction)))
        noise_steps = max(1, int(round(sweeps * self.noise_fraction)))
        return base.replace(inj_rate=anneal_params(inj_steps, base).inj_rate,
                            noise_rate=anneal_params(noise_steps, base).noise_rate)

    def to_dict(self):
        import dataclasses
        return dataclasses.asdict(self)


DEFAULT_SCHEDULE = MaxcutSchedule()
# chosen by the tuning run (``python -m neuroxide.bench --only onn_tune``: coordinate search, colour
# mode, 10000 sweeps x 8 runs, seeds 101..108, graphs G6 G11 G12 G18 G22; score = mean cut ratio of
# single anneals 99.23 % against the default's 99.17 %; 16 schedules tried; docs/onn.md): the
# default with the noise starting at 12 counts instead of 15
TUNED_SCHEDULE = MaxcutSchedule(noise_max=12)
# for short anneals (time to solution), chosen by the short-anneal tuning run (``python -m
# neuroxide.bench --only onn_tune_tts``: the same coordinate search on a finer grid, colour mode, G22,
# 300 sweeps x 64 runs, seeds 101..164, score = share of runs reaching 99 % of the best known: 0.875
# against the default's 0.047; 56 schedules tried; docs/onn.md): couplings at full strength (shift
# 2 below the automatic one), a stronger coupling clamp, a weaker injection reached at mid-run, and
# the noise starting at 13 counts
TTS_SCHEDULE = MaxcutSchedule(couple_max=12, inj_max=1, noise_max=13, shift_offset=-2, inj_fraction=0.5)
# the names `neuroxide maxcut --schedule` takes
NAMED_SCHEDULES = {"default": DEFAULT_SCHEDULE, "tuned": TUNED_SCHEDULE, "tts": TTS_SCHEDULE}


def maxcut_params(J):
    """Default :class:`ONNParams` for couplings ``J`` (the shift from :func:`auto_couple_shift`)."""
    return ONNParams(couple_shift=auto_couple_shift(J))


@dataclass
class MaxCutResult:
    graph: str
    nodes: int
    edges: int
    cut: int
    cuts: list
    best_restart: int
    spins: np.ndarray
    steps: int
    restarts: int
    seed: int
    wall_s: float
    params: ONNParams


def auto_couple_shift(J):
    """Coupling shift for a graph: ``floor(log2(mean_i |sum_j J_ij| / 4))``, at least 0.

    Dense ferro/antiferromagnetic rows (G1-G5: |row sum| 48) otherwise saturate the drive of every
    oscillator at once and the synchronous update oscillates; +-1 graphs (row sums near 0) keep
    the full gain. Measured on G1 (shift 0: 91.9 %, 3: 99.6 %) and G6 (0: 99.95 %, 4: 98.1 %)."""
    rows = np.abs(np.asarray(J.sum(axis=1)).ravel())
    mean = float(rows.mean()) if len(rows) else 0.0
    return max(0, int(np.floor(np.log2(mean / 4)))) if mean >= 8 else 0


def solve_maxcut(graph, steps=2000, restarts=8, seed=1, params=None, sparse=True, backend="numpy", mode="sync",
                 schedule=None):
    """Anneal ``restarts`` independent runs of the ONN on ``graph`` (a ``gset.Graph``) and return
    the best cut. Restart ``r`` is column ``r``, the same as a run with seed ``seed + r``.
    Without ``params`` the defaults are used with :func:`auto_couple_shift` for the graph, or
    ``schedule`` (a :class:`MaxcutSchedule`) when given; ``backend`` is :class:`ONNModel`'s (the
    same result on both); ``mode`` ``"sync"`` or ``"colour"`` (:class:`ONNModel`, colours from
    ``gset.greedy_colouring``)."""
    import time

    from .gset import cut_value, greedy_colouring, ising_couplings
    if isinstance(restarts, bool) or not isinstance(restarts, int) or not 1 <= restarts <= 1024:
        raise ParameterError("restarts", restarts, "1..1024")
    if mode not in UPDATE_MODES:
        raise ParameterError("mode", mode, " | ".join(UPDATE_MODES))
    J = ising_couplings(graph)
    if params is None and schedule is not None:
        anneal_params(steps)  # the sweeps' range check
        p = schedule.params(J, steps)
    else:
        p = anneal_params(steps, params or maxcut_params(J))
    colours = greedy_colouring(J) if mode == "colour" else None
    if not sparse:
        J = J.toarray()
    t0 = time.perf_counter()
    model = ONNModel(p, J, seed, restarts, backend, colours)
    model.run(steps)
    spins = model.spins()
    cuts = cut_value(graph, spins)
    best = int(np.argmax(cuts))
    return MaxCutResult(graph.name, graph.nodes, graph.n_edges, int(cuts[best]), [int(c) for c in cuts], best,
                        spins[:, best], steps, restarts, seed, time.perf_counter() - t0, p)
