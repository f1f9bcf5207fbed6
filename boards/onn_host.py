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

from neuroxide.models.onn_registers import onn_register_map
from neuroxide.rtl.onn_core import ONNCore, coupling_words

from .host import CoreRegisters

__all__ = ["onn_board_top", "ONNHost"]


def onn_board_top(cfg, board, baud=115200):
    """``HostLinkTop(ONNCore(...))`` for ``neuroxide build onn-core``; the sparse coupling memory
    is sized for the configured graph (at least 4096 entries on ECP5 boards, exactly the graph's
    entries on the iCE40UP5K, whose 30 4-kbit RAMs are the limit)."""
    from neuroxide.boards.linktop import HostLinkTop
    from neuroxide.models.gset import couplings_of
    J, _ = couplings_of(cfg.to_dict())
    need = len(coupling_words(cfg.params, J, dense=False))
    entries = None if cfg.dense else (need if board == "icebreaker" else max(4096, need))
    core = ONNCore(cfg.params, cfg.n, J, dense=bool(cfg.dense), seed=cfg.seed, max_entries=entries)
    return HostLinkTop(core, baud=baud)


class ONNHost:
    """Host driver of the ONN core register map over a ``HostLink`` (``write``/``read``).

    ``regs``: the core's registers by name (the map of ``n`` oscillators; the coupling memory's
    size is the core's business: a load too big for it ends in a bus error)."""

    def __init__(self, link, params, n, dense=False):
        self.link, self.params, self.n, self.dense = link, params, n, dense
        self.regs = CoreRegisters(link, onn_register_map(n))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        close = getattr(self.link, "close", None)
        if close:
            close()

    def load_couplings(self, J):
        words = coupling_words(self.params, J, self.dense)
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
