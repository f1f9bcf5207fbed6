"""Float ONN: device-derived frequencies, SHIL binarises phases, annealing solves a small max-cut."""

import itertools

import numpy as np
import pytest

from neuroxide.errors import ParameterError
from neuroxide.models.devices import analytic_rate_hz, get_preset
from neuroxide.models.onn_float import FloatONN, FloatONNParams, natural_frequencies_hz


def test_frequencies_come_from_the_device_preset():
    p = FloatONNParams(vin_volt=4.8)
    f = natural_frequencies_hz(p, 5)
    assert np.allclose(f, analytic_rate_hz(get_preset("vo2"), 4.8))
    assert 0.3e6 < f[0] < 1.5e6  # VO2 at 4.8 V: 0.65 MHz published
    spread = natural_frequencies_hz(FloatONNParams(spread=0.02), 200, seed=1)
    assert 0.002 < spread.std() / spread.mean() < 0.1
    with pytest.raises(ParameterError):
        natural_frequencies_hz(FloatONNParams(vin_volt=1.0), 3)


def test_shil_binarises_uncoupled_phases():
    m = FloatONN(FloatONNParams(k_inj_max=0.1, noise_max=0.0), np.zeros((20, 20)), seed=2)
    m.run(40, anneal=False, k_inj=0.1)
    d = np.abs(np.angle(np.exp(2j * m.theta)))  # distance of 2 theta from 0: 0 means phase 0 or pi
    assert d.max() < 0.05


def test_annealed_float_onn_finds_the_max_cut_of_a_small_graph():
    rng = np.random.default_rng(4)
    n = 8
    a = np.triu((rng.random((n, n)) < 0.5).astype(int), 1)
    W = a + a.T
    best = max(int(np.sum(W * (1 - np.outer(s, s))) // 4) for s in itertools.product([-1, 1], repeat=n))
    m = FloatONN(FloatONNParams(k_couple=0.2, k_inj_max=0.2, noise_max=0.3), -W / W.sum(1).max(), seed=1, restarts=4)
    m.run(150)
    s = m.spins()
    cuts = [int(np.sum(W * (1 - np.outer(s[:, r], s[:, r]))) // 4) for r in range(4)]
    assert max(cuts) == best
