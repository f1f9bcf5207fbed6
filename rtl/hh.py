"""Hodgkin-Huxley neuron datapath: ``hh_index`` + ``hh_step`` of ``neuroxide.models.hh`` in gates.

:class:`HHNeuron` keeps ``v``, ``m``, ``h``, ``n`` in registers and the twelve gating tables (rate at
each bin's lower edge and its slope, for m, h, n and alpha, alpha+beta) in ROMs with synchronous
read ports, so they map to block RAM. A step takes two cycles:

* cycle 0 (``step`` high, ``busy`` low): the ROM address ``hh_index(v)`` is presented (it is
  combinational from the ``v`` register, so the ROMs always read the current bin) and ``i_dt`` is
  latched; ``busy`` goes high.
* cycle 1: the table entries of ``v``'s bin are on the ROM outputs; ``hh_step`` (interpolation,
  gate updates, conductances, membrane update) writes ``v, m, h, n, spike``; ``busy`` goes low.

``step`` while ``busy`` is ignored. After each step the registers equal the model's state.
"""

from amaranth.hdl import Module, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from neuroxide.models.hh import hh_index, hh_step, make_fixed

from .fixedpoint import AmaranthOps

__all__ = ["HHNeuron", "STEP_CYCLES"]

STEP_CYCLES = 2


class HHNeuron(wiring.Component):
    """One fixed-point HH neuron (equations: ``neuroxide.models.hh``) with constants ``k`` (HHFixed).

    Ports: ``step``, ``i_dt`` (signed ``v_bits``: dt*I/C in units of 2**-V_FRAC mV), ``busy``,
    state registers ``v`` (signed ``v_bits``), ``m``/``h``/``n`` (unsigned ``g_frac + 1``) and
    ``spike`` (0 mV crossed upward on the last step). Cost: 2 cycles per step, 12 ROMs of
    ``lut_size`` words.
    """

    def __init__(self, k=None):
        self.k = make_fixed() if k is None else k
        k = self.k
        super().__init__({
            "step": In(1),
            "i_dt": In(signed(k.v_bits)),
            "busy": Out(1),
            "v": Out(signed(k.v_bits), init=k.v_init),
            "m": Out(unsigned(k.g_frac + 1), init=k.m_init),
            "h": Out(unsigned(k.g_frac + 1), init=k.h_init),
            "n": Out(unsigned(k.g_frac + 1), init=k.n_init),
            "spike": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        k = self.k
        ops = AmaranthOps(m)
        index = ops.let("lut_index", hh_index(ops, k, self.v))
        look = {}
        for name in k.TABLES:
            for table in (name, "d" + name):
                values = k.tables[table]
                bits = max(abs(x) for x in values).bit_length() + 1
                rom = m.submodules[f"rom_{table}"] = Memory(shape=signed(bits), depth=k.lut_size,
                                                            init=list(values))
                port = rom.read_port()  # synchronous: the entry of this cycle's index, next cycle
                m.d.comb += port.addr.eq(index)
                look[table] = port.data
        i_held = Signal(signed(k.v_bits))
        v_n, m_n, h_n, n_n, spike = hh_step(ops, k, self.v, self.m, self.h, self.n, look, i_held)
        with m.If(~self.busy & self.step):
            m.d.sync += [i_held.eq(self.i_dt), self.busy.eq(1)]
        with m.If(self.busy):
            m.d.sync += [self.v.eq(v_n), self.m.eq(m_n), self.h.eq(h_n), self.n.eq(n_n),
                         self.spike.eq(spike), self.busy.eq(0)]
        return m
