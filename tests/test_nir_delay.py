"""NIR ``Delay`` nodes on the core (docs/nir.md, "Delay"): d = floor(delay / dt + 1/2) steps per
element; a Delay on spikes is a per-source axonal delay of the next layer's input rows, a uniform
Delay on a bias-free input current the same delay of every source spike. Float semantics against a
hand-written delayed reference (and one step off: a mismatch), the model bit for bit equal to the
float network on the level grid, the refusals, the export round trip, and ``nir run --backend rtl``
(cocotb) with 0 mismatches."""

import nir
import numpy as np
import pytest

from neuroxide.errors import ParameterError
from neuroxide.models.nir_map import export_graph, load, parse_graph, simulate_float, to_core, write_graph
from neuroxide.models.snn import SNNModel, network_to_dict

DT = 1e-3


def grid(rng, shape, w_max=0.61, levels=255):
    """Weights on the 8-bit level grid of w_max (tests/test_nir.py::grid_weights)."""
    k = rng.integers(-levels, levels + 1, shape)
    k.flat[0] = levels
    return k * (w_max / levels)


def if_node(n, v_th=1.0):
    return nir.IF(r=np.full(n, v_th / DT), v_threshold=np.full(n, v_th), v_reset=np.zeros(n))


def delayed_graph(rng, d_in, d_cur, sizes=(8, 6, 4), w=grid, w1=None):
    """Input -> Delay(d_in steps per input) -> Linear -> IF -> Linear -> Delay(d_cur, uniform: on the
    current) -> IF -> Output."""
    a, b, c = sizes
    nodes = {"input": nir.Input(np.array([a])), "d0": nir.Delay(np.asarray(d_in, float) * DT),
             "fc0": nir.Linear(w(rng, (b, a))), "n0": if_node(b), "fc1": nir.Linear((w1 or w)(rng, (c, b))),
             "d1": nir.Delay(np.full(c, d_cur * DT)), "n1": if_node(c), "output": nir.Output(np.array([c]))}
    edges = [("input", "d0"), ("d0", "fc0"), ("fc0", "n0"), ("n0", "fc1"), ("fc1", "d1"), ("d1", "n1"),
             ("n1", "output")]
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata={"dt": DT}, type_check=False)


def reference(graph, x, d_in, d_cur):
    """The NIR equations with the delays written out by hand: IF ``v += dt r I``, spike ``v > v_th``,
    reset to 0; layer 0's input i of step t is ``x[t - d_in[i]]``, layer 1's current of step t is
    ``W1 z0[t - d_cur]`` (zeros before step 0)."""
    w0, w1 = graph.nodes["fc0"].weight, graph.nodes["fc1"].weight
    steps, batch, _ = x.shape
    v0, v1 = np.zeros((batch, w0.shape[0])), np.zeros((batch, w1.shape[0]))
    z0_all = np.zeros((steps, batch, w0.shape[0]))
    out = [np.zeros((steps, batch, w0.shape[0]), bool), np.zeros((steps, batch, w1.shape[0]), bool)]
    for t in range(steps):
        xin = np.stack([x[t - d, :, i] if t >= d else np.zeros(batch) for i, d in enumerate(d_in)], axis=-1)
        v0 = v0 + xin.astype(float) @ w0.T
        z0 = v0 > 1.0
        v0[z0] = 0.0
        z0_all[t] = z0
        i1 = z0_all[t - d_cur] @ w1.T if t >= d_cur else np.zeros_like(v1)
        v1 = v1 + i1
        z1 = v1 > 1.0
        v1[z1] = 0.0
        out[0][t], out[1][t] = z0, z1
    return out


def test_float_delays_equal_the_hand_written_reference_and_one_step_off_does_not():
    rng = np.random.default_rng(0)
    d_in, d_cur = np.array([0, 1, 2, 3, 0, 1, 4, 2]), 2
    g = delayed_graph(rng, d_in, d_cur, w=lambda r, s: r.normal(0, 1.0, s))
    x = rng.random((40, 3, 8)) < 0.4
    net = parse_graph(g)
    assert np.array_equal(net.layers[0].delay, d_in) and np.array_equal(net.layers[1].delay, np.full(6, 2))
    assert any("uniform delay of 2 step(s) on an input current" in n for n in net.notes)
    fl = simulate_float(net, x)
    ref = reference(g, x, d_in, d_cur)
    assert ref[0].sum() > 10 and ref[1].sum() > 3
    for k in range(2):
        np.testing.assert_array_equal(fl["spikes"][k], ref[k])
    off = reference(g, x, d_in + (np.arange(8) == 1), d_cur)   # input 1 one step later
    assert not np.array_equal(fl["spikes"][0], off[0])
    assert not np.array_equal(fl["spikes"][1], reference(g, x, d_in, d_cur + 1)[1])


def test_model_equals_float_bit_for_bit_on_the_level_grid_with_delays():
    rng = np.random.default_rng(3)
    d_in, d_cur = np.array([3, 0, 1, 2, 0, 0, 5, 1]), 1
    g = delayed_graph(rng, d_in, d_cur, w1=lambda r, s: np.abs(grid(r, s, w_max=1.37)))
    x = rng.random((60, 4, 8)) < 0.4
    net = parse_graph(g)
    m = to_core(net)
    assert np.array_equal(m.network.layers[0].delay, d_in) and np.array_equal(m.network.layers[1].delay, np.ones(6))
    fl = simulate_float(net, x)
    tr = SNNModel(m.network, 4).run(x)
    assert fl["spikes"][0].sum() > 20 and fl["spikes"][1].sum() > 3
    for k in range(2):
        np.testing.assert_array_equal(tr.spikes[k], fl["spikes"][k])
    # negative control: the same core with one delay a step shorter
    import dataclasses
    bad = dataclasses.replace(m.network.layers[0], delay=d_in - (np.arange(8) == 0))
    tr_bad = SNNModel(type(m.network)((bad, m.network.layers[1]), seed=m.network.seed), 4).run(x)
    assert not np.array_equal(tr_bad.spikes[0], fl["spikes"][0])


def test_delay_after_flatten_or_scale_is_per_source_and_series_delays_add():
    rng = np.random.default_rng(4)
    nodes = {"input": nir.Input(np.array([2, 3])), "f": nir.Flatten(np.array([2, 3]), 0, -1),
             "s": nir.Scale(np.full(6, 2.0)), "d": nir.Delay(np.arange(6) * DT), "d2": nir.Delay(np.full(6, DT)),
             "fc": nir.Linear(grid(rng, (4, 6))), "n": if_node(4), "output": nir.Output(np.array([4]))}
    edges = [("input", "f"), ("f", "s"), ("s", "d"), ("d", "d2"), ("d2", "fc"), ("fc", "n"), ("n", "output")]
    net = parse_graph(nir.NIRGraph(nodes=nodes, edges=edges, metadata={"dt": DT}, type_check=False))
    assert np.array_equal(net.layers[0].delay, np.arange(6) + 1)
    # a zero Delay is no delay at all
    nodes["d"], nodes["d2"] = nir.Delay(np.zeros(6)), nir.Delay(np.zeros(6))
    net = parse_graph(nir.NIRGraph(nodes=nodes, edges=edges, metadata={"dt": DT}, type_check=False))
    assert net.layers[0].delay is None and to_core(net).network.layers[0].delay is None




@pytest.mark.parametrize("case, msg", [
    ("negative", r"node 'd0'\.delay=-0\.001 .*negative delay.*allowed: 0\.\.0\.031 s"),
    ("not whole", r"node 'd0'\.delay=0\.0015 .*1\.5 steps of dt = 0\.001 s is not within 0\.001 of a whole step count"),
    ("too long", r"node 'd0'\.delay=0\.032 .*32 steps; the core's delay line holds 32 slots.*0\.\.31 steps"),
    ("per-element current", r"node 'd1'\.delay='0\.\.1 steps across its elements'.*not a delay per source neuron"),
    ("bias through", r"node 'd1'='a bias through a Delay'"),
    ("recurrent", r"node 'n0'='a Delay on its recurrent edge'"),
    ("series too long", r"node 'd1'\.delay=33 .*Delay nodes in series add up"),
])
def test_refusals_name_the_node_field_and_range(case, msg):
    rng = np.random.default_rng(5)
    g = delayed_graph(rng, np.zeros(8, int), 0)
    if case == "negative":
        g.nodes["d0"] = nir.Delay(np.array([0, -1, 0, 0, 0, 0, 0, 0]) * DT)
    elif case == "not whole":
        g.nodes["d0"] = nir.Delay(np.array([0, 1.5, 0, 0, 0, 0, 0, 0]) * DT)
    elif case == "too long":
        g.nodes["d0"] = nir.Delay(np.array([0, 32, 0, 0, 0, 0, 0, 0]) * DT)
    elif case == "per-element current":
        g.nodes["d1"] = nir.Delay(np.array([0, 1, 0, 0]) * DT)
    elif case == "bias through":
        g.nodes["fc1"] = nir.Affine(g.nodes["fc1"].weight, np.full(4, 0.1))
        g.nodes["d1"] = nir.Delay(np.full(4, DT))
    elif case == "recurrent":
        g.nodes["rd"] = nir.Delay(np.full(6, DT))
        g.nodes["rec"] = nir.Linear(-0.1 * np.ones((6, 6)))
        g.edges += [("n0", "rd"), ("rd", "rec"), ("rec", "n0")]
    elif case == "series too long":
        g.nodes["fc1"] = nir.Linear(g.nodes["fc1"].weight)
        g.nodes["d0"] = nir.Delay(np.full(8, 0.0))
        g.nodes["dd"] = nir.Delay(np.full(6, 20 * DT))
        g.nodes["d1"] = nir.Delay(np.full(4, 13 * DT))
        g.edges.remove(("n0", "fc1"))
        g.edges += [("n0", "dd"), ("dd", "fc1")]
    with pytest.raises(ParameterError, match=msg):
        parse_graph(g)


def test_export_writes_delay_nodes_that_nir_reads_and_round_trips(tmp_path):
    rng = np.random.default_rng(6)
    net = parse_graph(delayed_graph(rng, np.array([0, 1, 2, 0, 3, 0, 0, 1]), 2, w=lambda r, s: r.normal(0, 1, s)))
    core = to_core(net).network
    graph, _ = export_graph(core, DT)
    path = write_graph(graph, tmp_path / "back.nir")
    back = nir.read(str(path))     # nir's own reader, with its type checks
    assert type(back.nodes["delay0"]).__name__ == "Delay"
    np.testing.assert_allclose(back.nodes["delay1"].delay, np.full(6, 2 * DT))
    again = to_core(load(path))
    assert again.exact and network_to_dict(again.network) == network_to_dict(core)
    # the exported file runs on float like the core's model (no delays lost on the way)
    x = rng.random((30, 2, 8)) < 0.5
    fl = simulate_float(load(path), x)
    np.testing.assert_array_equal(SNNModel(core, 2).run(x).spikes[1], fl["spikes"][1])


def test_nir_run_rtl_with_delays_on_cocotb(cli, tmp_path, any_simulator):
    """``neuroxide nir run FILE --backend rtl`` on a graph with Delay nodes: 0 mismatches on the full
    state at every step (cocotb), spikes rtl == model."""
    rng = np.random.default_rng(7)
    path = tmp_path / "delay.nir"
    nir.write(str(path), delayed_graph(rng, np.array([0, 1, 2, 0, 3, 0, 1, 2]), 1, sizes=(8, 6, 4)))
    r = cli("nir", "run", path, "--random-steps", "16", "--batch", "2", "--rate", "0.5", "--backend", "rtl",
            "--simulator", any_simulator, "--build-dir", tmp_path / "rtl", "--json")
    assert r.code == 0, r.stderr
    rep = r.json
    assert rep["mismatches"] == 0 and rep["spikes"]["rtl"] == rep["spikes"]["model"] > 0
    assert any("delays of 0..3 steps" in n for n in rep.get("notes", [])) or "delays of 0..3 steps" in r.stdout


def test_delay_before_a_convolution_is_per_input_pixel_and_round_trips(tmp_path):
    """Input (2, 5, 5) -> Delay (per pixel) -> Conv2d -> IF: a weight-shared conv layer with a delay
    line, model == float bit for bit (grid kernel), and its export (a Delay of shape (2, 5, 5))
    read by nir.read and re-imported to the identical core network."""
    rng = np.random.default_rng(8)
    d = rng.integers(0, 4, (2, 5, 5))
    kernel = np.abs(grid(rng, (3, 2, 3, 3), w_max=0.9))
    nodes = {"input": nir.Input(np.array([2, 5, 5])), "d": nir.Delay(d * DT),
             "conv": nir.Conv2d(np.array([5, 5]), kernel, 1, 1, 1, 1, np.zeros(3)), "n": if_node(75),
             "output": nir.Output(np.array([3, 5, 5]))}
    edges = [("input", "d"), ("d", "conv"), ("conv", "n"), ("n", "output")]
    net = parse_graph(nir.NIRGraph(nodes=nodes, edges=edges, metadata={"dt": DT}, type_check=False))
    assert net.layers[0].conv is not None and np.array_equal(net.layers[0].delay, d.reshape(-1))
    core = to_core(net).network
    assert core.layers[0].is_conv and np.array_equal(core.layers[0].delay, d.reshape(-1))
    x = rng.random((30, 2, 50)) < 0.4
    fl = simulate_float(net, x)
    assert fl["spikes"][0].sum() > 20
    np.testing.assert_array_equal(SNNModel(core, 2).run(x).spikes[0], fl["spikes"][0])
    graph, _ = export_graph(core, DT)
    path = write_graph(graph, tmp_path / "conv.nir")
    assert nir.read(str(path)).nodes["delay0"].delay.shape == (2, 5, 5)
    again = to_core(load(path))
    assert again.exact and network_to_dict(again.network) == network_to_dict(core)
