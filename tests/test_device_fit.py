"""``neuroxide device fit`` (models/devices/fit.py): the shipped synthetic measurements are fitted
back to the values that generated them within 3 sigma of the reported uncertainty; measurements of
a different (thermally activated) switching model give a preset whose oscillation frequency is
within 5 % of the data's; bad CSVs exit 2 naming file, row and column, and write nothing."""

from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from neuroxide.models.devices.fit import fit_device, read_measurement
from neuroxide.models.devices.preset_file import load_preset_file
from neuroxide.models.devices.synthetic import EXAMPLES
from neuroxide.models.devices.threshold_switch import analytic_rate_hz

DATA = Path(str(resources.files("neuroxide.models").joinpath("data/measurements")))
FITTED = [k for k, e in EXAMPLES.items() if e["truth"] is not None]


@pytest.fixture(scope="module")
def fits():
    return {k: fit_device([DATA / f for f in e["files"]], e["family"]) for k, e in EXAMPLES.items()}


def z_scores(result, truth, spread_truth=None):
    """``{name: (fitted - truth) / sigma}`` of every generating value (and spread)."""
    out = {q: (result.parameters[q] - t) / result.sigma[q] for q, t in truth.items()}
    for q, kinds in (spread_truth or {}).items():
        for kind, t in kinds.items():
            out[f"spread {q} {kind}"] = (result.spread[q][kind] - t) / result.spread_sigma[q][kind]
    return out


def test_every_example_says_it_is_synthetic():
    for e in EXAMPLES.values():
        for f in e["files"]:
            head = (DATA / f).read_text().splitlines()[0]
            assert head.startswith("# SYNTHETIC measurement"), f
    readme = (DATA / "README.md").read_text()
    assert all(f in readme for e in EXAMPLES.values() for f in e["files"])


@pytest.mark.parametrize("example", FITTED)
def test_fit_recovers_the_generating_values_within_3_sigma(fits, example):
    e = EXAMPLES[example]
    r = fits[example]
    z = z_scores(r, e["truth"], e.get("spread_truth"))
    assert set(e["truth"]) <= set(r.parameters)
    bad = {k: round(v, 2) for k, v in z.items() if not abs(v) <= 3}
    assert not bad, f"{example}: beyond 3 sigma: {bad}"
    assert all(v > 0 for v in r.sigma.values()) and all(v > 0 for v in r.residual_rms.values())


def test_the_3_sigma_check_can_fail(fits):
    e = EXAMPLES["ts"]
    shifted = {q: t * 1.1 for q, t in e["truth"].items()}      # a 10 % wrong truth is caught
    assert any(abs(v) > 3 for v in z_scores(fits["ts"], shifted).values())
    shifted = {q: t * 1.1 for q, t in EXAMPLES["mtj"]["truth"].items()}
    assert any(abs(v) > 3 for v in z_scores(fits["mtj"], shifted).values())


def test_a_different_model_oscillates_within_5_percent_of_its_data(fits):
    r = fits["thermal"]
    fv = read_measurement(DATA / "thermal_fv.csv", ("fv",))
    model = np.asarray(analytic_rate_hz(r.preset, fv.columns["vin_volt"]))
    err = model / fv.columns["f_hz"] - 1
    assert len(err) >= 8 and np.max(np.abs(err)) < 0.05, err
    assert r.family == "oscillator" and r.preset.vin_min_volt >= fv.columns["vin_volt"].min() - 1e-9


def test_examples_regenerate_identically(tmp_path):
    from neuroxide.models.devices import synthetic
    synthetic._ts_examples(tmp_path)
    synthetic._fefet_examples(tmp_path)
    synthetic._mtj_examples(tmp_path)
    synthetic._stochastic_examples(tmp_path)
    for f in ("ts_iv.csv", "ts_fv.csv", "fefet_pulses.csv", "afefet_pulses.csv", "mtj_pulses.csv", "stochastic_p.csv"):
        assert (tmp_path / f).read_bytes() == (DATA / f).read_bytes(), f


@pytest.mark.slow
def test_thermal_examples_regenerate_identically(tmp_path):
    from neuroxide.models.devices import synthetic
    synthetic._thermal_examples(tmp_path)
    for f in ("thermal_iv.csv", "thermal_fv.csv"):
        assert (tmp_path / f).read_bytes() == (DATA / f).read_bytes(), f


def test_fit_command_writes_a_preset_every_command_takes(cli, tmp_path):
    out, plot = tmp_path / "my.toml", tmp_path / "fit.png"
    r = cli("device", "fit", DATA / "ts_iv.csv", DATA / "ts_fv.csv", "--family", "ts", "-o", out, "--plot", plot,
            "--name", "my-nbox", "--json")
    data = r.json
    assert r.code == 0 and plot.read_bytes()[:4] == b"\x89PNG"
    assert data["output"] == str(out) and data["preset"] == "my-nbox" and data["family"] == "ts"
    assert set(data["parameters"]) == {"v_th_volt", "v_hold_volt", "r_off_ohm", "r_on_ohm", "c_farad"}
    assert set(data["sigma"]) == set(data["parameters"]) and data["residual_rms"]["fv_log_f"] < 0.05
    doc = load_preset_file(out)
    assert doc.preset.v_th_volt == data["parameters"]["v_th_volt"] and doc.uncertainty["c_farad"] == data["sigma"]["c_farad"]
    assert doc.spread["v_th_volt"]["c2c"] > 0 and doc.preset.assumed == ("r_sense_ohm",)
    r = cli("device", out, "--json")
    assert r.code == 0 and r.json["preset"] == "my-nbox" and r.json["spread"] == doc.spread
    assert "measured spread" in r.stdout


@pytest.mark.parametrize("family", ["fefet", "afefet", "mtj", "stochastic"])
def test_fit_command_every_pulse_family(cli, tmp_path, family):
    f = EXAMPLES[family]["files"][0]
    out = tmp_path / "x.toml"
    r = cli("device", "fit", DATA / f, "--family", family, "-o", out, "--json")
    assert r.code == 0 and set(EXAMPLES[family]["truth"]) <= set(r.json["parameters"])
    doc = load_preset_file(out)
    assert doc.family == family and cli("device", out).code == 0


def test_bad_csvs_exit_2_naming_file_row_column_and_write_nothing():
    from support.badinput import run_case
    from support.badinput.device_file_cases import device_file_cases
    cases = [c for c in device_file_cases() if c.target == "device fit"]
    assert len(cases) >= 12
    for case in cases:
        out = run_case(case)
        assert out.passed, f"{case.id}: {out.code} {out.problems} {out.message}"
    named = [c for c in cases if "row" in c.field]
    assert named and all("iv.csv" in run_case(c).message for c in named)


def test_bad_preset_files_exit_2_naming_the_key():
    from support.badinput import run_case
    from support.badinput.device_file_cases import device_file_cases
    for case in (c for c in device_file_cases() if c.target == "device"):
        out = run_case(case)
        assert out.passed, f"{case.id}: {out.code} {out.problems} {out.message}"


def test_one_clean_sweep_gives_the_step_as_uncertainty(tmp_path):
    from support.badinput.device_file_cases import _sweep_rows
    path = tmp_path / "one.csv"
    rows = [",".join(r.split(",")[2:]) for r in _sweep_rows(v_th=1.01, v_hold=0.61, step=0.05)]
    path.write_text("v_volt,i_amp\n" + "\n".join(rows) + "\n")
    r = fit_device(path, "ts")
    step = 0.05
    assert r.sigma["v_th_volt"] == pytest.approx(step / 2 / np.sqrt(3))     # uniform within the step
    assert abs(r.parameters["v_th_volt"] - 1.01) <= step / 2 and abs(r.parameters["v_hold_volt"] - 0.61) <= step / 2
    assert r.parameters["r_off_ohm"] == pytest.approx(20e3) and r.parameters["r_on_ohm"] == pytest.approx(400.0)
    assert "d2d" in r.spread["v_th_volt"] and r.spread_sigma["v_th_volt"]["d2d"] == float("inf")


@pytest.mark.slow
def test_uncertainties_hold_over_other_seeds():
    """30 regenerated data sets: the means' z-scores have RMS <= 1.5 (exact uncertainties: 1); the
    device-to-device spreads from 6 devices are looser (RMS <= 1.8), docs/devices.md says so."""
    from neuroxide.models.devices.synthetic import z_statistics
    stats = z_statistics(range(30))
    for name, s in stats.items():
        limit = 1.8 if "d2d" in name else 1.5
        assert s["rms"] <= limit, (name, s)
