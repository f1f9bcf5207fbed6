"""Flow glue: design configuration -> Verilog -> cocotb proof -> board build. No physics, no gates.

Each step dispatches to the configuration's design (neuroxide/designs/); what is checked here is
what every design shares: the step count, the simulator, the waveform file name, the board.
"""

import hashlib
from pathlib import Path

from neuroxide.designs import get_design, to_verilog
from neuroxide.errors import ParameterError

__all__ = ["write_verilog", "simulate_design", "build_design", "parse_seeds", "MAX_STEPS", "WAVE_FORMAT"]

MAX_STEPS = 10_000_000
WAVE_FORMAT = {"icarus": ".fst", "verilator": ".vcd"}  # what each simulator's cocotb flow dumps


def write_verilog(cfg, path=None):
    """Verilog text of ``cfg`` (written atomically to ``path`` when given) and its summary."""
    from neuroxide.fileio import write_text
    text = to_verilog(cfg)
    if path is not None:
        write_text(path, text)
    return text, {"design": cfg.design, "file": str(path) if path else None, "lines": text.count("\n"),
                  "sha256": hashlib.sha256(text.encode()).hexdigest()}


def check_simulation(simulator=None, steps=10_000, waves=None, max_steps=MAX_STEPS):
    """Validate what every cocotb run shares; returns the simulator to use."""
    from neuroxide.testbench.runner import default_simulator
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= max_steps:
        raise ParameterError("steps", steps, f"1..{max_steps}")
    simulator = simulator or default_simulator()
    if simulator not in WAVE_FORMAT:
        raise ParameterError("simulator", simulator, " | ".join(WAVE_FORMAT))
    if waves is not None and Path(waves).suffix != WAVE_FORMAT[simulator]:
        raise ParameterError("--vcd", str(waves), "a file ending in " + ", ".join(
            f"{ext} on {sim}" for sim, ext in WAVE_FORMAT.items()), why=f"{simulator} writes {WAVE_FORMAT[simulator]}")
    return simulator


def simulate_design(cfg, simulator=None, steps=10_000, build_dir="build/sim", waves=None, progress=None,
                    **options):
    """Run the cocotb bench of ``cfg`` for ``steps`` steps; returns the CLI's ``simulate`` JSON.

    ``options`` go to the design's own ``simulate`` (e.g. ``chunk`` for ``lif``).
    """
    simulator = check_simulation(simulator, steps, waves)
    return get_design(cfg.design).simulate(cfg, simulator, steps, build_dir, waves=waves, progress=progress,
                                           **options)


def build_design(cfg, board, build_dir="build/boards", seed=None, seeds=None, progress=None):
    """Bitstream of ``cfg`` on ``board`` and its resource/Fmax report (``seed``: nextpnr's placement seed;
    ``seeds``: a list of seeds to sweep, keeping the fastest, :func:`neuroxide.boards.build.sweep_seeds`)."""
    from neuroxide.boards.build import build, sweep_seeds
    from neuroxide.boards.platforms import get_board

    get_board(board)  # unknown board: ParameterError before any work
    top = get_design(cfg.design).board_top(cfg, board)
    where, name = Path(build_dir) / f"{cfg.design}-{board}", cfg.design.replace("-", "_")
    if seeds:
        report = sweep_seeds(top, board, where, seeds, name=name, progress=progress)
    else:
        report = build(top, board, where, name=name, seed=seed)
    return {"design": cfg.design, **report}


def parse_seeds(text):
    """Placement seeds from ``"1-8"``, ``"3,7,11"`` or a mix (``"1-4,9"``): distinct, in order, each
    ``0..2**31-1``, at most ``boards.build.MAX_SEEDS``; ParameterError naming ``--seeds`` otherwise."""
    from neuroxide.boards.build import MAX_SEEDS
    seeds = []
    allowed = f"seeds 0..{2**31 - 1} as a list or ranges, e.g. 1-8 or 1,5,9 (at most {MAX_SEEDS})"
    for part in str(text).split(","):
        try:
            lo, _, hi = part.strip().partition("-")
            lo, hi = int(lo), int(hi) if hi else int(lo)
        except ValueError:
            raise ParameterError("--seeds", text, allowed) from None
        if not 0 <= lo <= hi < 2**31 or hi - lo >= MAX_SEEDS:
            raise ParameterError("--seeds", text, allowed)
        seeds += [x for x in range(lo, hi + 1) if x not in seeds]
    if not seeds or len(seeds) > MAX_SEEDS:
        raise ParameterError("--seeds", text, allowed)
    return seeds
