"""The fixed-point LIF golden model: behaviour, saturation and parameter validation."""

import numpy as np
import pytest

from neuroxide.errors import ParameterError
from neuroxide.models.lif import LIFModel, LIFParams


def run_const(params, exc, steps, n=1, inh=0, seed=1):
    model = LIFModel(params, n, seed)
    return model.run(np.full((steps, n), exc), np.full((steps, n), inh))


def test_integrates_and_fires_then_refractory():
    p = LIFParams(decay=4096, v_th=1000, v_reset=0, t_ref=3)  # no leak: exact ramp
    tr = run_const(p, 100, 40)
    first = int(np.argmax(tr.spike[:, 0]))
    assert first == 9  # 10th step reaches 1000
    assert tr.v[first, 0] == 0 and tr.ref[first, 0] == 3
    # three refractory steps: v held, input ignored, no spike
    assert (tr.v[first + 1:first + 4, 0] == 0).all() and not tr.spike[first + 1:first + 4, 0].any()
    assert list(tr.ref[first + 1:first + 4, 0]) == [2, 1, 0]
    # period = 3 refractory + 10 integrating steps
    spikes = np.flatnonzero(tr.spike[:, 0])
    assert (np.diff(spikes) == 13).all()


def test_leak_is_floor_of_product():
    p = LIFParams(decay=3000, decay_bits=12, v_init=1234, v_th=30000)
    tr = run_const(p, 0, 3)
    v = 1234
    for t in range(3):
        v = (v * 3000) >> 12
        assert tr.v[t, 0] == v


def test_subthreshold_drive_never_fires():
    # equilibrium of v = v*decay/4096 + I is I*4096/(4096-decay) = 40*32 = 1280 < v_th
    p = LIFParams(decay=3968, v_th=2000)
    assert not run_const(p, 40, 2000).spike.any()


def test_saturates_instead_of_wrapping():
    p = LIFParams(v_bits=8, in_bits=7, decay=1 << 12, v_th=127, v_reset=0, t_ref=0)
    tr = run_const(p, 0, 50, inh=127)
    assert tr.v.min() == -128 and (tr.v >= -128).all()  # pinned at the bound, never wrapped to +
    p2 = p.replace(v_min=-50)
    assert run_const(p2, 0, 50, inh=127).v.min() == -50


def test_reset_by_subtraction_keeps_residue():
    p = LIFParams(decay=4096, v_th=1000, reset_mode="subtract", t_ref=0)
    tr = run_const(p, 300, 4)
    assert tr.spike[3, 0] and tr.v[3, 0] == 1200 - 1000


def test_adaptation_slows_firing():
    base = LIFParams(decay=4096, v_th=1000, t_ref=0)
    plain = run_const(base, 60, 3000).spike.sum()
    adapted = run_const(base.replace(adapt_inc=400, adapt_shift=6), 60, 3000)
    assert adapted.spike.sum() < plain
    isi = np.diff(np.flatnonzero(adapted.spike[:, 0]))
    assert isi[-1] > isi[0]  # spike-frequency adaptation: intervals grow


def test_inhibition_delays_firing():
    p = LIFParams(decay=4096, v_th=1000, t_ref=0)
    assert run_const(p, 100, 200, inh=50).spike.sum() < run_const(p, 100, 200).spike.sum()


def test_stochastic_threshold_varies_per_neuron_and_is_seeded():
    p = LIFParams(decay=4040, v_th=2000, noise_bits=9, t_ref=1)
    a = run_const(p, 80, 4000, n=16, seed=3)
    b = run_const(p, 80, 4000, n=16, seed=3)
    c = run_const(p, 80, 4000, n=16, seed=4)
    assert (a.v == b.v).all()
    assert len({tuple(np.flatnonzero(col)) for col in a.spike.T}) == 16  # every neuron its own train
    assert (a.spike != c.spike).any()
    deterministic = run_const(p.replace(noise_bits=0), 80, 4000, n=16, seed=3)
    assert len({tuple(np.flatnonzero(col)) for col in deterministic.spike.T}) == 1


def test_batch_shape_and_step_api():
    model = LIFModel(LIFParams(decay=4096, v_th=500), shape=(3, 5))
    for _ in range(5):
        spikes = model.step(np.full((3, 5), 100))
    assert spikes.shape == (3, 5) and spikes.all()


@pytest.mark.parametrize("changes, field", [
    (dict(v_th=40000), "v_th"),
    (dict(v_bits=8, v_th=4096), "v_th"),
    (dict(v_bits=8, v_th=100), "in_bits"),
    (dict(decay=5000), "decay"),
    (dict(v_reset=5000, v_th=4096), "v_reset"),
    (dict(reset_mode="zero"), "reset_mode"),
    (dict(t_ref=64), "t_ref"),
    (dict(noise_bits=16), "noise_bits"),
    (dict(v_bits=2), "v_bits"),
    (dict(v_th=1.5), "v_th"),
])
def test_bad_parameters_name_the_field(changes, field):
    with pytest.raises(ParameterError) as info:
        LIFParams(**changes)
    assert info.value.field == field
    assert field in str(info.value) and "allowed" in str(info.value)


def test_inputs_out_of_range_are_rejected():
    model = LIFModel(LIFParams(in_bits=8))
    with pytest.raises(ParameterError, match="i_exc"):
        model.step(256, 0)
    with pytest.raises(ParameterError, match="i_inh"):
        model.step(0, -1)


def test_every_parameter_is_documented():
    from neuroxide.models.lif import PARAM_DOCS
    assert set(PARAM_DOCS) == set(LIFParams.field_names())
