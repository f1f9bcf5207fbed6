"""The learning layer core equals ``PlasticModel`` on every weight and every state after every step.

Amaranth's simulator (fast, every rule with every feature on), the cocotb bench on the default
simulator (short run, plus a model that differs from the RTL, which must be caught), and under
``-m slow`` >= 200 learning samples per rule on Verilator.
"""

import numpy as np
import pytest
from amaranth.sim import Simulator

from neuroxide.models.lif import LIFParams
from neuroxide.models.plasticity import (DEVICE_PRESETS, LearningSchedule, PlasticityParams, PlasticLayer,
                                         PlasticModel, column_gains, run_schedule, tables_from_device)
from neuroxide.rtl.plastic_layer import PlasticLayerCore, step_cycles
from neuroxide.testbench.plastic_top import run_top_amaranth, simulate_plastic
from support.tools import needs

NEURON = LIFParams(v_th=1500, noise_bits=4, adapt_inc=40, adapt_shift=6, t_ref=1)


def _layer(rule, n_in=6, n_out=3, **extra):
    if rule == "sdsp":
        p = PlasticityParams(rule="sdsp", theta_m=600, tables=tables_from_device(**DEVICE_PRESETS["taox-assumed"]))
        kw = dict(teacher_drive=2500, teacher_inh=400, column_gain=column_gains(n_out, 0.3, seed=2))
    else:
        p = PlasticityParams(rule=rule, a_plus=15 << 8, a_minus=9 << 8, trace_inc=200,
                             trace_mode="nearest" if rule == "stdp-mult" else "add")
        kw = dict(lateral=300, w_zero=2)
    return PlasticLayer(n_in, n_out, params=NEURON, plasticity=p, homeostasis=rule != "sdsp", **(kw | extra))


def _wta_layer(n_in=6, n_out=4):
    """One winner per step and the post-spike depression on: several neurons cross on the same
    step (no lateral inhibition), so the vote and the losers' not-fired branch are exercised."""
    layer = _layer("stdp-mult", n_in, n_out, lateral=0, wta=True)
    return PlasticLayer(**{**layer.__dict__, "plasticity": layer.plasticity.replace(a_post=3 << 8)})


def _layer_of(rule, **kw):
    return _wta_layer(**kw) if rule == "wta-apost" else _layer(rule, **kw)


def _schedule(layer, samples, steps, seed, p_spike=0.4):
    rng = np.random.default_rng(seed)
    spikes = [rng.random((steps, layer.n_in)) < p_spike for _ in range(samples)]
    teachers = ([np.arange(layer.n_out) == k % layer.n_out for k in range(samples)]
                if layer.plasticity.rule == "sdsp" else None)
    s = LearningSchedule.from_samples(spikes, teachers)
    s.learn[steps // 2] = False  # a step without learning inside a sample
    return s


def _mismatches(got, want, steps):
    return {f: int((got[f] != want[f]).reshape(steps, -1).any(axis=1).sum()) for f in want}


@pytest.mark.parametrize("rule", ["stdp-add", "stdp-mult", "sdsp", "wta-apost"])
def test_core_equals_model_every_step(rule):
    layer = _layer_of(rule)
    w0 = np.random.default_rng(1).integers(0, 16, (layer.n_in, layer.n_out))
    sched = _schedule(layer, samples=2, steps=8, seed=5)
    got, busy = run_top_amaranth(layer, w0, sched)
    want = run_schedule(PlasticModel(layer, w0), sched)
    assert _mismatches(got, want, sched.steps) == {f: 0 for f in want}
    assert want["spike"].sum() > 3 and (want["w"][-1] != w0).any()  # the run fires and learns
    if layer.wta:  # at most one spike per step, and steps where the vote decided (several crossed)
        assert want["spike"].sum(axis=1).max() == 1
        crossed = run_schedule(PlasticModel(PlasticLayer(**{**layer.__dict__, "wta": False}), w0), sched)
        assert crossed["spike"].sum(axis=1).max() > 1
    learn_steps = int(sched.learn.sum())
    assert busy == learn_steps * step_cycles(layer) + (sched.steps - learn_steps) * step_cycles(layer, learn=False)


def test_amaranth_comparison_detects_a_difference():
    layer = _layer("stdp-add")
    w0 = np.random.default_rng(1).integers(0, 16, (layer.n_in, layer.n_out))
    sched = _schedule(layer, samples=1, steps=8, seed=5)
    got, _ = run_top_amaranth(layer, w0, sched)
    wrong = PlasticLayer(**{**layer.__dict__, "plasticity": layer.plasticity.replace(a_plus=layer.plasticity.a_plus - 300)})
    want = run_schedule(PlasticModel(wrong, w0), sched)
    bad = _mismatches(got, want, sched.steps)
    assert bad["w"] > 0 and set(k for k, v in bad.items() if v) <= {"w", "v", "ref", "adapt", "rng", "spike",
                                                                     "post_trace", "ca"}


def test_host_port_writes_and_reads_levels():
    layer = _layer("stdp-add", n_in=2, n_out=2)
    core = PlasticLayerCore(layer, np.zeros((2, 2), int))
    seen = []

    async def bench(ctx):
        for addr, level in ((0, 5), (3, 15)):
            ctx.set(core.host_addr, addr)
            ctx.set(core.host_wdata, level)
            ctx.set(core.host_we, 1)
            await ctx.tick()
        ctx.set(core.host_we, 0)
        for addr in range(4):
            ctx.set(core.host_addr, addr)
            await ctx.tick()
            seen.append(ctx.get(core.host_rdata))

    sim = Simulator(core)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    assert seen == [5, 0, 0, 15]


def test_cocotb_bench_short_run(tmp_path, any_simulator):
    layer = _layer("sdsp")
    w0 = np.random.default_rng(3).integers(0, 16, (layer.n_in, layer.n_out))
    sched = _schedule(layer, samples=4, steps=8, seed=9)
    res = simulate_plastic(layer, w0, sched, any_simulator, tmp_path, chunk=12)
    assert res["steps"] == sched.steps and res["spikes"] > 0 and res["weight_changes"] > 0
    assert res["mismatches"] == 0, res["first_mismatch"]


def test_cocotb_bench_wta_a_post(tmp_path, any_simulator):
    layer = _wta_layer()
    w0 = np.random.default_rng(4).integers(0, 16, (layer.n_in, layer.n_out))
    sched = _schedule(layer, samples=2, steps=8, seed=9)
    res = simulate_plastic(layer, w0, sched, any_simulator, tmp_path, chunk=16)
    assert res["spikes"] > 0 and res["weight_changes"] > 0
    assert res["mismatches"] == 0, res["first_mismatch"]


def test_cocotb_bench_detects_a_difference(tmp_path, any_simulator):
    layer = _layer("stdp-add")
    w0 = np.random.default_rng(3).integers(0, 16, (layer.n_in, layer.n_out))
    sched = _schedule(layer, samples=2, steps=8, seed=9)
    wrong = PlasticLayer(**{**layer.__dict__, "plasticity": layer.plasticity.replace(a_minus=layer.plasticity.a_minus + 200)})
    res = simulate_plastic(layer, w0, sched, any_simulator, tmp_path, chunk=16, model_layer=wrong)
    assert res["mismatches"] > 0 and res["field_mismatches"]["w"] > 0


LONG = {rule: dict(samples=200, steps=20) for rule in ("stdp-add", "stdp-mult", "sdsp", "wta-apost")}


@pytest.mark.slow
@needs("verilator")
@pytest.mark.parametrize("rule", sorted(LONG))
def test_verilator_200_learning_samples(rule, tmp_path):
    """>= 200 learning samples (16 inputs x 4 neurons), every weight and state at every step."""
    layer = _layer_of(rule, n_in=16, n_out=4)
    w0 = np.random.default_rng(11).integers(0, 16, (16, 4))
    sched = _schedule(layer, seed=13, p_spike=0.25, **LONG[rule])
    res = simulate_plastic(layer, w0, sched, "verilator", tmp_path, chunk=1000)
    assert res["steps"] == sched.steps == 4000
    assert res["mismatches"] == 0, res["first_mismatch"]
    assert res["spikes"] > 200 and res["weight_changes"] > 200
