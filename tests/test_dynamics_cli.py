"""CLI of the dynamics subcommands (``izhikevich``, ``hh``): JSON contract and bad input -> exit 2."""

import pytest


def test_izhikevich_model_json_all_panels(cli, tmp_path):
    plot = tmp_path / "cat.png"
    res = cli("izhikevich", "--json", "--plot", plot)
    assert res.code == 0, res.stderr
    out = res.json
    assert out["matched"] == 20 and out["total"] == 20 and out["backend"] == "model"
    row = out["panels"][7]
    assert set(row) >= {"panel", "spikes_float", "spikes_fixed", "max_shift_steps", "rtl_mismatches"}
    assert row["panel"] == "H" and row["spikes_fixed"] == row["spikes_float"] and row["rtl_mismatches"] is None
    assert plot.stat().st_size > 10_000


def test_izhikevich_float_backend_and_panel_list(cli):
    out = cli("izhikevich", "--panel", "a,C", "--backend", "float", "--json").json
    assert [r["panel"] for r in out["panels"]] == ["A", "C"]
    assert out["panels"][0]["spikes_fixed"] is None and out["panels"][0]["spikes_float"] > 0


@pytest.mark.parametrize("argv, field", [
    (["--panel", "Z"], "panel"),
    (["--panel", "A,U"], "panel"),
    (["--backend", "spice"], "--backend"),
    (["--plot", "cat.pdf"], "--plot"),
    (["--backend", "rtl", "--simulator", "modelsim"], "simulator"),
])
def test_izhikevich_bad_input_exits_2(cli, argv, field, tmp_path):
    res = cli("izhikevich", *argv, cwd=tmp_path)
    assert res.code == 2, res.stderr
    assert field in res.stderr
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_izhikevich_design_bad_parameters(cli):
    for p in ("panel=Z", "pipelined=2", "frac_bits=99", "widthz=3"):
        res = cli("verilog", "izhikevich", "-p", p)
        assert res.code == 2, (p, res.stderr)
        assert p.split("=")[0] in res.stderr


def test_izhikevich_verilog_is_deterministic(cli, tmp_path):
    a, b = tmp_path / "a.v", tmp_path / "b.v"
    assert cli("verilog", "izhikevich", "-p", "panel=H", "-o", a).code == 0
    assert cli("verilog", "izhikevich", "-p", "panel=H", "-o", b).code == 0
    assert a.read_text() == b.read_text() and "module" in a.read_text()
    assert cli("verilog", "izhikevich", "-p", "panel=all").code == 2


def test_hh_model_json(cli):
    res = cli("hh", "--stimulus", "step15,pulse", "--steps", "3000", "--json")
    assert res.code == 0, res.stderr
    out = res.json
    assert out["total"] == 2 and out["matched"] == 2 and out["max_rmse_mv"] < out["rmse_target_mv"] == 1.83
    row = out["stimuli"][0]
    assert set(row) >= {"stimulus", "rmse_mv", "spikes_float", "spikes_fixed", "max_shift_steps", "rtl_mismatches"}
    assert out["widths"]["g_frac"] == 28 and out["params"]["g_na_msiemens_per_cm2"] == 120.0


@pytest.mark.parametrize("argv, field", [
    (["--stimulus", "sine"], "--stimulus"),
    (["--backend", "spice"], "--backend"),
    (["--steps", "5"], "--steps"),
    (["--plot", "hh.svg"], "--plot"),
])
def test_hh_bad_input_exits_2(cli, argv, field, tmp_path):
    res = cli("hh", *argv, cwd=tmp_path)
    assert res.code == 2, res.stderr
    assert field in res.stderr
    assert list(tmp_path.iterdir()) == []


def test_hh_design_bad_parameters(cli):
    for p in ("stimuli=sine", "seed=-1", "g_na=3"):
        res = cli("verilog", "hh", "-p", p)
        assert res.code == 2, (p, res.stderr)
        assert p.split("=")[0] in res.stderr
