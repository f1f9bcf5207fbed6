"""Crossbar model (models/crossbar.py): levels, differential pairs and each non-ideality."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from neuroxide.errors import ParameterError
from neuroxide.models.crossbar import Crossbar, DeviceParams, split_differential


def test_ideal_levels_hand_computed():
    w = np.array([[1.0, -0.5], [0.0, -1.0], [0.2, 0.4]])
    prog = Crossbar(3, 2, DeviceParams(weight_bits=2)).program(w)
    # 3 levels per side above 0; |w| / 1.0 * 3 rounded: 1 -> 3, .5 -> 2 (1.5 rounds half up), .2 -> 1, .4 -> 1
    assert prog.w_exc.tolist() == [[3, 0], [0, 0], [1, 1]]
    assert prog.w_inh.tolist() == [[0, 2], [0, 3], [0, 0]]
    assert prog.scale == pytest.approx(1 / 3)
    assert prog.grid_bits == 2
    d = DeviceParams(weight_bits=2)
    assert prog.g_siemens[0, 0, 0] == pytest.approx(d.g_max_siemens)
    assert prog.g_siemens[1, 0, 0] == pytest.approx(d.g_min_siemens)


def test_finer_grid_maps_levels_exactly():
    w = np.linspace(-1, 1, 31).reshape(31, 1)
    prog = Crossbar(31, 1, DeviceParams(weight_bits=4, grid_bits=8)).program(w)
    assert set(np.unique(prog.w_exc)) <= {17 * k for k in range(16)}
    ideal = Crossbar(31, 1, DeviceParams(weight_bits=4)).program(w)
    assert np.array_equal(prog.w_exc, 17 * ideal.w_exc) and np.array_equal(prog.w_inh, 17 * ideal.w_inh)
    assert np.allclose(prog.weights, ideal.weights)


@given(st.integers(1, 8), st.integers(0, 2**32 - 1),
       st.lists(st.floats(-3, 3, allow_nan=False), min_size=6, max_size=6))
def test_ideal_programming_error_is_at_most_half_a_level(bits, seed, values):
    w = np.array(values).reshape(3, 2)
    prog = Crossbar(3, 2, DeviceParams(weight_bits=bits), seed=seed).program(w)
    w_max = np.abs(w).max()
    step = w_max / ((1 << bits) - 1) if w_max else 1.0
    assert np.abs(prog.weights - w).max() <= step / 2 + 1e-9
    # differential pair: one side at G_min
    assert ((prog.w_exc == 0) | (prog.w_inh == 0)).all()
    assert prog.w_exc.max() <= (1 << bits) - 1 and prog.w_exc.min() >= 0


def test_split_differential():
    pos, neg = split_differential([[-2.0, 3.0]])
    assert pos.tolist() == [[0.0, 3.0]] and neg.tolist() == [[2.0, 0.0]]


def test_d2d_spread_is_fixed_per_device_and_seeded():
    d = DeviceParams(weight_bits=4, grid_bits=8, d2d_sigma=0.1)
    w = np.random.default_rng(0).uniform(-1, 1, (16, 8))
    a, b = Crossbar(16, 8, d, seed=3), Crossbar(16, 8, d, seed=3)
    pa1, pa2, pb = a.program(w), a.program(w), b.program(w)
    assert np.array_equal(pa1.w_exc, pa2.w_exc) and np.array_equal(pa1.w_exc, pb.w_exc)  # no write noise
    ideal = Crossbar(16, 8, DeviceParams(weight_bits=4, grid_bits=8)).program(w)
    assert not np.array_equal(pa1.w_exc, ideal.w_exc)  # the spread shows on the 8-bit grid
    other = Crossbar(16, 8, d, seed=4).program(w)
    assert not np.array_equal(other.w_exc, pa1.w_exc)
    # the relative spread of programmed conductance above G_min is about d2d_sigma
    on = ideal.w_exc > 0
    rel = pa1.w_exc[on] / ideal.w_exc[on] - 1
    assert 0.05 < rel.std() < 0.15
    # G_min devices stay at G_min: spread scales the window above it
    assert (pa1.w_exc[ideal.w_exc == 0] == 0).all()


def test_write_noise_fresh_per_write():
    d = DeviceParams(weight_bits=4, grid_bits=8, write_sigma=0.02)
    w = np.random.default_rng(1).uniform(-1, 1, (16, 8))
    xbar = Crossbar(16, 8, d, seed=5)
    p1, p2 = xbar.program(w), xbar.program(w)
    assert not np.array_equal(p1.w_exc, p2.w_exc)
    again = Crossbar(16, 8, d, seed=5)
    assert np.array_equal(again.program(w).w_exc, p1.w_exc)  # reproducible from the seed
    assert (p1.w_exc >= 0).all() and (p1.w_exc <= 255).all()


def test_stuck_at_faults():
    d = DeviceParams(weight_bits=4, stuck_at=0.2, stuck_on_fraction=0.5)
    xbar = Crossbar(50, 40, d, seed=9)
    frac = (xbar.stuck != 0).mean()
    assert 0.17 < frac < 0.23
    assert 0.4 < (xbar.stuck > 0).sum() / (xbar.stuck != 0).sum() < 0.6
    prog = xbar.program(np.zeros((50, 40)))
    grid = np.stack([prog.w_exc, prog.w_inh])
    assert (grid[xbar.stuck > 0] == 15).all() and (grid[xbar.stuck <= 0] == 0).all()
    prog = xbar.program(np.ones((50, 40)))
    assert (prog.w_exc[xbar.stuck[0] < 0] == 0).all() and (prog.w_exc[xbar.stuck[0] >= 0] == 15).all()
    assert (Crossbar(50, 40, DeviceParams(stuck_at=1.0, stuck_on_fraction=0.0)).stuck == -1).all()


def test_read_noise_float_only_and_adc():
    w = np.array([[0.5, -1.0], [1.0, 0.25]])
    xbar = Crossbar(2, 2, DeviceParams(weight_bits=8))
    prog = xbar.program(w)
    i_exc, i_inh = xbar.read(np.array([1.0, 1.0]), prog.scale)
    assert np.allclose(i_exc - i_inh, prog.weights.sum(axis=0))
    # ADC: 3 bits over 0..1.4: lsb 0.2, floor and saturate
    adc = Crossbar(2, 2, DeviceParams(adc_bits=3))
    assert adc.adc(np.array([0.39, 0.41, 5.0, -1.0]), 1.4).tolist() == pytest.approx([0.2, 0.4, 1.4, 0.0])
    noisy = Crossbar(2, 2, DeviceParams(weight_bits=8, read_sigma=0.05), seed=2)
    pn = noisy.program(w)
    assert np.array_equal(pn.w_exc, prog.w_exc)  # read noise never touches the stored levels
    r1 = noisy.read(np.ones((200, 2)), pn.scale)
    r2 = noisy.read(np.ones((200, 2)), pn.scale)
    assert not np.allclose(r1[0], r2[0])
    assert np.allclose(r1[0].mean(axis=0), i_exc, rtol=0.03)
    # column 0 sums devices at 0.5 and 1.0: std ~ 0.05 * sqrt(0.5**2 + 1**2) = 0.056
    assert 0.04 < (r1[0][:, 0]).std() < 0.075


@pytest.mark.parametrize("kwargs, field", [
    (dict(weight_bits=0), "weight_bits"), (dict(weight_bits=9), "weight_bits"),
    (dict(weight_bits=4, grid_bits=3), "grid_bits"), (dict(grid_bits=9), "grid_bits"),
    (dict(d2d_sigma=-0.1), "d2d_sigma"), (dict(d2d_sigma=float("nan")), "d2d_sigma"),
    (dict(write_sigma=1.5), "write_sigma"), (dict(read_sigma=-1), "read_sigma"),
    (dict(stuck_at=2), "stuck_at"), (dict(stuck_on_fraction=-0.5), "stuck_on_fraction"),
    (dict(g_min_siemens=1e-4, g_max_siemens=1e-5), "g_max_siemens"), (dict(g_min_siemens=-1.0), "g_min_siemens"),
    (dict(adc_bits=0), "adc_bits"), (dict(weight_bits=True), "weight_bits"),
])
def test_bad_device_params_name_the_field(kwargs, field):
    with pytest.raises(ParameterError) as e:
        DeviceParams(**kwargs)
    assert e.value.field == field
    assert field in str(e.value)


def test_bad_program_input():
    xbar = Crossbar(2, 3)
    with pytest.raises(ParameterError, match="weights"):
        xbar.program(np.zeros((3, 2)))
    with pytest.raises(ParameterError, match="weights"):
        xbar.program(np.full((2, 3), np.inf))
    with pytest.raises(ParameterError, match="n_in"):
        Crossbar(0, 3)
    with pytest.raises(ParameterError, match="seed"):
        Crossbar(2, 3, seed=-1)
