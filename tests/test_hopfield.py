"""Associative memory: learning rules, differential coupling, retrieval on every backend, CLI."""

import numpy as np

from neuroxide.models import hopfield as hf


def test_rules_store_patterns_as_fixed_points():
    pats = hf.random_patterns(64, 4, 0)
    for W in (hf.hebbian(pats), hf.storkey(pats)):
        assert np.allclose(W, W.T) and np.all(np.diag(W) == 0)
        assert np.all(np.sign(pats @ W) == pats)  # each stored pattern is stable


def test_storkey_beats_hebbian_near_capacity():
    pats = hf.random_patterns(64, 12, 1)
    stable = [np.mean(np.sign(pats @ W) == pats) for W in (hf.hebbian(pats), hf.storkey(pats))]
    assert stable[1] > stable[0]


def test_differential_pair_reconstructs_signed_weights():
    J = hf.quantise(hf.hebbian(hf.random_patterns(32, 3, 2)), 5)
    gp, gn = hf.differential_pair(J)
    assert gp.min() >= 0 and gn.min() >= 0 and np.array_equal(gp - gn, J) and not np.any((gp > 0) & (gn > 0))
    assert np.abs(J).max() == 15


def test_corrupt_flips_exact_count():
    pats = hf.random_patterns(50, 3, 3)
    probes = hf.corrupt(pats, 0.2, 4)
    assert np.all((probes != pats).sum(axis=1) == 10)


def test_onn_retrieves_like_float_hopfield():
    pats = hf.random_patterns(64, 4, 5)
    W = hf.hebbian(pats)
    J = hf.quantise(W, 5)
    probes = hf.corrupt(pats, 0.15, 6)
    base = (hf.retrieve_float_hopfield(W, probes, 1) == pats).mean()
    model = (hf.retrieve_onn_model(J, probes) == pats).mean()
    flt = (hf.retrieve_onn_float(J, probes, periods=30.0) == pats).mean()
    assert model >= base - 0.01 and model > 0.97
    assert flt > 0.95
    # the probes really were corrupted: doing nothing would score 85 %
    assert (probes == pats).mean() < 0.86


def test_cli_backends_and_plot(cli, tmp_path):
    plot = tmp_path / "h.png"
    p = cli("hopfield", "--n", "48", "--patterns", "3", "--plot", plot, "--json")
    assert p.code == 0, p.stderr
    r = p.json
    assert [x["noise"] for x in r["results"]] == [0.0, 0.1, 0.2, 0.3] and plot.stat().st_size > 1000
    assert r["results"][0]["accuracy"] == 1.0
    r = cli("hopfield", "--backend", "rtl", "--n", "16", "--patterns", "1", "--noise", "0.125", "--steps", "12",
            "--json").json
    assert r["mismatches"] == 0 and r["results"][0]["accuracy"] == 1.0
    r = cli("hopfield", "--backend", "float", "--n", "32", "--patterns", "2", "--noise", "0.1", "--json").json
    assert r["results"][0]["accuracy"] > 0.95


def test_cli_bad_input(cli, tmp_path):
    for args, field in ((["--noise", "0.9"], "--noise"), (["--n", "4"], "--n"), (["--plot", str(tmp_path / "x.jpg")], "--plot"),
                        (["--backend", "rtl", "--n", "500"], "--n")):
        p = cli("hopfield", *args)
        assert p.code == 2 and field in p.stderr and p.stdout == ""
