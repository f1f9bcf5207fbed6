"""``neuroxide maxcut``: JSON contract, determinism, rtl == model, bad input exits 2."""

import pytest

from support.tools import needs


def test_model_backend_json_contract(cli):
    p = cli("maxcut", "G11", "--sweeps", "300", "--restarts", "2", "--seed", "3", "--fmax-mhz", "50", "--json")
    assert p.code == 0, p.stderr
    r = p.json
    for key in ("graph", "nodes", "edges", "cut", "best_known", "ratio", "cycles", "fmax_mhz", "time_to_solution_s"):
        assert key in r
    assert (r["graph"], r["nodes"], r["edges"], r["best_known"]) == ("G11", 800, 1600, 564)
    # G11: 800 nodes of degree 4, one coupling word a row at 4 lanes: 800 + 11 + 2 clocks a sweep
    assert r["cycles_per_sweep"] == 813 and r["lanes"] == 4 and r["cycles"] == 2 * (1 + 300 * 813)
    assert r["time_to_solution_s"] == pytest.approx(r["cycles"] / 50e6)
    assert r["ratio"] == pytest.approx(r["cut"] / 564, abs=1e-5) and r["ratio"] > 0.9
    again = cli("maxcut", "G11", "--sweeps", "300", "--restarts", "2", "--seed", "3", "--fmax-mhz", "50", "--json").json
    assert {k: v for k, v in again.items() if k != "wall_s"} == {k: v for k, v in r.items() if k != "wall_s"}


def small_graph(tmp_path):
    f = tmp_path / "ring.txt"
    n = 10
    f.write_text(f"{n} {n + 2}\n" + "".join(f"{i + 1} {(i + 1) % n + 1} 1\n" for i in range(n)) + "1 6 -1\n3 8 1\n")
    return f


@needs("icarus")
@pytest.mark.parametrize("mode", ["sync", "colour"])
def test_rtl_backend_equals_model(cli, tmp_path, mode):
    g = small_graph(tmp_path)
    args = ["maxcut", g, "--sweeps", "40", "--restarts", "1", "--seed", "2", "--mode", mode, "--json"]
    model = cli(*args).json
    rtl = cli(*args, "--backend", "rtl", "--simulator", "icarus", "--build-dir", tmp_path / "b")
    assert rtl.code == 0, rtl.stderr
    rtl = rtl.json
    assert rtl["mismatches"] == 0 and rtl["cut"] == model["cut"] and rtl["cycles"] == model["cycles"]
    assert rtl["best_known"] is None and rtl["mode"] == mode and (rtl["colours"] > 1) == (mode == "colour")


@needs("icarus")
def test_rtl_backend_with_row_groups(cli, tmp_path):
    """``--mode colour --row-groups 2 --schedule tts`` (the TTS configuration): the rtl back end
    simulates the row-group core (0 mismatches), its cut is the colour mode's, its clocks the
    row-group formula's (fewer than k = 1)."""
    g = small_graph(tmp_path)
    args = ["maxcut", g, "--sweeps", "40", "--restarts", "1", "--seed", "2", "--mode", "colour", "--lanes", "4",
            "--schedule", "tts", "--json"]
    k1 = cli(*args).json
    model = cli(*args, "--row-groups", "2").json
    rtl = cli(*args, "--row-groups", "2", "--backend", "rtl", "--simulator", "icarus", "--build-dir", tmp_path / "b")
    assert rtl.code == 0, rtl.stderr
    rtl = rtl.json
    assert rtl["mismatches"] == 0 and rtl["cut"] == model["cut"] == k1["cut"] and rtl["cycles"] == model["cycles"]
    assert rtl["row_groups"] == model["row_groups"] == 2 and model["cycles_per_sweep"] < k1["cycles_per_sweep"]


def test_row_groups_clocks_on_g22(cli):
    """G22 at 32 lanes, 4 row groups: 1,593 clocks a sweep (the ECP5 build's, docs/onn.md)."""
    r = cli("maxcut", "G22", "--mode", "colour", "--lanes", "32", "--row-groups", "4", "--sweeps", "2", "--restarts",
            "1", "--json").json
    assert r["cycles_per_sweep"] == 1593 and r["cycles"] == 1 + 2 * 1593 and r["row_groups"] == 4


@pytest.mark.parametrize("args, field", [
    (["G99"], "graph"), (["G11", "--sweeps", "0"], "--sweeps"), (["G11", "--restarts", "0"], "--restarts"),
    (["G11", "--seed", "-1"], "--seed"), (["G11", "--lanes", "3"], "--lanes"),
    (["G11", "--row-groups", "2"], "--row-groups"), (["G11", "--mode", "colour", "--row-groups", "3"], "--row-groups"),
])
def test_bad_input_exits_2(cli, args, field):
    p = cli("maxcut", *args)
    assert p.code == 2 and field in p.stderr and p.stdout == ""


def test_bad_graph_file_exits_2_naming_line(cli, tmp_path):
    f = tmp_path / "bad.txt"
    f.write_text("4 2\n1 2 1\n2 9 1\n")
    p = cli("maxcut", f)
    assert p.code == 2 and "line 3" in p.stderr and "edge.j" in p.stderr
