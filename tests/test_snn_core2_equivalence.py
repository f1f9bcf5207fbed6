"""The second-generation SNN core's parallel neuron lanes, banked state and spike queues under
hypothesis: rtl.snn_core.SNNCore with 2-8 neuron lanes == SNNModel on the full state of every
neuron at every step, on random networks with recurrent layers, synaptic currents, per-neuron
thresholds and lateral inhibition (tests/test_equivalence.py::test_snn_core_step covers one
neuron lane over the LIF parameter space)."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neuroxide.models.lif import LIFParams
from neuroxide.models.snn import CoreLayer, CoreNetwork, SNNModel
from neuroxide.testbench.snn_top import run_top_amaranth
from support.amaranth_sim import snn_core_mismatches

LANES = [(2, 2), (4, 4), (8, 2), (8, 8)]  # (lanes, neurons_per_clock)


@st.composite
def case(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    n_layers = draw(st.integers(1, 2))
    sizes = [draw(st.integers(1, 11)) for _ in range(n_layers + 1)]
    layers = []
    for k in range(n_layers):
        n_in, n_out = sizes[k], sizes[k + 1]
        wb = draw(st.sampled_from([1, 4, 8]))
        top = (1 << wb) - 1
        p = LIFParams(v_bits=12, in_bits=7, v_th=draw(st.integers(4, 60)), decay=draw(st.sampled_from([0, 3000, 4096])),
                      t_ref=draw(st.integers(0, 2)), noise_bits=draw(st.integers(0, 3)), adapt_inc=draw(st.integers(0, 5)),
                      reset_mode=draw(st.sampled_from(["value", "subtract"])))
        extra = {}
        if draw(st.booleans()):
            extra |= {"w_rec_exc": rng.integers(0, top + 1, (n_out, n_out)), "w_rec_inh": rng.integers(0, top + 1, (n_out, n_out))}
        if draw(st.booleans()):
            extra["syn_decay"] = draw(st.integers(0, 1 << p.decay_bits))
        if draw(st.booleans()):
            extra["v_th_neuron"] = rng.integers(1, 80, n_out)
        w_exc = rng.integers(0, top + 1, (n_in, n_out))
        w_inh = rng.integers(0, top + 1, (n_in, n_out)) * (rng.random((n_in, n_out)) < 0.3)
        layers.append(CoreLayer(w_exc, w_inh, wb, p, adc_shift=draw(st.integers(0, 3)),
                                lateral=draw(st.integers(0, 3)), **extra))
    net = CoreNetwork(tuple(layers), seed=draw(st.integers(0, 2**32 - 1)))
    steps, batch = draw(st.integers(2, 6)), draw(st.integers(1, 2))
    s = rng.random((steps, batch, net.n_in)) < draw(st.sampled_from([0.3, 0.7, 1.0]))
    return net, draw(st.sampled_from(LANES)), s


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case())
def test_neuron_lanes_equal_the_model(c):
    net, (lanes, npc), s = c
    got, _, _ = run_top_amaranth(net, lanes, s, npc)
    assert snn_core_mismatches(net, got, SNNModel(net, s.shape[1]).run(s, record_state=True)) == 0
