"""Flow glue: design configuration -> Verilog -> cocotb proof -> board build. No physics, no gates."""

import hashlib
import time
from pathlib import Path

from neuroxide.designs import DesignConfig, to_verilog
from neuroxide.errors import ParameterError

__all__ = ["write_verilog", "simulate_design", "build_design", "DEFAULT_CHUNK"]

DEFAULT_CHUNK = 2048  # steps per free-running chunk of the bench (trace memory depth)
MAX_STEPS = 10_000_000
WAVE_FORMAT = {"icarus": ".fst", "verilator": ".vcd"}  # what each simulator's cocotb flow dumps


def write_verilog(cfg: DesignConfig, path=None):
    """Verilog text of ``cfg`` (written atomically to ``path`` when given) and its summary."""
    from neuroxide.fileio import write_text
    text = to_verilog(cfg)
    if path is not None:
        write_text(path, text)
    return text, {"design": cfg.design, "file": str(path) if path else None, "lines": text.count("\n"),
                  "sha256": hashlib.sha256(text.encode()).hexdigest()}


def simulate_design(cfg: DesignConfig, simulator=None, steps=10_000, build_dir="build/sim", waves=None,
                    chunk=DEFAULT_CHUNK, model_params=None, progress=None):
    """Run the cocotb bench of ``cfg`` for ``steps`` steps; returns the CLI's ``simulate`` JSON."""
    import dataclasses

    from amaranth.back import verilog

    from neuroxide.testbench.runner import default_simulator, run_bench
    from neuroxide.testbench.top import LIFBenchTop

    if not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise ParameterError("steps", steps, f"1..{MAX_STEPS}")
    if not isinstance(chunk, int) or not 1 <= chunk <= 65536:
        raise ParameterError("chunk", chunk, "1..65536")
    simulator = simulator or default_simulator()
    if waves is not None and Path(waves).suffix != WAVE_FORMAT[simulator]:
        raise ParameterError("--vcd", str(waves), "a file ending in " + ", ".join(
            f"{ext} on {sim}" for sim, ext in WAVE_FORMAT.items()), why=f"{simulator} writes {WAVE_FORMAT[simulator]}")
    n_chunks = -(-steps // chunk)
    chunk = -(-steps // n_chunks)  # equal chunks, so the RTL runs (nearly) exactly `steps` steps
    t0 = time.perf_counter()
    top = LIFBenchTop(cfg.params, cfg.n, cfg.seed, cfg.stimulus, chunk)
    text = verilog.convert(top, name="lif_bench", emit_src=False)
    config = cfg.to_dict() | {"steps": steps, "chunk": chunk}
    if model_params is not None:
        config["model_params"] = dataclasses.asdict(model_params)
    bench = run_bench(simulator, text, "lif_bench", "neuroxide.testbench.lif_bench", config,
                      Path(build_dir) / simulator, waves=waves, progress=progress)
    return {"design": cfg.design, "simulator": simulator, "steps": bench["steps"], "cycles": bench["cycles"],
            "mismatches": bench["mismatches"], "wall_s": round(time.perf_counter() - t0, 3),
            "neurons": cfg.n, "spikes": bench["spikes"], "field_mismatches": bench["field_mismatches"],
            "first_mismatch": bench["first_mismatch"], "cycles_per_s": bench["cycles_per_s"],
            "build_s": bench["build_s"], "waves": str(waves) if waves else None}


def build_design(cfg: DesignConfig, board, build_dir="build/boards", steps_per_second=100):
    """Bitstream of ``cfg`` on ``board`` (neurons driven by on-chip stimulus, spikes on LEDs)."""
    from neuroxide.boards.build import build
    from neuroxide.boards.platforms import get_board
    from neuroxide.boards.top import NeuronBoardTop

    get_board(board)  # unknown board: ParameterError before any work
    top = NeuronBoardTop(cfg.params, cfg.n, cfg.seed, cfg.stimulus, steps_per_second=steps_per_second)
    report = build(top, board, Path(build_dir) / f"{cfg.design}-{board}", name=cfg.design)
    return {"design": cfg.design, **report}
