"""``neuroxide device`` for every family of the zoo, ``neuroxide list`` and the zoo designs, and bad
input (exit 2, field named, nothing written)."""

import pytest

from neuroxide.models.devices.zoo import ZOO_PRESETS


@pytest.mark.parametrize("name", sorted(ZOO_PRESETS))
def test_device_every_family_json_and_plot(cli, tmp_path, name):
    plot = tmp_path / f"{name}.png"
    r = cli("device", name, "--plot", plot, "--json")
    data = r.json
    assert r.code == 0 and plot.read_bytes()[:4] == b"\x89PNG"
    assert data["preset"] == name and data["source"] and isinstance(data["assumed"], list)
    assert data["fidelity"]["max_error"] is not None and data["energy"]["model_energy_joule"] > 0
    assert "fidelity (" in r.stdout and "energy per spike: model" in r.stdout  # the human report, not only the JSON


def test_fefet_sweep_shows_pulses_grow_with_inhibition(cli):
    r = cli("device", "fefet-sihfo2", "--sweep", "1.6:2.4:9", "--json")
    data = r.json
    pulses = [x if x is not None else float("inf") for x in data["curve"]["pulses_fixed"]]
    assert r.code == 0 and len(pulses) == 9
    assert all(b >= a for a, b in zip(pulses, pulses[1:])) and pulses[-1] == float("inf") and pulses[-2] > pulses[0]


def test_oscillator_sweep_across_the_latch_is_silent_above_it(cli):
    r = cli("device", "nbo2-osc", "--sweep", "1:4.5:15", "--json")
    data = r.json
    assert r.code == 0 and data["fidelity"]["silent_above_latch_fixed"] and data["fidelity"]["silent_above_latch_float"]
    assert "latched on" in r.stdout


def test_mtj_override_and_wta_in_the_text(cli):
    r = cli("device", "mtj-sot", "-p", "dx_inh_m=0.3e-6", "--json")
    data = r.json
    assert r.code == 0 and "winner-take-all" in r.stdout and "dx_inh_m" in data["assumed"]


def test_ts_presets_keep_their_f_v_report(cli):
    r = cli("device", "nbox", "--json")
    data = r.json
    assert r.code == 0 and data["family"] == "ts" and data["max_rel_error"] <= 0.05


def test_list_shows_the_zoo_designs(cli):
    r = cli("list", "--json")
    data = r.json
    assert r.code == 0
    for design in ("fefet", "afefet", "mtj", "mtj-wta", "stochastic-ts", "nbo2-osc", "dendrite"):
        assert design in data["designs"]
    assert data["designs"]["fefet"]["parameters"]["decay"]["default"] == 65536   # calibrated, no leak


def test_verilog_of_the_zoo_designs(cli, tmp_path):
    for design in ("dendrite", "mtj"):
        path = tmp_path / f"{design}.v"
        r = cli("verilog", design, "-p", "n=2", "-o", path, "--json")
        assert r.code == 0 and "module" in path.read_text()


@pytest.mark.parametrize("argv, field", [
    (["device", "nosuch"], "preset"),
    (["device", "fefet-sihfo2", "--dt", "1e-9"], "--dt"),
    (["device", "fefet-sihfo2", "-p", "flux=1"], "flux"),
    (["device", "afefet-hzo", "-p", "tau_relax_s=inf"], "tau_relax_s"),
    (["device", "mtj-sot", "-p", "i_dep_amp=abc"], "i_dep_amp"),
    (["device", "mtj-sot", "-p", "in_bits=8"], "in_bits"),
    (["device", "nbox-stochastic", "-p", "sigma_rel=0.5"], "sigma_rel"),
    (["device", "dendrite-li2020", "--sweep", "0:5:5"], "amplitudes_volt"),
    (["device", "dendrite-li2020", "-p", "v_bits=12"], "v_bits"),
    (["device", "nbo2-osc", "--plot", "x.jpg"], "--plot"),
    (["device", "nbo2-osc", "--sweep", "4:1:5"], "--sweep"),
    (["verilog", "dendrite", "-p", "d_th=999"], "d_th"),
    (["verilog", "fefet", "-p", "v_th=abc"], "v_th"),
    (["verilog", "mtj-wta", "-p", "w_lat=-1"], "w_lat"),
    (["verilog", "mtj-wta", "-p", "n=1"], "n"),
])
def test_bad_input_exits_2_naming_the_field(cli, tmp_path, argv, field):
    r = cli(*argv, cwd=tmp_path)
    assert r.code == 2 and field in r.stderr and "allowed" in r.stderr
    assert list(tmp_path.iterdir()) == []
