"""The NIR paper's real framework files (models/data/nir_paper) and the rules they need.

* the tolerant reader (neuroxide.models.nir_read): the Braille subgraph files nir.read rejects are
  repaired (one line per repair) into the same network as the flat files; synthetic broken files
  are repaired where that is unambiguous and refused naming the node otherwise;
* the LIF task: lif_norse on the paper's input spikes fires at the paper's steps 460/510/710/760 on
  float and model, and its float membrane equals Norse's own trace;
* the CNN (cnn_sinabs): imported in well under a second as weight-shared convolutions (pools folded
  into the next convolution), IF read at dt = 1, N-MNIST counts spread over input copies;
* the composition maths (pool -> conv, pool -> neuron, pool/flatten -> Affine) equal the unrolled
  products of ConvGeometry's reference;
* the Braille graphs: dt inferred nowhere (the refusal names the node and the dt r = tau/dt means),
  a bias into a synaptic current becomes an always-on weight row (exact: the same core layer as an
  explicit always-on input) and, for a hidden layer, a relay neuron that fires every step;
* scalar parameters broadcast from the fan-in; an Input with a leading batch axis.
"""

import json
import time
from pathlib import Path

import h5py
import nir
import numpy as np
import pytest

from neuroxide.errors import ParameterError
from neuroxide.models.nir_map import (agreement, expand_counts, flatten_input, load, parse_graph, simulate_float,
                                      to_core)
from neuroxide.models.nir_read import read
from neuroxide.models.snn import SNNModel, network_to_dict
from neuroxide.models.snn_conv import ConvGeometry, unrolled

DATA = Path(__file__).resolve().parents[1] / "models" / "data" / "nir_paper"
PAPER_STEPS = [460, 510, 710, 760]


def trace(name):
    return np.loadtxt(DATA / f"lif_{name}_trace.csv", delimiter=",")


# --- the tolerant reader -------------------------------------------------------------------------

@pytest.mark.parametrize("variant", ["bias_zero", "noBias_subtract"])
def test_braille_subgraph_files_are_repaired_into_the_flat_network(variant):
    with pytest.raises(ValueError, match="'lif' which does not exist"):
        nir.read(str(DATA / f"braille_noDelay_{variant}_subgraph.nir"))
    _, repairs = read(DATA / f"braille_noDelay_{variant}_subgraph.nir")
    assert "graph 'lif1': edges name 'lif', the node is stored as 'lif1': renamed" in repairs
    sub = load(DATA / f"braille_noDelay_{variant}_subgraph.nir", dt=1e-4)
    flat = load(DATA / f"braille_noDelay_{variant}.nir", dt=1e-4)
    assert sub.repairs == repairs
    assert flat.repairs == ["node 'lif1.lif': no v_reset stored: 0 (nir's default)",
                            "node 'lif2': no v_reset stored: 0 (nir's default)"]
    for a, b in zip(sub.layers, flat.layers):
        np.testing.assert_array_equal(a.weight, b.weight)
        np.testing.assert_array_equal(a.bias, b.bias)
        assert (a.rec is None) == (b.rec is None)
        if a.rec is not None:
            np.testing.assert_array_equal(a.rec, b.rec)
        for p in a.params:
            np.testing.assert_allclose(a.params[p], b.params[p])


def _good_file(path, rng, names=("input", "0", "1", "output")):
    i, a, n, o = names
    g = nir.NIRGraph(nodes={i: nir.Input(np.array([5])), a: nir.Affine(rng.normal(size=(3, 5)), np.zeros(3)),
                            n: nir.LIF(tau=np.full(3, 0.01), r=np.full(3, 10.0), v_leak=np.zeros(3),
                                       v_threshold=np.ones(3), v_reset=np.zeros(3)),
                            o: nir.Output(np.array([3]))},
                     edges=[(i, a), (a, n), (n, o)], metadata={"dt": 1e-3})
    nir.write(str(path), g)
    return path


def test_reader_repairs_what_is_unambiguous_and_refuses_the_rest(tmp_path):
    rng = np.random.default_rng(0)
    # a missing edges entry with sequential names: chained
    p = _good_file(tmp_path / "noedges.nir", rng)
    with h5py.File(p, "a") as f:
        del f["node/edges"]
    net = load(p)
    assert any("no 'edges' entry" in r for r in net.repairs) and [la.name for la in net.layers] == ["1"]
    # ... with other names: refused naming the graph
    p = _good_file(tmp_path / "noedges2.nir", rng, ("input", "fc", "lif", "output"))
    with h5py.File(p, "a") as f:
        del f["node/edges"]
    with pytest.raises(ParameterError, match="edges.*do not fix an order"):
        load(p)
    # an edge naming a renamed node: one candidate -> renamed; two unnamed nodes, no prefix -> refused
    p = _good_file(tmp_path / "renamed.nir", rng, ("input", "fc", "lif", "output"))
    with h5py.File(p, "a") as f:
        f.move("node/nodes/lif", "node/nodes/neuron")
    net = load(p)
    assert net.repairs == ["graph '(top)': edges name 'lif', the node is stored as 'neuron': renamed"]
    p = _good_file(tmp_path / "ambiguous.nir", rng, ("input", "fc", "lif", "output"))
    with h5py.File(p, "a") as f:
        f.move("node/nodes/lif", "node/nodes/neuron")
        f.move("node/nodes/fc", "node/nodes/dense")
    with pytest.raises(ParameterError, match="edge endpoint 'fc'.*no unique node"):
        load(p)
    # parameters of unequal shapes: single values broadcast; two different shapes refused
    p = _good_file(tmp_path / "shapes.nir", rng)
    with h5py.File(p, "a") as f:
        del f["node/nodes/1/tau"]
        f["node/nodes/1/tau"] = np.float64(0.01)
    with pytest.raises(Exception):
        nir.read(str(p))
    net = load(p)
    assert net.repairs == ["node '1': tau single value(s) broadcast to shape (3,)"]
    np.testing.assert_array_equal(net.layers[0].params["tau"], np.full(3, 0.01))
    with h5py.File(p, "a") as f:
        del f["node/nodes/1/r"]
        f["node/nodes/1/r"] = np.ones((3, 2))
    with pytest.raises(ParameterError, match="node '1'.*two different per-neuron shapes"):
        load(p)


def test_nested_input_typed_with_the_outer_width_is_retyped(tmp_path):
    rng = np.random.default_rng(1)
    inner = nir.NIRGraph(nodes={"input": nir.Input(np.array([4])),
                                "lif": nir.LIF(tau=np.full(4, 0.01), r=np.full(4, 10.0), v_leak=np.zeros(4),
                                               v_threshold=np.ones(4), v_reset=np.zeros(4)),
                                "output": nir.Output(np.array([4]))},
                         edges=[("input", "lif"), ("lif", "output")], type_check=False)
    g = nir.NIRGraph(nodes={"input": nir.Input(np.array([6])), "fc": nir.Linear(rng.normal(size=(4, 6))),
                            "sub": inner, "output": nir.Output(np.array([4]))},
                     edges=[("input", "fc"), ("fc", "sub"), ("sub", "output")], metadata={"dt": 1e-3}, type_check=False)
    nir.write(str(tmp_path / "nested.nir"), g)
    with h5py.File(tmp_path / "nested.nir", "a") as f:
        del f["node/nodes/sub/nodes/input/shape"]
        f["node/nodes/sub/nodes/input/shape"] = np.array([6])     # the outer width
        del f["node/edges"]
        f["node/edges"] = np.array([[b"input", b"fc"], [b"fc", b"sub"], [b"sub", b"output"], [b"fc", b"nowhere"]],
                                   dtype=object)
    with pytest.raises(ParameterError, match="edge endpoint 'nowhere'"):
        load(tmp_path / "nested.nir")
    with h5py.File(tmp_path / "nested.nir", "a") as f:
        del f["node/edges"]
        f["node/edges"] = np.array([[b"input", b"fc"], [b"fc", b"sub"], [b"sub", b"output"]], dtype=object)
    g2, repairs = read(tmp_path / "nested.nir")
    assert repairs == ["node 'sub.input': Input typed with 6 values, fed 4 by 'fc': retyped to 4"]
    assert load(tmp_path / "nested.nir").layers[0].n_out == 4


# --- the LIF task ---------------------------------------------------------------------------------

def test_lif_task_gives_the_paper_spike_steps_and_norse_trace():
    tr = trace("norse")
    x = tr[:, 0].astype(bool)[:, None, None]
    assert np.nonzero(tr[:, 2])[0].tolist() == PAPER_STEPS == np.nonzero(trace("exact")[:, 2])[0].tolist()
    net = load(DATA / "lif_norse.nir", dt=1e-4)
    fl = simulate_float(net, x)
    model = SNNModel(to_core(net).network).run(x)
    assert np.nonzero(fl["spikes"][-1][:, 0, 0])[0].tolist() == PAPER_STEPS
    assert np.nonzero(model.spikes[-1][:, 0, 0])[0].tolist() == PAPER_STEPS
    np.testing.assert_allclose(fl["v"][:, 0, 0], tr[:, 1], atol=2e-7)  # Norse's own membrane (float32)
    exp = load(DATA / "lif_norse.nir", dt=1e-4, discretisation="exp")
    fe = simulate_float(exp, x)
    assert np.nonzero(fe["spikes"][-1][:, 0, 0])[0].tolist() == PAPER_STEPS
    ex = trace("exact")
    below = np.arange(len(ex)) < PAPER_STEPS[0]
    np.testing.assert_allclose(fe["v"][below, 0, 0], ex[below, 1], atol=1e-9)  # the exact solution


def test_lif_rockpool_file_against_rockpools_own_trace():
    """The Rockpool export states r = (tau/dt) exp(-dt/tau) = 24.02 and w = 0.04: NIR's equations jump
    0.0384 per input spike (Rockpool's own run: 0.04, and a reset by subtraction), so the file fires
    at 460/520/720/780 where Rockpool's trace has 450/500/710/760."""
    tr = trace("rockpool")
    x = tr[:, 0].astype(bool)[:, None, None]
    net = load(DATA / "lif_rockpool.nir", dt=1e-4)
    assert net.layers[0].params["r"][0] == pytest.approx(0.0025 / 1e-4 * np.exp(-1e-4 / 0.0025), rel=1e-6)
    fl = simulate_float(net, x)
    model = SNNModel(to_core(net).network).run(x)
    steps = np.nonzero(fl["spikes"][-1][:, 0, 0])[0].tolist()
    assert steps == np.nonzero(model.spikes[-1][:, 0, 0])[0].tolist() == [460, 520, 720, 780]
    assert np.nonzero(tr[:, 2])[0].tolist() == [450, 500, 710, 760]
    assert tr[60, 1] == pytest.approx(0.04, abs=1e-6)          # Rockpool's own jump per input spike
    assert tr[450, 1] == pytest.approx(tr[449, 1] * np.exp(-0.04) + 0.04 - 0.1, abs=1e-5)  # subtract reset


# --- the CNN --------------------------------------------------------------------------------------

def test_cnn_sinabs_imports_as_weight_shared_convolutions_and_runs_the_nmnist_sample():
    x = np.load(DATA / "nmnist_sample_counts.npy")
    t0 = time.perf_counter()
    net = load(DATA / "cnn_sinabs.nir")
    m = to_core(net, 8, max_count=int(x.max()))
    wall = time.perf_counter() - t0
    assert wall < 10
    assert net.dt == 1.0 and any("every neuron node is IF" in n for n in net.notes)
    convs = [la.conv for la in m.network.layers]
    assert [c is not None for c in convs] == [True, True, True, False, False]
    assert convs[0].in_shape == (16, 34, 34)                        # 2 channels x 8 count copies
    assert convs[2].kernel == (6, 6) and convs[2].stride == (2, 2)  # SumPool2d(2) folded into the 3x3 conv
    for la in m.network.layers[:3]:
        assert la.w_exc.shape == la.conv.kernel_shape              # stored once
    assert m.network.layers[3].n_in == 512                          # pool + flatten composed into the Affine
    assert len(json.dumps(network_to_dict(m.network))) < 2_000_000
    s = flatten_input(net, x, m.max_count)
    fl = simulate_float(net, s, max_count=m.max_count)
    tr = SNNModel(m.network).run(m.core_input(s))
    assert agreement(tr.counts(0), fl["spikes"][0].sum(0))["overall"] > 0.98
    assert tr.counts().argmax() == fl["spikes"][-1].sum(0).argmax()


def test_count_inputs_are_exact_on_the_level_grid():
    """Counts spread over copies: with grid weights an IF layer fed counts equals float bit for bit."""
    rng = np.random.default_rng(3)
    levels, w_max = 255, 0.61
    k = rng.integers(-levels, levels + 1, (5, 8))
    k.flat[0] = levels
    g = nir.NIRGraph(nodes={"input": nir.Input(np.array([8])), "fc": nir.Linear(k * (w_max / levels)),
                            "if": nir.IF(r=np.ones(5), v_threshold=np.ones(5), v_reset=np.zeros(5)),
                            "output": nir.Output(np.array([5]))},
                     edges=[("input", "fc"), ("fc", "if"), ("if", "output")], type_check=False)
    net = parse_graph(g)
    assert net.dt == 1.0
    m = to_core(net, 8, max_count=3)
    x = rng.integers(0, 4, (40, 4, 8))
    assert expand_counts(x, 3).shape == (40, 4, 24) and (expand_counts(x, 3).reshape(40, 4, 3, 8).sum(2) == x).all()
    fl = simulate_float(net, x, max_count=3)
    tr = SNNModel(m.network, 4).run(m.core_input(x))
    np.testing.assert_array_equal(tr.spikes[0], fl["spikes"][0])
    with pytest.raises(ParameterError, match="spikes.*0..3 events"):
        flatten_input(net, x + 1, 3)


def _pool_sum(x, k):
    c, h, w = x.shape
    return x[:, :h - h % k, :w - w % k].reshape(c, h // k, k, w // k, k).sum(axis=(2, 4))


@pytest.mark.parametrize("kind,pad,stride,dil,groups", [("SumPool2d", 1, 1, 1, 1), ("AvgPool2d", 0, 1, 1, 2),
                                                         ("SumPool2d", 2, 1, 2, 1), ("AvgPool2d", 1, 2, 1, 1)])
def test_pool_then_conv_and_pool_into_a_neuron_and_pool_flatten_affine_compose_exactly(kind, pad, stride, dil, groups):
    """Input (4, 16, 16) -> IF -> pool 2 -> Conv2d -> IF -> pool 2 -> IF -> pool 2 -> Flatten -> Affine -> IF:
    each neuron node's input map equals the product of ConvGeometry's unrolled references."""
    rng = np.random.default_rng(pad * 7 + stride + dil)
    c, co = 4, 4
    scale = 1.0 if kind == "SumPool2d" else 0.25
    pool = lambda: getattr(nir, kind)(np.array([2, 2]), np.array([2, 2]), np.array([0, 0]))  # noqa: E731
    w = rng.normal(size=(co, c // groups, 3, 3))
    ifn = lambda shape: nir.IF(r=np.ones(shape), v_threshold=np.ones(shape), v_reset=np.zeros(shape))  # noqa: E731
    conv_geom = ConvGeometry((c, 8, 8), co, (3, 3), (stride, stride), (pad, pad), (dil, dil), groups)
    oc, oh, ow = conv_geom.out_shape
    fc = rng.normal(size=(3, co * (oh // 4) * (ow // 4)))
    nodes = {"input": nir.Input(np.array([c, 16, 16])), "scale": nir.Scale(np.ones(c * 256)), "if0": ifn((c, 16, 16)),
             "p0": pool(),
             "conv": nir.Conv2d(None, w, np.array([stride] * 2), np.array([pad] * 2), np.array([dil] * 2), groups,
                                np.zeros(co)),
             "if1": ifn((oc, oh, ow)), "p1": pool(), "if2": ifn((oc, oh // 2, ow // 2)), "p2": pool(),
             "flat": nir.Flatten({"input": np.array([oc, oh // 4, ow // 4])}), "fc": nir.Linear(fc), "if3": ifn(3),
             "output": nir.Output(np.array([3]))}
    edges = [("input", "scale"), ("scale", "if0"), ("if0", "p0"), ("p0", "conv"), ("conv", "if1"), ("if1", "p1"),
             ("p1", "if2"), ("if2", "p2"), ("p2", "flat"), ("flat", "fc"), ("fc", "if3"), ("if3", "output")]
    net = parse_graph(nir.NIRGraph(nodes=nodes, edges=edges, type_check=False))
    l1, l2, l3 = net.layers[1:]
    pg = ConvGeometry((c, 16, 16), c, (2, 2), (2, 2), groups=c)
    ref1 = unrolled(pg, np.full(pg.kernel_shape, scale)) @ unrolled(conv_geom, w)
    np.testing.assert_allclose(l1.weight.toarray(), ref1, atol=1e-12)
    assert l1.conv is not None and l1.conv[0].kernel == ((3 - 1) * dil * 2 + 2,) * 2
    pg2 = ConvGeometry((oc, oh, ow), oc, (2, 2), (2, 2), groups=oc)
    assert l2.conv[0] == pg2                                       # a pool into a neuron: grouped all-ones conv
    np.testing.assert_allclose(np.asarray(l2.weight.toarray()), unrolled(pg2, np.full(pg2.kernel_shape, scale)))
    x = rng.normal(size=(oc, oh // 2, ow // 2))                   # pool -> flatten -> Affine: one dense matrix
    np.testing.assert_allclose(x.reshape(-1) @ l3.weight, fc @ (scale * _pool_sum(x, 2)).reshape(-1), atol=1e-10)
    assert l3.conv is None and l3.weight.shape == (oc * (oh // 2) * (ow // 2), 3)
    m = to_core(net)
    assert [la.conv is not None for la in m.network.layers] == [False, True, True, False]


# --- dt rules, Braille and biases into synaptic currents -------------------------------------------

def test_a_file_without_dt_names_the_node_and_the_dt_its_r_means():
    with pytest.raises(ParameterError, match=r"node 'lif1.lif'.tau.*no dt.*r = tau / dt.*dt = 0.0001 s"):
        load(DATA / "braille_noDelay_noBias_subtract.nir")
    assert load(DATA / "lif_norse.nir").dt == 1e-3  # tau 2.5 ms >= the default: imported (the rule is printed)
    assert "no dt in the file" in load(DATA / "lif_norse.nir").notes[0]


def _cuba(n, tau_syn=5e-3):
    return nir.CubaLIF(tau_syn=np.full(n, tau_syn), tau_mem=np.full(n, 0.01), r=np.full(n, 10.0), v_leak=np.zeros(n),
                       v_threshold=np.ones(n), v_reset=np.zeros(n), w_in=np.full(n, 5.0))


def test_bias_into_a_synaptic_current_is_a_weight_row_from_an_always_on_source():
    rng = np.random.default_rng(4)
    w1, b1 = rng.normal(0, 0.4, (5, 6)), rng.normal(0, 0.1, 5)
    w2, b2 = rng.normal(0, 0.6, (3, 5)), rng.normal(0.05, 0.05, 3)

    def graph(n_in, w1, b1, b2):
        return nir.NIRGraph(nodes={"input": nir.Input(np.array([n_in])), "fc1": nir.Affine(w1, b1), "n1": _cuba(5),
                                   "fc2": nir.Affine(w2, b2), "n2": _cuba(3), "output": nir.Output(np.array([3]))},
                            edges=[("input", "fc1"), ("fc1", "n1"), ("n1", "fc2"), ("fc2", "n2"), ("n2", "output")],
                            metadata={"dt": 1e-3}, type_check=False)
    net = parse_graph(graph(6, w1, b1, b2))
    m = to_core(net)
    assert m.const_input and m.network.n_in == 7 and m.network.layers[0].n_out == 6   # + always-on input, + relay
    # layer 0 is exactly the layer of an explicit always-on 7th input carrying b1 as weights
    explicit = to_core(parse_graph(graph(7, np.hstack([w1, b1[:, None]]), np.zeros(5), b2)))
    assert explicit.network.n_in == 8                    # its own always-on row (zeros) for layer 2's relay
    for name in ("w_exc", "w_inh"):
        np.testing.assert_array_equal(getattr(m.network.layers[0], name)[:, :5],
                                      getattr(explicit.network.layers[0], name)[:7, :5])
    assert m.network.layers[0].params.bias == 0 and m.network.layers[1].params.bias == 0
    x = rng.random((200, 8, 6)) < 0.2
    tr = SNNModel(m.network, 8).run(m.core_input(x))
    assert tr.spikes[0][:, :, 5].all()                                  # the relay fires every step
    ex = SNNModel(explicit.network, 8).run(explicit.core_input(np.concatenate([x, np.ones((200, 8, 1), bool)], -1)))
    assert ex.spikes[0][:, :, 5].all()
    np.testing.assert_array_equal(tr.spikes[0][:, :, :5], ex.spikes[0][:, :, :5])
    fl = simulate_float(net, x)
    assert agreement(m.node_counts(0, tr.counts(0)), fl["spikes"][0].sum(0))["overall"] > 0.97
    assert agreement(tr.counts(), fl["spikes"][1].sum(0))["overall"] > 0.95
    without = to_core(parse_graph(graph(6, w1, b1, np.zeros(3))))   # no bias in layer 2: no relay
    assert without.network.layers[0].n_out == 5


def test_braille_graphs_import_at_the_paper_dt_and_agree_with_float():
    rng = np.random.default_rng(2)
    x = rng.random((200, 8, 12)) < 0.1
    for variant, const in (("bias_zero", True), ("noBias_subtract", False)):
        net = load(DATA / f"braille_noDelay_{variant}.nir", dt=1e-4)
        m = to_core(net)
        assert m.const_input == const
        fl = simulate_float(net, x)
        tr = SNNModel(m.network, 8).run(m.core_input(x))
        assert agreement(tr.counts(), fl["spikes"][-1].sum(0))["overall"] > 0.85


def test_subtract_reset_on_the_paper_files():
    """reset='subtract' (opt-in; the file cannot say it): the Braille noBias_subtract network and
    cnn_sinabs (Sinabs' IAF subtracts by default) map every spiking layer onto the core's subtract
    reset; float keeps the overshoot (more hidden spikes than with NIR's reset to 0) and the model
    follows it."""
    rng = np.random.default_rng(2)
    x = rng.random((200, 8, 12)) < 0.1
    value = load(DATA / "braille_noDelay_noBias_subtract.nir", dt=1e-4)
    net = load(DATA / "braille_noDelay_noBias_subtract.nir", dt=1e-4, reset="subtract")
    assert net.reset == "subtract" and value.reset == "value"
    m = to_core(net)
    assert [la.params.reset_mode for la in m.network.layers] == ["subtract", "subtract"]
    fl = simulate_float(net, x)
    fv = simulate_float(value, x)
    assert fl["spikes"][0].sum() > fv["spikes"][0].sum()
    tr = SNNModel(m.network, 8).run(m.core_input(x))
    assert agreement(tr.counts(), fl["spikes"][-1].sum(0))["overall"] > 0.88
    cnn = load(DATA / "cnn_sinabs.nir", reset="subtract")
    mc = to_core(cnn, max_count=8)
    assert {la.params.reset_mode for la in mc.network.layers} == {"subtract"}
    sample = np.load(DATA / "nmnist_sample_counts.npy")[:, None].reshape(10, 1, -1).astype(np.int16)
    fl = simulate_float(cnn, sample, max_count=8)
    tr = SNNModel(mc.network, 1).run(mc.core_input(sample))
    assert agreement(mc.node_counts(0, tr.counts(0)), fl["spikes"][0].sum(0))["overall"] > 0.97


# --- shapes ---------------------------------------------------------------------------------------

def test_scalar_parameters_and_a_leading_batch_axis():
    rng = np.random.default_rng(6)
    for shape in ([1, 6], [32, 6]):
        g = nir.NIRGraph(nodes={"input": nir.Input(np.array(shape)), "fc": nir.Linear(rng.normal(size=(4, 6))),
                                "lif": nir.LIF(tau=np.array(0.01), r=np.array(10.0), v_leak=np.array(0.0),
                                               v_threshold=np.array(1.0), v_reset=np.array(0.0)),
                                "output": nir.Output(np.array([4]))},
                         edges=[("input", "fc"), ("fc", "lif"), ("lif", "output")], metadata={"dt": 1e-3},
                         type_check=False)
        net = parse_graph(g)
        assert net.input_shape == (6,) and net.layers[0].n_out == 4
        assert any("leading batch axis" in n for n in net.notes)
        assert any("broadcast over its fan-in of 4" in n for n in net.notes)
        assert to_core(net).network.layers[0].n_out == 4


# --- the command line -----------------------------------------------------------------------------

def test_cli_prints_repairs_and_rules_and_runs_the_paper_tasks(cli, tmp_path):
    r = cli("nir", "import", DATA / "braille_noDelay_bias_zero_subgraph.nir", "--dt", "1e-4")
    assert r.code == 0, r.stderr
    assert "repaired: graph 'lif1': edges name 'lif', the node is stored as 'lif1': renamed" in r.stdout
    assert "always-on source" in r.stdout and "fires every step" in r.stdout
    r = cli("nir", "import", DATA / "braille_noDelay_noBias_subtract.nir")
    assert r.code == 2 and "'lif1.lif'" in r.stderr and "dt = 0.0001 s" in r.stderr
    np.save(tmp_path / "lif_in.npy", trace("norse")[:, 0].astype(np.uint8)[:, None])
    r = cli("nir", "run", DATA / "lif_norse.nir", "--dt", "1e-4", "--input", tmp_path / "lif_in.npy",
            "-o", tmp_path / "lif.npz", "--json")
    assert r.code == 0, r.stderr
    with np.load(tmp_path / "lif.npz") as z:
        assert np.nonzero(z["model"][:, 0, 0])[0].tolist() == np.nonzero(z["float"][:, 0, 0])[0].tolist() == PAPER_STEPS
    r = cli("nir", "run", DATA / "cnn_sinabs.nir", "--input", DATA / "nmnist_sample_counts.npy", "--json",
            "-o", tmp_path / "cnn.npz")
    assert r.code == 0, r.stderr
    assert r.json["dt"] == 1.0 and r.json["batch"] == 1 and r.json["steps"] == 10
    assert any("repeated 8 times" in n for n in r.json["notes"])
    with np.load(tmp_path / "cnn.npz") as z:
        assert z["model"].sum(0).argmax() == z["float"].sum(0).argmax()


def test_export_of_conv_and_relay_networks_is_read_by_nir_and_round_trips(cli, tmp_path):
    for name, extra in (("cnn_sinabs.nir", ("--max-count", "8")), ("braille_noDelay_bias_zero.nir", ("--dt", "1e-4"))):
        core = tmp_path / f"{name}.json"
        r = cli("nir", "import", DATA / name, "-o", core, *extra)
        assert r.code == 0, r.stderr
        back = tmp_path / f"back_{name}"
        r = cli("nir", "export", core, "-o", back, "--dt", "1" if "cnn" in name else "1e-4")
        assert r.code == 0, r.stderr
        graph = nir.read(str(back))                      # nir's own reader, with its type checks
        assert any(type(v).__name__ == "Conv2d" for v in graph.nodes.values()) == ("cnn" in name)
        again = to_core(load(back))
        assert again.exact
        assert network_to_dict(again.network) == json.loads(core.read_text())["network"]


def test_per_neuron_weight_scale_is_exact_on_per_column_grids_and_runs_through_the_cli(cli):
    """weight_scale='neuron': column j on its own grid (s_j = 2**-m_j of the largest): with weights
    on those grids an IF layer's model spikes equal float bit for bit; one grid per layer rounds
    the small columns."""
    rng = np.random.default_rng(9)
    n_in, n = 10, 6
    m = rng.integers(0, 4, n)
    k = rng.integers(-255, 256, (n_in, n))
    k[0] = 255
    w = k * (0.61 / 255) * 2.0 ** -m                       # (n_in, n): column j's grid is 2**-m_j finer
    g = nir.NIRGraph(nodes={"input": nir.Input(np.array([n_in])), "fc": nir.Linear(w.T),
                            "if": nir.IF(r=np.ones(n), v_threshold=np.ones(n), v_reset=np.zeros(n)),
                            "output": nir.Output(np.array([n]))},
                     edges=[("input", "fc"), ("fc", "if"), ("if", "output")], type_check=False)
    net = parse_graph(g)
    x = rng.integers(0, 4, (80, 4, n_in))
    fl = simulate_float(net, x, max_count=3)
    per = to_core(net, max_count=3, weight_scale="neuron")
    assert per.network.layers[0].v_th_neuron is not None
    tr = SNNModel(per.network, 4).run(per.core_input(x))
    np.testing.assert_array_equal(tr.spikes[0], fl["spikes"][0])
    layer = to_core(net, max_count=3)
    assert layer.network.layers[0].v_th_neuron is None
    with pytest.raises(ParameterError, match="weight_scale"):
        to_core(net, weight_scale="column")
    r = cli("nir", "import", DATA / "braille_noDelay_bias_zero.nir", "--dt", "1e-4", "--weight-scale", "neuron",
            "--json")
    assert r.code == 0, r.stderr
    assert r.json["layers"][0]["bias_relay"] and r.json["layers"][0]["n_out"] == 39


def test_braille_state_bits_auto_narrows_and_keeps_the_spikes():
    """``size_state`` (``nir import --state-bits auto``) sizes Braille's state from a calibration run
    (seed 0): narrower than the worst case, and on other inputs (seed 1, docs/nir.md) every layer's
    spikes equal the worst-case widths'. Negative control: a margin of 1/8 saturates the membrane
    and the spikes change."""
    from neuroxide.experiments.nir import random_input
    from neuroxide.models.nir_map import size_state
    net = load(DATA / "braille_noDelay_noBias_subtract.nir", dt=1e-4)
    worst = to_core(net, 8)
    cal = worst.core_input(random_input(net.n_in, 200, 32, 0.1, 0))
    auto, report = size_state(worst, cal)
    assert [(r["v_bits"], r["in_bits"]) for r in report] == [(22, 19), (19, 17)]
    assert all(a.params.v_bits < w.params.v_bits for a, w in zip(auto.network.layers, worst.network.layers))
    x = worst.core_input(random_input(net.n_in, 200, 32, 0.1, 1))
    t_worst = SNNModel(worst.network, 32).run(x)
    t_auto = SNNModel(auto.network, 32).run(x)
    assert all(np.array_equal(a, b) for a, b in zip(t_auto.spikes, t_worst.spikes))
    small, _ = size_state(worst, cal, margin=0.125)
    t_small = SNNModel(small.network, 32).run(x)
    assert not all(np.array_equal(a, b) for a, b in zip(t_small.spikes, t_worst.spikes))
