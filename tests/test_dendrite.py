"""Multi-dendrite neuron: the fixed-point rule (filter, dendritic leak, soma) and its gates, equal to
the model on the full state every cycle over hypothesis-drawn parameters and inputs."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.amaranth_sim import run_steps

from neuroxide.errors import ParameterError
from neuroxide.models.dendrite import DendriteModel, DendriteParams
from neuroxide.rtl.dendrite import DendriteNeuronArray


def test_weak_inputs_are_filtered_strong_ones_integrate():
    p = DendriteParams(n_dend=2, d_th=100, d_decay=192, d_decay_bits=8, d_shift=0, v_th=600, decay=256, decay_bits=8)
    x = np.zeros((6, 1, 2), dtype=np.int64)
    x[:, 0, 0] = 99          # just below the filter threshold: blocked
    out = DendriteModel(p, 1).run(x)
    assert np.all(out["d"] == 0) and np.all(out["v"] == 0) and not out["spike"].any()
    x[:, 0, 0] = 100         # at the threshold: passes and integrates with the dendrite's leak
    out = DendriteModel(p, 1).run(x)
    d = out["d"][:, 0, 0]
    assert d[0] == 100 and d[1] == (100 * 192 >> 8) + 100
    assert out["spike"].any()


def test_dendrite_and_soma_saturate_and_the_soma_is_refractory():
    p = DendriteParams(n_dend=1, in_bits=8, d_bits=9, d_decay=256, d_decay_bits=8, d_th=0, d_shift=0,
                       v_bits=10, decay=256, decay_bits=8, v_th=1023, t_ref=3, ref_bits=2)
    out = DendriteModel(p, 1).run(np.full((12, 1, 1), 255))
    assert out["d"][:, 0, 0].max() == 511           # saturates at 2**d_bits - 1, never wraps
    spikes = np.flatnonzero(out["spike"][:, 0])
    assert spikes.size >= 2 and np.all(np.diff(spikes) >= 4)    # 3 refractory steps between spikes
    assert out["v"][spikes[0] + 1, 0] == 0 and out["ref"][spikes[0], 0] == 3


@pytest.mark.parametrize("field, value", [("n_dend", 0), ("n_dend", 9), ("d_bits", 3), ("d_th", 256),
                                          ("d_decay", 257), ("v_reset", 4000), ("t_ref", 16), ("in_bits", True)])
def test_bad_parameters_name_the_field(field, value):
    with pytest.raises(ParameterError) as e:
        DendriteParams(**{field: value})
    assert e.value.field == field


def test_bad_inputs_are_rejected():
    with pytest.raises(ParameterError):
        DendriteModel(DendriteParams(), 1).run(np.full((2, 1, 4), 256))


@st.composite
def scenario(draw):
    in_bits = draw(st.integers(1, 10))
    d_bits = draw(st.integers(in_bits, 14))
    d_decay_bits = draw(st.integers(1, 10))
    v_bits = draw(st.integers(2, 16))
    decay_bits = draw(st.integers(1, 10))
    ref_bits = draw(st.integers(1, 4))
    v_th = draw(st.integers(1, (1 << v_bits) - 1))
    p = DendriteParams(
        n_dend=draw(st.integers(1, 4)), in_bits=in_bits, d_bits=d_bits, d_decay_bits=d_decay_bits,
        d_decay=draw(st.integers(0, 1 << d_decay_bits)), d_th=draw(st.integers(0, (1 << in_bits) - 1)),
        d_shift=draw(st.integers(0, d_bits)), v_bits=v_bits, decay_bits=decay_bits,
        decay=draw(st.integers(0, 1 << decay_bits)), v_th=v_th, v_reset=draw(st.integers(0, v_th - 1)),
        ref_bits=ref_bits, t_ref=draw(st.integers(0, (1 << ref_bits) - 1)))
    n = draw(st.integers(1, 2))
    steps = draw(st.integers(1, 25))
    top = p.in_max
    level = st.sampled_from([0, top, p.d_th, max(0, p.d_th - 1)]) | st.integers(0, top)
    x = draw(st.lists(st.lists(st.lists(level, min_size=p.n_dend, max_size=p.n_dend), min_size=n, max_size=n),
                      min_size=steps, max_size=steps))
    mask = draw(st.lists(st.booleans(), min_size=steps, max_size=steps))
    return p, n, np.array(x, dtype=np.int64), np.array(mask)


@given(scenario())
def test_gates_equal_the_model_on_the_full_state(case):
    p, n, x, mask = case
    got = run_steps(DendriteNeuronArray(p, n), p.state_layout, {"x": x}, items=n, step_mask=mask)
    # a cycle with step low leaves the state untouched: feed the model only the stepped cycles
    model = DendriteModel(p, n)
    stepped = model.run(x[mask]) if mask.any() else None
    idx = np.cumsum(mask) - 1
    for f in p.state_layout.names:
        want = np.zeros_like(got[f])
        for t in range(x.shape[0]):
            if idx[t] >= 0:
                want[t] = stepped[f][idx[t]]
        np.testing.assert_array_equal(got[f], want, err_msg=f)
