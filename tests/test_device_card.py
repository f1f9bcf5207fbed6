"""Device cards (neuroxide/device_card.py): one PNG per device, four panels, figures returned."""

from pathlib import Path

import numpy as np
import pytest

from neuroxide.device_card import _fit_series, _panel_fit, write_card
from neuroxide.errors import ParameterError
from neuroxide.models.devices.zoo import get_any_preset

PNG = b"\x89PNG\r\n\x1a\n"


def test_ts_card_from_a_device_fit(tmp_path):
    """A card of a device fitted to the shipped example measurements: the fit's f-V data and model,
    its measured V_th spread, and the TS panels of the fitted preset."""
    fit_module = pytest.importorskip("neuroxide.models.devices.fit")
    data = Path(__file__).resolve().parent.parent / "models" / "data" / "measurements"
    fit = fit_module.fit_device([data / "ts_iv.csv", data / "ts_fv.csv"], "ts")
    x, y, mx, my, _, _, _, spread = _fit_series(fit)
    assert x.size == my.size and (y > 0).all() and spread["v_th_volt"]["d2d"] > 0
    path = tmp_path / "card.png"
    s = write_card(fit.preset, path, fit=fit)
    assert path.read_bytes()[:8] == PNG
    assert s["fit_given"] and s["family"] == "ts" and s["published"] == []
    assert s["fv_max_rel_error"] < 0.02          # the calibration's fidelity over the operating range


def test_published_points_panel():
    from neuroxide.models.devices.presets import energy_comparison, published_rate_points
    from neuroxide.plots import new_figure
    ax = new_figure().subplots()
    _panel_fit(ax, get_any_preset("vo2"), None, ts=True)
    lines = {line.get_label(): line for line in ax.get_lines()}
    published = lines["published: Yuan et al. Nat. Commun. 13"]
    assert list(published.get_xdata()) == [v for v, _, _ in published_rate_points("vo2")]
    assert energy_comparison("ag-sio2")[0]["model_over_published"] == pytest.approx(1.0, rel=0.01)


def test_card_with_a_fit_and_for_another_family(tmp_path):
    v = np.linspace(1.5, 4.0, 6)
    fit = {"data_x": v, "data_y": 8e6 * v, "model_x": v, "model_y": 8.1e6 * v, "title": "rate fit"}
    s = write_card(get_any_preset("mtj-sot"), tmp_path / "mtj.png", fit=fit)  # fit and energy panels; no TS circuit
    assert s["fit_given"] and (tmp_path / "mtj.png").read_bytes()[:8] == PNG
    assert s["family"] == "mtj" and "fv_max_rel_error" not in s
    with pytest.raises(ParameterError) as e:
        write_card("nbox", tmp_path / "bad.png", fit={"data_x": [1, 2]})
    assert e.value.field == "fit" and not (tmp_path / "bad.png").exists()
    for bad in (tmp_path / "card.jpg", tmp_path):
        with pytest.raises(ParameterError) as e:
            write_card("nbox", bad)
        assert e.value.field == "path"
