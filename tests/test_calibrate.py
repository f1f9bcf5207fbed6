"""Calibration of device presets into the fixed-point LIF neuron: fidelity, widths, encoder, report."""

import json
import os

import numpy as np
import pytest

from neuroxide.errors import ParameterError
from neuroxide.models.calibrate import (
    DEFAULT_STEPS_PER_PERIOD,
    Calibration,
    CalibrationWidths,
    calibrate,
    plot_fv,
)
from neuroxide.models.devices import PRESETS, analytic_rate_hz, get_preset
from neuroxide.models.lif import LIFParams

NAMES = sorted(PRESETS)


@pytest.fixture(scope="module")
def calibrations():
    return {name: calibrate(name) for name in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_default_calibration_within_five_percent(calibrations, name):
    c = calibrations[name]
    assert isinstance(c, Calibration)
    assert c.max_rel_error <= 0.05
    # half a step of period quantisation at DEFAULT_STEPS_PER_PERIOD steps is the expected worst case
    assert c.max_rel_error <= 1.0 / DEFAULT_STEPS_PER_PERIOD
    assert c.max_rel_error == pytest.approx(np.max(c.rel_error))
    assert DEFAULT_STEPS_PER_PERIOD <= c.steps_per_period_min < DEFAULT_STEPS_PER_PERIOD * 1.01
    assert np.all(c.rate_fixed_hz > 0)
    np.testing.assert_allclose(c.rate_float_hz, analytic_rate_hz(c.preset, c.vin_volt), rtol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_lif_parameters_follow_the_mapping(calibrations, name):
    c, p = calibrations[name], get_preset(name)
    lp = c.params
    assert isinstance(lp, LIFParams)
    assert lp.v_th == 1 << (lp.v_bits - 2)
    scale = c.encoder.scale_lsb_per_volt
    assert lp.v_th / scale == pytest.approx(p.node_v_th_volt)
    assert abs(lp.v_reset - p.node_v_hold_volt * scale) <= 0.5
    assert abs(lp.decay - np.exp(-c.dt_s / p.tau_off_s) * (1 << lp.decay_bits)) <= 0.5
    assert lp.reset_mode == "value" and lp.bias == 0 and lp.adapt_inc == 0 and lp.noise_bits == 0
    assert 0 <= lp.t_ref < 1 << lp.ref_bits
    assert np.all((c.i_exc > 0) & (c.i_exc <= (1 << lp.in_bits) - 1))


@pytest.mark.parametrize("name", NAMES)
def test_reported_rates_are_the_lif_model(calibrations, name):
    # re-run one drive through a fresh model by hand: the report must be that model's rate
    c = calibrations[name]
    k = len(c.vin_volt) // 3
    i_exc = c.encoder.encode(c.vin_volt[k])
    assert i_exc == c.i_exc[k]
    model = c.model()
    steps = int(4.0 / (c.rate_fixed_hz[k] * c.dt_s)) + 200
    trace = model.run(np.full((steps, 1), i_exc))
    fired = np.flatnonzero(trace.spike[:, 0])
    assert np.diff(fired[:3]).mean() * c.dt_s == pytest.approx(1.0 / c.rate_fixed_hz[k])


@pytest.mark.parametrize("name", NAMES)
def test_encoder_limits(calibrations, name):
    c, p = calibrations[name], get_preset(name)
    enc = c.encoder
    # below the device's onset the fixed-point neuron stays silent too
    below = enc.encode(np.array([0.0, 0.5 * p.onset_vin_volt, 0.98 * p.onset_vin_volt]))
    assert below[0] == 0
    trace = c.model(shape=3).run(np.broadcast_to(below, (4000, 3)))
    assert not trace.spike.any()
    # above the latch limit the device stays on, which the LIF cannot represent
    with pytest.raises(ParameterError) as e:
        enc.encode(1.01 * p.latch_vin_volt)
    assert e.value.field == "vin_volt"
    with pytest.raises(ParameterError):
        enc.encode(-0.1)


def test_affine_encoder_is_reported_honestly():
    # the physical V_off mapping cannot follow a drive-dependent on phase with one t_ref: the
    # report shows it (NbOx: the on phase doubles over the range), the rate encoder fixes it
    affine = calibrate("nbox", encoder="affine")
    rate = calibrate("nbox")
    assert affine.encoder.mode == "affine"
    assert affine.max_rel_error > 0.1 > 0.05 > rate.max_rel_error
    # where the on phase is a small part of the period the affine encoder is as good
    assert calibrate("ag-sio2", encoder="affine").max_rel_error <= 0.05


def test_finer_dt_is_more_faithful():
    p = get_preset("vo2")
    coarse = calibrate(p)
    fine = calibrate(p, dt=coarse.dt_s / 4, widths=CalibrationWidths(v_bits=24, in_bits=18))
    assert fine.max_rel_error < coarse.max_rel_error / 2
    assert fine.dt_s == coarse.dt_s / 4


@pytest.mark.parametrize("name, widths, field", [
    ("vo2", dict(v_bits=14, in_bits=12), "v_bits"),
    ("nbox", dict(v_bits=16, in_bits=12), "v_bits"),
    ("vo2", dict(in_bits=10), "in_bits"),
    ("ag-sio2", dict(in_bits=8), "in_bits"),
    ("nbox", dict(decay_bits=8), "decay_bits"),
    ("vo2", dict(ref_bits=2), "ref_bits"),
    ("nbox", dict(ref_bits=3), "ref_bits"),
])
def test_too_narrow_widths_raise_with_minimum(name, widths, field):
    with pytest.raises(ParameterError) as e:
        calibrate(name, widths=CalibrationWidths(**widths))
    assert e.value.field == field
    assert e.value.allowed.startswith(">= ")
    minimum = int(e.value.allowed[3:])
    assert minimum > widths[field]
    # the minimum it names is enough (for that width; others at their defaults, widened as needed)
    fixed = {**widths, field: minimum}
    if field == "v_bits":
        fixed["in_bits"] = min(minimum - 1, 16)
    assert calibrate(name, widths=CalibrationWidths(**fixed)).max_rel_error <= 0.05


@pytest.mark.parametrize("kwargs, field", [
    (dict(v_bits=3), "v_bits"),
    (dict(v_bits=33), "v_bits"),
    (dict(in_bits=20, v_bits=20), "in_bits"),
    (dict(decay_bits=17), "decay_bits"),
    (dict(ref_bits=0), "ref_bits"),
    (dict(v_bits=20.0), "v_bits"),
])
def test_widths_validation(kwargs, field):
    with pytest.raises(ParameterError) as e:
        CalibrationWidths(**kwargs)
    assert e.value.field == field


def test_bad_calibration_arguments():
    cases = [
        (dict(preset="hbn"), "preset"),
        (dict(preset="vo2", dt=1e-6), "dt"),          # fewer than 4 steps in the fastest period
        (dict(preset="vo2", dt=-1e-9), "dt"),
        (dict(preset="vo2", dt=1e-13), "dt"),         # leak per step below 16 fraction bits
        (dict(preset="vo2", encoder="lookup"), "encoder"),
        (dict(preset="vo2", widths=(20, 14, 16, 8)), "widths"),
        (dict(preset="vo2", n_points=1), "n_points"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ParameterError) as e:
            calibrate(**kwargs)
        assert e.value.field == field, kwargs


def test_report_is_json(calibrations):
    d = calibrations["vo2"].to_dict()
    text = json.dumps(d)
    back = json.loads(text)
    for key in ("vin_volt", "rate_float_hz", "rate_fixed_hz", "rel_error", "max_rel_error", "dt_s",
                "lif_params", "widths", "encoder", "preset"):
        assert key in back
    assert back["lif_params"]["v_th"] == calibrations["vo2"].params.v_th
    assert len(back["vin_volt"]) == len(back["rate_fixed_hz"]) == 33
    assert back["max_rel_error"] == max(back["rel_error"])


def test_plot_fv_writes_png(calibrations, tmp_path):
    path = tmp_path / "fv.png"
    assert plot_fv(calibrations["nbox"], path) == str(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert os.listdir(tmp_path) == ["fv.png"]


def test_plot_fv_leaves_no_partial_file(calibrations, tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    def broken_savefig(self, f, **kwargs):
        f.write(b"\x89PNG partial")
        raise RuntimeError("disk full")

    monkeypatch.setattr(Figure, "savefig", broken_savefig)
    with pytest.raises(RuntimeError):
        plot_fv(calibrations["nbox"], tmp_path / "fv.png")
    assert os.listdir(tmp_path) == []
