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
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from neuroxide.errors import ParameterError

from .onn import T_BITS, initial_state
from .registers import Field, Register, RegisterMap

__all__ = ["onn_register_map", "ColourLayout", "DEFAULT_LANES", "LANE_CHOICES", "PHASE_BASE", "RNG_BASE",
           "COUPLING_BASE", "MAX_OSCILLATORS",
           "MAX_COUPLING_WORDS"]

PHASE_BASE = 0x010000
RNG_BASE = 0x020000
COUPLING_BASE = 0x100000
MAX_OSCILLATORS = (1 << 16) - 1  # INFO.n has 16 bits (and the phase window must end below RNG_BASE)
MAX_COUPLING_WORDS = (1 << 24) - COUPLING_BASE
DEFAULT_LANES = 4                   # multiply-accumulate lanes of the core (INFO.lanes_log2)
LANE_CHOICES = (1, 2, 4, 8, 16, 32)  # powers of two: a host word index splits into bank and word by bits


def onn_register_map(n, coupling_depth=MAX_COUPLING_WORDS, entries=0):
    """The register map of an ONN core of ``n`` oscillators whose coupling memory holds
    ``coupling_depth`` words, ``entries`` of them walked per step after reset. A host that does not
    know the core's memory size keeps the default depth: the addresses are the same."""
    if isinstance(n, bool) or not isinstance(n, int) or not 2 <= n <= MAX_OSCILLATORS:
        raise ParameterError("n", n, f"2..{MAX_OSCILLATORS}")
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
    nodes sorted by colour (ascending node within a colour, ``gset.colour_classes``), so colour
    ``c`` is rows ``colour_rows[c] .. colour_rows[c + 1] - 1`` (``ONNCore(colour_rows=...)``).

    ``colours`` is the colouring in the graph's node order (what ``ONNModel(colours=...)`` takes);
    :meth:`of` computes it with ``gset.greedy_colouring`` (DSatur, deterministic), as ``neuroxide
    maxcut --mode colour`` does. The core, seen through this permutation, is
    ``ONNModel(params, J, seed, colours=layout.colours)`` on the graph in its own order."""

    order: tuple
    colours: tuple
    colour_rows: tuple

    @classmethod
    def of(cls, J, colours=None):
        """The layout of couplings ``J`` (graph order; sparse or dense) for ``colours`` (graph order;
        default the greedy colouring); an improper colouring raises ParameterError naming the pair."""
        from .gset import check_colouring, colour_classes, greedy_colouring
        c = check_colouring(J, greedy_colouring(J) if colours is None else colours)
        order, bounds = colour_classes(c)
        return cls(tuple(int(x) for x in order), tuple(int(x) for x in c), tuple(int(x) for x in bounds))

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
