"""ONN core on a board: the board top (core behind the UART host link) and its host driver.

:func:`onn_board_top` wraps :class:`~neuroxide.rtl.onn_core.ONNCore` in
:class:`~neuroxide.boards.linktop.HostLinkTop`; the core's couplings, phases and PRNG states start
from the configuration (a G-set graph or a random graph) and the host may reload all of them.
:class:`ONNHost` speaks the core's register map (:func:`neuroxide.models.onn_registers.onn_register_map`,
by register and field name through :class:`~neuroxide.boards.host.CoreRegisters`) over a
:class:`~neuroxide.boards.host.HostLink`::

    with ONNHost(open_serial("/dev/ttyUSB1"), params, n, dense=False) as onn:
        onn.load_couplings(J)              # words and ENTRIES
        onn.set_phases(phase0)             # optional
        onn.run(2000)                      # start, poll busy
        spins, energy = onn.spins(), onn.energy()

A colour-mode core (``neuroxide build onn-core -p mode=colour``) holds its rows permuted by colour;
give the driver the graph's layout and it permutes every transfer, so phases, PRNG states, spins and
couplings stay in the graph's own node order::

    layout = ColourLayout.of(J)            # the greedy colouring, as the build computed it
    with ONNHost(link, params, n, layout=layout) as onn:
        onn.load_couplings(J)              # graph order; permuted into the core's rows
        onn.set_phases(phase0)             # phase0[i]: node i
        onn.run(2000)
        spins = onn.spins()                # spins[i]: node i

A colour-mode core with row groups (``-p mode=colour -p row_groups=k``: k updates a clock) takes the
layout of the same build, ``ColourLayout.of(J, row_groups=k, lanes=L)`` (each colour's rows balanced
over the groups); the driver then loads the group word layout (``rtl.onn_core.group_coupling_words``)
and checks GROUPS::

    layout = ColourLayout.of(J, row_groups=4, lanes=32)
    with ONNHost(link, params, n, lanes=32, layout=layout) as onn:
        onn.check_core()                   # INFO and GROUPS as built
        onn.load_couplings(J)
"""

import numpy as np

from neuroxide.errors import ParameterError
from neuroxide.models.hostlink import DEFAULT_BAUD
from neuroxide.models.onn_registers import ColourLayout, check_row_groups, onn_register_map
from neuroxide.rtl.onn_core import DEFAULT_LANES, ONNCore, coupling_words, group_coupling_words

from .host import CoreRegisters

__all__ = ["onn_board_top", "onn_core_of", "layout_of", "colour_core", "ONNHost", "onn_bram_estimate", "check_fits",
           "BOARD_BRAM"]


def colour_core(params, n, J, layout, dense, seed, lanes, max_entries=None):
    """``ONNCore`` in colour mode for couplings ``J`` in the graph's order: rows permuted by
    ``layout`` (:class:`~neuroxide.models.onn_registers.ColourLayout`), the power-up phases and
    PRNG states those of ``seed`` moved with their nodes (so the core starts where
    ``ONNModel(params, J, seed, colours=layout.colours)`` does); ``layout.row_groups`` row groups."""
    phase0, rng0 = layout.initial_rows(params, seed)
    core = ONNCore(params, n, layout.couplings(J), dense=dense, seed=seed, max_entries=max_entries, phase0=phase0,
                   lanes=lanes, colour_rows=layout.colour_rows, row_groups=layout.row_groups)
    # ONNCore takes phase0 but derives its PRNG states from the seed by row: set them per node
    # (elaborate reads rng0)
    if len(getattr(core, "rng0", ())) != n:
        raise RuntimeError("ONNCore.rng0 is not the power-up PRNG state list any more")
    core.rng0 = rng0
    return core


def layout_of(cfg, J):
    """The :class:`~neuroxide.models.onn_registers.ColourLayout` an ``onn-core`` configuration in
    colour mode builds (its greedy colouring; ``cfg.row_groups`` groups of ``cfg.lanes`` / k lanes)."""
    return ColourLayout.of(J, row_groups=getattr(cfg, "row_groups", 1), lanes=getattr(cfg, "lanes", DEFAULT_LANES),
                           dense=bool(cfg.dense))


def onn_core_of(cfg, max_entries=None):
    """The ``ONNCore`` of an ``onn-core`` configuration (``cfg.mode`` ``sync`` or ``colour``: the
    latter through the graph's :class:`~neuroxide.models.onn_registers.ColourLayout`, with
    ``cfg.row_groups`` row groups)."""
    from neuroxide.models.gset import couplings_of
    J, _ = couplings_of(cfg.to_dict())
    lanes = getattr(cfg, "lanes", DEFAULT_LANES)
    if getattr(cfg, "mode", "sync") == "colour":
        return colour_core(cfg.params, cfg.n, J, layout_of(cfg, J), bool(cfg.dense), cfg.seed, lanes, max_entries)
    return ONNCore(cfg.params, cfg.n, J, dense=bool(cfg.dense), seed=cfg.seed, max_entries=max_entries, lanes=lanes)


def onn_board_top(cfg, board, baud=DEFAULT_BAUD):
    """``HostLinkTop(ONNCore(...))`` for ``neuroxide build onn-core``; the sparse coupling memory
    is sized for the configured graph (at least 4096 entries on ECP5 boards, exactly the graph's
    entries on the iCE40UP5K, whose 30 4-kbit RAMs are the limit)."""
    from neuroxide.boards.linktop import HostLinkTop
    from neuroxide.models.gset import couplings_of
    J, _ = couplings_of(cfg.to_dict())
    lanes = getattr(cfg, "lanes", DEFAULT_LANES)
    k = getattr(cfg, "row_groups", 1)
    if k > 1:  # the group word layout (as bench part onn_row_groups_build sizes it)
        lay = layout_of(cfg, J)
        need = len(group_coupling_words(cfg.params, lay.couplings(J), False, lanes, k))
    else:
        need = len(coupling_words(cfg.params, J, dense=False, lanes=lanes))
    entries = None if cfg.dense else (need if board == "icebreaker" else max(4096, need))
    core = onn_core_of(cfg, entries)
    check_fits(core, board, "graph" if cfg.graph else "n")
    return HostLinkTop(core, baud=baud, board=board)


# block RAM of each board's FPGA: (name, blocks, {(depth, width) configurations of one block})
BOARD_BRAM = {
    "ulx3s-85f": ("DP16KD", 208, ((16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18), (512, 36))),
    "icebreaker": ("SB_RAM40_4K", 30, ((2048, 2), (1024, 4), (512, 8), (256, 16))),
}


def _single(depth, width, configs):
    """Blocks for one ``depth`` x ``width`` memory: yosys maps it with one block configuration."""
    return min(-(-width // w) * -(-depth // d) for d, w in configs)


def onn_bram_estimate(core, board):
    """``(blocks, {memory: blocks}, name, available)``: block RAMs the core needs on ``board`` (one
    block configuration per memory, as yosys maps them; small memories may go to LUT RAM instead, so
    an upper estimate; the phase RAM is replicated per read port, lanes + 1 of them), or None for a
    board without an entry. A core with ``row_groups`` = k has k coupling memories of lanes / k
    fields and k phase banks of lanes + 1 copies (``rtl.onn_core``)."""
    if board not in BOARD_BRAM:
        return None
    name, available, configs = BOARD_BRAM[board]
    p = core.params
    k = getattr(core, "row_groups", 1)
    wb = core.word_bits if k == 1 else core.group_word_bits  # 36k + 1..4 bits: split into two memories
    cut = 36 * (wb // 36) if wb > 36 and 0 < wb % 36 <= 4 else wb
    parts = {"couplings": k * (_single(core.bank_depth, cut, configs) + (_single(core.bank_depth, wb - cut, configs)
                                                                          if cut < wb else 0))}
    if k == 1:
        parts |= {"phases": (core.lanes + 1) * _single(2 * core.npad, p.phase_bits, configs),
                  "prng": _single(core.n, 32, configs)}
    else:
        bank = max(2, -(-core.npad // k))
        parts |= {"phases": k * (core.lanes + 1) * _single(bank, p.phase_bits, configs),
                  "prng": k * _single(bank, 32, configs)}
    return sum(parts.values()), parts, name, available


def check_fits(core, board, field="graph"):
    """ParameterError on ``field`` (before synthesis) when the core's memories need more block RAM
    than ``board`` has."""
    est = onn_bram_estimate(core, board)
    if est is None:
        return
    need, parts, name, available = est
    if need > available:
        detail = ", ".join(f"{k} {v}" for k, v in parts.items())
        raise ParameterError(field, f"{core.n} oscillators, {core.entries} coupling words",
                             f"at most {available} {name} on {board}",
                             why=f"needs about {need} {name} ({detail}; lanes={core.lanes}, "
                             + (f"row_groups={core.row_groups}, " if getattr(core, "row_groups", 1) > 1 else "") +
                             f"weight_bits={core.params.weight_bits})")


class ONNHost:
    """Host driver of the ONN core register map over a ``HostLink`` (``write``/``read``).

    ``regs``: the core's registers by name (the map of ``n`` oscillators; the coupling memory's
    size is the core's business: a load too big for it ends in a bus error); ``lanes`` as the core
    was built (INFO.lanes_log2).

    ``layout`` (a :class:`~neuroxide.models.onn_registers.ColourLayout`; default None: a synchronous
    core) drives a colour-mode core: every method takes and returns values in the graph's node order
    and moves them to and from the core's rows. The colours' boundaries (in rows and coupling words)
    are gateware, so :meth:`load_couplings` takes couplings that the layout's colouring colours
    properly and that have as many coupling words in every colour as the build's (the built
    graph with other weights, or another graph of the same degrees); others are refused. A layout
    with ``row_groups`` = k > 1 drives a core with k row groups: the couplings go in the group word
    layout (``rtl.onn_core.group_coupling_words``), checked per colour and group; phases, PRNG
    states and spins are read and written in the graph's node order as with k = 1 (the core maps a
    row to its bank)."""

    def __init__(self, link, params, n, dense=False, lanes=DEFAULT_LANES, layout=None):
        self.link, self.params, self.n, self.dense, self.lanes = link, params, n, dense, lanes
        if layout is not None and layout.n != n:
            raise ParameterError("layout", f"{layout.n} nodes", f"{n} (the core's oscillators)")
        self.layout = layout
        self.row_groups = 1 if layout is None else check_row_groups(layout.row_groups, lanes)
        self.regs = CoreRegisters(link, onn_register_map(n))
        self._colour_words = None  # coupling words per colour the core was built for (first load)

    def info(self):
        """The core's INFO register: ``{n, dense, lanes_log2, phase_bits, colour, weight_bits}``."""
        return self.regs.get("INFO")

    def check_core(self):
        """ParameterError when the core at the link was built otherwise than this driver assumes
        (INFO: oscillators, dense, lanes, phase and weight bits, colour mode)."""
        info = self.info()
        want = {"n": self.n, "dense": int(self.dense), "lanes_log2": self.lanes.bit_length() - 1,
                "phase_bits": self.params.phase_bits, "weight_bits": self.params.weight_bits,
                "colour": int(self.layout is not None)}
        for k, v in want.items():
            if info[k] != v:
                raise ParameterError(f"INFO.{k}", info[k], str(v), why="the core at the link was built otherwise")
        # GROUPS: decoded by a core with row groups only (elsewhere unmapped: reads 0 = one group)
        groups = self.regs.get("GROUPS")["row_groups_log2"]
        if groups != self.row_groups.bit_length() - 1:
            raise ParameterError("GROUPS.row_groups_log2", groups, str(self.row_groups.bit_length() - 1),
                                 why=f"the driver's layout has {self.row_groups} row group(s); the core at the link "
                                 "was built otherwise")
        return info | {"row_groups": 1 << groups}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        close = getattr(self.link, "close", None)
        if close:
            close()

    def load_couplings(self, J, build_J=None):
        """Write the coupling words of ``J`` (and ENTRIES); returns the words written. Colour mode:
        ``J`` in the graph's order, checked against the layout's colouring and against the coupling
        words per colour of ``build_J`` (the couplings the core was built with; default: those of
        the first load)."""
        if self.layout is not None:
            from neuroxide.models.gset import check_colouring
            check_colouring(J, np.array(self.layout.colours))
            J = self.layout.couplings(J)
            per_colour = self._words_per_colour(J)
            if build_J is not None:
                self._colour_words = self._words_per_colour(self.layout.couplings(build_J))
            if self._colour_words is None:
                self._colour_words = per_colour
            if per_colour != self._colour_words:
                raise ParameterError("couplings", f"coupling words per colour {list(per_colour)[:8]}",
                                     f"{list(self._colour_words)[:8]} (as the colour-mode core was built)",
                                     why="a colour's last coupling word is fixed in the gateware")
        if self.row_groups > 1:
            words = group_coupling_words(self.params, J, self.dense, self.lanes, self.row_groups)
        else:
            words = coupling_words(self.params, J, self.dense, self.lanes)
        self.regs.write("COUPLING", words)
        if not self.dense:
            self.regs.write("ENTRIES", len(words))
        return len(words)

    def _words_per_colour(self, Jp):
        from neuroxide.rtl.onn_core import row_words
        if self.row_groups > 1:  # every group's words in every colour: the gateware's colour-end tables
            from neuroxide.models.onn_registers import group_colour_words
            return tuple(int(x) for x in group_colour_words(Jp, self.dense, self.lanes, self.layout.colour_rows,
                                                            self.row_groups).ravel())
        w = np.cumsum(row_words(Jp, self.dense, self.lanes))
        ends = [int(w[r - 1]) for r in self.layout.colour_rows[1:]]
        return tuple(b - a for a, b in zip([0] + ends, ends))

    def _rows(self, values):
        return values if self.layout is None else [int(v) for v in self.layout.to_rows(values)]

    def _nodes(self, values):
        return values if self.layout is None else self.layout.to_nodes(values)

    def set_phases(self, phases):
        """Phases of every oscillator (node order)."""
        self.regs.write("PHASE", self._rows(phases))

    def set_rng(self, states):
        """xorshift32 states of every oscillator (node order)."""
        self.regs.write("RNG", self._rows(states))

    def rng(self):
        return self._nodes(np.array(self.regs.read("RNG", self.n), dtype=np.int64))

    def run(self, steps, clear=True, max_polls=1_000_000):
        """Run ``steps`` steps (after clearing T and ENERGY); returns T when the core is idle again."""
        if clear:
            self.regs.set("CTRL", clear=1)
        self.regs.set("STEPS", steps=steps)
        self.regs.set("CTRL", start=1)
        for _ in range(max_polls):
            if not self.regs.get("CTRL")["busy"]:
                return self.regs.get("T")["t"]
        raise TimeoutError("the ONN core stayed busy")

    def phases(self):
        """Phases of every oscillator (node order)."""
        return self._nodes(np.array(self.regs.read("PHASE", self.n), dtype=np.int64))

    def spins(self):
        p = self.params
        return np.where(((self.phases() + p.quarter) & p.phase_mask) < p.half, 1, -1)

    def energy(self):
        """The ENERGY register: the Ising energy of the phases before the last step; in colour
        mode ``models.onn.colour_step_energy`` of the last step (for the Ising energy of the
        phases, read :meth:`spins`)."""
        return self.regs.get("ENERGY")["energy"]
