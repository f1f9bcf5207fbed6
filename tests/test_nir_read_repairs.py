"""Repairs of the tolerant NIR reader (neuroxide.models.nir_read) for what real framework exports hold.

Each repair is tested on a small synthetic file written with ``nir`` and edited with h5py into the
form a real export has (the files themselves: docs/nir.md, "Reading the files frameworks write"):

* single values stored as shape ``()`` beside ``(1,)`` (an older Norse export of the paper's LIF
  task): nir.read rejects the file; the repair reshapes and the network equals the clean file's;
* a Conv2d without ``input_shape`` (the NIR paper's early Sinabs CNN exports): unstated, the image
  size taken from the node feeding it; a flat feed is still refused naming the node;
* neuron parameters with a leading batch axis of one, ``(1, C, H, W)`` (the same exports): dropped;
  a leading axis of 2 is not a batch of one and is refused;
* a subgraph stored flattened under dotted names while the outer edges name the subgraph (the NIR
  paper's early Braille exports): regrouped, the same network as the nested file; an edge from
  outside into one of the dotted nodes makes the grouping ambiguous and the file is refused;
* a zip archive (``torch.save``) named .nir: refused naming what it is.

And ``--weight-format {pair,signed}`` on ``nir import`` / ``nir run``: recorded in the core JSON,
refused (exit 2) for a core with a synapse the signed format cannot hold.
"""

import json
import zipfile

import h5py
import nir
import numpy as np
import pytest

from neuroxide.errors import ParameterError
from neuroxide.models.nir_map import load, to_core
from neuroxide.models.nir_read import read


def _lif(n, shape=None):
    shape = (n,) if shape is None else shape
    return nir.LIF(tau=np.full(shape, 0.01), r=np.full(shape, 10.0), v_leak=np.zeros(shape),
                   v_threshold=np.ones(shape), v_reset=np.zeros(shape))


def _replace(f, key, value):
    del f[key]
    f[key] = value


# --- single values of shapes () and (1,) -------------------------------------------------------------

def test_single_values_of_two_shapes_are_given_one(tmp_path):
    g = nir.NIRGraph(nodes={"input": nir.Input(np.array([1])), "0": nir.Affine(np.array([[2.0]]), np.array([0.1])),
                            "1": _lif(1), "output": nir.Output(np.array([1]))},
                     edges=[("input", "0"), ("0", "1"), ("1", "output")], metadata={"dt": 1e-3})
    nir.write(str(tmp_path / "clean.nir"), g)
    nir.write(str(tmp_path / "mixed.nir"), g)
    with h5py.File(tmp_path / "mixed.nir", "a") as f:      # as the paper's early lif_norse.nir stores r and v_leak
        _replace(f, "node/nodes/1/r", np.float64(10.0))
        _replace(f, "node/nodes/1/v_leak", np.float64(0.0))
    with pytest.raises(Exception, match="same shape"):
        nir.read(str(tmp_path / "mixed.nir"))
    net = load(tmp_path / "mixed.nir")
    assert net.repairs == ["node '1': r, v_leak stored as shape (), the others as (1,): reshaped to (1,)"]
    assert load(tmp_path / "clean.nir").repairs == []
    a, b = to_core(net).network, to_core(load(tmp_path / "clean.nir")).network
    assert a.layers[0].params == b.layers[0].params
    np.testing.assert_array_equal(a.layers[0].w_exc, b.layers[0].w_exc)


# --- Conv2d without input_shape; parameters (1, C, H, W) ----------------------------------------------

def _cnn(path, rng):
    g = nir.NIRGraph(nodes={"input": nir.Input(np.array([1, 2, 6, 6])),
                            "0": nir.Conv2d(input_shape=(6, 6), weight=rng.normal(0.5, 0.3, (3, 2, 3, 3)), stride=1,
                                            padding=1, dilation=1, groups=1, bias=np.zeros(3)),
                            "1": nir.IF(r=np.ones((3, 6, 6)), v_threshold=np.ones((3, 6, 6)), v_reset=np.zeros((3, 6, 6))),
                            "2": nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]),
                                               padding=np.array([0, 0])),
                            "3": nir.Flatten(input_type={"input": np.array([3, 3, 3])}, start_dim=0),
                            "4": nir.Affine(rng.normal(0.2, 0.3, (4, 27)), np.zeros(4)),
                            "5": nir.IF(r=np.ones(4), v_threshold=np.ones(4), v_reset=np.zeros(4)),
                            "output": nir.Output(np.array([4]))},
                     edges=[("input", "0"), ("0", "1"), ("1", "2"), ("2", "3"), ("3", "4"), ("4", "5"), ("5", "output")],
                     type_check=False)
    nir.write(str(path), g)
    return path


def test_early_sinabs_cnn_export_is_repaired_into_the_same_network(tmp_path):
    rng = np.random.default_rng(3)
    clean = _cnn(tmp_path / "clean.nir", rng)
    old = _cnn(tmp_path / "old.nir", np.random.default_rng(3))
    with h5py.File(old, "a") as f:      # no input_shape; IF parameters (1, 3, 6, 6), as Sinabs wrote them in 2023
        del f["node/nodes/0/input_shape"]
        for p in ("r", "v_threshold", "v_reset"):
            _replace(f, f"node/nodes/1/{p}", np.asarray(f[f"node/nodes/1/{p}"])[None])
    with pytest.raises(Exception):
        nir.read(str(old))
    net = load(old)
    assert net.repairs == [
        "node '0': Conv2d stores no input_shape: left unstated (None, nir's value); the image size comes from the "
        "node feeding it",
        "node '1': parameters of shape (1, 3, 6, 6): the leading batch axis of 1 dropped -> (3, 6, 6)"]
    a, b = to_core(net).network, to_core(load(clean)).network
    assert len(a.layers) == len(b.layers) == 2
    for x, y in zip(a.layers, b.layers):
        np.testing.assert_array_equal(x.w_exc, y.w_exc)
        np.testing.assert_array_equal(x.w_inh, y.w_inh)
        assert x.conv == y.conv and x.params == y.params
    # a leading axis of 2 is not a batch of one: the shapes disagree with the convolution's, refused
    with h5py.File(old, "a") as f:
        for p in ("r", "v_threshold", "v_reset"):
            _replace(f, f"node/nodes/1/{p}", np.ones((2, 3, 6, 6)))
    with pytest.raises(ParameterError, match="node '1'|node '2'"):
        to_core(load(old))


def test_conv_without_input_shape_fed_flat_is_refused_naming_it(tmp_path):
    rng = np.random.default_rng(4)
    p = _cnn(tmp_path / "flat.nir", rng)
    with h5py.File(p, "a") as f:
        del f["node/nodes/0/input_shape"]
        _replace(f, "node/nodes/input/shape", np.array([72]))     # a flat input: no image size anywhere
    with pytest.raises(ParameterError, match="node '0'.input_shape"):
        load(p)


# --- a subgraph stored flattened ---------------------------------------------------------------------

def _braille_like(path, rng, flat=False):
    inner = nir.NIRGraph(nodes={"input": nir.Input(np.array([5])), "lif": _lif(5),
                                "w_rec": nir.Linear(rng.normal(0, 0.3, (5, 5))), "output": nir.Output(np.array([5]))},
                         edges=[("input", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "output")],
                         type_check=False)
    g = nir.NIRGraph(nodes={"input": nir.Input(np.array([4])), "fc1": nir.Linear(rng.normal(0.4, 0.3, (5, 4))),
                            "lif1": inner, "fc2": nir.Linear(rng.normal(0.4, 0.3, (3, 5))), "lif2": _lif(3),
                            "output": nir.Output(np.array([3]))},
                     edges=[("input", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "lif2"), ("lif2", "output")],
                     metadata={"dt": 1e-3}, type_check=False)
    nir.write(str(path), g)
    if flat:   # the early Braille exports: the subgraph's nodes at the top level as 'lif1.*', outer edges name 'lif1'
        with h5py.File(path, "a") as f:
            for k in ("input", "lif", "w_rec", "output"):
                f.move(f"node/nodes/lif1/nodes/{k}", f"node/nodes/lif1.{k}")
            inner_edges = [(f"lif1.{a}", f"lif1.{b}") for a, b in inner.edges]
            del f["node/nodes/lif1"]
            _replace(f, "node/edges", np.array([[a.encode(), b.encode()] for a, b in g.edges + inner_edges],
                                               dtype=object))
    return path


def test_flattened_subgraph_named_by_the_outer_edges_is_regrouped(tmp_path):
    nested = _braille_like(tmp_path / "nested.nir", np.random.default_rng(5))
    flat = _braille_like(tmp_path / "flat.nir", np.random.default_rng(5), flat=True)
    with pytest.raises(Exception):
        nir.read(str(flat))
    net = load(flat)
    assert net.repairs == ["graph '(top)': edges name 'lif1', its nodes are stored flattened as 'lif1.input', "
                           "'lif1.lif', 'lif1.output', 'lif1.w_rec': regrouped into the subgraph 'lif1'"]
    a, b = to_core(net).network, to_core(load(nested)).network
    for x, y in zip(a.layers, b.layers):
        np.testing.assert_array_equal(x.w_exc, y.w_exc)
        np.testing.assert_array_equal(x.w_rec_exc, y.w_rec_exc)
        assert x.params == y.params
    assert a.layers[0].w_rec_exc is not None
    # an outer node wired to one of the dotted nodes: the grouping is not the one reading, refused
    with h5py.File(flat, "a") as f:
        edges = [tuple(e) for e in f["node/edges"][()]] + [(b"fc1", b"lif1.lif")]
        _replace(f, "node/edges", np.array(edges, dtype=object))
    with pytest.raises(ParameterError, match="edge endpoint 'lif1'"):
        read(flat)


# --- not HDF5 ----------------------------------------------------------------------------------------

def test_zip_archive_named_nir_is_refused_as_such(tmp_path):
    p = tmp_path / "Braille_snntorch.nir"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
    with pytest.raises(ParameterError, match="zip archive"):
        read(p)


def test_exports_that_hold_no_network_are_refused_saying_so(tmp_path):
    g = nir.NIRGraph(nodes={"input": nir.Input(np.array([1, 1, 20])), "flat1": nir.Flatten(
        input_type={"input": np.array([1, 1, 20])})}, edges=[("input", "flat1")], type_check=False)
    nir.write(str(tmp_path / "empty.nir"), g)
    with h5py.File(tmp_path / "empty.nir", "a") as f:     # as two snnTorch exports in public repositories hold
        del f["node/edges"]
    with pytest.raises(ParameterError, match="no weight or neuron node"):
        read(tmp_path / "empty.nir")
    with h5py.File(tmp_path / "none.nir", "w") as f:
        f.create_group("node")
        f.attrs["version"] = "1.0.4"
    with pytest.raises(ParameterError, match="no 'nodes' group.*holds nothing"):
        read(tmp_path / "none.nir")


# --- --weight-format ---------------------------------------------------------------------------------

def test_weight_format_is_recorded_and_checked(cli, tmp_path):
    p = _braille_like(tmp_path / "net.nir", np.random.default_rng(6))
    r = cli("nir", "import", p, "--weight-format", "signed", "-o", tmp_path / "core.json", "--json")
    assert r.code == 0, r.stderr
    assert r.json["weight_format"] == "signed"
    assert json.loads((tmp_path / "core.json").read_text())["weight_format"] == "signed"
    assert "-p weight_format=signed" in r.stdout and "weight format: signed (w_exc - w_inh: 9 bits" in r.stdout
    r = cli("nir", "import", p, "-o", tmp_path / "pair.json")
    assert r.code == 0 and json.loads((tmp_path / "pair.json").read_text())["weight_format"] == "pair"
    assert cli("nir", "import", p, "--weight-format", "packed").code == 2
    assert cli("nir", "run", p, "--random-steps", "2", "--weight-format", "packed").code == 2
    # a core whose synapse has both levels non-zero (exported with its exact layers) cannot be signed
    d = json.loads((tmp_path / "pair.json").read_text())
    layer = d["network"]["layers"][0]
    layer["w_exc"][0][0], layer["w_inh"][0][0] = 3, 2
    (tmp_path / "both.json").write_text(json.dumps(d))
    assert cli("nir", "export", tmp_path / "both.json", "-o", tmp_path / "both.nir").code == 0
    r = cli("nir", "import", tmp_path / "both.nir", "--weight-format", "signed")
    assert r.code == 2 and "layers[0].weights" in r.stderr and "w_exc=3, w_inh=2" in r.stderr
    assert cli("nir", "import", tmp_path / "both.nir").code == 0


@pytest.mark.slow
def test_rtl_with_signed_weights_equals_the_model(cli, tmp_path, any_simulator):
    p = _braille_like(tmp_path / "net.nir", np.random.default_rng(7))
    r = cli("nir", "run", p, "--random-steps", "12", "--batch", "2", "--rate", "0.4", "--backend", "rtl",
            "--weight-format", "signed", "--simulator", any_simulator, "--build-dir", tmp_path / "b", "--json")
    assert r.code == 0, r.stderr
    assert r.json["mismatches"] == 0 and r.json["weight_format"] == "signed"
    assert r.json["spikes"]["rtl"] == r.json["spikes"]["model"] > 0
    # negative control: the same signed core compared with a model one weight level off reports mismatches
    import dataclasses

    from neuroxide.experiments.nir import random_input
    from neuroxide.testbench.snn_bench import run_network
    mapping = to_core(load(p))
    net = mapping.network
    la = net.layers[0]
    w = la.w_exc.copy()
    w[w > 0] += 1
    w = np.minimum(w, (1 << la.weight_bits) - 1)
    off = dataclasses.replace(net, layers=(dataclasses.replace(la, w_exc=w), *net.layers[1:]))
    x = mapping.core_input(random_input(net.n_in, 12, 2, 0.4, 7))
    out = run_network(net, x.astype(np.uint8), simulator=any_simulator, build_dir=str(tmp_path / "neg"),
                      weight_format="signed", model_network=off)
    assert out["mismatches"] > 0
