"""Weight-shared convolution layers of the SNN core (models/snn_conv.py, CoreLayer.conv): the
geometry against a direct convolution, validation, the JSON round trip, and SNNModel's conv
arithmetic equal to the dense layer with the unrolled matrices (hypothesis)."""

import json
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroxide.errors import ParameterError
from neuroxide.models.lif import LIFParams
from neuroxide.models.snn import CoreLayer, CoreNetwork, SNNModel, network_from_dict, network_to_dict
from neuroxide.models.snn_conv import ConvGeometry, connections, unrolled, unrolled_sparse


def direct_conv(g, x, kernel):
    """The convolution by its definition (loops), ``x`` (C_in, H, W) -> (C_out, H_out, W_out)."""
    (c_in, h, w), (c_out, ho, wo) = g.in_shape, g.out_shape
    (ph, pw), (sh, sw), (dh, dw) = g.padding, g.stride, g.dilation
    xp = np.zeros((c_in, h + 2 * ph, w + 2 * pw), dtype=np.int64)
    xp[:, ph:ph + h, pw:pw + w] = x
    out = np.zeros(g.out_shape, dtype=np.int64)
    cig, cog = g.in_per_group, g.out_per_group
    for co in range(c_out):
        base = (co // cog) * cig
        for oy in range(ho):
            for ox in range(wo):
                out[co, oy, ox] = sum(int(xp[base + ci, oy * sh + ky * dh, ox * sw + kx * dw]) * int(kernel[co, ci, ky, kx])
                                      for ci in range(cig) for ky in range(g.kernel[0]) for kx in range(g.kernel[1]))
    return out


@st.composite
def geometry(draw, max_side=7):
    groups = draw(st.integers(1, 3))
    c_in = groups * draw(st.integers(1, 2))
    c_out = groups * draw(st.integers(1, 2))
    conv1d = draw(st.booleans())
    h = 1 if conv1d else draw(st.integers(1, max_side))
    w = draw(st.integers(1, max_side))
    kernel = (1 if conv1d else draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (1 if conv1d else draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (0 if conv1d else draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    for axis, side in ((0, h), (1, w)):
        if side + 2 * padding[axis] < dilation[axis] * (kernel[axis] - 1) + 1:  # kernel larger than the input
            kernel = tuple(1 if a == axis else k for a, k in enumerate(kernel))
    return ConvGeometry((c_in, h, w), c_out, kernel, stride, padding, dilation, groups)


@settings(max_examples=60, deadline=None)
@given(geometry(), st.integers(0, 2**16))
def test_unrolled_is_the_convolution(g, seed):
    rng = np.random.default_rng(seed)
    kernel = rng.integers(-3, 4, g.kernel_shape)
    x = rng.integers(0, 2, g.in_shape)
    assert (x.reshape(-1) @ unrolled(g, kernel)).reshape(g.out_shape).tolist() == direct_conv(g, x, kernel).tolist()
    assert (unrolled_sparse(g, kernel).toarray() == unrolled(g, kernel)).all()
    # the event view: each input's taps reach exactly its row's wired columns
    wired = unrolled(g, np.ones(g.kernel_shape, dtype=np.int64)) != 0
    assert g.fanout().tolist() == wired.sum(axis=1).tolist()
    c_in, h, w = g.in_shape
    _, ho, wo = g.out_shape
    c = int(rng.integers(c_in))
    y, xx = int(rng.integers(h)), int(rng.integers(w))
    grp = c // g.in_per_group
    reached = {(co * ho + oy) * wo + ox for _, _, oy, ox in g.event_taps(y, xx)
               for co in range(grp * g.out_per_group, (grp + 1) * g.out_per_group)}
    assert reached == set(np.flatnonzero(wired[(c * h + y) * w + xx]).tolist())


def test_geometry_shapes_of_the_nmnist_cnn():
    g = ConvGeometry((2, 34, 34), 16, (5, 5), (2, 2), (1, 1))
    assert (g.out_shape, g.n_in, g.n_out, g.kernel_shape) == ((16, 16, 16), 2312, 4096, (16, 2, 5, 5))
    pooled = ConvGeometry((16, 16, 16), 8, (6, 6), (2, 2), (2, 2))
    assert pooled.out_shape == (8, 8, 8)
    pool = ConvGeometry((8, 8, 8), 8, 2, 2, groups=8)   # SumPool2d(2): depthwise all-ones kernel
    assert pool.out_shape == (8, 4, 4) and pool.kernel_shape == (8, 1, 2, 2)
    assert ConvGeometry.from_dict(json.loads(json.dumps(g.to_dict()))) == g
    rows, cols, taps = connections(g)
    assert len(rows) == g.fanout().sum()


@pytest.mark.parametrize("kw, fld", [
    (dict(in_shape=(2, 4)), "in_shape"),
    (dict(in_shape=(0, 4, 4)), "in_shape[0]"),
    (dict(out_channels=0), "out_channels"),
    (dict(kernel=(2, 2, 2)), "kernel"),
    (dict(kernel=(9, 1)), "kernel[0]"),
    (dict(stride=(0, 1)), "stride[0]"),
    (dict(padding=(1, -1)), "padding[1]"),
    (dict(dilation=(1, 0)), "dilation[1]"),
    (dict(groups=3), "groups"),
    (dict(kernel=(True, 1)), "kernel[0]"),
])
def test_geometry_refuses_bad_fields(kw, fld):
    args = dict(in_shape=(2, 4, 4), out_channels=4, kernel=(3, 3)) | kw
    with pytest.raises(ParameterError) as e:
        ConvGeometry(**args)
    assert e.value.field == fld


def conv_layer(g, rng, wb=4, **kw):
    top = (1 << wb) - 1
    return CoreLayer(rng.integers(0, top + 1, g.kernel_shape),
                     rng.integers(0, top + 1, g.kernel_shape) * (rng.random(g.kernel_shape) < 0.3), wb,
                     kw.pop("params", LIFParams(v_bits=12, in_bits=8, v_th=20)), conv=g, **kw)


def test_conv_layer_fields_and_refusals():
    rng = np.random.default_rng(1)
    g = ConvGeometry((2, 5, 5), 3, (3, 3), padding=(1, 1))
    layer = conv_layer(g, rng)
    assert (layer.n_in, layer.n_out, layer.is_conv) == (50, 75, True)
    assert layer.dense_levels()[0].shape == (50, 75)
    with pytest.raises(ParameterError) as e:
        CoreLayer(np.zeros((50, 75), int), np.zeros((50, 75), int), conv=g)
    assert e.value.field == "w_exc"
    with pytest.raises(ParameterError) as e:
        CoreLayer(np.full(g.kernel_shape, 16), np.zeros(g.kernel_shape, int), 4, conv=g)
    assert e.value.field == "w_exc"
    with pytest.raises(ParameterError) as e:
        conv_layer(g, rng, w_rec_exc=np.zeros((75, 75), int), w_rec_inh=np.zeros((75, 75), int))
    assert e.value.field == "w_rec_exc"
    with pytest.raises(ParameterError) as e:
        CoreLayer(np.zeros(g.kernel_shape, int), np.zeros(g.kernel_shape, int), conv=(2, 5, 5))
    assert e.value.field == "conv"
    with pytest.raises(ParameterError) as e:   # the next layer's n_in must match the conv's n_out
        CoreNetwork((layer, CoreLayer(np.zeros((74, 2), int), np.zeros((74, 2), int))))
    assert e.value.field == "layers[1].n_in"


def test_network_dict_round_trip_keeps_the_kernel():
    rng = np.random.default_rng(2)
    g = ConvGeometry((2, 6, 6), 4, (3, 3), (2, 2), (1, 1), groups=2)
    net = CoreNetwork((conv_layer(g, rng, v_th_neuron=rng.integers(1, 60, g.n_out), syn_decay=3000, lateral=1),
                       CoreLayer(rng.integers(0, 16, (g.n_out, 3)), np.zeros((g.n_out, 3), int), 4)), seed=5)
    d = json.loads(json.dumps(network_to_dict(net)))
    assert d["layers"][0]["conv"]["groups"] == 2 and "conv" not in d["layers"][1]
    back = network_from_dict(d)
    assert back.layers[0].conv == g
    assert (back.layers[0].w_exc == net.layers[0].w_exc).all() and back.layers[0].w_exc.shape == g.kernel_shape
    assert network_to_dict(back) == d
    d["layers"][0]["conv"]["stride"] = [0, 1]
    with pytest.raises(ParameterError) as e:
        network_from_dict(d)
    assert e.value.field == "stride[0]"


def unrolled_network(net):
    """The same network with every conv layer replaced by its dense unrolled twin."""
    import dataclasses
    return CoreNetwork(tuple(dataclasses.replace(la, w_exc=la.dense_levels()[0], w_inh=la.dense_levels()[1], conv=None)
                             for la in net.layers), seed=net.seed)


@st.composite
def conv_network(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    g = draw(geometry(max_side=6))
    wb = draw(st.sampled_from([1, 4, 8]))
    p = LIFParams(v_bits=12, in_bits=8, v_th=draw(st.integers(4, 200)), decay=draw(st.sampled_from([0, 3000, 4096])),
                  t_ref=draw(st.integers(0, 2)), noise_bits=draw(st.integers(0, 3)), adapt_inc=draw(st.integers(0, 5)),
                  reset_mode=draw(st.sampled_from(["value", "subtract"])))
    extra = {}
    if draw(st.booleans()):
        extra["syn_decay"] = draw(st.integers(0, 1 << p.decay_bits))
    if draw(st.booleans()):
        extra["v_th_neuron"] = rng.integers(1, 100, g.n_out)
    layers = [conv_layer(g, rng, wb, params=p, adc_shift=draw(st.integers(0, 2)), lateral=draw(st.integers(0, 2)),
                         **extra)]
    if draw(st.booleans()):   # a second conv on the first one's output
        c, h, w = g.out_shape
        g2 = ConvGeometry((c, h, w), draw(st.integers(1, 3)), (min(h, 2), min(w, 2)), padding=(0, draw(st.integers(0, 1))))
        layers.append(conv_layer(g2, rng, wb, params=p))
    layers.append(CoreLayer(rng.integers(0, 16, (layers[-1].n_out, 3)), np.zeros((layers[-1].n_out, 3), int), 4,
                            LIFParams(v_bits=12, in_bits=8, v_th=30)))
    net = CoreNetwork(tuple(layers), seed=draw(st.integers(0, 2**32 - 1)))
    steps, batch = draw(st.integers(1, 5)), draw(st.integers(1, 4))
    s = rng.random((steps, batch, net.n_in)) < draw(st.sampled_from([0.1, 0.5, 1.0]))
    return net, s


@settings(max_examples=60, deadline=None)
@given(conv_network())
def test_conv_model_equals_the_unrolled_dense_model(c):
    net, s = c
    batch = s.shape[1]
    got = SNNModel(net, batch).run(s, record_state=True)
    want = SNNModel(unrolled_network(net), batch).run(s, record_state=True)
    for k in range(len(net.layers)):
        assert (got.spikes[k] == want.spikes[k]).all()
        for name in want.state[k]:
            assert (got.state[k][name] == want.state[k][name]).all(), (k, name)
    # SOPs: a conv event costs its fan-out (the neurons it reaches), a dense one n_out
    sops = sum((s if k == 0 else got.spikes[k - 1]).astype(np.int64).sum(axis=0) @ la.fanout()
               for k, la in enumerate(net.layers))
    assert got.sops.tolist() == sops.tolist()


def test_nmnist_cnn_builds_fast_and_runs_batched():
    from neuroxide.designs.snn_core import make_cnn_network, make_event_input
    t = time.perf_counter()
    net = make_cnn_network(seed=3)
    model = SNNModel(net, batch=2)
    assert time.perf_counter() - t < 1.0
    assert [la.n_out for la in net.layers] == [4096, 4096, 512, 256, 10]
    assert sum(la.w_exc.size for la in net.layers) == 16 * 2 * 25 + 16 * 16 * 9 + 8 * 16 * 36 + 512 * 256 + 256 * 10
    x = make_event_input((2, 34, 34), 8, batch=2, seed=4)
    both = model.run(x)
    one = SNNModel(net, 1).run(x[:, 1:2])   # a sample of the batch equals the same input run alone
    for k in range(5):
        assert (both.spikes[k][:, 1:2] == one.spikes[k]).all()
    assert all(sp.any() for sp in both.spikes[:3])


def test_compiled_backend_runs_conv_networks_on_the_numpy_path():
    """backend="compiled" (numba, dense only) takes a network with conv layers through the numpy path:
    the same bits."""
    rng = np.random.default_rng(7)
    g = ConvGeometry((2, 5, 5), 3, (3, 3), padding=(1, 1))
    net = CoreNetwork((conv_layer(g, rng), CoreLayer(rng.integers(0, 16, (g.n_out, 2)), np.zeros((g.n_out, 2), int), 4)))
    s = rng.random((4, 2, net.n_in)) < 0.5
    a = SNNModel(net, 2, backend="compiled").run(s, record_state=True)
    b = SNNModel(net, 2).run(s, record_state=True)
    assert all((x == y).all() for x, y in zip(a.spikes, b.spikes)) and (a.sops == b.sops).all()
