"""Fixed-point ONN model: rule properties, dense == sparse, restarts == seeds, max-cut quality."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

from neuroxide.errors import ParameterError
from neuroxide.models.fixedpoint import NUMPY
from neuroxide.models.gset import best_known, load_graph
from neuroxide.models.onn import (ONNModel, ONNParams, anneal_params, onn_update, output_of, solve_maxcut,
                                  spins_of)
from support.amaranth_sim import rand_J


def test_output_and_spin_of_every_phase():
    p = ONNParams(phase_bits=6)
    ph = np.arange(64)
    out = output_of(NUMPY, p, ph)
    assert out[0] == 16 and out[32] == -16 and out[16] == 0 and out[48] == 0
    assert np.all(np.abs(np.diff(out)) == 1)
    s = spins_of(NUMPY, p, ph)
    assert s[:16].all() and not s[16:48].any() and s[49:].all()


@given(st.integers(0, 63), st.integers(-2000, 2000), st.integers(1, 2**32 - 1), st.integers(0, 3),
       st.integers(0, 15))
def test_update_moves_toward_sign_of_field_without_noise(phase, h, rng, inj, amp):
    p = ONNParams(phase_bits=6, inj_max=3)
    ph, r = onn_update(NUMPY, p, np.int64(phase), np.int64(h), np.int64(rng), np.int64(inj), np.int64(0))
    assert 0 <= ph < 64
    if inj == 0 and h != 0 and phase not in (0, 32):
        d = (int(ph) - phase + 32) % 64 - 32   # signed step on the circle
        toward_zero = -np.sign(((phase + 32) % 64) - 32)
        assert np.sign(d) == (toward_zero if h > 0 else -toward_zero)
    # with noise the step stays within couple_max + inj + amp
    ph2, _ = onn_update(NUMPY, p, np.int64(phase), np.int64(h), np.int64(rng), np.int64(inj), np.int64(amp))
    assert abs((int(ph2) - phase + 32) % 64 - 32) <= p.couple_max + inj + amp


def test_dense_equals_sparse_and_restart_equals_seed():
    p = anneal_params(100, ONNParams(acc_bits=14))
    J = rand_J(20, 1)
    a = ONNModel(p, J, seed=5, restarts=3)
    b = ONNModel(p, sp.csr_matrix(J), seed=5, restarts=3)
    c = ONNModel(p, J, seed=7, restarts=1)
    ta, tb, tc = a.run(100, trace=True), b.run(100, trace=True), c.run(100, trace=True)
    assert np.array_equal(ta.phase, tb.phase) and np.array_equal(ta.rng, tb.rng)
    assert np.array_equal(ta.phase[:, :, 2], tc.phase[:, :, 0])  # restart 2 of seed 5 == seed 7


def test_anneal_freezes_spins_and_strong_injection_binarises_phases():
    J = rand_J(30, 2)
    m = ONNModel(anneal_params(300, ONNParams(acc_bits=14)), J, seed=1, restarts=4)
    m.run(330)
    s = spins_of(NUMPY, m.params, m.run(20, trace=True).phase)
    assert not np.any(s[1:] != s[:-1])  # after the anneal no oscillator flips
    # injection stronger than the largest coupling nudge holds every phase near 0 or 180 degrees
    m = ONNModel(anneal_params(300, ONNParams(acc_bits=14, couple_max=3, inj_max=6)), J, seed=1, restarts=4)
    m.run(330)
    dist = np.minimum(m.phase % 32, 32 - m.phase % 32)
    assert dist.max() <= 3  # within one coupling nudge (couple_max) of a well: binarised


def test_couplings_are_checked():
    with pytest.raises(ParameterError) as e:
        ONNModel(ONNParams(weight_bits=3), np.array([[0, 5], [5, 0]]))
    assert e.value.field == "weight"
    with pytest.raises(ParameterError) as e:
        ONNModel(ONNParams(acc_bits=6), np.ones((40, 40), dtype=int) - np.eye(40, dtype=int))
    assert e.value.field == "acc_bits"
    with pytest.raises(ParameterError):
        ONNParams(couple_max=16)


def test_maxcut_quality_on_a_toroidal_graph():
    g = load_graph("G11")
    r = solve_maxcut(g, steps=1000, restarts=4, seed=1)
    assert r.cut >= 0.97 * best_known()["G11"]   # measured 98.6 %; a broken rule gives ~50 %
