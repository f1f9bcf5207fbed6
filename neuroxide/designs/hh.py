"""``hh``: the fixed-point Hodgkin-Huxley neuron (interpolated lookup-table gating in ROM).

``-p stimuli=step15,noise`` picks the stimuli of the standard set (models/hh.py ``STIMULI``, or
``all``) that the cocotb bench runs side by side, one neuron each; ``--steps`` is the number of
0.01 ms steps (default capped at the 100 ms protocol, 10,000 steps). The bench compares v, m, h, n
and spike of every neuron at every step with the model. The board top steps the neuron whenever it
is idle (two cycles per step) on a 15 uA/cm^2 input and lights an LED on spikes.
"""

import time
from dataclasses import dataclass
from pathlib import Path

from amaranth.hdl import Elaboratable, Module
from amaranth.lib import io

from neuroxide.designs import Design
from neuroxide.errors import ParameterError
from neuroxide.models import hh
from neuroxide.overrides import check_known
from neuroxide.testbench.runner import bench_summary

__all__ = ["HHConfig", "HHDesign", "HHBoardTop", "DESIGN"]

BOARD_CURRENT_UA = 15.0


@dataclass(frozen=True)
class HHConfig:
    design: str
    stimuli: tuple
    seed: int

    @property
    def n(self):
        return len(self.stimuli)

    def to_dict(self):
        return {"design": self.design, "stimuli": list(self.stimuli), "seed": self.seed}


class HHBoardTop(Elaboratable):
    """One HH neuron on a board: constant 15 uA/cm^2 drive, a step whenever idle, spike on LED 0."""

    def elaborate(self, platform):
        from neuroxide.boards.platforms import board_for_platform
        from neuroxide.rtl.hh import HHNeuron
        m = Module()
        k = hh.make_fixed()
        m.submodules.neuron = neuron = HHNeuron(k)
        m.d.comb += [neuron.step.eq(~neuron.busy),
                     neuron.i_dt.eq(int(hh.current_to_fixed(BOARD_CURRENT_UA, k)))]
        if platform is not None:
            board = board_for_platform(platform)
            leds = [] if board is None else [(n, i) for n, i in board.leds if (n, i) in platform.resources]
            if leds:
                m.submodules.led = led = io.Buffer("o", platform.request(*leds[0], dir="-"))
                m.d.comb += led.o.eq(neuron.spike)
        return m


class HHDesign(Design):
    name = "hh"
    summary = "fixed-point Hodgkin-Huxley neuron, interpolated LUT gating in ROM, 2 cycles per step"
    model = "neuroxide.models.hh.hh_step"
    rtl = "neuroxide.rtl.hh.HHNeuron"

    def parameter_table(self):
        return [("stimuli", "all", "comma list of " + ", ".join(hh.STIMULI) + " or all (simulate)"),
                ("seed", 1, "seed of the noisy stimulus, 0..4294967295")]

    def configure(self, overrides):
        check_known(self.name, overrides, {"stimuli", "seed"})
        text = overrides.get("stimuli", "all")
        if not isinstance(text, str):
            raise ParameterError("stimuli", text, "comma list of " + " | ".join(hh.STIMULI) + " or all")
        names = list(hh.STIMULI) if text == "all" else [s.strip() for s in text.split(",") if s.strip()]
        if not names:
            raise ParameterError("stimuli", text, "comma list of " + " | ".join(hh.STIMULI) + " or all")
        for name in names:
            if name not in hh.STIMULI:
                raise ParameterError("stimuli", name, " | ".join(hh.STIMULI) + " or all")
        seed = overrides.get("seed", 1)
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= 0xFFFF_FFFF:
            raise ParameterError("seed", seed, "0..4294967295")
        return HHConfig(self.name, tuple(names), seed)

    def elaborate(self, cfg):
        from neuroxide.rtl.hh import HHNeuron
        return HHNeuron(hh.make_fixed())

    def simulate(self, cfg, simulator, steps, build_dir, waves=None, progress=None, model_current_offset=0):
        """Run the stimuli for ``min(steps, 10000)`` steps; ``model_current_offset`` (LSBs) feeds the
        model a different input than the RTL: the negative test of the bench."""
        from amaranth.back import verilog

        from neuroxide.testbench.hh_top import HHBenchTop
        from neuroxide.testbench.runner import run_bench
        t0 = time.perf_counter()
        steps = max(1, min(steps, int(round(hh.STIM_MS / hh.DT_MS))))
        k = hh.make_fixed()
        _, current = hh.stimulus_set(cfg.stimuli, steps, cfg.seed)
        top = HHBenchTop(k, hh.current_to_fixed(current, k))
        text = verilog.convert(top, name="hh_bench", emit_src=False)
        config = cfg.to_dict() | {"steps": steps, "model_current_offset": model_current_offset}
        bench = run_bench(simulator, text, "hh_bench", "neuroxide.testbench.hh_bench", config,
                          Path(build_dir) / simulator, waves=waves, progress=progress)
        if progress is not None:
            progress(bench["steps"], bench["steps"])
        return bench_summary(cfg, simulator, bench, t0, waves, ("per_stimulus", "stimuli"))

    def board_top(self, cfg, board):
        return HHBoardTop()


DESIGN = HHDesign()
