"""cocotb: the generated ONN core Verilog against the model, phases/PRNG/energy at every step."""

import json
import time

import pytest

from neuroxide.designs import configure
from neuroxide.flow import simulate_design
from support.tools import needs


@needs("icarus")
@pytest.mark.parametrize("dense", [0, pytest.param(1, marks=pytest.mark.slow)])
def test_icarus_matches_model(tmp_path, dense):
    cfg = configure("onn-core", {"n": 12 if dense == 0 else 8, "dense": dense, "anneal_steps": 48, "seed": 3})
    res = simulate_design(cfg, "icarus", 64, tmp_path)
    assert res["steps"] == 64 and res["mismatches"] == 0
    assert res["spikes"] > 0  # spins did flip: the comparison covered moving phases


@needs("icarus")
def test_simulate_a_graph_file_named_relative_to_the_working_folder(cli, tmp_path):
    """``neuroxide simulate onn-core -p graph=torus.txt`` run in the file's folder: the cocotb bench
    (which runs in its own build folder) finds the file (the configuration holds it absolute)."""
    from neuroxide.models.gset import save_graph, toroidal_grid
    save_graph(toroidal_grid(3, 4, 5), tmp_path / "torus.txt")
    r = cli("simulate", "onn-core", "-p", "graph=torus.txt", "-p", "anneal_steps=8", "--steps", "8", "--simulator",
            "icarus", "--build-dir", "b", "--json", cwd=tmp_path)
    assert r.code == 0, r.stderr
    assert r.json["steps"] == 8 and r.json["mismatches"] == 0


@needs("icarus")
def test_bench_detects_a_different_model(tmp_path):
    from neuroxide.designs.onn_core import DESIGN
    cfg = configure("onn-core", {"n": 10, "anneal_steps": 30, "seed": 4})
    res = DESIGN.simulate(cfg, "icarus", 32, tmp_path, model_params=cfg.params.replace(couple_max=5))
    assert res["mismatches"] > 0 and res["first_mismatch"] is not None


@needs("icarus")
def test_icarus_colour_mode_matches_model(tmp_path):
    """``-p mode=colour``: the colour-mode core (rows permuted by colour) against the colour-mode
    model in the graph's node order, phases, PRNG states and the colour-mode ENERGY every step."""
    cfg = configure("onn-core", {"n": 12, "anneal_steps": 48, "seed": 3, "mode": "colour"})
    res = simulate_design(cfg, "icarus", 64, tmp_path)
    assert res["steps"] == 64 and res["mismatches"] == 0 and res["mode"] == "colour" and res["colours"] >= 3
    assert res["spikes"] > 0


@needs("icarus")
@pytest.mark.parametrize("model_mode", ["colour-reversed", "sync"])
def test_bench_detects_another_update_order(tmp_path, model_mode):
    """The colour-mode core compared with the reversed colour order or the synchronous model mismatches."""
    from neuroxide.designs.onn_core import DESIGN
    cfg = configure("onn-core", {"n": 10, "anneal_steps": 30, "seed": 4, "mode": "colour"})
    res = DESIGN.simulate(cfg, "icarus", 16, tmp_path, model_mode=model_mode)
    assert res["mismatches"] > 0 and res["field_mismatches"]["phase"] > 0


@needs("icarus")
def test_icarus_row_groups_match_model(tmp_path):
    """``-p mode=colour -p row_groups=4`` (8 lanes: 4 groups of 2): the row-group core, its rows in
    the balanced layout, against the colour-mode model in node order every step (phases, PRNG
    states, ENERGY); its clocks are the row-group formula's (fewer than the k = 1 core's)."""
    from neuroxide.boards.onn_host import onn_core_of
    from neuroxide.models.gset import couplings_of
    from neuroxide.models.onn_registers import ColourLayout
    over = {"n": 12, "anneal_steps": 48, "seed": 3, "mode": "colour", "lanes": 8, "row_groups": 4}
    cfg = configure("onn-core", over)
    J, _ = couplings_of(cfg.to_dict())
    assert ColourLayout.of(J, row_groups=4, lanes=8).order != ColourLayout.of(J).order  # the bench maps another order
    res = simulate_design(cfg, "icarus", 64, tmp_path)
    assert res["steps"] == 64 and res["mismatches"] == 0 and res["row_groups"] == 4 and res["colours"] >= 3
    assert res["spikes"] > 0
    k1 = onn_core_of(configure("onn-core", over | {"row_groups": 1})).cycles_per_step
    assert onn_core_of(cfg).cycles_per_step < k1
    assert res["cycles"] >= 64 * onn_core_of(cfg).cycles_per_step


@needs("icarus")
def test_bench_detects_another_order_with_row_groups(tmp_path):
    """The row-group core compared with the reversed colour order mismatches (the check can fail)."""
    from neuroxide.designs.onn_core import DESIGN
    cfg = configure("onn-core", {"n": 10, "anneal_steps": 30, "seed": 4, "mode": "colour", "lanes": 4, "row_groups": 2})
    res = DESIGN.simulate(cfg, "icarus", 8, tmp_path, model_mode="colour-reversed")
    assert res["mismatches"] > 0 and res["field_mismatches"]["phase"] > 0


@needs("verilator")
@pytest.mark.slow
def test_verilator_row_groups_g22(tmp_path):
    """G22 (2000 nodes, 8 colours) on the row-group core of the ECP5 build (32 lanes, 4 groups: 1,593
    clocks a sweep) under Verilator, 200 sweeps against the colour-mode model every step: 0
    mismatches, and the cut ``neuroxide maxcut G22 --mode colour --sweeps 200 --restarts 1`` gives."""
    from neuroxide.models.gset import load_graph
    from neuroxide.models.onn import solve_maxcut
    cfg = configure("onn-core", {"graph": "G22", "anneal_steps": 200, "mode": "colour", "lanes": 32, "row_groups": 4})
    t0 = time.perf_counter()
    res = simulate_design(cfg, "verilator", 200, tmp_path)
    res["test_wall_s"] = round(time.perf_counter() - t0, 1)
    print(json.dumps({k: v for k, v in res.items() if k != "spins"}))
    assert res["steps"] == 200 and res["mismatches"] == 0 and res["colours"] == 8 and res["row_groups"] == 4
    model = solve_maxcut(load_graph("G22"), steps=200, restarts=1, seed=1, backend="compiled", mode="colour")
    assert res["cut"] == model.cut


@needs("verilator")
@pytest.mark.slow
def test_verilator_colour_mode_g22(tmp_path):
    """1000 sweeps of G22 (2000 nodes, 8 colours) in colour mode on Verilator: 0 mismatches, and the
    cut is the one ``neuroxide maxcut G22 --mode colour --sweeps 1000 --restarts 1`` computes."""
    from neuroxide.models.gset import load_graph
    from neuroxide.models.onn import solve_maxcut
    cfg = configure("onn-core", {"graph": "G22", "anneal_steps": 1000, "mode": "colour"})
    t0 = time.perf_counter()
    res = simulate_design(cfg, "verilator", 1000, tmp_path)
    res["test_wall_s"] = round(time.perf_counter() - t0, 1)
    print(json.dumps({k: v for k, v in res.items() if k != "spins"}))
    assert res["steps"] == 1000 and res["mismatches"] == 0 and res["colours"] == 8
    model = solve_maxcut(load_graph("G22"), steps=1000, restarts=1, seed=1, backend="compiled", mode="colour")
    assert res["cut"] == model.cut


@needs("verilator")
@pytest.mark.slow
def test_verilator_full_anneal_800_nodes(tmp_path):
    """Full 2000-step anneal of G1 (800 nodes, 38,352 coupling entries): ~77 M clocks."""
    cfg = configure("onn-core", {"graph": "G1", "anneal_steps": 2000})
    t0 = time.perf_counter()
    res = simulate_design(cfg, "verilator", 2000, tmp_path)
    res["test_wall_s"] = round(time.perf_counter() - t0, 1)
    print(json.dumps({k: v for k, v in res.items() if k != "spins"}))
    assert res["steps"] == 2000 and res["mismatches"] == 0
    assert res["cut"] >= 0.98 * 11624


@needs("verilator")
@pytest.mark.slow
def test_verilator_g81_sized_torus_200_sweeps(tmp_path):
    """200 sweeps of a G81-sized graph (``benchmarks.onn.bench_torus_verilator``: a 100 x 200 +-1
    torus, 20,000 oscillators, 4 lanes, 2-bit couplings) under Verilator: 0 mismatches of phases,
    PRNG states and energy at every step (about 4.1 M clocks); the cut is a real anneal's (the
    measured 13,102 is 94.2 % of the +-J estimate after 200 sweeps)."""
    from neuroxide.benchmarks.onn import bench_torus_verilator, torus_g81, torus_reference_cut
    res = bench_torus_verilator(200, tmp_path)
    print(json.dumps(res))
    assert res["steps"] == 200 and res["nodes"] == 20000 and res["mismatches"] == 0
    assert res["field_mismatches"] == {"phase": 0, "rng": 0, "energy": 0}
    assert res["cut"] >= 0.93 * torus_reference_cut(torus_g81())
