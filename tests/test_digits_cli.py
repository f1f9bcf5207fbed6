"""``neuroxide digits``: JSON contract, back ends, plot, determinism and bad input."""

import importlib.util
import json

import pytest

from neuroxide.cli import main

HAVE_SNN_BENCH = importlib.util.find_spec("neuroxide.testbench.snn_bench") is not None


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def last_json(out):
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("digits"))


def test_model_backend_json(capsys, build_dir, tmp_path):
    plot = tmp_path / "d.png"
    code, out, err = run(capsys, "digits", "--limit", "120", "--build-dir", build_dir, "--plot", str(plot), "--json")
    data = last_json(out)
    assert code == 0
    for key in ("backend", "accuracy", "n", "mismatches", "sops", "cycles", "sop_per_cycle", "confusion"):
        assert key in data
    assert data["backend"] == "model" and data["n"] == 120
    assert data["accuracy"] >= 0.93
    assert data["mismatches"] is None and data["cycles"] is None and data["sop_per_cycle"] is None
    assert isinstance(data["sops"], int) and data["sops"] > 0
    assert sum(map(sum, data["confusion"])) == 120
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "images" in err  # progress on stderr


def test_float_backend_and_device_flags(capsys, build_dir):
    code, out, _ = run(capsys, "digits", "--backend", "float", "--build-dir", build_dir, "--json")
    ideal = last_json(out)
    assert code == 0 and ideal["sops"] is None and ideal["n"] == 540 and ideal["accuracy"] >= 0.95
    code, out, _ = run(capsys, "digits", "--backend", "float", "--build-dir", build_dir, "--weight-bits", "1",
                       "--stuck-at", "0.3", "--json")
    assert code == 0 and last_json(out)["accuracy"] < ideal["accuracy"] - 0.1


def test_deterministic_and_seeded(capsys, build_dir):
    args = ("digits", "--limit", "40", "--d2d-sigma", "0.2", "--build-dir", build_dir, "--json")
    a = last_json(run(capsys, *args)[1])
    b = last_json(run(capsys, *args)[1])
    c = last_json(run(capsys, *args, "--seed", "7")[1])
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
def test_bad_input_exits_2_and_writes_nothing(capsys, tmp_path, flag, value, allowed):
    build = tmp_path / "build"
    plot = tmp_path / "p.png"
    argv = ["digits", "--build-dir", str(build), flag, value]
    if flag != "--plot":
        argv += ["--plot", str(plot)]
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert flag in err and allowed in err
    assert list(tmp_path.iterdir()) == [] and out == ""


def test_argparse_rejects_bad_backend(capsys):
    with pytest.raises(SystemExit) as e:
        main(["digits", "--backend", "gpu"])
    assert e.value.code == 2
    assert "--backend" in capsys.readouterr().err


def test_help_teaches(capsys):
    with pytest.raises(SystemExit):
        main(["digits", "--help"])
    out = capsys.readouterr().out
    for word in ("--weight-bits", "--d2d-sigma", "--stuck-at", "random_state=0", "examples", "rtl"):
        assert word in out


def test_rtl_backend_without_bench_is_a_clear_error(capsys, tmp_path, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "neuroxide.testbench.snn_bench", None)  # as if not installed
    code, out, err = run(capsys, "digits", "--backend", "rtl", "--limit", "3", "--build-dir", str(tmp_path / "b"))
    assert code == 2 and "snn_bench" in err
    assert not (tmp_path / "b").exists()


@pytest.mark.skipif(not HAVE_SNN_BENCH, reason="neuroxide.testbench.snn_bench not written yet")
def test_rtl_backend_three_images(capsys, build_dir):
    code, out, _ = run(capsys, "digits", "--backend", "rtl", "--limit", "3", "--build-dir", build_dir, "--json")
    data = last_json(out)
    assert code == 0, data
    assert data["mismatches"] == 0 and data["prediction_mismatches"] == 0
    assert data["cycles"] > 0 and data["sops"] == data["model_sops"] and data["sop_per_cycle"] > 0
    model = last_json(run(capsys, "digits", "--limit", "3", "--build-dir", build_dir, "--json")[1])
    assert data["accuracy"] == model["accuracy"] and data["confusion"] == model["confusion"]


@pytest.mark.slow
@pytest.mark.skipif(not HAVE_SNN_BENCH, reason="neuroxide.testbench.snn_bench not written yet")
@pytest.mark.parametrize("simulator", ["icarus", "verilator"])
def test_rtl_backend_hundred_images(capsys, build_dir, simulator):
    """The issue's proof: >= 100 test images through the RTL, equal to the model at every step."""
    code, out, _ = run(capsys, "digits", "--backend", "rtl", "--limit", "100", "--simulator", simulator,
                       "--build-dir", build_dir, "--json")
    data = last_json(out)
    assert code == 0 and data["mismatches"] == 0 and data["prediction_mismatches"] == 0
    assert data["n"] == 100 and data["accuracy"] >= 0.95
