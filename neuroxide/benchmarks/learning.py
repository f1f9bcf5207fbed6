"""Learning on the chip (issue 20; docs/learning.md): the demos' accuracies at their stated budgets,
accuracy against the synapse device's update behaviour, and learning speed.

Parts:

* ``learn-accuracy``: each demo of ``neuroxide learn`` (digits, mnist, sdsp-mnist, letters) at its
  default budget on both back ends (``float`` and ``model`` = the core's golden model), one seed:
  accuracy, train accuracy, samples, epochs, learning wall time; beside the issue's targets
  (unsupervised digits >= 85 %, MNIST subset >= 80 %, supervised SDSP on MNIST >= 84.5 %) and
  ``core_features`` (what the core's rule offers of what the demo needs: one winner per step
  ``wta`` and the post-spike depression ``a_post``). About 10 minutes.
* ``learn-device-sweep``: digits (float back end, 2 epochs: the sweep's 20 runs stay near 2
  minutes) on devices of non-linearity 0..6 x asymmetry 0.5 / 1 / 2 and on each synapse preset;
  the plot ``docs/img/learn_device_sweep.png``.
* ``learn-speed``: samples and synapse-steps per second of learning on this CPU: the core's model
  as ``PlasticModel`` itself (numpy, one step per call) and as the compiled loop equal to it, and the
  float loop, on the MNIST layer (784 x 100).
"""

import time

import numpy as np

__all__ = ["PARTS", "TARGETS", "learn_accuracy", "learn_device_sweep", "learn_speed"]

TARGETS = {"digits": 0.85, "mnist": 0.80, "sdsp-mnist": 0.845}


def learn_accuracy(demos=("digits", "mnist", "sdsp-mnist", "letters"), backends=("float", "model"), seed=1):
    from neuroxide.experiments.learn import LearnSetup, run_learn
    out = {}
    for demo in demos:
        for backend in backends:
            r = run_learn(LearnSetup(demo, backend, seed=seed)).to_dict()
            out[f"{demo}/{backend}"] = {k: r[k] for k in ("accuracy", "train_accuracy", "n_train", "n_test", "epochs",
                                                         "n_in", "n_out", "weight_bits", "learn_s", "samples_per_s",
                                                         "core_features", "neurons_per_class")}
            target = TARGETS.get(demo)
            out[f"{demo}/{backend}"]["target"] = target
            out[f"{demo}/{backend}"]["meets_target"] = None if target is None else bool(r["accuracy"] >= target)
    return out


def learn_device_sweep(demo="digits", backend="float", epochs=2, plot="docs/img/learn_device_sweep.png", seed=1):
    from neuroxide.experiments.learn import LearnSetup, plot_device_sweep, run_device_sweep
    setup = LearnSetup(demo, backend, epochs=epochs, seed=seed)
    t0 = time.perf_counter()
    points = run_device_sweep(setup)
    out = {"demo": demo, "backend": backend, "epochs": epochs, "points": [p.to_dict() for p in points],
           "wall_s": round(time.perf_counter() - t0, 1)}
    if plot:
        out["plot"] = plot_device_sweep(setup, points, plot)
    return out


def learn_speed(samples=200, reference_samples=10, seed=1):
    from neuroxide.experiments.learn import demo_spec
    from neuroxide.models.learning import (FixedRun, load_learning_data, run_float, sample_seeds, to_p256,
                                           warm_up)
    spec = demo_spec("mnist")
    cfg = spec.config
    x = load_learning_data("mnist")[0][:samples]
    p = to_p256(x, cfg.rate)
    layer, a_post = cfg.layer(x.shape[1], None, seed)
    w0 = np.random.default_rng(seed).integers(0, int(cfg.init_max * ((1 << cfg.weight_bits) - 1)) + 1,
                                             (x.shape[1], cfg.n_out))
    seeds = sample_seeds(seed, np.arange(samples))
    out = {"layer": f"{layer.n_in} x {layer.n_out}", "steps_per_sample": cfg.steps}
    warm_up("model")
    warm_up("float")
    runs = (("model_numpy_PlasticModel", reference_samples, lambda n: FixedRun(layer, w0, True).run(p[:n], seeds[:n],
                                                                                                    cfg.steps)),
            ("model_compiled", samples, lambda n: FixedRun(layer, w0).run(p[:n], seeds[:n], cfg.steps)),
            ("float_compiled", samples, lambda n: run_float(layer, w0.astype(float), np.zeros(cfg.n_out), p[:n],
                                                            seeds[:n], cfg.steps, a_post=a_post, wta=True)))
    for name, n, fn in runs:
        t0 = time.perf_counter()
        fn(n)
        dt = time.perf_counter() - t0
        out[name] = {"samples": n, "wall_s": round(dt, 3), "samples_per_s": round(n / dt, 2),
                     "time_steps_per_s": round(n * cfg.steps / dt, 1),
                     "synapse_steps_per_s": round(n * cfg.steps * layer.n_in * layer.n_out / dt, 1)}
    return out


PARTS = {"learn-accuracy": learn_accuracy, "learn-device-sweep": learn_device_sweep, "learn-speed": learn_speed}
