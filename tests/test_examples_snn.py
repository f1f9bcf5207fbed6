"""The SNN examples run and show what they claim (XOR truth table, winner-take-all, digits)."""

import importlib.util
import json
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_xor_truth_table(capsys):
    xor = load("xor")
    rows = xor.truth_table()
    assert [r["xor"] for r in rows] == [0, 1, 1, 0]
    # a margin, not a coin flip: the true cases fire several times, the false ones never
    assert min(rows[1]["xor_spikes"], rows[2]["xor_spikes"]) >= 3
    assert rows[0]["xor_spikes"] == rows[3]["xor_spikes"] == 0
    # the AND-like neuron fires more when both inputs drive it
    assert rows[3]["h_and"] > rows[1]["h_and"]
    assert xor.main(["--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["ok"] is True


def test_xor_uses_a_4x4_crossbar_of_ts_neurons():
    xor = load("xor")
    network, prog = xor.build_network()
    assert prog.w_exc.shape == (4, 4)
    hidden = network.layers[0].params
    # calibrated NbOx TS neuron: leaky, refractory, reset near V_hold / V_th of the device
    assert hidden.decay < 1 << hidden.decay_bits and hidden.t_ref > 0
    assert 0.6 < hidden.v_reset / hidden.v_th < 0.8


def test_xor_breaks_without_inhibition():
    """The inhibitory h_and -> xor synapse is what makes (1,1) silent: with that device at G_min
    (w_inh = 0) the xor neuron fires for (1,1) too."""
    xor = load("xor")
    from neuroxide.models.snn import CoreLayer, CoreNetwork
    network, _ = xor.build_network()
    out = network.layers[1]
    no_inh = CoreLayer(out.w_exc, out.w_inh * 0, out.weight_bits, out.params)
    rows = xor.truth_table(network=CoreNetwork((network.layers[0], no_inh)))
    assert rows[3]["xor"] == 1


def test_wta(capsys):
    wta = load("wta")
    for winner in range(4):
        free = wta.compete(0, winner)
        strong = wta.compete(600, winner)
        assert sum(c > 0 for c in free) == 4          # everyone fires without inhibition
        assert strong[winner] > 0 and sum(strong) == strong[winner]  # only the winner with it
    assert wta.main(["--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["ok"] is True


def test_digits_example(monkeypatch, tmp_path):
    digits = load("digits")
    import neuroxide.models.train as train
    real = train.trained_mlp
    monkeypatch.setattr(digits, "trained_mlp", lambda cfg: real(cfg, cache_dir=tmp_path))
    results = digits.main()
    assert results["4-bit ideal"] >= 0.95
    assert results["4-bit, 5 % stuck"] < results["4-bit ideal"]
    assert not (tmp_path / f"mlp_{train.TrainConfig().key()}.npz").exists()  # the shipped weights: nothing trained


@pytest.mark.parametrize("name", ["xor", "wta"])
def test_examples_run_as_scripts(name):
    import subprocess
    import sys
    res = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py")], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
