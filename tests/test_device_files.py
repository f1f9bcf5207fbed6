"""Device preset files (models/devices/preset_file.py): every built-in preset round-trips through a
file, values are read strictly with their units, a bad file names its key, and a file is accepted
wherever a preset name is (device, calibration, the zoo calibration, configure_device)."""

import math

import pytest

from neuroxide.errors import ParameterError
from neuroxide.models.devices.preset_file import (
    FAMILY_FIELDS,
    dump_preset,
    load_preset_file,
    parse_preset_text,
    resolve_preset,
)
from neuroxide.models.devices.zoo import ALL_PRESETS, family_of, get_any_preset
from neuroxide.units import format_quantity, parse_quantity
from support.badinput.device_file_cases import VALID_PRESET


@pytest.mark.parametrize("name", sorted(ALL_PRESETS))
def test_every_builtin_preset_round_trips(tmp_path, cli, name):
    path = tmp_path / f"{name}.toml"
    r = cli("device", name, "--export", path, "--json")
    assert r.code == 0 and r.json["export"] == str(path)
    doc = load_preset_file(path)
    assert doc.preset == ALL_PRESETS[name]                 # every field, source and assumed equal
    assert doc.family == family_of(ALL_PRESETS[name]) == family_of(doc.preset)
    assert get_any_preset(str(path)) == ALL_PRESETS[name]


def test_a_renamed_oscillator_stays_an_oscillator(tmp_path):
    text = dump_preset(ALL_PRESETS["nbo2-osc"]).replace('name = "nbo2-osc"', 'name = "my-osc"')
    doc = parse_preset_text(text, "my-osc.toml")
    assert doc.preset.name == "my-osc" and family_of(doc.preset) == "oscillator"
    text_ts = text.replace('family = "oscillator"', 'family = "ts"').replace('"my-osc"', '"my-ts"')
    assert family_of(parse_preset_text(text_ts, "t.toml").preset) == "ts"


@pytest.mark.parametrize("text, unit, value", [
    ("71.1 pF", "F", 71.1e-12), ("2 kOhm", "Ohm", 2e3), ("700 mV", "V", 0.7), ("1.5V", "V", 1.5),
    ("13.3 fF", "F", 13.3e-15), ("inf s", "s", math.inf), ("200.2 km/(s*A)", "m/(s*A)", 200.2e3),
    ("1e3 Ohm", "Ohm", 1e3), ("0 V", "V", 0.0),
])
def test_quantities_parse_exactly(text, unit, value):
    assert parse_quantity("x", text, unit) == value


@pytest.mark.parametrize("text, unit", [
    ("71.1 pf", "F"), ("71.1e-12", "F"), ("71.1 pF x", "F"), ("71.1 V", "F"), (7.1e-11, "F"), ("one V", "V"),
    ("", "V"), ("1 mm", "V"), ("nan V", "V"), ("1e30 F", "F"), ("0.025", ""), (True, ""),
])
def test_quantities_are_strict(text, unit):
    with pytest.raises(ParameterError) as e:
        parse_quantity("c_farad", text, unit)
    assert e.value.field == "c_farad"


def test_format_reads_back_equal_over_many_magnitudes():
    import numpy as np
    rng = np.random.default_rng(0)
    for x in 10.0 ** rng.uniform(-20, 20, 2000):
        x = float(x)
        assert parse_quantity("x", format_quantity(x, "Ohm"), "Ohm") == x
    assert format_quantity(71.1e-12, "F") == "71.1 pF" and format_quantity(2e3, "Ohm") == "2 kOhm"


@pytest.mark.parametrize("old, new, key", [
    (b'family = "ts"', b'family = "ts"\ncolour = 1', "p.toml: colour"),
    (b'r_on_ohm = "300 Ohm"', b'r_on_ohm = "30 kOhm"', "parameters.r_on_ohm"),              # R_on >= R_off
    (b'v_hold_volt = "700 mV"', b'v_hold_volt = "1 V"', "parameters.v_hold_volt"),          # V_hold >= V_th
    (b'c_farad = "71.1 pF"', b'c_farad = "71.1"', "parameters.c_farad"),                    # no unit
    (b'c_farad = "71.1 pF"\n', b"", "parameters.c_farad"),                                   # missing
    (b'vin_max_volt = "4 V"', b'vin_max_volt = "40 V"', "parameters.vin_max_volt"),         # beyond the latch
    (b'assumed = ["c_farad"]', b'assumed = ["c"]', "assumed"),
])
def test_a_bad_file_names_the_key(old, new, key):
    text = VALID_PRESET.replace(old, new)
    assert text != VALID_PRESET
    with pytest.raises(ParameterError) as e:
        parse_preset_text(text.decode(), "p.toml")
    assert key in e.value.field


def test_spreads_and_uncertainties_are_read_and_written():
    text = VALID_PRESET.decode() + '[spread.v_th_volt]\nd2d = 0.03\nc2c = 0.02\n[uncertainty]\nv_th_volt = "4 mV"\n'
    doc = parse_preset_text(text, "p.toml")
    assert doc.spread == {"v_th_volt": {"d2d": 0.03, "c2c": 0.02}} and doc.uncertainty == {"v_th_volt": 0.004}
    again = parse_preset_text(dump_preset(doc.preset, doc.family, doc.spread, doc.uncertainty), "q.toml")
    assert again.preset == doc.preset and again.spread == doc.spread and again.uncertainty == doc.uncertainty


def test_family_fields_are_the_preset_fields():
    for name, p in ALL_PRESETS.items():
        fam = family_of(p)
        assert all(hasattr(p, f) for f in FAMILY_FIELDS[fam]), name


def test_a_file_goes_wherever_a_name_goes(tmp_path):
    from neuroxide.experiments.device import configure_device
    from neuroxide.models.calibrate import calibrate
    from neuroxide.models.calibrate_zoo import calibrate_zoo
    from neuroxide.models.devices import get_preset
    ts = tmp_path / "mine.toml"
    ts.write_bytes(VALID_PRESET)
    fe = tmp_path / "fe.toml"
    fe.write_text(dump_preset(ALL_PRESETS["fefet-sihfo2"]))
    assert get_preset(str(ts)) == resolve_preset(str(ts)) and get_preset(str(ts)).name == "mine"
    preset, _ = configure_device(str(ts), {"c_farad": 80e-12})
    assert preset.c_farad == 80e-12 and preset.r_load_ohm == 2e3
    assert calibrate(str(ts)).params == calibrate(ALL_PRESETS["nbox"].replace(name="mine", assumed=("c_farad",),
                                                                                source="a test")).params
    assert calibrate_zoo(str(fe)).params == calibrate_zoo("fefet-sihfo2").params
    with pytest.raises(ParameterError) as e:
        get_preset(str(fe))                      # a FeFET file where a threshold switch is needed
    assert e.value.field == "preset"


def test_device_on_a_file_matches_the_builtin(cli, tmp_path):
    path = tmp_path / "nbox.toml"
    assert cli("device", "nbox", "--export", path).code == 0
    a, b = cli("device", "nbox", "--json").json, cli("device", path, "--json").json
    assert a["lif_params"] == b["lif_params"] and a["rate_fixed_hz"] == b["rate_fixed_hz"]
    assert b["preset_file"] == str(path)


def test_export_applies_overrides_and_keeps_them_assumed(cli, tmp_path):
    path = tmp_path / "x.toml"
    assert cli("device", "mtj-sot", "-p", "i_dep_amp=25e-6", "--export", path).code == 0
    doc = load_preset_file(path)
    assert doc.preset.i_dep_amp == 25e-6 and "i_dep_amp" in doc.preset.assumed and doc.family == "mtj"


def test_device_help_names_fit_and_files(cli):
    r = cli("device", "--help")
    assert r.code == 0 and "device fit DATA.csv" in r.stdout and "NAME.toml" in r.stdout and "--export" in r.stdout
    r = cli("device", "fit", "--help")
    assert r.code == 0 and "v_volt, i_amp" in r.stdout and "--family" in r.stdout


def test_zoo_design_calibrates_from_a_preset_file_of_its_family(tmp_path):
    # `-p preset=FILE.toml` on a LIF-mapped zoo design: the defaults come from the file's calibration
    from neuroxide.designs import configure
    from neuroxide.experiments.device import export_device
    path = tmp_path / "osc.toml"
    export_device("nbo2-osc", {"c_farad": 2e-10}, path)
    built_in, mine = configure("nbo2-osc", {}), configure("nbo2-osc", {"preset": str(path)})
    assert mine.params != built_in.params          # a different device gives a different neuron
    assert configure("nbo2-osc", {"preset": "nbo2-osc"}) == built_in
    with pytest.raises(ParameterError) as err:
        configure("nbo2-osc", {"preset": "mtj-sot"})
    assert err.value.field == "preset" and "oscillator" in str(err.value)
