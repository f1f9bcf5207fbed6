"""Energy and latency per inference (models/energy.py): device figures, crossbar read energy, totals."""

import numpy as np
import pytest

from neuroxide.errors import ParameterError
from neuroxide.models.crossbar import DeviceParams
from neuroxide.models.devices import zoo
from neuroxide.models.devices.threshold_switch import analytic_rate_hz
from neuroxide.models.energy import (
    NEURON_FAMILIES,
    T_READ_S,
    V_READ_VOLT,
    inference_energy,
    neuron_device_figures,
    operating_drive_volt,
    synapse_read_energy_joule,
)
from neuroxide.models.lif import LIFParams
from neuroxide.models.snn import CoreLayer, CoreNetwork, SNNModel


def test_device_figures_match_the_zoo_energy_table():
    """Every neuron preset: the energy per spike is the zoo's model energy at the same operating point."""
    for name, preset in zoo.ALL_PRESETS.items():
        if zoo.family_of(preset) not in NEURON_FAMILIES:
            with pytest.raises(ParameterError) as e:
                neuron_device_figures(preset)
            assert e.value.field == "device"
            continue
        fig = neuron_device_figures(preset)
        energy, where = zoo.model_energy_joule(preset)
        assert fig["energy_per_spike_joule"] == pytest.approx(energy, rel=1e-12), name
        assert fig["period_s"] > 0 and fig["time_per_step_s"] == fig["period_s"]
    nbox = zoo.get_any_preset("nbox")
    assert operating_drive_volt(nbox) == 2.0  # Zhang 2020's drive, where the energy is published
    fig = neuron_device_figures(nbox, steps_per_period=4)
    assert fig["period_s"] == pytest.approx(1 / analytic_rate_hz(nbox, 2.0))
    assert fig["time_per_step_s"] == pytest.approx(fig["period_s"] / 4)
    with pytest.raises(ParameterError):
        neuron_device_figures(nbox, steps_per_period=0)


def tiny_network():
    # 3 inputs -> 2 neurons, 4-bit levels; w_exc row sums 15+0, 5+5, 0+0; w_inh row sums 0, 0, 15+15
    w_exc = np.array([[15, 0], [5, 5], [0, 0]])
    w_inh = np.array([[0, 0], [0, 0], [15, 15]])
    return CoreNetwork((CoreLayer(w_exc, w_inh, 4, LIFParams(v_th=20, reset_mode="subtract")),))


def test_synapse_read_energy_by_hand():
    net = tiny_network()
    xb = DeviceParams(g_min_siemens=1e-6, g_max_siemens=16e-6)  # one level = 1 uS
    events = [np.array([2, 1, 0])]
    joule, reads, mean_g = synapse_read_energy_joule(net, events, xb, v_read_volt=0.5, t_read_s=10e-9)
    # each event reads 2 columns x 2 devices; row 0: levels 15+0+0+0, row 1: 5+5+0+0, plus 4 x G_min each
    g_row = [4e-6 + 15e-6, 4e-6 + 10e-6]
    assert reads == 3 * 4
    assert joule == pytest.approx(0.25 * 10e-9 * (2 * g_row[0] + g_row[1]))
    assert mean_g == pytest.approx((2 * g_row[0] + g_row[1]) / 12)
    assert synapse_read_energy_joule(net, events, xb, v_read_volt=1.0)[0] == pytest.approx(4 * joule * 1e-8 / T_READ_S)
    with pytest.raises(ParameterError) as e:
        synapse_read_energy_joule(net, events, xb, v_read_volt=0.0)
    assert e.value.field == "v_read_volt"
    with pytest.raises(ParameterError) as e:
        synapse_read_energy_joule(net, [np.array([1, 2])], xb)
    assert e.value.field == "row_events"


def test_inference_energy_totals():
    net = tiny_network()
    s = np.random.default_rng(0).random((20, 3, 3)) < 0.6
    trace = SNNModel(net, 3).run(s)
    nbox = zoo.get_any_preset("nbox")
    e = inference_energy(net, s, trace.spikes, nbox)
    i = e["inputs"]
    fig = neuron_device_figures(nbox)
    assert e["neuron_joule"] == pytest.approx(trace.spikes[0].sum() / 3 * fig["energy_per_spike_joule"])
    assert i["sops_per_inference"] == pytest.approx(trace.sops.sum() / 3)
    assert i["device_reads_per_inference"] == 2 * i["sops_per_inference"]
    syn, _, _ = synapse_read_energy_joule(net, [s.sum(axis=(0, 1))])
    assert e["synapse_joule"] == pytest.approx(syn / 3)
    assert e["total_joule_per_inference"] == pytest.approx(e["neuron_joule"] + e["synapse_joule"])
    assert e["latency_s"] == pytest.approx(20 * fig["period_s"])
    assert i["v_read_volt"] == V_READ_VOLT and i["t_read_s"] == T_READ_S and i["steps"] == 20
    assert e["inputs"]["energy_per_device_read_joule"] == pytest.approx(V_READ_VOLT ** 2 * T_READ_S
                                                                        * i["mean_g_read_siemens"])
    with pytest.raises(ParameterError) as err:
        inference_energy(net, s, [trace.spikes[0][:5]], nbox)
    assert err.value.field == "layer_spikes"


def test_recurrent_rows_are_read_too():
    rng = np.random.default_rng(1)
    w = rng.integers(0, 4, (3, 2))
    layer = CoreLayer(w, w * 0, 2, LIFParams(v_th=3, reset_mode="subtract"), w_rec_exc=np.ones((2, 2), int),
                      w_rec_inh=np.zeros((2, 2), int))
    net = CoreNetwork((layer,))
    s = rng.random((12, 1, 3)) < 0.7
    trace = SNNModel(net, 1).run(s)
    e = inference_energy(net, s, trace.spikes, zoo.get_any_preset("vo2"))
    assert trace.spikes[0].sum() > 0
    assert e["inputs"]["sops_per_inference"] == trace.sops.sum()  # own spikes of step t-1 count as events
