"""The Spyx side of the ``nir-framework`` benchmark: runs INSIDE Spyx's own virtual environment.

``python nir_framework_spyx.py OUT_DIR [options]`` builds a small spiking network in Spyx
(``spyx.nn.Sequential`` of ``flax.nnx.Linear`` -> Spyx ``LIF``/``IF`` -> ``Linear`` -> ``LIF``/``IF``)
with weights drawn from a fixed seed, simulates it with Spyx (``spyx.nn.run``) on a fixed random
spike input, exports it with Spyx's own NIR export (``spyx.nir.to_nir``) and writes:

* ``OUT_DIR/spyx.nir``: the exported graph, as ``nir.write`` stores it;
* ``OUT_DIR/spyx_run.npz``: ``input`` (steps, batch, n_in) and ``spikes_0``, ``spikes_1`` ...:
  each neuron layer's spikes as Spyx computed them (steps, batch, n), every layer stepped with its
  own ``__call__`` exactly as ``Sequential`` does (checked equal to ``spyx.nn.run``'s output);
* ``OUT_DIR/spyx_run.json``: the settings, the versions of spyx, jax, flax and nir.

It imports nothing of neuroxide (not installed in that environment); neuroxide never imports it
(``neuroxide/benchmarks/nir_framework.py`` runs it by path).
"""

import argparse
import json
import sys
from pathlib import Path

__all__ = ["main"]


def build_and_run(args):
    """The network, its Spyx simulation and its Spyx NIR export (module docstring)."""
    import importlib.metadata as md

    import jax
    import jax.numpy as jnp
    import nir
    import numpy as np
    import spyx
    import spyx.nir
    from flax import nnx

    jax.config.update("jax_platforms", "cpu")
    rng = np.random.default_rng(args.seed)
    x = (rng.random((args.steps, args.batch, args.n_in)) < args.rate).astype(np.float32)
    sizes = [args.n_in, args.hidden, args.n_out]
    rngs = nnx.Rngs(args.seed)
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        lin = nnx.Linear(a, b, rngs=rngs)
        lin.kernel[...] = jnp.asarray(rng.normal(0.0, args.gain / np.sqrt(a), (a, b)), dtype=jnp.float32)
        lin.bias[...] = jnp.full((b,), args.bias, dtype=jnp.float32)  # one value: the core shares a bias per layer
        if args.neuron == "lif":
            # a scalar beta (one decay for the layer, as the core holds it); Spyx's default is a
            # trainable per-neuron beta, which the core refuses (one leak factor per layer)
            neuron = spyx.nn.LIF((b,), beta=args.beta, threshold=args.threshold, rngs=rngs)
        else:
            neuron = spyx.nn.IF((b,), threshold=args.threshold)
        layers += [lin, neuron]
    model = spyx.nn.Sequential(*layers)

    out_run, _ = spyx.nn.run(model, jnp.asarray(x))
    # every neuron layer's spikes: the same per-layer calls Sequential makes, recorded per layer
    state = model.initial_state(args.batch)
    per_layer = [np.zeros((args.steps, args.batch, b), dtype=bool) for b in sizes[1:]]
    for t in range(args.steps):
        h, k = jnp.asarray(x[t]), 0
        for i, layer in enumerate(model.layers):
            if state[i] is None:
                h = layer(h)
            else:
                h, state[i] = layer(h, state[i])
                per_layer[k][t] = np.asarray(h) > 0.5
                k += 1
    if not np.array_equal(per_layer[-1], np.asarray(out_run) > 0.5):
        raise RuntimeError("per-layer stepping differs from spyx.nn.run: the recording is wrong")

    graph = spyx.nir.to_nir(model, {"input": np.array([args.n_in])}, {"output": np.array([args.n_out])},
                            dt=args.dt)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    nir.write(str(out / "spyx.nir"), graph)
    np.savez_compressed(out / "spyx_run.npz", input=x.astype(bool),
                        **{f"spikes_{k}": s for k, s in enumerate(per_layer)})
    versions = {p: md.version(p) for p in ("spyx", "jax", "jaxlib", "flax", "nir", "numpy")}
    info = {"settings": vars(args), "versions": versions, "sizes": sizes,
            "nodes": {k: type(v).__name__ for k, v in graph.nodes.items()},
            "spikes": [int(s.sum()) for s in per_layer]}
    (out / "spyx_run.json").write_text(json.dumps(info, indent=2))
    return info


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--neuron", choices=("lif", "if"), default="lif")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--n-in", type=int, default=40)
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--n-out", type=int, default=10)
    ap.add_argument("--rate", type=float, default=0.2, help="input spike probability per input and step")
    ap.add_argument("--gain", type=float, default=1.5, help="weights N(0, (gain / sqrt(fan_in))^2)")
    ap.add_argument("--bias", type=float, default=0.02)
    ap.add_argument("--beta", type=float, default=0.9, help="LIF decay per step")
    ap.add_argument("--threshold", type=float, default=1.0)
    ap.add_argument("--dt", type=float, default=1.0, help="the dt handed to spyx.nir.to_nir (its default: 1)")
    info = build_and_run(ap.parse_args(argv))
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
