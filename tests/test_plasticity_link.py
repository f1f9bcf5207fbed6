"""The learning layer behind the host bus (``PlasticLinkCore``): rates loaded at run time, learning
enable, teacher, steps on host-written spikes and the levels read back equal ``PlasticModel`` of
the same rates; register accesses ack 3 clocks after stb; out-of-range rates are clamped."""

import numpy as np
from amaranth.sim import Simulator

from neuroxide.models.lif import LIFParams
from neuroxide.models.plastic_registers import plastic_register_map
from neuroxide.models.plasticity import RULES, PlasticityParams, PlasticLayer, PlasticModel
from neuroxide.rtl.plastic_layer import PlasticLinkCore
from support.amaranth_sim import bus_access


def _run(dut, program):
    out = {}

    async def access(ctx, addr, data=None):
        return await bus_access(ctx, dut.bus, addr, data, acks=out.setdefault("ack_after", set()))

    async def bench(ctx):
        await program(ctx, access, out)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return out


def test_link_core_learns_like_the_model_with_host_rates():
    p = PlasticityParams(rule="stdp-add", a_plus=10 << 8, a_minus=6 << 8, trace_inc=200)
    layer = PlasticLayer(5, 3, params=LIFParams(v_th=1200, noise_bits=3), plasticity=p, lateral=200, teacher_drive=1500)
    regs = plastic_register_map(layer)
    addr = lambda name, k=0: regs[name].address + k  # noqa: E731
    rng = np.random.default_rng(4)
    w_prog = rng.integers(0, 16, (5, 3))
    spikes = rng.random((14, 5)) < 0.5
    new_rates = {"A_PLUS": 14 << 8, "A_MINUS": 3 << 8}
    dut = PlasticLinkCore(layer, np.zeros((5, 3), int))

    async def program(ctx, access, out):
        out["id"] = await access(ctx, addr("ID"))
        out["info"] = regs.decode("INFO", await access(ctx, addr("INFO")))
        for s, level in enumerate(w_prog.reshape(-1)):
            await access(ctx, addr("WEIGHT", s), int(level))
        for name, value in new_rates.items():
            await access(ctx, addr(name), value)
        await access(ctx, addr("MODE"), 0b11)  # learn, teacher on
        await access(ctx, addr("TEACHER"), 0b010)
        out["spikes"] = []
        for t, row in enumerate(spikes):
            if t == 7:
                await access(ctx, addr("CTRL"), 0b010)  # rest between two "samples"
            await access(ctx, addr("IN_SPIKES"), int(sum(1 << int(b) for b in np.flatnonzero(row))))
            await access(ctx, addr("CTRL"), 0b001)
            while regs.decode("STATUS", await access(ctx, addr("STATUS")))["busy"]:
                pass
            out["spikes"].append(await access(ctx, addr("OUT_SPIKES")))
        out["w"] = [await access(ctx, addr("WEIGHT", s)) for s in range(15)]
        out["steps"] = await access(ctx, addr("STEPS"))
        out["updates"] = await access(ctx, addr("UPDATES"))
        await access(ctx, addr("A_MINUS"), 99_999)  # beyond the range: clamped
        out["a_minus"] = await access(ctx, addr("A_MINUS"))
        out["unmapped"] = await access(ctx, 0x5000)

    out = _run(dut, program)
    assert out["id"] == regs["ID"].reset and out["ack_after"] == {3}
    assert out["info"]["n_in"] == 5 and out["info"]["n_out"] == 3 and RULES[out["info"]["rule"]] == "stdp-add"
    model = PlasticModel(PlasticLayer(**{**layer.__dict__, "plasticity": p.replace(a_plus=14 << 8, a_minus=3 << 8)}),
                         w_prog)
    want = []
    for t, row in enumerate(spikes):
        if t == 7:
            model.rest()
        want.append(int(sum(1 << j for j in np.flatnonzero(model.step(row, teacher=np.arange(3) == 1)))))
    assert out["spikes"] == want and sum(want) > 0
    assert out["w"] == model.w.reshape(-1).tolist() and (model.w != w_prog).any()
    assert out["steps"] == 14 and out["updates"] == 14 * 15
    assert out["a_minus"] == p.step_max and out["unmapped"] == 0
