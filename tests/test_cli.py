"""The command line: contract (--json last line, exit codes), determinism and bad input."""

import json
import subprocess
import sys
from pathlib import Path

import pytest


def test_help_teaches_the_flow(cli):
    r = cli("--help")
    assert r.code == 0
    for word in ("demo", "device", "verilog", "simulate", "build", "exit codes"):
        assert word in r.stdout


def test_list_json(cli):
    r = cli("list", "--json")
    assert r.code == 0 and "lif" in r.json["designs"]
    assert "v_th" in r.json["designs"]["lif"]["parameters"] and "nbox" in r.json["presets"]


def test_boards_json(cli):
    r = cli("boards", "--json")
    names = [b["name"] for b in r.json["boards"]]
    assert r.code == 0 and {"icebreaker", "ulx3s-85f"} <= set(names)


def test_verilog_is_deterministic(cli, tmp_path):
    a, b = tmp_path / "a.v", tmp_path / "b.v"
    assert cli("verilog", "lif", "-p", "n=3", "-o", a).code == 0
    assert cli("verilog", "lif", "-p", "n=3", "-o", b, "--json").code == 0
    assert a.read_bytes() == b.read_bytes()
    text = a.read_text()
    assert "module lif" in text and "/work" not in text and str(tmp_path) not in text  # no machine paths


def test_verilog_parameters_reach_the_gates(cli):
    assert cli("verilog", "lif", "-p", "v_th=3000").stdout != cli("verilog", "lif", "-p", "v_th=3001").stdout


@pytest.mark.parametrize("argv, field", [
    (["verilog", "lif", "-p", "bogus=1"], "bogus"),
    (["verilog", "lif", "-p", "v_th=40000"], "v_th"),
    (["verilog", "lif", "-p", "v_bits=8", "-p", "v_th=1000"], "v_th"),
    (["verilog", "lif", "-p", "n=0"], "n"),
    (["verilog", "lif", "-p", "n=1000"], "n"),
    (["verilog", "lif", "-p", "decay"], "-p"),
    (["verilog", "lif", "-p", "reset_mode=sometimes"], "reset_mode"),
    (["verilog", "nosuchdesign"], "design"),
    (["simulate", "lif", "--steps", "0"], "steps"),
    (["simulate", "lif", "--vcd", "waves.txt"], "--vcd"),
    (["simulate", "lif", "--simulator", "verilator", "--vcd", "waves.fst"], "--vcd"),
    (["build", "lif", "--board", "nosuchboard"], "board"),
])
def test_bad_input_exits_2_naming_the_field(cli, tmp_path, argv, field):
    out_file = tmp_path / "out.v"
    if argv[0] == "verilog":
        argv = argv + ["-o", str(out_file)]
    r = cli(*argv)
    assert r.code == 2
    assert field in r.stderr and "allowed" in r.stderr
    assert not out_file.exists() and list(tmp_path.iterdir()) == []  # nothing half-written


def test_argparse_errors_exit_2(cli):
    assert cli("simulate", "lif", "--simulator", "modelsim").code == 2


def test_console_script_entry_point():
    """The installed ``neuroxide`` script (pyproject's [project.scripts]) runs as a real process."""
    script = Path(sys.executable).parent / "neuroxide"
    res = subprocess.run([str(script), "list", "--json"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and "lif" in json.loads(res.stdout.strip().splitlines()[-1])["designs"]
    bad = subprocess.run([str(script), "verilog", "lif", "-p", "n=0"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "error:" in bad.stderr  # exit 2 from the process itself, not only from main()


def test_simulate_json_contract(cli, tmp_path, any_simulator):
    r = cli("simulate", "lif", "-p", "n=2", "--steps", "1000", "--build-dir", tmp_path, "--json")
    data = r.json
    assert r.code == 0
    for key in ("design", "simulator", "steps", "cycles", "mismatches", "wall_s"):
        assert key in data
    assert data["mismatches"] == 0 and data["steps"] == 1000


def test_device_sweep_json_and_plot(cli, tmp_path):
    plot = tmp_path / "fv.png"
    r = cli("device", "vo2", "--sweep", "1:7:7", "--plot", plot, "--json")
    data = r.json
    assert r.code == 0 and plot.read_bytes()[:4] == b"\x89PNG"
    assert len(data["vin_volt"]) == 7 and data["rate_float_hz"][0] == 0  # 1 V: below the VO2 onset
    assert data["max_rel_error"] <= 0.05
    assert data["energy"][0]["published_energy_per_spike_joule"] > 0


@pytest.mark.parametrize("argv, field", [
    (["device", "nosuch"], "preset"),
    (["device", "nbox", "--sweep", "3:1:5"], "--sweep"),
    (["device", "nbox", "--sweep", "1:2"], "--sweep"),
    (["device", "nbox", "--plot", "fv.jpg"], "--plot"),
    (["device", "nbox", "--dt", "1e-3"], "dt"),
    (["device", "vo2", "-p", "v_hold_volt=5"], "v_hold_volt"),
    (["device", "vo2", "-p", "c_farad=0"], "c_farad"),
    (["device", "vo2", "-p", "r_load_ohm=-4000"], "r_load_ohm"),
    (["device", "vo2", "-p", "r_on_ohm=abc"], "r_on_ohm"),
    (["device", "vo2", "-p", "flux=1"], "flux"),
    (["device", "nbox", "-p", "v_bits=16"], "v_bits"),
    (["device", "nbox", "-p", "in_bits=8"], "in_bits"),
    (["demo", "--preset", "nosuch"], "preset"),
    (["demo", "-p", "v_th_volt=0"], "v_th_volt"),
    (["demo", "--board", "nosuch"], "board"),
])
def test_device_bad_input(cli, tmp_path, argv, field):
    r = cli(*argv, cwd=tmp_path)
    assert r.code == 2 and field in r.stderr and "allowed" in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_demo_without_bitstream(cli, tmp_path, any_simulator):
    out_dir = tmp_path / "demo"
    r = cli("demo", "--no-build", "--out", out_dir, "--json")
    data = r.json
    assert r.code == 0
    assert data["calibration"]["max_rel_error"] <= 0.05
    assert data["simulate"]["mismatches"] == 0 and data["simulate"]["steps"] == 10_000
    assert (out_dir / "fv_nbox.png").exists() and (out_dir / "trace_nbox.png").exists()
    assert (out_dir / "lif.v").exists()
    assert json.loads((out_dir / "report.json").read_text())["preset"] == "nbox"
