"""``neuroxide hopfield``: associative memory on the ONN, retrieval accuracy vs flipped pixels."""

from neuroxide.commands import add_json, check_range, emit, plot_path, status, table
from neuroxide.fileio import check_output

__all__ = ["register", "run_core_retrieval"]

DEFAULT_NOISE = (0.0, 0.1, 0.2, 0.3)


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


def cmd_hopfield(args):
    import numpy as np

    from neuroxide.errors import ParameterError
    from neuroxide.models import hopfield as hf
    n = check_range("--n", args.n, 8, 1024)
    patterns = check_range("--patterns", args.patterns, 1, n)
    steps = check_range("--steps", args.steps, 1, 1000)
    seed = check_range("--seed", args.seed, 0, 0xFFFF_FFFF)
    plot = check_output("--plot", plot_path(args.plot))
    levels = DEFAULT_NOISE if args.noise is None else (args.noise,)
    for f in levels:
        if not 0 <= f <= 0.5:
            raise ParameterError("--noise", f, "0..0.5 (fraction of flipped pixels)")
    if args.backend == "rtl" and n > 128:
        raise ParameterError("--n", n, "8..128 with --backend rtl (the RTL runs in Amaranth's simulator)")
    pats = hf.random_patterns(n, patterns, seed)
    W = hf.hebbian(pats) if args.rule == "hebbian" else hf.storkey(pats)
    J = hf.quantise(W, 5)
    Gp, Gn = hf.differential_pair(J)
    J_diff = Gp - Gn  # what the differential coupling realises; identical to J by construction
    p = hf.retrieval_params(J_diff, steps)
    rows, results = [], []
    mism = 0
    for k, f in enumerate(levels):
        probes = hf.corrupt(pats, f, seed + 1000 + k)
        base = hf.retrieve_float_hopfield(W, probes, seed)
        if args.backend == "model":
            got = hf.retrieve_onn_model(J_diff, probes, steps, seed, p)
        elif args.backend == "float":
            got = hf.retrieve_onn_float(J_diff, probes, periods=float(steps), seed=seed)
        else:
            status(f"hopfield: RTL retrieval of {patterns} probes at {f:.0%} flipped pixels")
            got, bad, _ = run_core_retrieval(p, J_diff, probes, steps, seed)
            mism += bad
        acc = float((got == pats).mean())
        acc_base = float((base == pats).mean())
        perfect = float(np.all(got == pats, axis=1).mean())
        results.append({"noise": f, "accuracy": round(acc, 5), "perfect_recall": round(perfect, 5),
                        "float_hopfield_accuracy": round(acc_base, 5),
                        "float_hopfield_perfect": round(float(np.all(base == pats, axis=1).mean()), 5)})
        rows.append([f"{f:.2f}", f"{100 * acc:.2f}", f"{100 * perfect:.1f}", f"{100 * acc_base:.2f}"])
    result = {"n": n, "patterns": patterns, "load": round(patterns / n, 4), "rule": args.rule,
              "backend": args.backend, "steps": steps, "seed": seed, "weight_bits": 5,
              "differential": True, "results": results, "plot": plot}
    if args.backend == "rtl":
        result["mismatches"] = mism
    if plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from neuroxide.fileio import save_figure
        fig, ax = plt.subplots(figsize=(5, 3.5))
        ax.plot(levels, [100 * r["accuracy"] for r in results], "o-", label=f"ONN ({args.backend})")
        ax.plot(levels, [100 * r["float_hopfield_accuracy"] for r in results], "s--", label="float Hopfield")
        ax.set_xlabel("fraction of flipped pixels")
        ax.set_ylabel("pixels retrieved (%)")
        ax.set_title(f"N={n}, {patterns} patterns ({args.rule})")
        ax.legend()
        fig.tight_layout()
        save_figure(fig, plot)
        plt.close(fig)
    human = table(rows, ["flipped", "ONN acc %", "perfect %", "float Hopfield acc %"])
    human = f"{args.rule}, N={n}, {patterns} patterns, backend {args.backend}\n" + human
    emit(args, result, human)
    return 0 if mism == 0 else 1


def register(sub):
    import argparse
    p = sub.add_parser(
        "hopfield", help="associative memory on the ONN: retrieval accuracy vs flipped pixels",
        description="Store random +-1 patterns in the oscillator couplings (Hebbian or Storkey, 5-bit "
        "differential weights), start the oscillators at a corrupted pattern (pixel -> phase 0 or 180 deg) "
        "and let them lock; report the pixels retrieved beside a float Hopfield network with the same "
        "weights.\n\nexamples:\n  neuroxide hopfield\n  neuroxide hopfield --n 100 --patterns 10 --noise 0.2 --json\n"
        "  neuroxide hopfield --backend rtl --n 32 --patterns 3\n  neuroxide hopfield --plot hop.png",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=100, help="oscillators (pixels), 8..1024 (default 100)")
    p.add_argument("--patterns", type=int, default=10, help="stored patterns (default 10 = 0.1 N)")
    p.add_argument("--noise", type=float, help="fraction of flipped pixels (default: sweep 0, 0.1, 0.2, 0.3)")
    p.add_argument("--backend", choices=("float", "model", "rtl"), default="model",
                   help="float: phase-oscillator ODE; model: fixed-point ONN; rtl: the core in Amaranth's simulator")
    p.add_argument("--rule", choices=("hebbian", "storkey"), default="hebbian", help="learning rule")
    p.add_argument("--steps", type=int, default=40, help="ONN steps (float: periods) of retrieval (default 40)")
    p.add_argument("--seed", type=int, default=1, help="patterns, corruption and PRNG seed")
    p.add_argument("--plot", metavar="FILE.png", help="accuracy vs flipped pixels as a PNG")
    add_json(p)
    p.set_defaults(func=cmd_hopfield)
