"""Associative memory on the ONN: retrieval accuracy vs flipped pixels, beside a float Hopfield net.

Random +-1 patterns are stored in the oscillator couplings (Hebbian or Storkey, 5-bit weights held
by differential pairs); the oscillators start at a corrupted pattern (pixel -> phase 0 or 180 deg)
and lock; the pixels retrieved are compared with a float Hopfield network with the same weights.
"""

from dataclasses import dataclass

from neuroxide.errors import ParameterError
from neuroxide.experiments.backends import Backend, check_backend
from neuroxide.experiments.checks import check_choice, check_range

__all__ = ["BACKENDS", "RULES", "DEFAULT_NOISE", "WEIGHT_BITS", "MAX_RTL_N", "HopfieldSetup", "HopfieldResult",
           "run_hopfield", "run_core_retrieval", "plot_hopfield"]

BACKENDS = {
    Backend.FLOAT: "phase-oscillator ODE",
    Backend.MODEL: "fixed-point ONN",
    Backend.RTL: "the core in Amaranth's simulator",
}
RULES = ("hebbian", "storkey")
DEFAULT_NOISE = (0.0, 0.1, 0.2, 0.3)
WEIGHT_BITS = 5
MAX_RTL_N = 128  # the RTL back end runs in Amaranth's Python simulator


@dataclass(frozen=True)
class HopfieldSetup:
    """``n`` oscillators (pixels) storing ``patterns`` patterns with ``rule``; ``noise``: the
    fractions of flipped pixels tried; ``steps``: ONN steps of retrieval (float back end: periods);
    ``seed``: patterns, corruption and PRNG."""

    n: int = 100
    patterns: int = 10
    noise: tuple = DEFAULT_NOISE
    backend: Backend = Backend.MODEL
    rule: str = "hebbian"
    steps: int = 40
    seed: int = 1

    def __post_init__(self):
        check_range("n", self.n, 8, 1024)
        check_range("patterns", self.patterns, 1, self.n)
        check_range("steps", self.steps, 1, 1000)
        check_range("seed", self.seed, 0, 0xFFFF_FFFF)
        object.__setattr__(self, "noise", tuple(self.noise))
        for f in self.noise:
            if not 0 <= f <= 0.5:
                raise ParameterError("noise", f, "0..0.5 (fraction of flipped pixels)")
        check_choice("rule", self.rule, RULES)
        backend = check_backend(self.backend, BACKENDS)
        object.__setattr__(self, "backend", backend)
        if backend is Backend.RTL and self.n > MAX_RTL_N:
            raise ParameterError("n", self.n, f"8..{MAX_RTL_N} with backend rtl (the RTL runs in Amaranth's simulator)")


@dataclass
class HopfieldResult:
    """Per noise level: pixel accuracy and perfect recalls of the ONN and of the float Hopfield net;
    ``mismatches`` (steps where the RTL differed from the model) only on the ``rtl`` back end."""

    setup: HopfieldSetup
    levels: list
    mismatches: int | None = None

    def to_dict(self):
        s = self.setup
        out = {"n": s.n, "patterns": s.patterns, "load": round(s.patterns / s.n, 4), "rule": s.rule,
               "backend": s.backend.value, "steps": s.steps, "seed": s.seed, "weight_bits": WEIGHT_BITS,
               "differential": True, "results": self.levels}
        if s.backend is Backend.RTL:
            out["mismatches"] = self.mismatches
        return out


def run_core_retrieval(p, J, probes, steps, seed):
    """Retrieval on the ONN core RTL (Amaranth simulator), one run per probe, checked against the
    model at every step. Returns ``(spins (trials, N), mismatched_steps, cycles)``."""
    import numpy as np
    from amaranth.sim import Simulator

    from neuroxide.models.hopfield import phases_of
    from neuroxide.models.onn import ONNModel
    from neuroxide.rtl.onn_core import ONNCore
    n = J.shape[0]
    out, bad, cycles_total = [], 0, 0
    for probe in probes:
        phase0 = phases_of(p, probe[None])[:, 0]
        dut = ONNCore(p, n, J, dense=True, seed=seed, phase0=[int(x) for x in phase0])
        got = []
        cyc = [0]

        async def bench(ctx, dut=dut, got=got, cyc=cyc):
            ctx.set(dut.run_steps, steps)
            ctx.set(dut.start, 1)
            await ctx.tick()
            ctx.set(dut.start, 0)
            while True:
                await ctx.tick()
                cyc[0] += 1
                if ctx.get(dut.upd_valid):
                    got.append(ctx.get(dut.upd_phase))
                if not ctx.get(dut.busy):
                    break

        sim = Simulator(dut)
        sim.add_clock(1e-6)
        sim.add_testbench(bench)
        sim.run()
        rtl = np.array(got, dtype=np.int64).reshape(steps, n)
        model = ONNModel(p, J, seed, 1)
        model.phase = phase0[:, None].copy()
        want = model.run(steps, trace=True).phase[:, :, 0]
        bad += int(np.any(rtl != want, axis=1).sum())
        cycles_total += cyc[0] + 1
        last = rtl[-1]
        out.append(np.where(((last + p.quarter) & p.phase_mask) < p.half, 1, -1))
    return np.array(out), bad, cycles_total


def run_hopfield(setup, on_status=None):
    """Store, corrupt and retrieve at every noise level of ``setup`` -> :class:`HopfieldResult`;
    ``on_status(text)`` hears a line before each RTL level."""
    import numpy as np

    from neuroxide.models import hopfield as hf
    pats = hf.random_patterns(setup.n, setup.patterns, setup.seed)
    W = hf.hebbian(pats) if setup.rule == "hebbian" else hf.storkey(pats)
    J = hf.quantise(W, WEIGHT_BITS)
    Gp, Gn = hf.differential_pair(J)
    J_diff = Gp - Gn  # what the differential coupling realises; identical to J by construction
    p = hf.retrieval_params(J_diff, setup.steps)
    levels, mismatches = [], 0
    for k, f in enumerate(setup.noise):
        probes = hf.corrupt(pats, f, setup.seed + 1000 + k)
        base = hf.retrieve_float_hopfield(W, probes, setup.seed)
        if setup.backend is Backend.MODEL:
            got = hf.retrieve_onn_model(J_diff, probes, setup.steps, setup.seed, p)
        elif setup.backend is Backend.FLOAT:
            got = hf.retrieve_onn_float(J_diff, probes, periods=float(setup.steps), seed=setup.seed)
        else:
            if on_status:
                on_status(f"hopfield: RTL retrieval of {setup.patterns} probes at {f:.0%} flipped pixels")
            got, bad, _ = run_core_retrieval(p, J_diff, probes, setup.steps, setup.seed)
            mismatches += bad
        levels.append({"noise": f, "accuracy": round(float((got == pats).mean()), 5),
                       "perfect_recall": round(float(np.all(got == pats, axis=1).mean()), 5),
                       "float_hopfield_accuracy": round(float((base == pats).mean()), 5),
                       "float_hopfield_perfect": round(float(np.all(base == pats, axis=1).mean()), 5)})
    return HopfieldResult(setup, levels, mismatches if setup.backend is Backend.RTL else None)


def plot_hopfield(result, path):
    """Pixels retrieved (%) vs fraction of flipped pixels: the ONN beside the float Hopfield net."""
    from neuroxide.fileio import save_figure
    from neuroxide.plots import new_figure
    s = result.setup
    fig = new_figure(figsize=(5, 3.5))
    ax = fig.subplots()
    ax.plot(s.noise, [100 * r["accuracy"] for r in result.levels], "o-", label=f"ONN ({s.backend.value})")
    ax.plot(s.noise, [100 * r["float_hopfield_accuracy"] for r in result.levels], "s--", label="float Hopfield")
    ax.set_xlabel("fraction of flipped pixels")
    ax.set_ylabel("pixels retrieved (%)")
    ax.set_title(f"N={s.n}, {s.patterns} patterns ({s.rule})")
    ax.legend()
    fig.tight_layout()
    return save_figure(fig, path)
