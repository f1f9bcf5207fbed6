"""Colour mode with several oscillator updates a clock (``ONNCore(..., row_groups=k)``): k groups of
L / k lanes, row i in group i mod k, the phase and PRNG memories in k banks. In Amaranth's
simulator the core equals the colour-mode model (``ONNModel(colours=...)``) on every phase, PRNG
state and ENERGY at every step, for random graphs (dense and sparse), k in {1, 2, 4}, L in 2..16;
clocks a step equal ``cycles_per_step_row_groups``; the host's balancing (``row_group_layout``) and
the host bus; negative controls: a core whose next colour reads stale phases, and the synchronous
model, must mismatch."""

import numpy as np
import pytest
import scipy.sparse as sp
from amaranth.sim import Simulator
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroxide.errors import ParameterError
from neuroxide.models.gset import check_colouring, ising_couplings, load_graph
from neuroxide.models.onn import ONNModel, ONNParams, anneal_params, colour_step_energy
from neuroxide.rtl.onn_core import (ONNCore, balance_row_groups, cycles_per_step, cycles_per_step_row_groups,
                                    group_coupling_words, row_group_layout, row_words)
from support.amaranth_sim import bus_access, rand_J
from test_onn_colour import host_run_equals_colour_model


def params(phase_bits, wb, steps):
    q = 1 << (phase_bits - 2)
    return anneal_params(max(steps // 2, 1), ONNParams(phase_bits=phase_bits, weight_bits=wb, acc_bits=16,
                                                       couple_max=min(8, q - 1), inj_max=min(2, q - 1),
                                                       noise_max=q - 1))


def run_groups(p, J, dense, seed, steps, lanes, bounds, k, drain_skip=0):
    """Run the core for ``steps`` steps from reset: ``(updates, energies, info, dut)``; updates are
    ``(clock, group, row, phase, rng)`` in the order they leave the groups, energies ENERGY after
    every step (read where T changes)."""
    n = J.shape[0]
    dut = ONNCore(p, n, J if dense else sp.csr_matrix(J), dense=dense, seed=seed, lanes=lanes, colour_rows=bounds,
                  row_groups=k)
    dut._drain_skip = drain_skip
    got, energies, info = [], [], {}

    async def bench(ctx):
        ctx.set(dut.run_steps, steps)
        ctx.set(dut.start, 1)
        await ctx.tick()
        ctx.set(dut.start, 0)
        cycles, t = 0, 0
        while True:
            await ctx.tick()
            cycles += 1
            if k == 1:
                if ctx.get(dut.upd_valid):
                    got.append((cycles, 0, ctx.get(dut.upd_row), ctx.get(dut.upd_phase), ctx.get(dut.upd_rng)))
            else:
                valid = ctx.get(dut.gupd_valid)
                for g in range(k):
                    if valid >> g & 1:
                        got.append((cycles, g, ctx.get(dut.gupd_row[g]), ctx.get(dut.gupd_phase[g]),
                                    ctx.get(dut.gupd_rng[g])))
            if ctx.get(dut.t) != t:
                t = ctx.get(dut.t)
                energies.append(ctx.get(dut.energy))
            if not ctx.get(dut.busy):
                break
        info.update(cycles=cycles, t=ctx.get(dut.t))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return got, energies, info, dut


def by_step(got, n, steps):
    """(steps, n) phases and PRNG states from the update stream (each row once a step, in step order)."""
    ph, rg = np.full((steps, n), -1), np.full((steps, n), -1)
    seen = np.zeros(n, dtype=int)
    for _, _, row, phase, rng in got:
        assert seen[row] < steps, f"row {row} updated more than {steps} times"
        ph[seen[row], row], rg[seen[row], row] = phase, rng
        seen[row] += 1
    assert (seen == steps).all(), "a row was not updated every step"
    return ph, rg


def clocks_counted(J, bounds, lanes, k, dense):
    """The cycle formula counted here from the matrix: per colour the most words of one group (row i
    in group i mod k, L / k lanes a word: ceil(N / (L/k)) dense, max(1, ceil(deg / (L/k))) sparse),
    plus 11 + log2(L / k) drain clocks."""
    n, G = J.shape[0], lanes // k
    words = [-(-n // G) if dense else max(1, -(-int(np.count_nonzero(J[i])) // G)) for i in range(n)]
    total = 0
    for c in range(len(bounds) - 1):
        total += max(sum(words[i] for i in range(bounds[c], bounds[c + 1]) if i % k == g) for g in range(k))
    return total + (len(bounds) - 1) * (11 + G.bit_length() - 1)


def check_against_model(n, dense, seed, density, wb, phase_bits, steps, lanes, k):
    p = params(phase_bits, wb, steps)
    J = rand_J(n, seed % 1000, density, wb)
    perm, cp, bounds = row_group_layout(J, k, lanes, dense)
    Jp = J[np.ix_(perm, perm)]
    got, energies, info, dut = run_groups(p, Jp, dense, seed, steps, lanes, bounds, k)
    model = ONNModel(p, Jp, seed, 1, colours=cp)
    before = model.phase[:, 0].copy()
    tr = model.run(steps, trace=True)
    ph, rg = by_step(got, n, steps)
    assert np.array_equal(ph, tr.phase[:, :, 0]) and np.array_equal(rg, tr.rng[:, :, 0])
    assert all(row % k == g for _, g, row, _, _ in got)  # group g writes bank g only
    # every colour's updates leave after the last of the colour before (the drain waits for all groups)
    colour = np.repeat(np.arange(len(bounds) - 1), np.diff(bounds))
    last = -1
    for s in range(steps):
        step = got[s * n:(s + 1) * n]
        for c in range(len(bounds) - 1):
            clocks = [clk for clk, _, row, _, _ in step if colour[row] == c]
            assert min(clocks) > last
            last = max(clocks)
    assert len(energies) == steps and info["t"] == steps
    for s in range(steps):
        assert energies[s] == colour_step_energy(p, Jp, cp, before if s == 0 else tr.phase[s - 1, :, 0],
                                                 tr.phase[s, :, 0])
    assert info["cycles"] == steps * dut.cycles_per_step == steps * clocks_counted(Jp, bounds, lanes, k, dense)
    Jc = Jp if dense else sp.csr_matrix(Jp)
    assert dut.cycles_per_step == cycles_per_step_row_groups(Jc, dense, lanes, bounds, k)
    if k == 1:
        assert dut.cycles_per_step == cycles_per_step(Jc, dense, lanes, len(bounds) - 1)


CORE = dict(n=st.integers(2, 12), dense=st.booleans(), seed=st.integers(0, 2**32 - 1), density=st.floats(0.0, 1.0),
            wb=st.integers(2, 6), phase_bits=st.integers(4, 7), steps=st.integers(1, 4),
            lanes=st.sampled_from([2, 4, 8, 16]), k=st.sampled_from([1, 2, 4]))


@settings(max_examples=15, deadline=None)
@given(**CORE)
def test_row_group_core_equals_colour_model(n, dense, seed, density, wb, phase_bits, steps, lanes, k):
    """The core with k row groups from random states (couplings dense and sparse, seeds, widths, L,
    k) equals the colour-mode model on every phase and PRNG state at every step and ENERGY after
    every step; clocks a step are the formula counted from the matrix."""
    if k > lanes:
        k = lanes
    check_against_model(n, dense, seed, density, wb, phase_bits, steps, lanes, k)


@pytest.mark.slow
@settings(max_examples=80, deadline=None)
@given(**CORE | {"n": st.integers(2, 24), "steps": st.integers(1, 8)})
def test_row_group_core_equals_colour_model_many(n, dense, seed, density, wb, phase_bits, steps, lanes, k):
    if k > lanes:
        k = lanes
    check_against_model(n, dense, seed, density, wb, phase_bits, steps, lanes, k)


@pytest.mark.parametrize("dense, lanes, k", [(False, 8, 4), (True, 4, 2), (False, 16, 2)])
def test_row_group_core_cases(dense, lanes, k):
    """Fixed cases: a graph of several colours with more rows than groups, and a colour with fewer
    rows than groups (empty groups in a colour)."""
    check_against_model(14, dense, 77, 0.45, 5, 6, 3, lanes, k)
    check_against_model(5, dense, 78, 1.0, 4, 6, 2, lanes, k)  # complete graph: 5 colours of one row


def test_stale_phase_and_synchronous_model_are_detected():
    """The checks can fail: a core whose next colour starts while a group's last writes are still in
    the pipeline (the drain skips the rule's stages: the colour reads stale phases) differs from the
    model, and so does the synchronous model."""
    p = params(6, 5, 4)
    J = rand_J(12, 5, 0.5, 5)
    perm, cp, bounds = row_group_layout(J, 2, 8)
    Jp = J[np.ix_(perm, perm)]
    tr = ONNModel(p, Jp, 3, 1, colours=cp).run(4, trace=True)
    got, _, _, dut = run_groups(p, Jp, False, 3, 4, 8, bounds, 2)
    assert np.array_equal(by_step(got, 12, 4)[0], tr.phase[:, :, 0])
    stale, _, info, _ = run_groups(p, Jp, False, 3, 4, 8, bounds, 2, drain_skip=4)
    assert info["cycles"] < 4 * dut.cycles_per_step
    with pytest.raises(AssertionError):  # rows missing at the step's end, or a phase that differs
        assert np.array_equal(by_step(stale, 12, 4)[0], tr.phase[:, :, 0])
    # the same skip with the step's end waiting (ignore the updates after busy fell): phases differ
    seen = {}
    for _, _, row, phase, _ in stale:
        seen.setdefault(row, []).append(phase)
    first_steps = np.array([seen[r][0] for r in range(12)])
    assert not np.array_equal(first_steps, tr.phase[0, :, 0]) or \
        not all(seen[r][:len(seen[r])] == tr.phase[:len(seen[r]), r, 0].tolist() for r in range(12))
    sync = ONNModel(p, Jp, 3, 1).run(4, trace=True)
    assert not np.array_equal(by_step(got, 12, 4)[0], sync.phase[:, :, 0])


def test_layout_balances_the_groups():
    """``row_group_layout``: a permutation keeping the colours contiguous and proper; each colour's
    groups get the round-robin row counts and words within one row's words of each other
    (longest first, G22 at L = 32, k = 4: the walk is within 0.4 % of perfect balance)."""
    J = ising_couplings(load_graph("G22"))
    perm, cp, bounds = row_group_layout(J, 4, 32)
    assert sorted(perm) == list(range(J.shape[0]))
    Jp = J[perm][:, perm]
    check_colouring(Jp, cp)
    assert np.array_equal(cp, np.repeat(np.arange(len(bounds) - 1), np.diff(bounds)))
    w = row_words(Jp, False, 8)
    walk = floor = 0
    for c in range(len(bounds) - 1):
        loads = [int(w[bounds[c] + g:bounds[c + 1]:4].sum()) for g in range(4)]
        assert max(loads) - min(loads) <= int(w[bounds[c]:bounds[c + 1]].max())
        walk, floor = walk + max(loads), floor + -(-sum(loads) // 4)
    assert walk <= 1.004 * floor
    assert cycles_per_step_row_groups(Jp, False, 32, bounds, 4) == walk + (len(bounds) - 1) * (11 + 3) == 1593  # docs
    # k = 1 leaves the colour sort alone and the formula is the colour mode's
    perm1, _, b1 = row_group_layout(J, 1, 8)
    assert np.array_equal(balance_row_groups(J[perm1][:, perm1], b1, 1, lanes=8), np.arange(J.shape[0]))
    J1 = J[perm1][:, perm1]
    for L in (4, 8, 16):
        assert cycles_per_step_row_groups(J1, False, L, b1, 1) == cycles_per_step(J1, False, L, len(b1) - 1)


def test_host_bus_loads_and_reads_with_row_groups():
    """A k = 2 core built with couplings J0 is loaded over the bus with J1 (same adjacency, other
    weights), phases written and read back through the banks, run 6 steps: phases equal the
    colour-mode model on J1, COUPLING reads back the host words."""
    p = params(6, 5, 6)
    n, lanes, k = 10, 8, 2
    J0 = rand_J(n, 11, 0.5, 5)
    perm, cp, bounds = row_group_layout(J0, k, lanes)
    J0 = J0[np.ix_(perm, perm)]
    J1 = np.where(J0 != 0, np.where(np.random.default_rng(1).random((n, n)) < 0.5, 3, -2), 0)
    J1 = np.triu(J1, 1) + np.triu(J1, 1).T
    dut = ONNCore(p, n, sp.csr_matrix(J0), dense=False, seed=4, lanes=lanes, colour_rows=bounds, row_groups=k)
    words = group_coupling_words(p, sp.csr_matrix(J1), False, lanes, k)
    assert len(words) == len(dut.words)
    phases0 = [(7 * i + 3) % 64 for i in range(n)]
    at = dut.registers.address
    out = {}

    async def access(ctx, addr, data=None):
        return await bus_access(ctx, dut.bus, addr, data)

    async def bench(ctx):
        for e, w in enumerate(words):
            await access(ctx, at("COUPLING", e), w)
        for i, ph in enumerate(phases0):
            await access(ctx, at("PHASE", i), ph)
        out["phases_back"] = [await access(ctx, at("PHASE", i)) for i in range(n)]
        out["rngs_back"] = [await access(ctx, at("RNG", i)) for i in range(n)]
        out["words_back"] = [await access(ctx, at("COUPLING", e)) for e in range(len(words))]
        await access(ctx, at("STEPS"), 6)
        await access(ctx, at("CTRL"), 1)
        while await access(ctx, at("CTRL")) & 1:
            pass
        out["t"] = await access(ctx, at("T"))
        out["phases"] = [await access(ctx, at("PHASE", i)) for i in range(n)]

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    m = ONNModel(p, sp.csr_matrix(J1), 4, 1, colours=cp)
    assert out["phases_back"] == phases0 and out["rngs_back"] == m.rng[:, 0].tolist()
    assert out["words_back"] == words
    m.phase[:, 0] = phases0
    m.run(6)
    assert out["t"] == 6 and out["phases"] == m.phase[:, 0].tolist()
    m0 = ONNModel(p, sp.csr_matrix(J0), 4, 1, colours=cp)  # the power-up couplings would not give it
    m0.phase[:, 0] = phases0
    m0.run(6)
    assert out["phases"] != m0.phase[:, 0].tolist()


def test_bad_row_groups_are_refused():
    J = sp.csr_matrix(rand_J(6, 1, 0.5, 3))
    _, _, bounds = row_group_layout(J.toarray(), 1, 4)
    for bad in (3, 0, 8, True, 2.0):
        with pytest.raises(ParameterError) as e:
            ONNCore(ONNParams(), 6, J, dense=False, lanes=4, colour_rows=bounds, row_groups=bad)
        assert e.value.field == "row_groups"
    with pytest.raises(ParameterError) as e:
        ONNCore(ONNParams(), 6, J, dense=False, lanes=4, row_groups=2)  # needs colour mode
    assert e.value.field == "row_groups" and "colour" in str(e.value)
    with pytest.raises(ParameterError) as e:
        row_group_layout(J.toarray(), 4, 2)  # more groups than lanes
    assert e.value.field == "row_groups"


def _row_group_host(n=9, seed=12, lanes=4, k=2):
    """A row-group core built by the flow's ``colour_core`` with the graph's row-group layout (other
    weights), behind the host link in Amaranth's simulator, its ONNHost, the graph's couplings."""
    from neuroxide.boards.host import HostLink
    from neuroxide.boards.onn_host import ONNHost, colour_core
    from neuroxide.models.onn_registers import ColourLayout
    from neuroxide.testbench.hostlink_top import AmaranthTransport
    p = anneal_params(6, ONNParams(acc_bits=14))
    J = sp.csr_matrix(rand_J(n, seed, 0.6, 5))
    layout = ColourLayout.of(J, row_groups=k, lanes=lanes)
    assert layout.row_groups == k and layout.order != ColourLayout.of(J).order  # the balancing moved rows
    assert layout.colour_rows == ColourLayout.of(J).colour_rows and layout.colours == ColourLayout.of(J).colours
    other = sp.csr_matrix(np.clip(-J.toarray(), -15, 15))  # same adjacency, other weights
    core = colour_core(p, n, other, layout, dense=False, seed=2, lanes=lanes)
    assert core.row_groups == k
    return ONNHost(HostLink(AmaranthTransport(core)), p, n, dense=False, lanes=lanes, layout=layout), p, J, layout


def test_host_driver_of_a_row_group_core_speaks_node_order():
    """ONNHost with the graph's row-group ColourLayout -> host link -> ONNCore(row_groups=2): the
    couplings go in the group word layout, phases and PRNG states in node order; after 6 steps the
    phases, PRNG states, spins and ENERGY equal the colour-mode model on the graph in its own order
    (the synchronous order differs); INFO and GROUPS report the build, a driver without row groups
    is refused on GROUPS."""
    from neuroxide.boards.host import HostLink
    from neuroxide.boards.onn_host import ONNHost
    from neuroxide.models.onn_registers import ColourLayout
    onn, p, J, layout = _row_group_host()
    n = layout.n
    assert onn.check_core()["row_groups"] == 2
    with pytest.raises(ParameterError) as e:
        ONNHost(onn.link, p, n, lanes=4, layout=ColourLayout.of(J)).check_core()
    assert e.value.field == "GROUPS.row_groups_log2"
    words = onn.load_couplings(J)
    assert words == len(group_coupling_words(p, layout.couplings(J), False, 4, 2))
    host_run_equals_colour_model(onn, p, J, layout)
    # couplings with other words in some group and colour than the build's are refused
    more = J.toarray()
    col = np.array(layout.colours)
    i, j = next((a, b) for a in range(n) for b in range(n) if col[a] != col[b] and more[a, b] == 0 and a != b)
    more[i, j] = more[j, i] = 1
    with pytest.raises(ParameterError) as e:
        ONNHost(HostLink(None), p, n, lanes=4, layout=layout).load_couplings(sp.csr_matrix(more), build_J=J)
    assert e.value.field == "couplings"


def test_layout_functions_live_in_models():
    """One copy: the RTL's host-side layout functions are the models' (models may not import rtl)."""
    import neuroxide.models.onn_registers as regs
    import neuroxide.rtl.onn_core as core
    for name in ("row_words", "check_lanes", "check_row_groups", "balance_row_groups", "row_group_layout"):
        assert getattr(core, name) is getattr(regs, name)
    J = rand_J(11, 4, 0.5, 5)
    lay = regs.ColourLayout.of(J, row_groups=2, lanes=8)
    perm, cp, bounds = row_group_layout(J, 2, 8)
    assert list(lay.order) == list(perm) and lay.colour_rows == bounds
    assert np.array_equal(np.array(lay.colours)[perm], cp)


def test_design_row_groups_parameter():
    """``-p row_groups=k``: colour mode only, a power of two <= lanes; the design's core has the
    row-group layout and starts from the seed's state moved with its nodes."""
    from neuroxide.designs import configure, elaborate
    from neuroxide.models.gset import couplings_of
    from neuroxide.models.onn import initial_state
    from neuroxide.models.onn_registers import ColourLayout
    cfg = configure("onn-core", {"n": 12, "seed": 3, "mode": "colour", "lanes": 8, "row_groups": 4})
    core = elaborate(cfg)
    J, _ = couplings_of(cfg.to_dict())
    lay = ColourLayout.of(J, row_groups=4, lanes=8)
    assert core.row_groups == 4 and core.colour_rows == lay.colour_rows
    phase0, rng0 = initial_state(cfg.params, 12, 3, 1)
    assert core.phase0 == [int(x) for x in phase0[list(lay.order), 0]]
    assert core.rng0 == [int(x) for x in rng0[list(lay.order), 0]]
    for over, allowed in (({"row_groups": 2}, "synchronous"), ({"mode": "colour", "row_groups": 3}, "1..4"),
                          ({"mode": "colour", "lanes": 8, "row_groups": 16}, "1..8"),
                          ({"mode": "colour", "row_groups": 64}, "1..32")):
        with pytest.raises(ParameterError) as e:
            configure("onn-core", over)
        assert e.value.field == "row_groups" and allowed in str(e.value)
