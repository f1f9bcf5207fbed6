"""Device threshold spread in the SNN: per-neuron thresholds (d2d) and the stochastic threshold (c2c),
in the model, in the core (Amaranth simulator, every state every step) and in the digits experiment."""

import dataclasses

import numpy as np
import pytest

from neuroxide.errors import ParameterError
from neuroxide.experiments import digits as digits_exp
from neuroxide.experiments.digits import DigitsSetup, run_digits
from neuroxide.models import variability
from neuroxide.models.lif import LIFParams
from neuroxide.models.snn import CoreLayer, CoreNetwork, SNNModel, network_from_dict, network_to_dict
from neuroxide.models.variability import noise_bits_for, threshold_spread
from neuroxide.testbench.snn_top import run_top_amaranth
from support.amaranth_sim import snn_core_mismatches


def small_network(reset_mode="value", noise_bits=0, seed=3, sizes=(6, 9, 4)):
    rng = np.random.default_rng(seed)
    p = LIFParams(v_bits=12, in_bits=7, v_th=50, decay=3800, t_ref=1, noise_bits=noise_bits, adapt_inc=6,
                  reset_mode=reset_mode)
    layers = [CoreLayer(rng.integers(0, 16, (n_in, n_out)),
                        rng.integers(0, 16, (n_in, n_out)) * (rng.random((n_in, n_out)) < 0.3), 4, p, adc_shift=1,
                        lateral=2)
              for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    return CoreNetwork(tuple(layers), seed=seed)


# --- CoreLayer.v_th_neuron -----------------------------------------------------------------------

def test_per_neuron_threshold_validated_and_uniform_is_none():
    layer = small_network().layers[0]
    n = layer.n_out
    same = dataclasses.replace(layer, v_th_neuron=np.full(n, layer.params.v_th))
    assert same.v_th_neuron is None and (same.thresholds == layer.params.v_th).all()
    assert same.neuron_params() is layer.params
    for bad, field_value in ((np.full(n + 1, 40), "shape"), (np.full(n, 40.0), "float64"), (np.full(n, 0), 0),
                             (np.full(n, 1 << 11), 1 << 11)):
        with pytest.raises(ParameterError) as e:
            dataclasses.replace(layer, v_th_neuron=bad)
        assert e.value.field == "v_th_neuron" and str(field_value) in str(e.value.value)
    with pytest.raises(ParameterError):  # at or below v_reset would fire again at once
        dataclasses.replace(layer, v_th_neuron=np.full(n, layer.params.v_reset))


def test_per_neuron_threshold_in_the_model_is_the_uniform_rule_per_neuron():
    """A layer whose neurons all get threshold X runs exactly like params.v_th = X; a vector differs."""
    net = small_network(sizes=(6, 5))
    layer = net.layers[0]
    s = np.random.default_rng(2).random((30, 3, net.n_in)) < 0.5
    for x in (35, 70):
        vec = CoreNetwork((dataclasses.replace(layer, v_th_neuron=np.full(5, x)),), seed=net.seed)
        uni = CoreNetwork((dataclasses.replace(layer, params=dataclasses.replace(layer.params, v_th=x)),),
                          seed=net.seed)
        a = SNNModel(vec, 3).run(s, record_state=True)
        b = SNNModel(uni, 3).run(s, record_state=True)
        assert all((a.state[0][f] == b.state[0][f]).all() for f in a.state[0]) and (a.spikes[0] == b.spikes[0]).all()
    # without lateral inhibition the neurons are independent: neuron j of a spread layer is neuron j of
    # the uniform layer at its threshold
    free = dataclasses.replace(layer, lateral=0)
    vec = np.array([30, 40, 50, 60, 70])
    spread = SNNModel(CoreNetwork((dataclasses.replace(free, v_th_neuron=vec),), seed=net.seed), 3).run(
        s, record_state=True)
    for j, x in enumerate(vec):
        uni = CoreNetwork((dataclasses.replace(free, params=dataclasses.replace(free.params, v_th=int(x))),),
                          seed=net.seed)
        b = SNNModel(uni, 3).run(s, record_state=True)
        assert (spread.state[0]["v"][..., j] == b.state[0]["v"][..., j]).all()
        assert (spread.spikes[0][..., j] == b.spikes[0][..., j]).all()
    counts = spread.spikes[0].sum(axis=(0, 1))
    assert counts[0] > counts[-1]


def test_network_dict_round_trip_keeps_thresholds():
    net, _ = threshold_spread(small_network(), 0.2, 0.0, seed=4)
    back = network_from_dict(network_to_dict(net))
    assert all((a.thresholds == b.thresholds).all() for a, b in zip(net.layers, back.layers))
    assert "v_th_neuron" not in network_to_dict(small_network())["layers"][0]


# --- threshold_spread ------------------------------------------------------------------------------

def test_zero_spread_returns_the_same_network():
    net = small_network()
    assert threshold_spread(net, 0.0, 0.0, seed=9)[0] is net


def test_d2d_spread_is_seeded_and_realised():
    layer = CoreLayer(np.ones((4, 2000), dtype=np.int64), np.zeros((4, 2000), dtype=np.int64), 4,
                      LIFParams(v_th=1000, reset_mode="subtract"))
    net = CoreNetwork((layer,))
    a, info = threshold_spread(net, 0.05, 0.0, seed=1)
    b, _ = threshold_spread(net, 0.05, 0.0, seed=1)
    c, _ = threshold_spread(net, 0.05, 0.0, seed=2)
    assert (a.layers[0].thresholds == b.layers[0].thresholds).all()
    assert not (a.layers[0].thresholds == c.layers[0].thresholds).all()
    assert 0.045 < info[0]["d2d_sigma_realised"] < 0.055
    assert abs(a.layers[0].thresholds.mean() / 1000 - 1) < 0.01
    assert a.layers[0].params.noise_bits == 0


def test_c2c_spread_sets_the_stochastic_threshold():
    # uniform noise of width 2**nb has sigma 2**nb / sqrt(12): nb minimises the log ratio to sigma * v_th
    assert noise_bits_for(0.0, 1000, 16) == 0
    assert noise_bits_for(0.025, 1242, 16) == 7       # sqrt(12) * 31 = 107.6 -> 2**7
    assert noise_bits_for(0.5, 1 << 14, 16) == 14     # capped at v_bits - 2
    for sigma in (0.01, 0.03, 0.1):
        nb = noise_bits_for(sigma, 800, 16)
        realised = (1 << nb) / np.sqrt(12) / 800
        assert 1 / np.sqrt(2) <= realised / sigma <= np.sqrt(2)
    net, info = threshold_spread(small_network(), 0.0, 0.1, seed=1)
    assert [layer.params.noise_bits for layer in net.layers] == [4, 4] and net.layers[0].v_th_neuron is None
    assert info[0]["c2c_sigma_realised"] == pytest.approx(16 / np.sqrt(12) / 50)
    with pytest.raises(ParameterError) as e:
        threshold_spread(small_network(), 0.0, 0.7)
    assert e.value.field == "c2c_sigma"


def test_device_spread():
    from neuroxide.models.devices.zoo import get_any_preset
    assert variability.device_spread(get_any_preset("nbox")) == (0.0, 0.0)
    assert variability.device_spread(get_any_preset("nbox-stochastic")) == (0.0, 0.025)
    assert variability.device_spread(get_any_preset("nbox"), {"v_th_volt": {"d2d": 0.03, "c2c": 0.02}}) == (0.03, 0.02)


# --- the core ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("reset_mode", ["value", "subtract"])
def test_core_with_threshold_spread_equals_the_model(reset_mode):
    """Per-neuron thresholds (the ROM) and the stochastic threshold: every state of every neuron, every
    step; and the comparison can fail (the same run against the network without the spread)."""
    base = small_network(reset_mode)
    net, _ = threshold_spread(base, 0.2, 0.05, seed=5)
    assert all(layer.v_th_neuron is not None and layer.params.noise_bits > 0 for layer in net.layers)
    s = np.random.default_rng(1).random((16, 2, net.n_in)) < 0.5
    got, _, _ = run_top_amaranth(net, 2, s)
    assert snn_core_mismatches(net, got, SNNModel(net, 2).run(s, record_state=True)) == 0
    assert snn_core_mismatches(net, got, SNNModel(base, 2).run(s, record_state=True)) > 0


def test_uniform_thresholds_keep_the_verilog():
    from amaranth.back import verilog

    from neuroxide.rtl.snn_core import SNNCore
    net = small_network(sizes=(4, 3))
    same = CoreNetwork((dataclasses.replace(net.layers[0], v_th_neuron=np.full(3, 50)),), seed=net.seed)
    spread = CoreNetwork((dataclasses.replace(net.layers[0], v_th_neuron=np.array([49, 50, 51])),), seed=net.seed)
    text = [verilog.convert(SNNCore(n, lanes=2), name="snn_core", emit_src=False) for n in (net, same, spread)]
    assert text[0] == text[1]
    assert text[2] != text[0] and "thresholds" in text[2] and "thresholds" not in text[0]


# --- digits -----------------------------------------------------------------------------------------

def test_digits_setup_threshold_fields():
    assert DigitsSetup().threshold_sigmas == (0.0, 0.0)
    assert DigitsSetup(device="nbox-stochastic").threshold_sigmas == (0.0, 0.025)
    assert DigitsSetup(device="nbox-stochastic", threshold_c2c_sigma=0.0).threshold_sigmas == (0.0, 0.0)
    assert DigitsSetup(threshold_d2d_sigma=0.1).threshold_sigmas == (0.1, 0.0)
    assert digits_exp.MAX_THRESHOLD_SIGMA == variability.MAX_THRESHOLD_SIGMA
    for kw, field in (({"threshold_d2d_sigma": 0.6}, "threshold_d2d_sigma"),
                      ({"threshold_c2c_sigma": -0.1}, "threshold_c2c_sigma"),
                      ({"threshold_c2c_sigma": float("nan")}, "threshold_c2c_sigma"),
                      ({"device": "no-such-device"}, "device"), ({"device": "dendrite-li2020"}, "device"),
                      ({"device": "missing.toml"}, "device")):
        with pytest.raises(ParameterError) as e:
            DigitsSetup(**kw)
        assert e.value.field == field


def test_digits_with_threshold_spread_and_device():
    plain = run_digits(DigitsSetup(limit=24))
    zero = run_digits(DigitsSetup(limit=24, threshold_d2d_sigma=0.0, threshold_c2c_sigma=0.0))
    assert (plain.predictions == zero.predictions).all() and plain.sops == zero.sops
    assert plain.energy is None and plain.to_dict()["threshold_d2d_sigma"] == 0.0
    spread = run_digits(DigitsSetup(limit=24, device="nbox", threshold_d2d_sigma=0.2, threshold_c2c_sigma=0.1))
    assert spread.sops != plain.sops  # other thresholds, other spikes
    d = spread.to_dict()
    assert d["device"] == "nbox" and d["threshold_d2d_sigma"] == 0.2
    assert [t["noise_bits"] for t in d["thresholds"]] == [9, 8]
    assert 0.1 < d["thresholds"][0]["d2d_sigma_realised"] < 0.3
    e = d["energy"]
    for key in ("neuron_joule", "synapse_joule", "total_joule_per_inference", "latency_s", "inputs"):
        assert key in e
    assert e["total_joule_per_inference"] == pytest.approx(e["neuron_joule"] + e["synapse_joule"])
    hidden_out = sum(int(s.sum()) for s in spread.spikes[1:])
    assert e["inputs"]["spikes_per_inference"] == pytest.approx(hidden_out / 24)


def test_digits_preset_file_spread(tmp_path):
    preset_file = pytest.importorskip("neuroxide.models.devices.preset_file")
    from neuroxide.models.devices.zoo import get_any_preset
    path = tmp_path / "mine.toml"
    path.write_text(preset_file.dump_preset(get_any_preset("nbox"), spread={"v_th_volt": {"d2d": 0.04, "c2c": 0.02}}))
    setup = DigitsSetup(device=str(path))
    assert setup.threshold_sigmas == (0.04, 0.02)
    assert DigitsSetup(device=str(path), threshold_d2d_sigma=0.0).threshold_sigmas == (0.0, 0.02)


def test_digits_cli_device_flags(cli, tmp_path):
    r = cli("digits", "--limit", "8", "--device", "nbox", "--threshold-d2d-sigma", "0.05", "--build-dir",
            str(tmp_path), "--json")
    assert r.code == 0, r.stderr
    assert r.json["energy"]["inputs"]["device"] == "nbox" and r.json["threshold_d2d_sigma"] == 0.05
    assert "energy per inference on nbox" in r.stdout and "latency per inference" in r.stdout
    for flag, value in (("--threshold-d2d-sigma", "0.9"), ("--threshold-c2c-sigma", "-1"), ("--device", "nope")):
        r = cli("digits", "--limit", "1", flag, value, "--build-dir", str(tmp_path))
        assert r.code == 2 and flag in r.stderr
