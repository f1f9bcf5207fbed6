"""Winner-take-all layer: LIF neurons with lateral inhibition, around the unchanged ``lif_step`` rule.

Each neuron's inhibitory input on a step is the lateral inhibition from the spikes of the *other*
neurons on the previous step (Zhang 2021 / Wang 2023 lateral inhibition), so the neuron with the
strongest drive fires first, pushes the others back and keeps winning::

    others[k] = sum_j spike[j] - spike[k]                 spikes of the others, last step
    i_inh[k]  = clamp(w_lat * others[k], 0, 2**in_bits - 1)
    (v, ref, adapt, rng, spike)[k] = lif_step(..., i_exc[k], i_inh[k])      (models/lif.py)

Written once over the ops layer on per-neuron sequences, so the same function drives the numpy
model (:class:`WTAModel`) and the gates (``neuroxide.rtl.wta.WTANeuronArray``). The extra state is
only the spike vector, which the LIF state already holds.
"""

import numpy as np

from neuroxide.errors import ParameterError

from .fixedpoint import NUMPY
from .lif import RNG_STREAM, lif_step
from .prng import seeds_for

__all__ = ["wta_step", "WTAModel"]


def wta_step(ops, p, w_lat, v, ref, adapt, rng, spike, i_exc):
    """One step of ``n = len(v)`` neurons; every argument but ``p``, ``w_lat`` is a per-neuron list.

    The state arguments and the returned lists ``(v, ref, adapt, rng, spike)`` are the fields of
    ``p.state_layout``, in its order.
    """
    n = len(v)
    total = ops.let("spikes_total", sum(ops.select(spike[j], 1, 0) for j in range(n)))
    out = [[] for _ in p.state_layout]
    for k in range(n):
        others = total - ops.select(spike[k], 1, 0)
        i_inh = ops.let(f"i_inh{k}", ops.clamp(others * w_lat, 0, p.in_max))
        res = lif_step(ops, p, v[k], ref[k], adapt[k], rng[k], i_exc[k], i_inh)
        for lst, value in zip(out, res):
            lst.append(value)
    return tuple(out)


class WTAModel:
    """``n`` LIF neurons in one winner-take-all group; PRNG seeds as ``LIFModel(params, n, seed)``."""

    def __init__(self, params, n, w_lat, seed=1):
        if isinstance(n, bool) or not isinstance(n, int) or not 2 <= n <= 64:
            raise ParameterError("n", n, "2..64", "a winner-take-all group needs at least two neurons")
        if isinstance(w_lat, bool) or not isinstance(w_lat, (int, np.integer)) or not 0 <= w_lat <= params.in_max:
            raise ParameterError("w_lat", w_lat, f"0..{params.in_max} (in_bits={params.in_bits})")
        self.params, self.n, self.w_lat, self.seed = params, n, int(w_lat), seed
        # per field of params.state_layout, a list of one value per neuron
        start = params.state_layout.initial((n,), v=params.v_init, rng=seeds_for(seed, RNG_STREAM, n))
        self.state = tuple(list(values) for values in start.values())

    def run(self, i_exc):
        """Run ``len(i_exc)`` steps on excitatory inputs of shape ``(steps, n)``; returns
        ``{field: (steps, n) array}`` of the state after every step."""
        p = self.params
        x = np.asarray(i_exc)
        if x.ndim != 2 or x.shape[1] != self.n or x.dtype.kind not in "iu":
            raise ParameterError("i_exc", getattr(x, "shape", None), f"an integer array (steps, {self.n})")
        if x.size and (x.min() < 0 or x.max() > p.in_max):
            raise ParameterError("i_exc", int(x.max()), f"0..{p.in_max}")
        out = p.state_layout.empty((x.shape[0], self.n))
        state = self.state
        for t in range(x.shape[0]):
            state = wta_step(NUMPY, p, self.w_lat, *state, [np.int64(x[t, k]) for k in range(self.n)])
            for values, trace in zip(state, out.values()):
                trace[t] = values
        self.state = tuple(list(values) for values in state)
        return out
