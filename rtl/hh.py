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

What a formal harness observes is public: the ROMs (``roms``, built in the constructor so their
contents and read ports can be read before elaboration) and, with ``observe``, the rule's
intermediate values on an extra ``observed`` port.
"""

from amaranth.hdl import Module, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from neuroxide.models.hh import hh_index, hh_step, make_fixed

from .fixedpoint import AmaranthOps, RecordingOps
from .layout import item_ports, shape_of

__all__ = ["HHNeuron", "STEP_CYCLES"]

STEP_CYCLES = 2


class HHNeuron(wiring.Component):
    """One fixed-point HH neuron (equations: ``neuroxide.models.hh``) with constants ``k`` (HHFixed).

    Ports: ``step``, the input of ``k.input_layout`` (``i_dt``, signed ``v_bits``: dt*I/C in units
    of 2**-V_FRAC mV), ``busy``, and the state registers of ``k.state_layout``: ``v`` (signed
    ``v_bits``), ``m``/``h``/``n`` (unsigned ``g_frac + 1``) and ``spike`` (0 mV crossed upward on
    the last step). Cost: 2 cycles per step, 12 ROMs of ``lut_size`` words.

    ``roms``: ``{table: Memory}`` (``a_m``, ``da_m``, ...; contents ``k.tables``), each with one
    synchronous read port at ``hh_index(v)``. ``observe``: names of ``hh_step``'s intermediate values
    (its ``ops.let`` names, e.g. ``"i_ion"``) to drive onto an extra port ``observed`` (a struct of
    those values, each of the shape it has in the gates); empty (the default): no such port, the
    gates are the shipped ones.
    """

    def __init__(self, k=None, observe=()):
        self.k = make_fixed() if k is None else k
        k = self.k
        self.roms, self._rom_ports = {}, {}
        for name in k.TABLES:
            for table in (name, "d" + name):
                values = k.tables[table]
                bits = max(abs(x) for x in values).bit_length() + 1
                rom = Memory(shape=signed(bits), depth=k.lut_size, init=list(values))
                port = rom.read_port()  # synchronous: the entry of this cycle's index, next cycle
                self.roms[table], self._rom_ports[table] = rom, port
        init = {"v": k.v_init, "m": k.m_init, "h": k.h_init, "n": k.n_init}
        members = {"step": In(1), **item_ports(k.input_layout, In), "busy": Out(1),
                   **item_ports(k.state_layout, Out, init=init)}
        self.observe = tuple(observe)
        if self.observe:
            members["observed"] = Out(data.StructLayout(self._let_shapes(members)))
        super().__init__(members)

    def _let_shapes(self, members):
        """``{name: shape}`` of the observed values: ``hh_step`` evaluated on free values, no gates."""
        probe = RecordingOps()
        free = {name: Signal(members[name].shape) for name in ("v", "m", "h", "n", "i_dt")}
        look = {table: port.data for table, port in self._rom_ports.items()}
        hh_step(probe, self.k, free["v"], free["m"], free["h"], free["n"], look, free["i_dt"])
        unknown = sorted(set(self.observe) - set(probe.wires))
        if unknown:
            raise ValueError(f"observe: {unknown} are not intermediate values of hh_step; "
                             f"known: {sorted(probe.wires)}")
        return {name: probe.wires[name].shape() for name in self.observe}

    def elaborate(self, platform):
        m = Module()
        k = self.k
        ops = RecordingOps(m) if self.observe else AmaranthOps(m)
        index = ops.let("lut_index", hh_index(ops, k, self.v))
        look = {}
        for table, rom in self.roms.items():
            m.submodules[f"rom_{table}"] = rom
            port = self._rom_ports[table]
            m.d.comb += port.addr.eq(index)
            look[table] = port.data
        i_held = Signal(shape_of(k.input_layout["i_dt"]))
        state = hh_step(ops, k, self.v, self.m, self.h, self.n, look, i_held)
        with m.If(~self.busy & self.step):
            m.d.sync += [i_held.eq(self.i_dt), self.busy.eq(1)]
        with m.If(self.busy):
            m.d.sync += [getattr(self, name).eq(value) for name, value in zip(k.state_layout.names, state)]
            m.d.sync += self.busy.eq(0)
        if self.observe:
            m.d.comb += [self.observed[name].eq(ops.wires[name]) for name in self.observe]
        return m
