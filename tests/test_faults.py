"""Fault campaign machinery (neuroxide.benchmarks.faults): noise-free reads are the core's exact
arithmetic, noise costs accuracy, stuck devices are counted."""

import numpy as np
import pytest

from neuroxide.benchmarks.faults import run_with_read_noise
from neuroxide.models.crossbar import Crossbar, DeviceParams
from neuroxide.models.train import TrainConfig, accuracy, convert, load_digits_split, run_snn, trained_mlp


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    x_tr, _, x_te, y_te = load_digits_split()
    weights = trained_mlp(TrainConfig(), cache_dir=tmp_path_factory.mktemp("digits"))
    dev = DeviceParams(weight_bits=4, grid_bits=8)
    network, _ = convert(weights, x_tr, dev, seed=1, network_seed=1)
    return network, dev, x_te[:200], y_te[:200], weights


def test_noise_free_reads_equal_the_core_model(digits):
    network, dev, x, y, _ = digits
    pred, reads = run_with_read_noise(network, x, dev, 0.0, 32, seed=1, batch=64)
    ref, _, _ = run_snn(network, x, 32, "rate", 1, batch=64)
    np.testing.assert_array_equal(pred, ref)
    assert reads == 4 * 32 * 2 * sum(layer.w_exc.size for layer in network.layers)  # 4 batches, 2 sides


@pytest.mark.parametrize("redraw", ["step", "window"])
def test_read_noise_changes_predictions_and_is_seeded(digits, redraw):
    network, dev, x, y, _ = digits
    clean = run_with_read_noise(network, x, dev, 0.0, 32, seed=1)[0]
    noisy = [run_with_read_noise(network, x, dev, 1.0, 32, seed=s, redraw=redraw)[0] for s in (1, 1, 2)]
    np.testing.assert_array_equal(noisy[0], noisy[1])
    assert (noisy[0] != clean).any() and (noisy[0] != noisy[2]).any()


def test_slow_read_noise_hurts_more_than_fast(digits):
    """Fast noise averages over the 32-step window; noise held for the window does not."""
    network, dev, x, y, _ = digits
    acc = {r: np.mean([accuracy(run_with_read_noise(network, x, dev, 1.0, 32, seed=s, redraw=r)[0], y)
                       for s in (1, 2, 3)]) for r in ("step", "window")}
    assert acc["window"] < acc["step"]


@pytest.mark.parametrize("on_fraction", [0.0, 1.0])
def test_stuck_devices_sit_at_one_rail(digits, on_fraction):
    _, _, _, _, weights = digits
    dev = DeviceParams(weight_bits=4, grid_bits=8, stuck_at=0.2, stuck_on_fraction=on_fraction)
    xbar = Crossbar(*weights[0].shape, dev, seed=3)
    prog = xbar.program(weights[0])
    grid = np.stack([prog.w_exc, prog.w_inh])
    stuck = xbar.stuck != 0
    assert 0.15 < stuck.mean() < 0.25
    assert (grid[stuck] == (dev.grid_max if on_fraction else 0)).all()
