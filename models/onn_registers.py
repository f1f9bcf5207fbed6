"""The ONN core's register map (bus target of ``neuroxide.rtl.onn_core.ONNCore``), declared once.

:func:`onn_register_map` builds it for ``n`` oscillators and a coupling memory of
``coupling_depth`` words; the core's bus decoder (``ONNCore.elaborate``), the host driver
(``neuroxide.boards.onn_host.ONNHost``) and the table in docs/onn.md are derived from it. Every
access acks 4 clocks after ``stb``; memory writes only take effect while the core is idle, and bus
accesses never stall a run.

Row order: PHASE i, RNG i and the coupling rows are the core's row i. In the synchronous mode row
i is node i of the graph. A colour-mode core (``ONNCore(..., colour_rows=...)``) holds its rows
permuted so every colour is contiguous: :class:`ColourLayout` is that permutation, declared once
for the design that builds the core, the bench that checks it and the host driver that loads it
(which permutes, so its user sees the graph's own node order).

The host side of the row order lives here too (pure functions of the couplings, shared by the RTL,
the host driver and the benches): :func:`row_words` (coupling words a row takes at L lanes a word)
and, for a colour-mode core with ``row_groups`` = k (k updates a clock, row i in group i mod k),
:func:`balance_row_groups` and :func:`row_group_layout`, which order each colour's rows so the
groups' word counts balance; :meth:`ColourLayout.of` with ``row_groups`` > 1 is that order.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from neuroxide.errors import ParameterError

from .onn import T_BITS, initial_state
from .registers import Field, Register, RegisterMap

__all__ = ["onn_register_map", "ColourLayout", "DEFAULT_LANES", "LANE_CHOICES", "PHASE_BASE", "RNG_BASE",
           "COUPLING_BASE", "MAX_OSCILLATORS", "MAX_COUPLING_WORDS", "check_lanes", "check_row_groups", "row_words",
           "group_colour_words", "balance_row_groups", "row_group_layout"]

PHASE_BASE = 0x010000
RNG_BASE = 0x020000
COUPLING_BASE = 0x100000
MAX_OSCILLATORS = (1 << 16) - 1  # INFO.n has 16 bits (and the phase window must end below RNG_BASE)
MAX_COUPLING_WORDS = (1 << 24) - COUPLING_BASE
DEFAULT_LANES = 4                   # multiply-accumulate lanes of the core (INFO.lanes_log2)
LANE_CHOICES = (1, 2, 4, 8, 16, 32)  # powers of two: a host word index splits into bank and word by bits


def check_lanes(lanes):
    if isinstance(lanes, bool) or lanes not in LANE_CHOICES:
        raise ParameterError("lanes", lanes, " | ".join(map(str, LANE_CHOICES)))
    return lanes


def check_row_groups(row_groups, lanes):
    """``row_groups`` k if it is a power of two 1..``lanes`` (each group has lanes / k lanes), else
    ParameterError."""
    if isinstance(row_groups, bool) or not isinstance(row_groups, (int, np.integer)) or row_groups < 1 \
            or row_groups & (row_groups - 1) or row_groups > lanes:
        raise ParameterError("row_groups", row_groups, f"a power of two 1..{lanes} (at most lanes)")
    return int(row_groups)


def row_words(J, dense, lanes):
    """Coupling words of every row (int64 array of w_i: dense ceil(N / lanes), sparse
    max(1, ceil(deg_i / lanes)); ``rtl.onn_core``'s docstring)."""
    n = J.shape[0]
    if dense:
        return np.full(n, -(-n // lanes), dtype=np.int64)
    deg = np.diff(sp.csr_matrix(J).indptr)
    return np.maximum(1, -(-deg // lanes)).astype(np.int64)


def group_colour_words(J, dense, lanes, colour_rows, row_groups):
    """(k, C) int64 array: coupling words group g walks in colour c (rows r_c..r_{c+1}-1 with
    i mod k = g, lanes / k lanes a word)."""
    k = row_groups
    w = row_words(J, dense, lanes // k)
    b = list(colour_rows)
    out = np.zeros((k, len(b) - 1), dtype=np.int64)
    for c in range(len(b) - 1):
        for i in range(b[c], b[c + 1]):
            out[i % k, c] += w[i]
    return out


def balance_row_groups(J, colour_rows, row_groups, dense=False, lanes=DEFAULT_LANES):
    """Host side of the row groups: a permutation ``perm`` (new row -> old row) that keeps every colour
    in its rows r_c..r_{c+1}-1 and orders each colour's rows so the groups (row i in group i mod k)
    get balanced word counts: the colour's positions fix how many rows each group takes (round robin
    from r_c), and its rows, longest first, go to the group with the fewest words that still has a
    free position (longest-processing-time first). Apply as ``J[perm][:, perm]``."""
    k = check_row_groups(row_groups, check_lanes(lanes))
    w = row_words(J, dense, lanes // k)
    b = [int(x) for x in colour_rows]
    perm = np.arange(b[-1], dtype=np.int64)
    for c in range(len(b) - 1):
        rows = np.arange(b[c], b[c + 1])
        slots = [[p for p in rows if p % k == g] for g in range(k)]
        load = [0] * k
        free = [len(s) for s in slots]
        picked = [[] for _ in range(k)]
        for i in sorted(rows, key=lambda r: (-int(w[r]), int(r))):
            g = min((g for g in range(k) if free[g]), key=lambda g: (load[g], g))
            picked[g].append(int(i))
            load[g] += int(w[i])
            free[g] -= 1
        for g in range(k):
            for p, i in zip(slots[g], sorted(picked[g])):
                perm[p] = i
    return perm


def row_group_layout(J, row_groups=1, lanes=DEFAULT_LANES, dense=False, colours=None):
    """What the host does before loading a colour-mode core of ``row_groups`` groups: colour ``J``
    (``gset.greedy_colouring`` unless ``colours`` given), sort the rows by colour, balance each
    colour's rows over the groups (:func:`balance_row_groups`). Returns ``(perm, colours_p,
    colour_rows)``: the core and ``ONNModel(..., colours=colours_p)`` run ``J[perm][:, perm]``
    (:meth:`ColourLayout.of` keeps the same order with the colouring in the graph's order)."""
    from .gset import colour_classes, greedy_colouring
    c = greedy_colouring(J) if colours is None else np.asarray(colours, dtype=np.int64)
    order, bounds = colour_classes(c)
    Jo = J[order][:, order] if sp.issparse(J) else np.asarray(J)[np.ix_(order, order)]
    bal = balance_row_groups(Jo, bounds, row_groups, dense, lanes)
    perm = order[bal]
    return perm, c[perm], tuple(int(x) for x in bounds)


def onn_register_map(n, coupling_depth=MAX_COUPLING_WORDS, entries=0, row_groups=None):
    """The register map of an ONN core of ``n`` oscillators whose coupling memory holds
    ``coupling_depth`` words, ``entries`` of them walked per step after reset. A host that does not
    know the core's memory size keeps the default depth: the addresses are the same.

    ``row_groups``: the core's (``ONNCore(row_groups=k)``); None (a host's view, the docs) declares
    every register. GROUPS is decoded only by a core with k > 1: on the others its address is
    unmapped and reads 0, which is what it would hold (log2 1), so their decoders (and Verilog) are
    those of the map without it."""
    if isinstance(n, bool) or not isinstance(n, int) or not 2 <= n <= MAX_OSCILLATORS:
        raise ParameterError("n", n, f"2..{MAX_OSCILLATORS}")
    groups = [] if row_groups == 1 else [
        Register("GROUPS", None, "r", reset_doc="-", doc="row groups: oscillator updates a clock within a colour "
                 "(decoded by a core with row groups only; elsewhere unmapped, read 0)", fields=[
                     ("row_groups_log2", 3, 0, "log2 of the row groups k (0: one update a clock)")])]
    return RegisterMap("onn-core", [
        Register("CTRL", 0x00, "rw", fields=[
            Field("start", 1, doc="start a run of STEPS steps", access="w"),
            Field("clear", 1, doc="clear T and ENERGY", access="w"),
            Field("busy", 1, doc="a run is in progress", at=0, access="r")]),
        Register("STEPS", None, "rw", fields=[("steps", 16, 1, "steps a start runs")]),
        Register("T", None, "r", fields=[("t", T_BITS, 0, f"steps done since the last clear (saturates at "
                                                          f"2**{T_BITS} - 1)")]),
        Register("ENERGY", None, "r", fields=[
            Field("energy", 32, doc="Ising energy -1/2 s^T J s of the phases before the last step "
                  "(exact: the core requires sum |J| < 2**31)", signed=True)]),
        Register("ENTRIES", None, "rw", reset=entries, reset_doc="the configured couplings",
                 doc="coupling words walked per step, ceil(ENTRIES / lanes) a bank (sparse: writes of "
                 "1..depth taken; dense: N*Npad, writes ignored)"),
        Register("INFO", None, "r", doc="how the core was built", reset_doc="-", fields=[
            ("n", 16, 0, "oscillators"),
            ("dense", 1, 0, "dense coupling memory"),
            ("lanes_log2", 3, 0, "log2 of the multiply-accumulate lanes"),
            Field("phase_bits", 5, at=20),  # 3..12 (ONNParams.validate)
            ("colour", 1, 0, "colour mode (rows permuted by colour, updated colour by colour)"),
            Field("weight_bits", 6, at=26)]),
        *groups,
        Register("PHASE", PHASE_BASE, "rw", count=n, index="i", reset_doc="-",
                 doc="phase of oscillator i (the current bank; colour mode: row i, node order[i] of "
                 "the ColourLayout)"),
        Register("RNG", RNG_BASE, "rw", count=n, index="i", reset_doc="-",
                 doc="xorshift32 state of oscillator i (as PHASE)"),
        Register("COUPLING", COUPLING_BASE, "rw", count=coupling_depth, index="e", reset_doc="-",
                 doc="coupling word e = bank e mod lanes of word e div lanes (dense: e = i*Npad + j, "
                 "Npad = N rounded up to lanes, the weight; sparse: {last, col, w}, see rtl/onn_core.py)"),
    ], doc="ONN core")


@dataclass(frozen=True)
class ColourLayout:
    """Where a colour-mode core holds a graph's nodes: core row ``k`` is node ``order[k]``, the
    nodes sorted by colour (ascending node within a colour, ``gset.colour_classes``; with
    ``row_groups`` > 1 each colour's rows balanced over the groups, :func:`row_group_layout`), so
    colour ``c`` is rows ``colour_rows[c] .. colour_rows[c + 1] - 1`` (``ONNCore(colour_rows=...,
    row_groups=...)``).

    ``colours`` is the colouring in the graph's node order (what ``ONNModel(colours=...)`` takes);
    :meth:`of` computes it with ``gset.greedy_colouring`` (DSatur, deterministic), as ``neuroxide
    maxcut --mode colour`` does. The core, seen through this permutation, is
    ``ONNModel(params, J, seed, colours=layout.colours)`` on the graph in its own order."""

    order: tuple
    colours: tuple
    colour_rows: tuple
    row_groups: int = 1

    @classmethod
    def of(cls, J, colours=None, row_groups=1, lanes=DEFAULT_LANES, dense=False):
        """The layout of couplings ``J`` (graph order; sparse or dense) for ``colours`` (graph order;
        default the greedy colouring); an improper colouring raises ParameterError naming the pair.

        ``row_groups`` = k > 1: the order of a core with k row groups of ``lanes`` / k lanes
        (``ONNCore(..., row_groups=k)``): each colour's rows ordered by :func:`row_group_layout` so
        the groups' coupling words balance (the colours and their row boundaries are those of k = 1;
        only the order within a colour differs, which the colour-mode model does not see)."""
        from .gset import check_colouring, colour_classes, greedy_colouring
        c = check_colouring(J, greedy_colouring(J) if colours is None else colours)
        k = check_row_groups(row_groups, check_lanes(lanes))
        if k == 1:
            order, bounds = colour_classes(c)
        else:
            order, _, bounds = row_group_layout(J, k, lanes, bool(dense), colours=c)
        return cls(tuple(int(x) for x in order), tuple(int(x) for x in c), tuple(int(x) for x in bounds), k)

    @property
    def n(self):
        return len(self.order)

    @property
    def n_colours(self):
        return len(self.colour_rows) - 1

    def couplings(self, J):
        """``J`` (graph order) with rows and columns permuted into core rows: ``Jp[k, l] = J[order[k],
        order[l]]`` (sparse stays sparse, CSR)."""
        o = np.asarray(self.order)
        self._check_n(J.shape[0], "couplings")
        if sp.issparse(J):
            return sp.csr_matrix(J)[o][:, o].tocsr()
        return np.asarray(J)[np.ix_(o, o)]

    def to_rows(self, values):
        """Per-node ``values`` (graph order, first axis) -> core row order."""
        v = np.asarray(values)
        self._check_n(len(v), "values")
        return v[np.asarray(self.order)]

    def to_nodes(self, values):
        """Per-row ``values`` (core row order, first axis) -> graph order."""
        v = np.asarray(values)
        self._check_n(len(v), "values")
        out = np.empty_like(v)
        out[np.asarray(self.order)] = v
        return out

    def initial_rows(self, params, seed):
        """``(phase0, rng0)``: lists of the power-up state of ``seed`` (``models.onn.initial_state`` of
        the graph's nodes) in core row order, so the core starts where the graph-order model does."""
        phase0, rng0 = initial_state(params, self.n, seed, 1)
        return [int(x) for x in self.to_rows(phase0[:, 0])], [int(x) for x in self.to_rows(rng0[:, 0])]

    def _check_n(self, n, field):
        if n != self.n:
            raise ParameterError(field, n, f"{self.n} (the layout's nodes)")
