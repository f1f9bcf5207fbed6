"""``izhikevich``: the fixed-point Izhikevich neuron of one 2004 panel (or all 20 side by side).

``-p panel=A..T`` picks the panel whose coefficients are built in as constants; ``panel=all``
(simulate only) puts the 20 panels' neurons side by side in one bench. ``-p pipelined=1`` selects
the 5-cycle registered datapath (higher Fmax). The cocotb bench (testbench/izhikevich_top.py)
runs each panel's protocol free from stimulus ROMs and compares the full state (v, u, spike) of
every neuron at every step with the model. ``--steps`` caps the run at the protocol's length.
The board top steps the neuron on every clock (one-cycle datapath) or whenever it is idle
(pipelined), reads the panel's input from a ROM and lights an LED on spikes.
"""

import time
from dataclasses import dataclass
from pathlib import Path

from amaranth.hdl import Elaboratable, Module, Signal, signed
from amaranth.lib import io
from amaranth.lib.memory import Memory

from neuroxide.designs import Design
from neuroxide.errors import ParameterError
from neuroxide.models import izhikevich as iz
from neuroxide.overrides import check_int_params, check_known
from neuroxide.testbench.runner import bench_summary

__all__ = ["IzhikevichConfig", "IzhikevichDesign", "IzhikevichBoardTop", "DESIGN"]

INT_PARAMS = {
    "pipelined": ("0: one step per clock; 1: 5-cycle registered datapath (higher Fmax)", 0, 0, 1),
    "frac_bits": ("fraction bits F of v, u and the input (Q.F mV)", iz.FRAC_BITS, 8, 48),
    "coef_bits": ("fraction bits K of every coefficient", iz.COEF_BITS, 8, 60),
    "seed": ("unused (the neuron is deterministic); accepted like every design's seed", 1, 0, 0xFFFF_FFFF),
}


@dataclass(frozen=True)
class IzhikevichConfig:
    design: str
    panels: tuple
    pipelined: int
    frac_bits: int
    coef_bits: int
    seed: int

    @property
    def state_bits(self):
        return self.frac_bits + 10

    @property
    def n(self):
        return len(self.panels)

    @property
    def widths(self):
        return self.frac_bits, self.coef_bits, self.state_bits

    def to_dict(self):
        return {"design": self.design, "panels": list(self.panels), "pipelined": self.pipelined,
                "frac_bits": self.frac_bits, "coef_bits": self.coef_bits, "state_bits": self.state_bits}


class IzhikevichBoardTop(Elaboratable):
    """One panel's neuron on a board: input from a ROM (BRAM), stepping at full clock, spike on LED 0."""

    def __init__(self, cfg):
        if cfg.n != 1:
            raise ParameterError("panel", "all", "one letter A..T", why="a board holds one panel's neuron")
        self.cfg = cfg

    def elaborate(self, platform):
        from neuroxide.boards.platforms import board_for_platform
        from neuroxide.rtl.izhikevich import IzhikevichNeuron, IzhikevichNeuronPipelined
        m = Module()
        cfg = self.cfg
        proto = iz.load_protocols()[cfg.panels[0]]
        coeffs = iz.coeffs_for(proto, cfg.frac_bits, cfg.coef_bits)
        stim = iz.stimulus_fixed(proto, cfg.frac_bits)
        cls = IzhikevichNeuronPipelined if cfg.pipelined else IzhikevichNeuron
        m.submodules.neuron = neuron = cls(coeffs, *cfg.widths)
        m.submodules.stim = rom = Memory(shape=signed(cfg.state_bits), depth=len(stim), init=[int(x) for x in stim])
        rd = rom.read_port()  # synchronous: data of addr appears one cycle later
        addr = Signal(range(len(stim)))
        step = Signal()
        if cfg.pipelined:
            m.d.comb += step.eq(~neuron.busy)
        else:
            m.d.comb += step.eq(1)
        with m.If(step):
            m.d.sync += addr.eq(_next_addr(addr, len(stim)))
        m.d.comb += [rd.addr.eq(addr), neuron.i_dt.eq(rd.data), neuron.step.eq(step)]
        if platform is not None:
            board = board_for_platform(platform)
            leds = [] if board is None else [(n, k) for n, k in board.leds if (n, k) in platform.resources]
            if leds:
                led = io.Buffer("o", platform.request(*leds[0], dir="-"))
                m.submodules.led = led
                m.d.comb += led.o.eq(neuron.spike)
        return m


def _next_addr(addr, depth):
    """``addr + 1`` modulo ``depth`` (the protocol loops on the board)."""
    from amaranth.hdl import Mux
    return Mux(addr == depth - 1, 0, addr + 1)


class IzhikevichDesign(Design):
    name = "izhikevich"
    summary = "fixed-point Izhikevich neuron (Q.40 v/u) of a 2004 panel; panel=all: the 20 panels side by side"
    model = "neuroxide.models.izhikevich.izhikevich_step"
    rtl = "neuroxide.rtl.izhikevich.IzhikevichNeuron"

    def parameter_table(self):
        rows = [("panel", "A", "2004 panel A..T; all: the 20 panels side by side (simulate only)")]
        rows += [(k, default, f"{doc}, {lo}..{hi}") for k, (doc, default, lo, hi) in INT_PARAMS.items()]
        return rows

    def configure(self, overrides):
        check_known(self.name, overrides, set(INT_PARAMS) | {"panel"})
        values = check_int_params(INT_PARAMS, overrides)
        panel = overrides.get("panel", "A")
        if isinstance(panel, str) and panel.lower() == "all":
            panels = iz.PANELS
        else:
            panels = tuple(iz.check_panels([panel]))
        return IzhikevichConfig(self.name, tuple(panels), **values)

    def elaborate(self, cfg):
        from neuroxide.rtl.izhikevich import IzhikevichNeuron, IzhikevichNeuronPipelined
        if cfg.n != 1:
            raise ParameterError("panel", "all", "one letter A..T", why="Verilog is of one panel's neuron")
        coeffs = iz.coeffs_for(iz.load_protocols()[cfg.panels[0]], cfg.frac_bits, cfg.coef_bits)
        cls = IzhikevichNeuronPipelined if cfg.pipelined else IzhikevichNeuron
        return cls(coeffs, *cfg.widths)

    def simulate(self, cfg, simulator, steps, build_dir, waves=None, progress=None, model_coeff_offset=None):
        """Run the panels' protocols (at most ``steps`` steps); ``model_coeff_offset``
        (``{"field", "delta"}``) changes the model's constants: the negative test of the bench."""
        from amaranth.back import verilog

        from neuroxide.testbench.izhikevich_top import IzhikevichBenchTop
        from neuroxide.testbench.runner import run_bench
        t0 = time.perf_counter()
        _, coeffs, i_dt = iz.panel_inputs(list(cfg.panels), cfg.frac_bits, cfg.coef_bits)
        i_dt = i_dt[:max(1, min(steps, len(i_dt)))]
        top = IzhikevichBenchTop(coeffs, i_dt, bool(cfg.pipelined), *cfg.widths)
        text = verilog.convert(top, name="izhikevich_bench", emit_src=False)
        config = cfg.to_dict() | {"steps": len(i_dt)}
        if model_coeff_offset is not None:
            config["model_coeff_offset"] = model_coeff_offset
        bench = run_bench(simulator, text, "izhikevich_bench", "neuroxide.testbench.izhikevich_bench", config,
                          Path(build_dir) / simulator, waves=waves, progress=progress)
        if progress is not None:
            progress(bench["steps"], bench["steps"])
        return bench_summary(cfg, simulator, bench, t0, waves, ("per_panel", "panels")) | {"pipelined": cfg.pipelined}

    def board_top(self, cfg, board):
        return IzhikevichBoardTop(cfg)


DESIGN = IzhikevichDesign()
