"""The ``nir-framework`` benchmark (neuroxide/benchmarks/nir_framework.py): Spyx's own NIR export and
its own simulation against the core's float and model runs.

* without PyPI the framework's environment is not created and the part says so (never skipped);
* the rule chain that explains the differences is right on a graph built with the nir package
  (Spyx's order is NIR's order delayed one step per layer for IF without bias; NIR's rules are the
  float backend);
* slow: the part itself, with the Spyx environment (created from PyPI on first use, 176 MB of
  wheels): the exported file under Spyx's rules reproduces Spyx's spikes, NIR's rules the float
  backend, and the model follows the float backend.
"""

import nir
import numpy as np
import pytest

from neuroxide.benchmarks.nir_framework import (FrameworkEnvError, ensure_framework_env, nir_framework, rule_chain,
                                                spike_match)
from neuroxide.models.nir_map import parse_graph, simulate_float


def test_environment_fails_loudly_without_pypi(tmp_path, monkeypatch):
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")  # nothing listens on the discard port
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_TIMEOUT", "2")
    with pytest.raises(FrameworkEnvError, match="PyPI reachable"):
        ensure_framework_env(tmp_path / "venv")
    assert not (tmp_path / "venv" / "neuroxide-pins.json").exists()


def test_spike_match_counts_same_step_spikes_and_shifts():
    a = np.zeros((6, 1, 2), dtype=bool)
    a[[1, 3], 0, 0] = True
    b = np.roll(a, -1, axis=0)  # b leads a by one step
    assert spike_match(a, a)["dice"] == 1.0
    assert spike_match(a, b)["dice"] == 0.0 and spike_match(a, b)["count_agreement"] == 1.0
    assert spike_match(a, b, shift=1)["dice"] == 1.0
    assert spike_match(a[:0], b[:0])["dice"] == 1.0  # no spikes on either side


def _graph(kind, rng, sizes=(12, 9, 5)):
    nodes, edges, prev = {"input": nir.Input(np.array([sizes[0]]))}, [], "input"
    for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        nodes[f"fc{k}"] = nir.Linear(rng.normal(0, 1.2 / np.sqrt(a), (b, a)))
        ones = np.ones(b)
        nodes[f"n{k}"] = (nir.IF(r=ones, v_threshold=ones) if kind == "IF" else
                          nir.LIF(tau=10 * ones, r=0.9 * ones, v_leak=0 * ones, v_threshold=ones))  # as Spyx writes
        edges += [(prev, f"fc{k}"), (f"fc{k}", f"n{k}")]
        prev = f"n{k}"
    nodes["output"] = nir.Output(np.array([sizes[-1]]))
    return parse_graph(nir.NIRGraph(nodes, edges + [(prev, "output")]), dt=1.0)


@pytest.mark.parametrize("kind", ["IF", "LIF"])
def test_rule_chain_explains_spyx_against_nir(kind):
    rng = np.random.default_rng(3)
    net = _graph(kind, rng)
    x = rng.random((60, 4, 12)) < 0.3
    fl = simulate_float(net, x)["spikes"]
    from neuroxide.benchmarks.nir_framework import _simulate_rule
    spyx = _simulate_rule(net, x, "spyx")
    chain = rule_chain(net, x, spyx, fl)
    assert chain["nir"]["equals_float"]
    assert [m["dice"] for m in chain["spyx"]["vs_framework"]] == [1.0, 1.0]
    same = [m["dice"] for m in chain["same_step"]["vs_framework"]]
    if kind == "IF":  # no leak, no bias: Spyx = NIR's order delayed k + 1 steps at layer k, exactly
        assert same == [1.0, 1.0] and sum(s.sum() for s in spyx) > 20
    else:  # Spyx subtracts the threshold after the decay: not a pure delay
        assert min(same) < 1.0
        assert chain["nir"]["vs_framework"][0]["spikes"][1] < chain["reset_to_value"]["vs_framework"][0]["spikes"][1]


@pytest.mark.slow
def test_spyx_export_runs_on_the_core():
    res = nir_framework(steps=40, batch=2, out_dir="build/test_nir_framework")
    assert res["versions"]["spyx"] == "1.0.0" and res["versions"]["nir"] == "1.0.8"
    for name, rec in res["networks"].items():
        assert [m["dice"] for m in rec["rules"]["spyx"]["vs_framework"]] == [1.0, 1.0], name
        assert rec["rules"]["nir"]["equals_float"], name
        assert sum(m["spikes"][0] for m in rec["rules"]["spyx"]["vs_framework"]) > 50, name  # Spyx spiked
    layers = res["networks"]["if"]["layers"]
    assert layers[0]["float_vs_model"]["count_agreement"] > 0.9
    assert res["networks"]["if"]["rules"]["same_step"]["vs_framework"][0]["dice"] == 1.0  # IF layer 0: a delay only
    assert res["networks"]["lif"]["r_as_integrated"]["nodes"] == ["layer_1", "layer_3"]
