"""``neuroxide digits``: JSON contract, back ends, plot, determinism and bad input."""

import pytest

from support.tools import needs


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("digits"))


def test_model_backend_json(cli, build_dir, tmp_path):
    plot = tmp_path / "d.png"
    r = cli("digits", "--limit", "120", "--build-dir", build_dir, "--plot", plot, "--json")
    data = r.json
    assert r.code == 0
    for key in ("backend", "accuracy", "n", "mismatches", "sops", "cycles", "sop_per_cycle", "confusion"):
        assert key in data
    assert data["backend"] == "model" and data["n"] == 120
    assert data["accuracy"] >= 0.93
    assert data["mismatches"] is None and data["cycles"] is None and data["sop_per_cycle"] is None
    assert isinstance(data["sops"], int) and data["sops"] > 0
    assert sum(map(sum, data["confusion"])) == 120
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "images" in r.stderr  # progress on stderr


def test_float_backend_and_device_flags(cli, build_dir):
    r = cli("digits", "--backend", "float", "--build-dir", build_dir, "--json")
    ideal = r.json
    assert r.code == 0 and ideal["sops"] is None and ideal["n"] == 540 and ideal["accuracy"] >= 0.95
    r = cli("digits", "--backend", "float", "--build-dir", build_dir, "--weight-bits", "1", "--stuck-at", "0.3",
            "--json")
    assert r.code == 0 and r.json["accuracy"] < ideal["accuracy"] - 0.1


def test_deterministic_and_seeded(cli, build_dir):
    args = ("digits", "--limit", "40", "--d2d-sigma", "0.2", "--build-dir", build_dir, "--json")
    a = cli(*args).json
    b = cli(*args).json
    c = cli(*args, "--seed", "7").json
    for r in (a, b, c):
        r.pop("wall_s")
    assert a == b
    assert a["sops"] != c["sops"]


@pytest.mark.parametrize("flag, value, allowed", [
    ("--weight-bits", "0", "1..8"), ("--weight-bits", "9", "1..8"),
    ("--d2d-sigma", "-1", "0.0..1.0"), ("--stuck-at", "2", "0.0..1.0"), ("--write-sigma", "nan", "0.0..1.0"),
    ("--limit", "0", "1..540"), ("--limit", "541", "1..540"), ("--steps", "0", "1..1024"),
    ("--seed", "-1", "0..4294967295"), ("--plot", "out.jpg", ".png"),
])
def test_bad_input_exits_2_and_writes_nothing(cli, tmp_path, flag, value, allowed):
    build = tmp_path / "build"
    plot = tmp_path / "p.png"
    argv = ["digits", "--build-dir", str(build), flag, value]
    if flag != "--plot":
        argv += ["--plot", str(plot)]
    r = cli(*argv)
    assert r.code == 2
    assert flag in r.stderr and allowed in r.stderr
    assert list(tmp_path.iterdir()) == [] and r.stdout == ""


def test_argparse_rejects_bad_backend(cli):
    r = cli("digits", "--backend", "gpu")
    assert r.code == 2
    assert "--backend" in r.stderr


def test_help_teaches(cli):
    out = cli("digits", "--help").stdout
    for word in ("--weight-bits", "--d2d-sigma", "--stuck-at", "random_state=0", "examples", "rtl"):
        assert word in out


def test_rtl_backend_without_bench_is_a_clear_error(cli, tmp_path, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "neuroxide.testbench.snn_bench", None)  # as if not installed
    r = cli("digits", "--backend", "rtl", "--limit", "3", "--build-dir", tmp_path / "b")
    assert r.code == 2 and "snn_bench" in r.stderr
    assert not (tmp_path / "b").exists()


def test_rtl_backend_one_image(cli, build_dir, any_simulator):
    """One image on the RTL in the default suite (100 images: the slow test below)."""
    r = cli("digits", "--backend", "rtl", "--limit", "1", "--simulator", any_simulator, "--build-dir", build_dir,
            "--json")
    data = r.json
    assert r.code == 0, data
    assert data["mismatches"] == 0 and data["prediction_mismatches"] == 0
    assert data["cycles"] > 0 and data["sops"] == data["model_sops"] and data["sop_per_cycle"] > 0
    model = cli("digits", "--limit", "1", "--build-dir", build_dir, "--json").json
    assert data["accuracy"] == model["accuracy"] and data["confusion"] == model["confusion"]


@pytest.mark.slow
@pytest.mark.parametrize("simulator", [pytest.param(sim, marks=needs(sim)) for sim in ("icarus", "verilator")])
def test_rtl_backend_hundred_images(cli, build_dir, simulator):
    """The issue's proof: >= 100 test images through the RTL, equal to the model at every step."""
    r = cli("digits", "--backend", "rtl", "--limit", "100", "--simulator", simulator, "--build-dir", build_dir,
            "--json")
    data = r.json
    assert r.code == 0 and data["mismatches"] == 0 and data["prediction_mismatches"] == 0
    assert data["n"] == 100 and data["accuracy"] >= 0.95
