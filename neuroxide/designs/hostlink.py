"""``hostlink``: the UART host link with the demo RegisterFileCore behind it.

* ``neuroxide verilog hostlink``: :class:`~neuroxide.testbench.hostlink_top.LinkSimTop` (UART
  pins ``rx``/``tx``, the link, the core, bus counters) at the divisor of ``sim_divisor``.
* ``neuroxide simulate hostlink --steps N``: N random and mutated frames through the byte-stream
  engine on Icarus/Verilator, run free from a stimulus memory and compared byte for byte with the
  reference (:func:`~neuroxide.models.hostlink.link_model`), then the whole RAM read back;
  with ``-p uart=1`` instead N driver operations (:class:`~neuroxide.models.hostlink_client.HostLink`)
  through the UART pins (slower: 10 * sim_divisor clocks per byte).
* ``neuroxide build hostlink --board B``: :class:`~neuroxide.boards.linktop.HostLinkTop` at
  ``baud`` on the board's UART, LEDs for activity and errors.
"""

import time
from dataclasses import asdict, dataclass
from pathlib import Path

from neuroxide.designs import Design
from neuroxide.errors import ParameterError
from neuroxide.models.hostlink import BAUD_PARAM
from neuroxide.overrides import check_int_params, check_known

__all__ = ["HostLinkDesign", "DESIGN", "HostLinkConfig"]

PARAMS = {
    "ram_depth": ("RegisterFileCore RAM words", 256, 32, 4096),
    "baud": BAUD_PARAM,
    "frame_timeout_ms": ("board: silence that abandons a half-received frame, ms", 20, 1, 1000),
    "sim_divisor": ("simulation and `verilog`: clocks per UART bit", 8, 4, 1024),
    "seed": ("random frames' seed", 1, 0, 0xFFFF_FFFF),
    "uart": ("simulate: 0 = byte-stream fuzz vs the reference, 1 = HostLink driver via UART pins",
             0, 0, 1),
    "chunk": ("simulate (fuzz): frames per free-running chunk", 2000, 1, 20000),
}

SIM_FRAME_TIMEOUT = 16        # byte-stream fuzz: clocks of silence that end a frame
STIM_WORDS = 1 << 15          # fuzz stimulus memory: 4 items per word
RESP_WORDS = 1 << 15          # fuzz response memory: 4 bytes per word (>= 978 worst-case responses)


@dataclass(frozen=True)
class HostLinkConfig:
    design: str
    ram_depth: int
    baud: int
    frame_timeout_ms: int
    sim_divisor: int
    seed: int
    uart: int
    chunk: int

    @property
    def n(self):
        """The design's size as the CLI's status lines print it (``n=``): RAM words."""
        return self.ram_depth

    def to_dict(self):
        return asdict(self)


class HostLinkDesign(Design):
    name = "hostlink"
    summary = "UART host link (framed CRC-16 word read/write protocol) + demo register-file core"
    model = "neuroxide.models.hostlink.link_model"
    rtl = "neuroxide.rtl.hostlink.HostLinkUART"

    def parameter_table(self):
        return [(k, default, f"{doc}, {lo}..{hi}") for k, (doc, default, lo, hi) in PARAMS.items()]

    def configure(self, overrides):
        check_known(self.name, overrides, set(PARAMS))
        values = check_int_params(PARAMS, overrides)
        if values["ram_depth"] % 32:
            raise ParameterError("ram_depth", values["ram_depth"], "a multiple of 32 in 32..4096")
        return HostLinkConfig(self.name, **values)

    def elaborate(self, cfg):
        from neuroxide.rtl.register_file import RegisterFileCore
        from neuroxide.testbench.hostlink_top import LinkSimTop
        return LinkSimTop(RegisterFileCore(cfg.ram_depth), divisor=cfg.sim_divisor,
                          frame_timeout=64 * 10 * cfg.sim_divisor)

    def simulate(self, cfg, simulator, steps, build_dir, waves=None, progress=None, model_ram_depth=None):
        """``model_ram_depth``: give the reference a different RAM size (the negative test)."""
        from amaranth.back import verilog

        from neuroxide.rtl.register_file import RegisterFileCore
        from neuroxide.testbench.hostlink_top import FuzzTop, LinkSimTop
        from neuroxide.testbench.runner import run_bench

        t0 = time.perf_counter()
        config = cfg.to_dict() | {"steps": steps}
        if cfg.uart:
            frame_timeout = 20 * 10 * cfg.sim_divisor
            top = LinkSimTop(RegisterFileCore(cfg.ram_depth), divisor=cfg.sim_divisor,
                             frame_timeout=frame_timeout)
            name = "hostlink_uart"
            config |= {"mode": "uart", "divisor": cfg.sim_divisor, "frame_timeout": frame_timeout}
        else:
            top = FuzzTop(STIM_WORDS, RESP_WORDS, SIM_FRAME_TIMEOUT, cfg.ram_depth)
            name = "hostlink_fuzz"
            config |= {"mode": "fuzz", "frame_timeout": SIM_FRAME_TIMEOUT, "stim_words": STIM_WORDS, "resp_words": RESP_WORDS,
                       "chunk": min(cfg.chunk, max(steps, 1))}
            if model_ram_depth is not None:
                config["model_ram_depth"] = model_ram_depth
        text = verilog.convert(top, name=name, emit_src=False)
        bench = run_bench(simulator, text, name, "neuroxide.testbench.hostlink_bench", config,
                          Path(build_dir) / f"{name}-{simulator}", waves=waves, progress=progress)
        out = {"design": cfg.design, "simulator": simulator, "steps": bench["steps"],
               "cycles": bench["cycles"], "mismatches": bench["mismatches"],
               "wall_s": round(time.perf_counter() - t0, 3), "mode": config["mode"],
               "build_s": bench["build_s"], "run_s": bench["run_s"],
               # the CLI's human line is written for neuron designs (neurons x steps, spikes)
               "neurons": 0, "spikes": 0,
               "cycles_per_s": bench.get("cycles_per_s") or round(bench["cycles"] / max(bench["run_s"], 1e-9), 1)}
        for key in ("responses", "first_mismatch", "errors", "frames_per_s",
                    "free_run_s", "bytes_sent", "bytes_received", "bus_writes"):
            if key in bench:
                out[key] = bench[key]
        return out

    def board_top(self, cfg, board):
        from neuroxide.boards.linktop import HostLinkTop
        from neuroxide.rtl.register_file import RegisterFileCore
        return HostLinkTop(RegisterFileCore(cfg.ram_depth), baud=cfg.baud,
                           frame_timeout_ms=cfg.frame_timeout_ms, board=board)


DESIGN = HostLinkDesign()
