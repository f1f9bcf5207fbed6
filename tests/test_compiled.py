"""The compiled back end (models/compiled.py) equals the numpy models bit for bit.

Hypothesis draws parameters, states and inputs; the LIF, ONN and SNN-core models run on numpy and on
the compiled kernels and must agree on the full state after every step (and the SNN's SOPs, the
ONN's step index and energy). Kernels are compiled per parameter *structure* (module docstring of
models/compiled.py), so the strategies vary values freely and structure over a few choices; the
compiled modules are cached in pytest's cache folder, so a second run compiles nothing.

Compiling costs about a second of CPU per kernel, so the default suite draws LIF structures from two
of the four (noise with subtractive reset, no noise with reset to a value: every feature, not every
combination) and a quarter of the profile's examples; ``make test-slow`` draws all four.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroxide.errors import ParameterError
from neuroxide.models import compiled
from neuroxide.models.fixedpoint import NUMPY, signed_range
from neuroxide.models.lif import LIFModel, LIFParams, LIFState, lif_step
from neuroxide.models.onn import ONNModel, ONNParams
from neuroxide.models.snn import CoreLayer, CoreNetwork, SNNModel


EXAMPLES = max(10, settings.default.max_examples // 4)
# (threshold noise, reset_mode): each pair is its own kernel (the rule branches on them in Python)
DEFAULT_STRUCTURES = ((True, "subtract"), (False, "value"))
ALL_STRUCTURES = ((True, "subtract"), (False, "value"), (True, "value"), (False, "subtract"))


@pytest.fixture(scope="module", autouse=True)
def kernel_cache(request):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NEUROXIDE_KERNEL_CACHE", str(request.config.cache.mkdir("neuroxide-kernels")))
        yield


# --- strategies ----------------------------------------------------------------------------------

@st.composite
def lif_params(draw, noise=None, reset_mode=None, v_min=None, structures=DEFAULT_STRUCTURES):
    """A legal LIFParams; ``noise``/``reset_mode``/``v_min`` (True/False, a mode) pin the structure,
    else it is drawn from ``structures``."""
    if noise is None:
        noise, reset_mode = draw(st.sampled_from(structures))
    v_bits = draw(st.integers(6, 24))
    lo, hi = signed_range(v_bits)
    decay_bits = draw(st.integers(1, 16))
    ref_bits = draw(st.integers(1, 6))
    adapt_bits = draw(st.integers(1, 16))
    has_vmin = draw(st.booleans()) if v_min is None else v_min
    vmin = draw(st.integers(lo, 0)) if has_vmin else None
    v_lo = lo if vmin is None else vmin
    v_th = draw(st.integers(1, hi))
    noisy = draw(st.booleans()) if noise is None else noise
    return LIFParams(
        v_bits=v_bits, in_bits=draw(st.integers(1, min(v_bits - 1, 14))), decay_bits=decay_bits, ref_bits=ref_bits,
        adapt_bits=adapt_bits, decay=draw(st.integers(0, 1 << decay_bits)), bias=draw(st.integers(lo, hi)),
        v_th=v_th, v_reset=draw(st.integers(v_lo, v_th - 1)), v_min=vmin, v_init=draw(st.integers(v_lo, hi)),
        reset_mode=reset_mode or draw(st.sampled_from(("value", "subtract"))),
        t_ref=draw(st.integers(0, (1 << ref_bits) - 1)), adapt_inc=draw(st.integers(0, (1 << adapt_bits) - 1)),
        adapt_shift=draw(st.integers(1, adapt_bits)),
        noise_bits=draw(st.integers(1, min(v_bits - 1, 10))) if noisy else 0)


def random_lif_state(rng, p, shape):
    lo, hi = p.v_lo, p.v_hi
    return LIFState(v=rng.integers(lo, hi + 1, shape), ref=rng.integers(0, 1 << p.ref_bits, shape),
                    adapt=rng.integers(0, p.adapt_max + 1, shape), rng=rng.integers(1, 1 << 32, shape),
                    spike=rng.random(shape) < 0.5)


def assert_same_trace(a, b):
    for f in a.FIELDS:
        x, y = getattr(a, f), getattr(b, f)
        assert x.dtype == y.dtype and x.shape == y.shape, f
        assert np.array_equal(x, y), f"{f} differs"


# --- LIF -----------------------------------------------------------------------------------------

@settings(max_examples=EXAMPLES)
@given(p=lif_params(), shape=st.sampled_from([1, 5, (2, 3)]), steps=st.integers(1, 25), seed=st.integers(0, 2**32 - 1),
       data_seed=st.integers(0, 2**31))
def test_lif_run_equals_numpy(p, shape, steps, seed, data_seed):
    check_lif_run(p, shape, steps, seed, data_seed)


@pytest.mark.slow
@given(p=lif_params(structures=ALL_STRUCTURES), shape=st.sampled_from([1, 7, (3, 2)]), steps=st.integers(1, 40),
       seed=st.integers(0, 2**32 - 1), data_seed=st.integers(0, 2**31))
def test_lif_run_equals_numpy_every_structure(p, shape, steps, seed, data_seed):
    check_lif_run(p, shape, steps, seed, data_seed)


def check_lif_run(p, shape, steps, seed, data_seed):
    rng = np.random.default_rng(data_seed)
    shp = (shape,) if isinstance(shape, int) else shape
    exc = rng.integers(0, p.in_max + 1, (steps, *shp))
    inh = rng.integers(0, p.in_max + 1, (steps, *shp)) if rng.random() < 0.7 else None
    a, b = LIFModel(p, shape, seed), LIFModel(p, shape, seed, backend="compiled")
    if rng.random() < 0.5:  # from a random state, not only the reset state
        a.state = random_lif_state(rng, p, shp)
        b.state = a.state.copy()
    assert_same_trace(a.run(exc, inh), b.run(exc, inh))
    assert_same_trace(a.state, b.state)


@settings(max_examples=EXAMPLES)
@given(p=lif_params(), steps=st.integers(1, 12), data_seed=st.integers(0, 2**31))
def test_lif_step_equals_numpy_with_broadcast_inputs(p, steps, data_seed):
    rng = np.random.default_rng(data_seed)
    a, b = LIFModel(p, (2, 4), 3), LIFModel(p, (2, 4), 3, backend="compiled")
    for _ in range(steps):
        exc = [int(rng.integers(0, p.in_max + 1)), rng.integers(0, p.in_max + 1, 4),
               rng.integers(0, p.in_max + 1, (2, 4))][rng.integers(0, 3)]
        inh = rng.integers(0, p.in_max + 1, (2, 4)) if rng.random() < 0.5 else 0
        assert np.array_equal(a.step(exc, inh), b.step(exc, inh))
        assert_same_trace(a.state, b.state)


def test_narrow_input_types_equal_numpy():
    # the benchmark's drive is int16: its own specialisation of the kernel
    p = LIFParams(noise_bits=4, adapt_inc=30, reset_mode="subtract", v_min=-200)
    rng = np.random.default_rng(5)
    a, b = LIFModel(p, 64, 2), LIFModel(p, 64, 2, backend="compiled")
    for _ in range(30):
        exc, inh = rng.integers(0, 1500, 64, dtype=np.int16), rng.integers(0, 700, 64, dtype=np.int16)
        assert np.array_equal(a.step(exc, inh), b.step(exc, inh))
    assert_same_trace(a.state, b.state)
    with pytest.raises(ParameterError, match="i_exc"):
        b.step(np.full(64, -3, dtype=np.int16))


def test_compiled_step_never_changes_a_state_someone_holds():
    p = LIFParams(noise_bits=4, adapt_inc=50, reset_mode="subtract")
    m = LIFModel(p, 6, 1, backend="compiled")
    m.step(np.full(6, 900))
    held = m.state
    snapshot = held.copy()
    view = m.state.v[:2]  # a view of the state also counts
    m.step(np.full(6, 900))
    assert_same_trace(held, snapshot)
    m.step(np.full(6, 900))
    del held
    assert np.array_equal(view, snapshot.v[:2])
    # nobody else holds it: the step works in place (and still equals numpy)
    ref = LIFModel(p, 6, 1)
    for _ in range(3):
        ref.step(np.full(6, 900))
    for _ in range(20):
        assert np.array_equal(m.step(np.full(6, 900)), ref.step(np.full(6, 900)))
    assert_same_trace(m.state, ref.state)


@pytest.mark.parametrize("bad", [{"i_exc": 4096}, {"i_exc": -1}, {"i_inh": 5000}])
def test_compiled_rejects_inputs_like_numpy(bad):
    p = LIFParams(noise_bits=2, reset_mode="subtract")
    for backend in ("numpy", "compiled"):
        m = LIFModel(p, 3, 1, backend=backend)
        before = m.state.copy()
        args = {"i_exc": np.array([1, 2, 3]), "i_inh": np.array([0, 0, 0])}
        name, value = next(iter(bad.items()))
        args[name] = np.array([1, value, 3])
        with pytest.raises(ParameterError, match=name):
            m.step(**args)
        with pytest.raises(ParameterError, match=name):
            m.run(args["i_exc"][None].repeat(4, 0), args["i_inh"][None].repeat(4, 0))
        assert_same_trace(m.state, before)
    with pytest.raises(ParameterError, match="i_exc"):
        LIFModel(p, 3, 1, backend="compiled").step(np.array([1.0, 2.0, 3.0]))
    with pytest.raises(ParameterError, match="backend"):
        LIFModel(p, 3, 1, backend="cuda")


def test_kernels_are_shared_by_structure_and_differ_when_it_changes():
    base = LIFParams(noise_bits=3, reset_mode="subtract")
    same = compiled.lif_kernel(base.replace(v_th=999, decay=100, noise_bits=5, v_min=-7))
    assert compiled.lif_kernel(base).source == same.source  # values are runtime parameters
    assert compiled.lif_kernel(base.replace(noise_bits=0)).source != same.source  # the rule's branch
    assert compiled.lif_kernel(base.replace(noise_bits=0, reset_mode="value")).source != same.source


def test_tracing_refuses_a_python_branch_on_the_state():
    def branchy(ops, v):
        return v + 1 if v > 0 else v

    with pytest.raises(TypeError, match="ops.select"):
        compiled.trace_rule(branchy, ("v",))
    ops, out = compiled.trace_rule(lambda ops, p, v: lif_step(ops, p, v, v, v, v, v, v), ("v",),
                                   (("", LIFParams()),))
    assert len(out) == 5 and all(isinstance(x, compiled.TracedValue) for x in out)
    assert NUMPY.name != ops.name


# --- ONN -----------------------------------------------------------------------------------------

@st.composite
def onn_params(draw):
    phase_bits = draw(st.integers(3, 12))
    q = 1 << (phase_bits - 2)
    weight_bits = draw(st.integers(2, 8))
    noise_max = draw(st.integers(0, q - 1))
    return ONNParams(phase_bits=phase_bits, weight_bits=weight_bits, acc_bits=31,
                     couple_gain=draw(st.integers(0, 255)), couple_shift=draw(st.integers(0, 16)),
                     couple_max=draw(st.integers(0, q - 1)), inj_max=draw(st.integers(0, q - 1)),
                     inj_rate=draw(st.integers(0, 0xFFFF)), noise_max=noise_max,
                     noise_min=draw(st.integers(0, noise_max)), noise_rate=draw(st.integers(0, 0xFFFF)))


@settings(max_examples=EXAMPLES)
@given(p=onn_params(), n=st.integers(1, 12), restarts=st.integers(1, 3), steps=st.integers(1, 30),
       seed=st.integers(0, 2**32 - 1), t0=st.integers(0, 65535), dense=st.booleans(), data_seed=st.integers(0, 2**31))
def test_onn_run_equals_numpy(p, n, restarts, steps, seed, t0, dense, data_seed):
    rng = np.random.default_rng(data_seed)
    lo, hi = signed_range(p.weight_bits)
    J = rng.integers(lo, hi + 1, (n, n)) * (rng.random((n, n)) < 0.6)
    if not dense:
        J = sp.csr_matrix(J)
    a, b = ONNModel(p, J, seed, restarts), ONNModel(p, J, seed, restarts)
    a.t = b.t = t0 if rng.random() < 0.3 else 0  # the schedule's saturation at 2**16 - 1 too
    ta = a.run(steps, trace=True)
    tb = compiled.onn_run(b, steps, trace=True)
    assert_same_trace(ta, tb)
    assert a.t == b.t
    assert np.array_equal(a.energy(), b.energy())
    a.run(3)
    compiled.onn_run(b, 3)  # continuing from where it stopped
    assert np.array_equal(a.phase, b.phase) and np.array_equal(a.rng, b.rng)


# --- SNN core network ----------------------------------------------------------------------------

def _has_thresholds():
    return "v_th_neuron" in CoreLayer.__dataclass_fields__


@st.composite
def core_layer(draw, n_in, n_out, rich):
    """A CoreLayer; ``rich`` turns every feature on (lateral, ADC gain, recurrent block, synaptic
    current, threshold noise, subtractive reset, v_min), else all off: two structures, any values."""
    bits = draw(st.integers(1, 8))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    w = lambda shape: rng.integers(0, 1 << bits, shape)  # noqa: E731
    p = draw(lif_params(noise=rich, reset_mode="subtract" if rich else "value", v_min=rich))
    extra = {}
    if rich:
        extra = dict(lateral=draw(st.integers(1, p.in_max)), adc_gain=draw(st.integers(1, 12)),
                     w_rec_exc=w((n_out, n_out)), w_rec_inh=w((n_out, n_out)),
                     syn_decay=draw(st.integers(0, 1 << p.decay_bits)))
        if _has_thresholds():
            extra["v_th_neuron"] = rng.integers(1, p.v_hi + 1, n_out)
    return CoreLayer(w((n_in, n_out)), w((n_in, n_out)), bits, p, draw(st.integers(0, 15)), **extra)


@st.composite
def core_network(draw):
    rich = draw(st.booleans())
    sizes = [draw(st.integers(1, 6)) for _ in range(3 if not rich else 2)]
    layers = tuple(draw(core_layer(a, b, rich)) for a, b in zip(sizes, sizes[1:]))
    return CoreNetwork(layers, seed=draw(st.integers(0, 2**32 - 1)))


@settings(max_examples=EXAMPLES)
@given(net=core_network(), batch=st.integers(1, 3), steps=st.integers(1, 12), data_seed=st.integers(0, 2**31))
def test_snn_run_equals_numpy(net, batch, steps, data_seed):
    rng = np.random.default_rng(data_seed)
    s = rng.random((steps, batch, net.n_in)) < rng.random()
    a, b = SNNModel(net, batch), SNNModel(net, batch, backend="compiled")
    ta = a.run(s, record_state=True)
    tb = b.run(s, record_state=True)
    assert all(np.array_equal(x, y) for x, y in zip(ta.spikes, tb.spikes))
    assert np.array_equal(ta.sops, tb.sops)
    for sa, sb in zip(ta.state, tb.state):
        assert sa.keys() == sb.keys()
        assert all(np.array_equal(sa[f], sb[f]) for f in sa)
    # the models continue from equal states
    s2 = rng.random((3, batch, net.n_in)) < 0.5
    assert all(np.array_equal(x, y) for x, y in zip(a.run(s2).spikes, b.run(s2).spikes))
    assert np.array_equal(a.sops, b.sops)
    for k in range(len(net.layers)):
        la, lb = a.layer_state(k), b.layer_state(k)
        assert all(np.array_equal(la[f], lb[f]) for f in la)


def test_digits_network_equals_numpy():
    # the trained digits network of `neuroxide digits` on a few test images, full state every step
    from neuroxide.experiments.digits import digits_network
    from neuroxide.models.train import encode, load_digits_split
    network = digits_network()[0]
    s = encode(load_digits_split()[2][:12], 32, "rate", 1)
    a, b = SNNModel(network, 12), SNNModel(network, 12, backend="compiled")
    ta = a.run(s, record_state=True)
    tb = b.run(s, record_state=True)
    assert all(np.array_equal(x, y) for x, y in zip(ta.spikes, tb.spikes))
    assert np.array_equal(ta.sops, tb.sops) and ta.sops.sum() > 0
    assert all(np.array_equal(sa[f], sb[f]) for sa, sb in zip(ta.state, tb.state) for f in sa)
    assert any(sp.any() for sp in tb.spikes[-1:])  # the output layer fires: a non-trivial comparison
