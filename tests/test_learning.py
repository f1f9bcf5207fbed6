"""Learning demos: the compiled learning loop equals PlasticModel, the readout maths, the synapse
presets' tables, tiny runs that must learn, and the command's contract (docs/learning.md)."""

import numpy as np
import pytest

from neuroxide.errors import ParameterError
from neuroxide.models.learning import (FixedRun, SDSPConfig, WTAConfig, assign_labels, downsample, encode_sample,
                                       letter_patterns, load_learning_data, predict, sample_seeds, to_p256,
                                       train_and_test)
from neuroxide.models.lif import LIFParams
from neuroxide.models.plasticity import PlasticityParams, PlasticLayer, column_gains, tables_from_device
from neuroxide.models.synapse_update import PRESETS, SynapseDevice, device_tables, pulse_response


def _random_layer(rng, trial):
    rule = ("stdp-add", "stdp-mult", "sdsp")[trial % 3]
    wb = int(rng.integers(2, 7))
    tables = tables_from_device(float(rng.uniform(0, 3)), float(rng.uniform(0, 3)), float(rng.uniform(0.5, 2)), wb,
                                6) if trial % 2 else None
    p = PlasticityParams(rule=rule, weight_bits=wb, trace_mode=("add", "nearest")[trial % 2], tables=tables,
                         theta_m=int(rng.integers(100, 500)), a_plus=int(rng.integers(0, 400)),
                         a_minus=int(rng.integers(0, 200)), stochastic=bool(trial % 4 != 3),
                         trace_decay=int(rng.integers(150, 250)), ca_inc=int(rng.integers(8, 64)),
                         a_post=0 if rule == "sdsp" or trial % 4 == 2 else int(rng.integers(1, 120)))
    lp = LIFParams(v_th=int(rng.integers(60, 300)), adapt_inc=int(rng.integers(0, 80)), adapt_shift=6,
                   noise_bits=int(rng.integers(0, 4)), t_ref=int(rng.integers(0, 3)),
                   reset_mode=("value", "subtract")[trial % 2])
    n_in, n_out = int(rng.integers(3, 24)), int(rng.integers(2, 9))
    sdsp = rule == "sdsp"
    return PlasticLayer(n_in, n_out, params=lp, plasticity=p, lateral=int(rng.integers(0, 200)),
                        w_shift=int(rng.integers(3, 6)), w_zero=int(rng.integers(0, 2)),
                        homeostasis=bool(trial % 2 == 0), teacher_drive=300 if sdsp else 0,
                        teacher_inh=150 if sdsp else 0,
                        column_gain=column_gains(n_out, 0.3, trial) if trial % 3 == 1 else None, seed=trial + 1,
                        wta=trial % 4 < 2)


@pytest.mark.parametrize("trial", range(8))
def test_compiled_loop_equals_plastic_model(trial):
    """Every weight, every state array and every spike count equal after each call, from random layers,
    rules, device tables, gains, teachers, frozen thresholds, one winner per step (``wta``, trials
    0, 1, 4, 5) and the post-spike depression ``a_post`` (STDP trials but 2, 6): the `model` back end's proof."""
    rng = np.random.default_rng(100 + trial)
    layer = _random_layer(rng, trial)
    w0 = rng.integers(0, layer.w_max + 1, (layer.n_in, layer.n_out))
    fast, ref = FixedRun(layer, w0), FixedRun(layer, w0, reference=True)
    fired = 0
    for call in range(3):
        n = 3
        p_in = to_p256(rng.random((n, layer.n_in)), 0.7)
        seeds = sample_seeds(trial, np.arange(n) + 10 * call)
        teacher = rng.integers(0, layer.n_out, n) if layer.plasticity.rule == "sdsp" else None
        fixed = rng.integers(0, 100, layer.n_out) if call == 2 else None
        learn = call != 1
        a = fast.run(p_in, seeds, 20, learn, teacher, fixed)
        b = ref.run(p_in, seeds, 20, learn, teacher, fixed)
        assert np.array_equal(a, b)
        assert np.array_equal(fast.w, ref.w)
        for name, value in ref.state.items():
            assert np.array_equal(fast.state[name], value), name
        fired += int(b.sum())
    assert fired > 0  # the layers fired: the comparison covered spikes


def test_compiled_loop_detects_a_difference():
    """The comparison can fail: a layer differing in one rate gives different weights."""
    rng = np.random.default_rng(7)
    layer = _random_layer(rng, 1)
    other = PlasticLayer(layer.n_in, layer.n_out, params=layer.params,
                         plasticity=layer.plasticity.replace(a_plus=layer.plasticity.a_plus // 2 + 1),
                         lateral=layer.lateral, w_shift=layer.w_shift, w_zero=layer.w_zero,
                         homeostasis=layer.homeostasis, column_gain=layer.column_gain, seed=layer.seed)
    w0 = rng.integers(0, layer.w_max + 1, (layer.n_in, layer.n_out))
    p_in = to_p256(rng.random((4, layer.n_in)), 0.8)
    a, b = FixedRun(layer, w0), FixedRun(other, w0, reference=True)
    a.run(p_in, sample_seeds(1, np.arange(4)), 30)
    b.run(p_in, sample_seeds(1, np.arange(4)), 30)
    assert not np.array_equal(a.w, b.w)


def test_encoder_rates_and_seeds():
    p = np.array([0, 64, 128, 256])
    s = encode_sample(p, 4000, 12345)
    assert s[:, 0].sum() == 0 and s[:, 3].all()
    assert abs(s[:, 1].mean() - 0.25) < 0.03 and abs(s[:, 2].mean() - 0.5) < 0.03
    assert not np.array_equal(encode_sample(p, 50, 1), encode_sample(p, 50, 2))
    assert np.array_equal(encode_sample(p, 50, 1), encode_sample(p, 50, 1))
    seeds = sample_seeds(3, np.arange(1000))
    assert len(set(seeds.tolist())) == 1000 and seeds.min() >= 0 and seeds.max() < 2 ** 32
    with pytest.raises(ParameterError, match="intensity"):
        to_p256(np.array([1.5]))


def test_label_assignment_on_hand_made_responses():
    # 4 neurons, 3 classes: n0 answers class 2, n1 class 0, n2 never fires, n3 class 1 (ties: lowest)
    counts = np.array([[0, 5, 0, 1],    # class 0
                       [0, 3, 0, 0],    # class 0
                       [1, 0, 0, 4],    # class 1
                       [6, 0, 0, 0],    # class 2
                       [2, 0, 0, 2]])   # class 1
    y = np.array([0, 0, 1, 2, 1])
    labels, resp = assign_labels(counts, y, 3)
    assert labels.tolist() == [2, 0, -1, 1]
    assert resp[0].tolist() == [0.0, 4.0, 0.0, 0.5] and resp[1].tolist() == [1.5, 0.0, 0.0, 3.0]
    # prediction: the class whose neurons fire most on average
    test = np.array([[0, 9, 0, 0], [7, 0, 0, 1], [0, 0, 5, 3], [0, 0, 0, 0]])
    assert predict(test, labels, 3).tolist() == [0, 2, 1, 0]
    # two neurons of one class: their mean, not their sum
    labels2 = np.array([0, 0, 1])
    assert predict(np.array([[4, 0, 3]]), labels2, 2).tolist() == [1]


def test_presets_tables_monotone_and_bounded():
    for name, dev in PRESETS.items():
        for wb in (2, 4, 6, 8):
            t = device_tables(dev, wb, 8)
            up, down = np.array(t.up), np.array(t.down)
            assert len(up) == len(down) == 1 << wb
            assert (up >= 0).all() and (up <= 4 << 8).all() and (down >= 0).all() and (down <= 4 << 8).all()
            assert (np.diff(up) <= 0).all(), name       # potentiation shrinks towards the top
            assert (np.diff(down) >= 0).all(), name     # depression shrinks towards the bottom
            assert abs(up.mean() / 256 - 1) < 0.02 and abs(down.mean() / 256 - dev.asymmetry) < 0.02 * dev.asymmetry
    ideal = device_tables(PRESETS["ideal"], 4, 8)
    assert set(ideal.up) == {256} and set(ideal.down) == {256}
    pcmo = device_tables(PRESETS["pcmo"], 4, 8)
    assert pcmo.up[0] > 5 * pcmo.up[-1] and pcmo.down[-1] > 5 * pcmo.down[0]
    for name, dev in PRESETS.items():
        assert dev.source and (name == "ideal" or dev.assumed)  # every preset says where it comes from


def test_pulse_response_and_device_validation():
    lin = pulse_response(0.0, 10)
    assert np.allclose(lin, np.linspace(0, 1, 11))
    curved = pulse_response(4.0, 10)
    assert curved[0] == 0 and abs(curved[-1] - 1) < 1e-12 and curved[1] > 0.3  # fast start, saturating
    down = pulse_response(4.0, 10, "down")
    assert down[0] == 1 and abs(down[-1]) < 1e-12
    for field, value in (("nonlinearity_up", -1.0), ("asymmetry", 5.0), ("c2c_sigma", 0.9), ("levels", 1)):
        with pytest.raises(ParameterError, match=field):
            SynapseDevice("x", **{field: value})
    with pytest.raises(ParameterError, match="weight_bits"):
        device_tables(PRESETS["pcmo"], 9)


def test_data_sets():
    x_tr, y_tr, x_te, y_te = load_learning_data("letters", letters="NEUX")
    assert x_tr.shape == (160, 25) and x_te.shape == (80, 25) and set(y_tr) == {0, 1, 2, 3}
    clean = letter_patterns("NEUX")
    flipped = (x_tr != clean[y_tr]).mean()
    assert 0.04 < flipped < 0.12
    img = np.zeros((1, 784))
    img[0, :28] = 1.0  # the top row
    small = downsample(img)
    assert small.shape == (1, 256) and abs(small.mean() - img.mean()) < 1e-12 and small[0, :16].min() > 0.5
    with pytest.raises(ParameterError, match="dataset"):
        load_learning_data("cifar")
    with pytest.raises(ParameterError, match="letters"):
        letter_patterns("Q")


@pytest.mark.slow  # compiling the float loop costs ~10 s of CPU on a fresh checkout (numba caches it afterwards)
def test_float_wta_learns_letters_above_chance():
    cfg = WTAConfig(n_out=8, v_th=3.0, theta_inc=0.3, x_tar=0.2, steps=32, weight_bits=4)
    data = load_learning_data("letters", letters="NEUX")
    r = train_and_test("wta", cfg, data, "float", None, epochs=2, seed=1)
    assert r.accuracy >= 0.7  # chance is 0.25
    assert r.snapshots[0].shape == (25, 8) and not np.array_equal(r.snapshots[0], r.w)
    # without the x_tar depression the fields only grow (the union of every pattern): worse
    flat = train_and_test("wta", WTAConfig(**{**cfg.__dict__, "x_tar": 0.0}), data, "float", None, epochs=2, seed=1)
    assert flat.w.mean() > r.w.mean()


def test_model_sdsp_learns_letters_above_chance():
    cfg = SDSPConfig(n_out=4, teacher_drive=0.3, teacher_inh=3.0, theta_m=0.2, theta_l=0.3, theta_h_up=5.0,
                     theta_h_down=4.0, step=0.1, step_down=0.025, reset="subtract", leak=1.0, v_th=2.0, ca_decay=0.9,
                     steps=16)
    data = load_learning_data("letters", letters="NEUX")
    r = train_and_test("sdsp", cfg, data, "model", None, epochs=1, seed=1)
    assert r.accuracy >= 0.6  # chance is 0.25
    layer = r.extra["layer"]
    assert layer.plasticity.rule == "sdsp" and (r.w != layer.w_zero).any()


@pytest.mark.parametrize("kind", ["wta", "sdsp"])
def test_training_schedule_is_the_model_training(kind):
    """The schedule the RTL back end feeds the core's bench, run on PlasticModel, ends in the weights and
    adaptive thresholds of the model back end's training (same samples, order, seeds, teachers)."""
    from neuroxide.models.learning import training_schedule
    from neuroxide.models.plasticity import PlasticModel, run_schedule
    cfg = (WTAConfig(n_out=8, v_th=3.0, theta_inc=0.3, x_tar=0.2, steps=12, weight_bits=4) if kind == "wta"
           else SDSPConfig(n_out=4, teacher_drive=0.3, teacher_inh=3.0, theta_m=0.2, theta_l=0.3, theta_h_up=5.0,
                           theta_h_down=4.0, step=0.1, step_down=0.025, reset="subtract", leak=1.0, v_th=2.0,
                           ca_decay=0.9, steps=12))
    data = load_learning_data("letters", letters="NEUX")
    layer, w0, sched = training_schedule(kind, cfg, data, epochs=2, n_train=6, seed=3)
    assert sched.steps == 2 * 6 * 12 and sched.rest.sum() == 2 * 6 - 1
    model = PlasticModel(layer, w0)
    trace = run_schedule(model, sched)
    run = FixedRun(layer, w0)
    x_tr, y_tr = data[0], data[1]
    for epoch in range(2):
        order = np.random.default_rng([3, epoch]).permutation(6)
        run.run(to_p256(x_tr[order], cfg.rate), sample_seeds(3, epoch * 6 + order), cfg.steps, True,
                y_tr[order] if kind == "sdsp" else None)
    assert np.array_equal(model.w, run.w) and np.array_equal(model.state["adapt"], run.state["adapt"])
    assert (trace["w"][-1] != w0).any()


def test_setup_validation_names_the_field():
    from neuroxide.experiments.learn import LearnSetup
    cases = {"demo": dict(demo="cifar"), "backend": dict(backend="board"), "device": dict(device="unobtainium"),
             "epochs": dict(epochs=0), "train": dict(train=5000), "test": dict(test=541),
             "learning_rate": dict(learning_rate=2.0), "weight_bits": dict(weight_bits=9), "steps": dict(steps=2),
             "seed": dict(seed=-1)}
    for field, kw in cases.items():
        with pytest.raises(ParameterError) as e:
            LearnSetup(**kw)
        assert e.value.field == field
    # the rtl back end simulates every clock: a small layer (letters) and a bounded budget
    for field, kw in {"backend": dict(demo="digits", backend="rtl"), "train": dict(demo="letters", backend="rtl",
                                                                               epochs=100)}.items():
        with pytest.raises(ParameterError) as e:
            LearnSetup(**kw)
        assert e.value.field == field
    LearnSetup(demo="letters", device="pcmo", epochs=1)  # valid ones
    LearnSetup(demo="letters", backend="rtl")


def test_cli_letters_json_and_plots(cli, tmp_path):
    r = cli("learn", "letters", "--epochs", "1", "--train", "40", "--plot-dir", tmp_path / "p", "--json")
    assert r.code == 0, r.stderr
    d = r.json
    for key in ("demo", "backend", "accuracy", "n_train", "n_test", "labels", "confusion", "samples_per_s", "plots"):
        assert key in d
    assert d["demo"] == "letters" and d["backend"] == "model" and d["n_test"] == 80 and d["n_out"] == 8
    assert d["n_train"] == 40 and d["weight_changes"] > 0
    assert sum(map(sum, d["confusion"])) == 80
    for name in ("receptive_fields", "weight_evolution"):
        assert open(d["plots"][name], "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_cli_bad_input_exit_2(cli, tmp_path):
    r = cli("learn", "letters", "--learning-rate", "5", "--plot-dir", tmp_path / "p")
    assert r.code == 2 and "--learning-rate" in r.stderr and not (tmp_path / "p").exists()
    r = cli("learn", "cifar")
    assert r.code == 2 and "DEMO" in r.stderr


@pytest.mark.slow  # the float loop (see above)
def test_device_sweep_and_plot(tmp_path):
    """A two-device sweep on letters (float): a device changes what is learned, the plot is written."""
    from neuroxide.experiments.learn import LearnSetup, plot_device_sweep, run_device_sweep
    setup = LearnSetup("letters", "float", epochs=1, seed=2)
    points = run_device_sweep(setup, nonlinearities=(0.0, 6.0), asymmetries=(1.0,), presets=False)
    assert [(p.nonlinearity, p.asymmetry) for p in points] == [(0.0, 1.0), (6.0, 1.0)]
    assert all(0.0 <= p.accuracy <= 1.0 for p in points)
    path = plot_device_sweep(setup, points, tmp_path / "s.png")
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    cfg, spec = setup.config, setup.spec
    data = load_learning_data("letters", letters="NEUX")
    a = train_and_test("wta", cfg, data, "float", PRESETS["ideal"], epochs=1, seed=2)
    b = train_and_test("wta", cfg, data, "float", PRESETS["pcmo"], epochs=1, seed=2)
    assert not np.allclose(a.w, b.w)


def test_model_uses_device_tables():
    """On the model back end a preset's tables (and per-column gains) reach the core's layer."""
    from neuroxide.experiments.learn import LearnSetup
    layer = LearnSetup("letters", device="pcmo").layer()
    assert layer.plasticity.tables == device_tables(PRESETS["pcmo"], 4, 8)
    assert layer.column_gain is not None and len(set(layer.column_gain)) > 1
    assert LearnSetup("letters").layer().plasticity.tables is None
