"""LIFNeuronArray in Amaranth's simulator equals LIFModel on the full state at every step.

Hypothesis draws parameter sets across the whole legal range (widths, leak, reset modes,
refractory, adaptation, threshold noise) and input sequences that hit saturation; the fast suite
tries a few dozen, ``make test-slow`` thousands (HYPOTHESIS_PROFILE=slow).
"""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.amaranth_sim import run_steps

from neuroxide.models.lif import LIFModel, LIFParams
from neuroxide.rtl.lif import LIFNeuronArray


@st.composite
def lif_params(draw):
    v_bits = draw(st.integers(6, 20))
    in_bits = draw(st.integers(1, v_bits - 1))
    decay_bits = draw(st.integers(1, 14))
    ref_bits = draw(st.integers(1, 6))
    adapt_bits = draw(st.integers(1, 14))
    lo, hi = -(1 << (v_bits - 1)), (1 << (v_bits - 1)) - 1
    v_th = draw(st.integers(1, hi))
    v_min = draw(st.none() | st.integers(lo, 0))
    v_lo = lo if v_min is None else v_min
    return LIFParams(
        v_bits=v_bits, in_bits=in_bits, decay_bits=decay_bits, ref_bits=ref_bits, adapt_bits=adapt_bits,
        decay=draw(st.integers(0, 1 << decay_bits)),
        bias=draw(st.integers(lo, hi)),
        v_th=v_th, v_min=v_min,
        v_reset=draw(st.integers(v_lo, v_th - 1)),
        v_init=draw(st.integers(v_lo, hi)),
        reset_mode=draw(st.sampled_from(["value", "subtract"])),
        t_ref=draw(st.integers(0, (1 << ref_bits) - 1)),
        adapt_inc=draw(st.integers(0, (1 << adapt_bits) - 1)),
        adapt_shift=draw(st.integers(1, adapt_bits)),
        noise_bits=draw(st.integers(0, v_bits - 1)),
    )


@st.composite
def scenario(draw):
    p = draw(lif_params())
    n = draw(st.integers(1, 3))
    steps = draw(st.integers(1, 40))
    top = p.in_max
    # bursts of full-scale input besides uniform noise, to reach both saturation bounds
    level = st.sampled_from([0, top, top // 2]) | st.integers(0, top)
    exc = draw(st.lists(st.lists(level, min_size=n, max_size=n), min_size=steps, max_size=steps))
    inh = draw(st.lists(st.lists(level, min_size=n, max_size=n), min_size=steps, max_size=steps))
    mask = draw(st.lists(st.booleans(), min_size=steps, max_size=steps))
    seed = draw(st.integers(0, 2**32 - 1))
    return p, n, seed, np.array(exc), np.array(inh), np.array(mask)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario())
def test_rtl_equals_model_every_step(case):
    p, n, seed, exc, inh, mask = case
    got = run_steps(LIFNeuronArray(p, n, seed), p.state_layout, {"i_exc": exc, "i_inh": inh}, items=n, step_mask=mask)
    # the model sees only the cycles where step was high; on the others the state must not move
    model = LIFModel(p, n, seed)
    want = model.run(exc[mask], inh[mask])
    idx = np.cumsum(mask) - 1  # index into the model trace of the state after each cycle
    for field in p.state_layout.names:
        for t in range(len(mask)):
            if idx[t] < 0:  # no step yet: still the reset state
                expect = getattr(LIFModel(p, n, seed).state, field)
            else:
                expect = getattr(want, field)[idx[t]]
            assert (got[field][t] == expect).all(), f"{field} differs at cycle {t}"


def test_rtl_equals_model_long_run_with_everything_on():
    p = LIFParams(noise_bits=6, adapt_inc=150, adapt_shift=5, reset_mode="subtract", t_ref=3, v_min=-3000)
    rng = np.random.default_rng(5)
    exc = rng.integers(0, 700, size=(600, 2))
    inh = rng.integers(0, 300, size=(600, 2)) * (rng.random((600, 2)) < 0.3)
    got = run_steps(LIFNeuronArray(p, 2, 11), p.state_layout, {"i_exc": exc, "i_inh": inh}, items=2)
    want = LIFModel(p, 2, 11).run(exc, inh)
    assert want.spike.sum() > 20
    for field in p.state_layout.names:
        assert (got[field] == getattr(want, field)).all(), field
