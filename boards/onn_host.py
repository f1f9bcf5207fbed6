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
"""

import numpy as np

from neuroxide.models.hostlink import DEFAULT_BAUD
from neuroxide.models.onn_registers import onn_register_map
from neuroxide.rtl.onn_core import DEFAULT_LANES, ONNCore, coupling_words

from .host import CoreRegisters

__all__ = ["onn_board_top", "ONNHost", "onn_bram_estimate", "check_fits", "BOARD_BRAM"]


def onn_board_top(cfg, board, baud=DEFAULT_BAUD):
    """``HostLinkTop(ONNCore(...))`` for ``neuroxide build onn-core``; the sparse coupling memory
    is sized for the configured graph (at least 4096 entries on ECP5 boards, exactly the graph's
    entries on the iCE40UP5K, whose 30 4-kbit RAMs are the limit)."""
    from neuroxide.boards.linktop import HostLinkTop
    from neuroxide.models.gset import couplings_of
    J, _ = couplings_of(cfg.to_dict())
    lanes = getattr(cfg, "lanes", DEFAULT_LANES)
    need = len(coupling_words(cfg.params, J, dense=False, lanes=lanes))
    entries = None if cfg.dense else (need if board == "icebreaker" else max(4096, need))
    core = ONNCore(cfg.params, cfg.n, J, dense=bool(cfg.dense), seed=cfg.seed, max_entries=entries, lanes=lanes)
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
    board without an entry."""
    if board not in BOARD_BRAM:
        return None
    name, available, configs = BOARD_BRAM[board]
    p = core.params
    wb = core.word_bits  # the core splits a word of 36k + 1..4 bits into two memories
    cut = 36 * (wb // 36) if wb > 36 and 0 < wb % 36 <= 4 else wb
    parts = {"couplings": _single(core.bank_depth, cut, configs) + (_single(core.bank_depth, wb - cut, configs)
                                                                     if cut < wb else 0),
             "phases": (core.lanes + 1) * _single(2 * core.npad, p.phase_bits, configs),
             "prng": _single(core.n, 32, configs)}
    return sum(parts.values()), parts, name, available


def check_fits(core, board, field="graph"):
    """ParameterError on ``field`` (before synthesis) when the core's memories need more block RAM
    than ``board`` has."""
    from neuroxide.errors import ParameterError
    est = onn_bram_estimate(core, board)
    if est is None:
        return
    need, parts, name, available = est
    if need > available:
        detail = ", ".join(f"{k} {v}" for k, v in parts.items())
        raise ParameterError(field, f"{core.n} oscillators, {core.entries} coupling words",
                             f"at most {available} {name} on {board}",
                             why=f"needs about {need} {name} ({detail}; lanes={core.lanes}, "
                             f"weight_bits={core.params.weight_bits})")


class ONNHost:
    """Host driver of the ONN core register map over a ``HostLink`` (``write``/``read``).

    ``regs``: the core's registers by name (the map of ``n`` oscillators; the coupling memory's
    size is the core's business: a load too big for it ends in a bus error); ``lanes`` as the core
    was built (INFO.lanes_log2)."""

    def __init__(self, link, params, n, dense=False, lanes=DEFAULT_LANES):
        self.link, self.params, self.n, self.dense, self.lanes = link, params, n, dense, lanes
        self.regs = CoreRegisters(link, onn_register_map(n))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        close = getattr(self.link, "close", None)
        if close:
            close()

    def load_couplings(self, J):
        words = coupling_words(self.params, J, self.dense, self.lanes)
        self.regs.write("COUPLING", words)
        if not self.dense:
            self.regs.write("ENTRIES", len(words))
        return len(words)

    def set_phases(self, phases):
        self.regs.write("PHASE", phases)

    def set_rng(self, states):
        self.regs.write("RNG", states)

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
        return np.array(self.regs.read("PHASE", self.n), dtype=np.int64)

    def spins(self):
        p = self.params
        return np.where(((self.phases() + p.quarter) & p.phase_mask) < p.half, 1, -1)

    def energy(self):
        return self.regs.get("ENERGY")["energy"]
