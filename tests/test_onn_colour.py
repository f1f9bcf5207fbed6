"""The ONN's second update mode, colour order (Gauss-Seidel by colour): the colouring, the model
(numpy == compiled, colour by colour from the current phases), the core in Amaranth's simulator
(every phase and PRNG state every step, the cycle formula, the energy register) and refusals; the
flow around it: the row layout (``ColourLayout``), ``-p mode=colour`` and the host driver of a
colour-mode core (node order through the permutation, refusals)."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroxide.errors import ParameterError
from neuroxide.models.fixedpoint import NUMPY
from neuroxide.models.gset import (best_known, check_colouring, colour_classes, cut_value, greedy_colouring, ising_couplings,
                                   load_graph)
from neuroxide.models.onn import (ONNModel, ONNParams, anneal_params, colour_step_energy, onn_update, output_of,
                                  schedule, solve_maxcut)
from neuroxide.rtl.onn_core import ONNCore, cycles_per_step, row_words
from support.amaranth_sim import rand_J, run_onn_core


def coloured(J):
    """``J`` with its rows and columns permuted so every colour is contiguous, the permuted colours
    and the colours' row boundaries (what the host does before loading the core)."""
    c = greedy_colouring(J)
    order, bounds = colour_classes(c)
    return J[np.ix_(order, order)], c[order], bounds


@given(n=st.integers(1, 40), seed=st.integers(0, 10**6), density=st.floats(0, 1))
@settings(max_examples=40, deadline=None)
def test_greedy_colouring_is_proper(n, seed, density):
    J = rand_J(n, seed, density, 3)
    c = greedy_colouring(sp.csr_matrix(J))
    check_colouring(J, c)  # raises if two coupled oscillators share a colour
    deg = np.count_nonzero(J, axis=1).max() if n else 0
    assert c.max() + 1 <= deg + 1  # greedy never needs more than max degree + 1


def test_the_tori_are_coloured_minimally():
    """G11 and G12 are bipartite toroidal grids: DSatur (exact on bipartite graphs) finds 2 colours;
    G13's grid has odd cycles: 3."""
    for name, colours in (("G11", 2), ("G12", 2), ("G13", 3)):
        assert greedy_colouring(ising_couplings(load_graph(name))).max() + 1 == colours


def test_colour_step_is_gauss_seidel_by_colour():
    """One colour-mode step written out here: colour 0 from the start phases, colour 1 from the
    phases colour 0 left, ... (against ONNModel's step, numpy and compiled)."""
    p = anneal_params(20, ONNParams(acc_bits=16))
    J = rand_J(25, 4, 0.3, 5)
    c = greedy_colouring(J)
    assert c.max() >= 2
    m = ONNModel(p, J, 3, 2, colours=c)
    phase, rng = m.phase.copy(), m.rng.copy()
    inj, amp = schedule(NUMPY, p, np.int64(0))
    for k in range(c.max() + 1):
        rows = np.nonzero(c == k)[0]
        h = J[rows] @ output_of(NUMPY, p, phase)
        phase[rows], rng[rows] = onn_update(NUMPY, p, phase[rows], h, rng[rows], inj, amp)
    m.step()
    assert np.array_equal(m.phase, phase) and np.array_equal(m.rng, rng)
    sync = ONNModel(p, J, 3, 2)
    sync.step()
    assert not np.array_equal(sync.phase, phase)  # the modes differ


@given(n=st.integers(2, 30), seed=st.integers(0, 10**6), density=st.floats(0, 1), steps=st.integers(1, 30),
       restarts=st.integers(1, 3))
@settings(max_examples=15, deadline=None)
def test_compiled_colour_mode_equals_numpy(n, seed, density, steps, restarts):
    p = anneal_params(max(1, steps // 2), ONNParams(acc_bits=16))
    J = rand_J(n, seed, density, 5)
    c = greedy_colouring(J)
    a = ONNModel(p, sp.csr_matrix(J), seed, restarts, colours=c)
    b = ONNModel(p, J, seed, restarts, backend="compiled", colours=c)
    ta, tb = a.run(steps, trace=True), b.run(steps, trace=True)
    assert np.array_equal(ta.phase, tb.phase) and np.array_equal(ta.rng, tb.rng) and a.t == b.t


def test_one_colour_is_the_synchronous_mode():
    p = anneal_params(10, ONNParams())
    J = np.zeros((6, 6), dtype=int)
    a, b = ONNModel(p, J, 2, 2), ONNModel(p, J, 2, 2, colours=np.zeros(6, dtype=int))
    assert np.array_equal(a.run(10, trace=True).phase, b.run(10, trace=True).phase)


@settings(max_examples=10, deadline=None)
@given(n=st.integers(2, 9), dense=st.booleans(), seed=st.integers(0, 2**32 - 1), density=st.floats(0.0, 1.0),
       wb=st.integers(2, 6), phase_bits=st.integers(4, 7), steps=st.integers(1, 8),
       lanes=st.sampled_from([1, 2, 4, 8, 16]))
def test_colour_core_equals_colour_model(n, dense, seed, density, wb, phase_bits, steps, lanes):
    """The core in colour mode from random states (couplings, seeds, widths, lanes) equals the
    colour-mode model on every phase and PRNG state at every step; a step costs
    W + C (11 + log2 L) clocks; ENERGY is colour_step_energy."""
    q = 1 << (phase_bits - 2)
    p = anneal_params(max(steps // 2, 1), ONNParams(phase_bits=phase_bits, weight_bits=wb, acc_bits=16,
                                                    couple_max=min(8, q - 1), inj_max=min(2, q - 1), noise_max=q - 1))
    Jp, cp, bounds = coloured(rand_J(n, seed % 1000, density, wb))
    got, info, dut = run_onn_core(p, Jp, dense, seed, steps, lanes, bounds)
    model = ONNModel(p, Jp, seed, 1, colours=cp)
    start = model.phase[:, 0].copy()
    tr = model.run(steps, trace=True)
    assert np.array_equal(got[:, :, 0], np.tile(np.arange(n), (steps, 1)))
    assert np.array_equal(got[:, :, 1], tr.phase[:, :, 0])
    assert np.array_equal(got[:, :, 2], tr.rng[:, :, 0])
    words = sum(max(1, -(-int(np.count_nonzero(Jp[i])) // lanes)) for i in range(n)) if not dense \
        else n * -(-n // lanes)
    colours = len(bounds) - 1
    assert info["cycles"] == steps * (words + colours * (11 + lanes.bit_length() - 1))
    assert info["cycles"] == steps * dut.cycles_per_step
    before = tr.phase[steps - 2, :, 0] if steps >= 2 else start
    assert info["energy"] == colour_step_energy(p, Jp, cp, before, tr.phase[steps - 1, :, 0])
    assert info["t"] == steps


def test_colour_core_differs_from_the_synchronous_model():
    """The check can fail: the colour-mode core is not the synchronous model (nor a wrong colour order)."""
    p = anneal_params(6, ONNParams())
    Jp, cp, bounds = coloured(rand_J(8, 5, 0.6, 5))
    got, _, _ = run_onn_core(p, Jp, False, 3, 6, 4, bounds)
    assert not np.array_equal(got[:, :, 1], ONNModel(p, Jp, 3, 1).run(6, trace=True).phase[:, :, 0])
    flipped = cp.max() - cp  # the colours in reverse order
    assert not np.array_equal(got[:, :, 1], ONNModel(p, Jp, 3, 1, colours=flipped).run(6, trace=True).phase[:, :, 0])


def test_cycle_formula_on_g22():
    J = ising_couplings(load_graph("G22"))
    c = greedy_colouring(J)
    C = int(c.max()) + 1
    for lanes in (4, 8, 16):
        assert cycles_per_step(J, False, lanes, C) == cycles_per_step(J, False, lanes) + (C - 1) * (11 + lanes.bit_length() - 1)
        assert cycles_per_step(J, False, lanes, C) == int(row_words(J, False, lanes).sum()) + C * (11 + lanes.bit_length() - 1)


def test_bad_colourings_are_refused():
    J = rand_J(6, 1, 0.8, 3)
    with pytest.raises(ParameterError) as e:
        ONNModel(ONNParams(), J, colours=np.zeros(6, dtype=int))
    assert e.value.field == "colours" and "coupled" in str(e.value)
    with pytest.raises(ParameterError):
        ONNModel(ONNParams(), J, colours=np.arange(5))
    with pytest.raises(ParameterError) as e:
        ONNCore(ONNParams(), 6, sp.csr_matrix(J), dense=False, colour_rows=(0, 6))
    assert e.value.field == "colours"
    with pytest.raises(ParameterError) as e:
        ONNCore(ONNParams(), 6, sp.csr_matrix(J), dense=False, colour_rows=(0, 3, 2, 6))
    assert e.value.field == "colour_rows"
    with pytest.raises(ParameterError) as e:
        solve_maxcut(load_graph("G11"), steps=10, restarts=1, mode="gauss")
    assert e.value.field == "mode"


def test_colour_mode_quality_on_a_torus():
    """G12 (torus): colour mode, 1000 sweeps x 8 restarts, compiled model."""
    r = solve_maxcut(load_graph("G12"), steps=1000, restarts=8, seed=1, backend="compiled", mode="colour")
    assert r.cut >= 0.975 * best_known()["G12"]  # a broken colour order gives ~50-90 %


def test_default_schedule_is_the_documented_default():
    """MaxcutSchedule() gives anneal_params(sweeps, maxcut_params(J)) exactly (the first tables' runs)."""
    from neuroxide.models.onn import DEFAULT_SCHEDULE, TUNED_SCHEDULE, maxcut_params
    for name in ("G1", "G11", "G22"):
        J = ising_couplings(load_graph(name))
        for sweeps in (1, 300, 10000):
            assert DEFAULT_SCHEDULE.params(J, sweeps) == anneal_params(sweeps, maxcut_params(J))
        p = TUNED_SCHEDULE.params(J, 1000)
        assert p.phase_bits == TUNED_SCHEDULE.phase_bits and p.couple_max == TUNED_SCHEDULE.couple_max


def test_the_tts_schedule_reaches_99_percent_of_g22_in_short_anneals():
    """The short-anneal schedule (``--schedule tts``) against the default on G22, colour mode, 300
    sweeps x 16 runs (seeds 1..16, not the tuning seeds 101..): the share of runs reaching 99 % of
    the best known rises from near 0 (the default is tuned for nothing this short)."""
    from neuroxide.models.onn import NAMED_SCHEDULES
    g = load_graph("G22")
    J = ising_couplings(g)
    colours = greedy_colouring(J)
    share = {}
    for name in ("default", "tts"):
        model = ONNModel(NAMED_SCHEDULES[name].params(J, 300), J, 1, 16, backend="compiled", colours=colours)
        model.run(300)
        share[name] = float(np.mean(cut_value(g, model.spins()) >= 0.99 * best_known()["G22"]))
    assert share["default"] <= 0.125 and share["tts"] >= 0.5, share


def test_maxcut_experiment_in_colour_mode():
    """``neuroxide maxcut G11 --mode colour``: 2 colours, the colour-mode clocks a sweep."""
    from neuroxide.experiments.maxcut import MaxcutSetup, run_maxcut
    r = run_maxcut(MaxcutSetup("G11", sweeps=50, restarts=2, lanes=8, mode="colour", schedule="tuned"))
    J = ising_couplings(load_graph("G11"))
    assert r.colours == 2 and r.cycles_per_sweep == cycles_per_step(J, False, 8, 2) == cycles_per_step(J, False, 8) + 14
    d = r.to_dict()
    assert d["mode"] == "colour" and d["schedule"] == "tuned" and d["cycles"] == 2 * (1 + 50 * r.cycles_per_sweep)
    with pytest.raises(ParameterError) as e:
        MaxcutSetup("G11", mode="colour", backend="board", port="/dev/null")
    assert e.value.field == "mode"
    with pytest.raises(ParameterError) as e:
        MaxcutSetup("G11", schedule="fast")
    assert e.value.field == "schedule"


def _colour_host(n=7, seed=11):
    """A colour-mode core (built with other weights of the same graph) behind the host link in
    Amaranth's simulator, its ONNHost with the graph's layout, and the graph's couplings."""
    from neuroxide.boards.host import HostLink
    from neuroxide.boards.onn_host import ONNHost, colour_core
    from neuroxide.models.onn_registers import ColourLayout
    from neuroxide.testbench.hostlink_top import AmaranthTransport
    p = anneal_params(6, ONNParams(acc_bits=14))
    J = sp.csr_matrix(rand_J(n, seed, 0.6, 5))
    layout = ColourLayout.of(J)
    assert layout.n_colours >= 2 and list(layout.order) != sorted(layout.order)  # a real permutation
    core = colour_core(p, n, -J, layout, dense=False, seed=2, lanes=4)
    return ONNHost(HostLink(AmaranthTransport(core)), p, n, dense=False, lanes=4, layout=layout), p, J, layout


def host_run_equals_colour_model(onn, p, J, layout):
    """Through ``onn`` (couplings loaded): phases and PRNG states written and read back in node order
    (the core's rows hold them permuted by ``layout``), 6 steps run; phases, PRNG states, spins and
    ENERGY equal the colour-mode model on the graph in its own order; the synchronous order differs
    (the check can fail)."""
    n = layout.n
    phase0 = [(17 * i + 5) % 64 for i in range(n)]
    rng0 = [0x1234567 * (i + 1) & 0xFFFF_FFFF for i in range(n)]
    onn.set_phases(phase0)
    onn.set_rng(rng0)
    assert onn.phases().tolist() == phase0 and onn.rng().tolist() == rng0
    raw = onn.regs.read("PHASE", n)  # the core's rows hold the nodes permuted
    assert raw == [phase0[i] for i in layout.order] and raw != phase0
    assert onn.run(6) == 6
    m = ONNModel(p, J, 2, 1, colours=np.array(layout.colours))
    m.phase[:, 0], m.rng[:, 0] = phase0, rng0
    m.run(5)
    before = m.phase[:, 0].copy()
    m.run(1)
    assert onn.phases().tolist() == m.phase[:, 0].tolist() and onn.rng().tolist() == m.rng[:, 0].tolist()
    assert onn.spins().tolist() == m.spins()[:, 0].tolist()
    assert onn.energy() == colour_step_energy(p, J, np.array(layout.colours), before, m.phase[:, 0])
    sync = ONNModel(p, J, 2, 1)
    sync.phase[:, 0], sync.rng[:, 0] = phase0, rng0
    sync.run(6)
    assert onn.phases().tolist() != sync.phase[:, 0].tolist()


def test_host_driver_of_a_colour_mode_core_speaks_node_order():
    """ONNHost with the graph's ColourLayout -> host link -> colour-mode ONNCore (Amaranth simulator):
    couplings, phases and PRNG states loaded and read in the graph's node order equal the
    colour-mode model on the graph in its own order; ENERGY is colour_step_energy."""
    onn, p, J, layout = _colour_host()
    n = layout.n
    onn.load_couplings(J)
    host_run_equals_colour_model(onn, p, J, layout)
    info = onn.info()
    assert (info["n"], info["dense"], info["lanes_log2"]) == (n, 0, 2)


def test_host_driver_refuses_couplings_the_colour_core_cannot_walk():
    from neuroxide.boards.host import HostLink
    from neuroxide.boards.onn_host import ONNHost
    from neuroxide.models.onn_registers import ColourLayout
    J = sp.csr_matrix(rand_J(7, 11, 0.6, 5))
    layout = ColourLayout.of(J)
    onn = ONNHost(HostLink(None), ONNParams(), 7, lanes=1, layout=layout)  # one coupling a word
    a = J.toarray()
    i, j = (int(x) for x in np.argwhere((np.array(layout.colours)[:, None] == np.array(layout.colours)[None])
                                         & ~np.eye(7, dtype=bool))[0])
    a[i, j] = a[j, i] = 1  # couples two oscillators of one colour
    with pytest.raises(ParameterError) as e:
        onn.load_couplings(sp.csr_matrix(a), build_J=J)
    assert e.value.field == "colours"
    more = J.toarray()
    free = [c for c in range(7) if layout.colours[c] != layout.colours[0] and more[0, c] == 0]
    more[0, free[0]] = more[free[0], 0] = 1  # one more coupling: more words in two colours
    with pytest.raises(ParameterError) as e:
        onn.load_couplings(sp.csr_matrix(more), build_J=J)
    assert e.value.field == "couplings" and "per colour" in str(e.value)
    with pytest.raises(ParameterError) as e:
        ONNHost(HostLink(None), ONNParams(), 8, layout=layout)
    assert e.value.field == "layout"


def test_colour_layout_permutes_rows_and_back():
    """ColourLayout: core row k is node order[k], colours contiguous; to_rows/to_nodes are inverse;
    the permuted couplings are J[order][:, order] (sparse and dense); the layout is the one
    rtl.onn_core.row_group_layout gives for one row group."""
    from neuroxide.models.onn_registers import ColourLayout
    from neuroxide.rtl.onn_core import row_group_layout
    J = rand_J(15, 2, 0.3, 5)
    lay = ColourLayout.of(sp.csr_matrix(J))
    order = np.array(lay.order)
    assert sorted(lay.order) == list(range(15)) and lay.n_colours == int(greedy_colouring(J).max()) + 1
    c = np.array(lay.colours)[order]
    assert np.all(np.diff(c) >= 0) and list(np.searchsorted(c, np.arange(lay.n_colours))) == list(lay.colour_rows[:-1])
    v = np.arange(15) * 7 % 64
    assert np.array_equal(lay.to_nodes(lay.to_rows(v)), v) and np.array_equal(lay.to_rows(v), v[order])
    assert np.array_equal(lay.couplings(J), J[np.ix_(order, order)])
    assert np.array_equal(lay.couplings(sp.csr_matrix(J)).toarray(), J[np.ix_(order, order)])
    perm, cp, bounds = row_group_layout(sp.csr_matrix(J), 1, 4)
    assert list(perm) == list(lay.order) and tuple(bounds) == lay.colour_rows
    with pytest.raises(ParameterError) as e:
        ColourLayout.of(J, np.zeros(15, dtype=int))
    assert e.value.field == "colours"


def test_design_mode_parameter():
    """``-p mode=colour``: the design's core is the colour-mode core of the graph's layout, starting
    from the seed's state moved with its nodes (the graph-order model's); a bad mode is refused."""
    from neuroxide.designs import configure, elaborate
    from neuroxide.models.gset import couplings_of
    from neuroxide.models.onn import initial_state
    from neuroxide.models.onn_registers import ColourLayout
    cfg = configure("onn-core", {"n": 12, "seed": 3, "mode": "colour"})
    core = elaborate(cfg)
    J, _ = couplings_of(cfg.to_dict())
    lay = ColourLayout.of(J)
    assert cfg.mode == "colour" and core.colour_rows == lay.colour_rows
    phase0, rng0 = initial_state(cfg.params, 12, 3, 1)
    assert core.phase0 == [int(x) for x in phase0[list(lay.order), 0]]
    assert core.rng0 == [int(x) for x in rng0[list(lay.order), 0]]
    assert elaborate(configure("onn-core", {"n": 12, "seed": 3})).colour_rows is None  # sync: the default
    with pytest.raises(ParameterError) as e:
        configure("onn-core", {"mode": "gauss"})
    assert e.value.field == "mode" and "sync | colour" in str(e.value)


def test_host_checks_how_the_core_was_built():
    """ONNHost.check_core compares INFO with the driver's configuration and names the field."""
    from neuroxide.boards.host import HostLink
    from neuroxide.boards.onn_host import ONNHost
    from neuroxide.testbench.hostlink_top import AmaranthTransport
    p = ONNParams()
    core = ONNCore(p, 6, sp.csr_matrix(rand_J(6, 3, 0.5, 5)), dense=False, lanes=4)
    link = HostLink(AmaranthTransport(core))
    assert ONNHost(link, p, 6, lanes=4).check_core()["colour"] == 0
    with pytest.raises(ParameterError) as e:
        ONNHost(link, p, 6, lanes=8).check_core()
    assert e.value.field == "INFO.lanes_log2"


def test_colour_core_reports_colour_mode_in_info():
    onn, _, _, _ = _colour_host()
    assert onn.info()["colour"] == 1
