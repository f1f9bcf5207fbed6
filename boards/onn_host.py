"""ONN core on a board: the board top (core behind the UART host link) and its host driver.

:func:`onn_board_top` wraps :class:`~neuroxide.rtl.onn_core.ONNCore` in
:class:`~neuroxide.boards.linktop.HostLinkTop`; the core's couplings, phases and PRNG states start
from the configuration (a G-set graph or a random graph) and the host may reload all of them.
:class:`ONNHost` speaks the core's register map (``neuroxide.rtl.onn_core``) over a
:class:`~neuroxide.boards.host.HostLink`::

    with ONNHost(HostLink(open_serial("/dev/ttyUSB1")), params, n, dense=False) as onn:
        onn.load_couplings(J)              # words and ENTRIES
        onn.set_phases(phase0)             # optional
        onn.run(2000)                      # start, poll busy
        spins, energy = onn.spins(), onn.energy()
"""

import numpy as np

from neuroxide.rtl.onn_core import (COUPLING_BASE, PHASE_BASE, REG_CTRL, REG_ENERGY, REG_ENTRIES, REG_STEPS, REG_T,
                                    RNG_BASE, ONNCore, coupling_words)

__all__ = ["onn_board_top", "ONNHost"]


def onn_board_top(cfg, board, baud=115200):
    """``HostLinkTop(ONNCore(...))`` for ``neuroxide build onn-core``; the sparse coupling memory
    is sized for the configured graph (at least 4096 entries on ECP5 boards, exactly the graph's
    entries on the iCE40UP5K, whose 30 4-kbit RAMs are the limit)."""
    from neuroxide.boards.linktop import HostLinkTop
    from neuroxide.designs.onn_core import couplings_of
    J, _ = couplings_of(cfg.to_dict())
    need = len(coupling_words(cfg.params, J, dense=False))
    entries = None if cfg.dense else (need if board == "icebreaker" else max(4096, need))
    core = ONNCore(cfg.params, cfg.n, J, dense=bool(cfg.dense), seed=cfg.seed, max_entries=entries)
    return HostLinkTop(core, baud=baud)


class ONNHost:
    """Host driver of the ONN core register map over a ``HostLink`` (``write``/``read``)."""

    def __init__(self, link, params, n, dense=False):
        self.link, self.params, self.n, self.dense = link, params, n, dense

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        close = getattr(self.link, "close", None)
        if close:
            close()

    def load_couplings(self, J):
        words = coupling_words(self.params, J, self.dense)
        self.link.write(COUPLING_BASE, words)
        if not self.dense:
            self.link.write(REG_ENTRIES, [len(words)])
        return len(words)

    def set_phases(self, phases):
        self.link.write(PHASE_BASE, [int(x) for x in phases])

    def set_rng(self, states):
        self.link.write(RNG_BASE, [int(x) for x in states])

    def run(self, steps, clear=True, max_polls=1_000_000):
        if clear:
            self.link.write(REG_CTRL, [2])
        self.link.write(REG_STEPS, [steps])
        self.link.write(REG_CTRL, [1])
        for _ in range(max_polls):
            if not self.link.read(REG_CTRL, 1)[0] & 1:
                return self.link.read(REG_T, 1)[0]
        raise TimeoutError("the ONN core stayed busy")

    def phases(self):
        return np.array(self.link.read(PHASE_BASE, self.n), dtype=np.int64)

    def spins(self):
        p = self.params
        return np.where(((self.phases() + p.quarter) & p.phase_mask) < p.half, 1, -1)

    def energy(self):
        e = self.link.read(REG_ENERGY, 1)[0]
        return e - (1 << 32) if e >> 31 else e
