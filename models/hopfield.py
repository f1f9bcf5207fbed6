"""Associative memory on the ONN: Hebbian and Storkey learning, differential coupling, retrieval.

Patterns are +-1 vectors of N pixels. Learning (float, zero diagonal)::

    Hebbian   W = (1/N) sum_mu xi_mu xi_mu^T
    Storkey   W += (1/N) (xi xi^T - xi h^T - h xi^T),  h_i = sum_{k != i} W_ik xi_k   (one pattern at a time)

The ONN stores ``J = round(W * (2**(weight_bits-1) - 1) / max|W|)`` (signed ``weight_bits``).
Differential coupling (Shamsi 2021: a pair of anti-phase oscillators per pixel and a memristor
bridge) stores the sign in which of two non-negative conductances is larger: ``J = G+ - G-`` with
``G+ = max(J, 0)``, ``G- = max(-J, 0)`` (:func:`differential_pair`); the core sums both as one signed
weight, so the dynamics equal the signed network.

Retrieval: the corrupted pattern sets the phases (pixel +1 -> phase 0, -1 -> 180 deg), then the
network runs without noise under a constant weak injection; the pixels are the final spins.
Baseline: a float Hopfield network with the float weights ``W``, asynchronous sign updates in a
random order until no pixel changes.
"""

import numpy as np

from neuroxide.errors import ParameterError

__all__ = ["hebbian", "storkey", "quantise", "differential_pair", "random_patterns", "corrupt",
           "retrieve_float_hopfield", "retrieve_onn_model", "retrieve_onn_float", "RULES", "retrieval_params"]

RULES = ("hebbian", "storkey")


def random_patterns(n, p, seed):
    return np.random.default_rng(seed).choice([-1, 1], size=(p, n)).astype(np.int64)


def hebbian(patterns):
    x = np.asarray(patterns, dtype=float)
    W = x.T @ x / x.shape[1]
    np.fill_diagonal(W, 0.0)
    return W


def storkey(patterns):
    x = np.asarray(patterns, dtype=float)
    n = x.shape[1]
    W = np.zeros((n, n))
    for xi in x:
        h = W @ xi - np.diag(W) * xi  # h_i = sum_{k != i} W_ik xi_k
        W = W + (np.outer(xi, xi) - np.outer(xi, h) - np.outer(h, xi)) / n
    np.fill_diagonal(W, 0.0)
    return W


def quantise(W, weight_bits):
    top = (1 << (weight_bits - 1)) - 1
    m = np.abs(W).max()
    if m == 0:
        return np.zeros(W.shape, dtype=np.int64)
    return np.rint(W * top / m).astype(np.int64)


def differential_pair(J):
    """``(G+, G-)``: non-negative conductance levels with ``J = G+ - G-``."""
    J = np.asarray(J, dtype=np.int64)
    return np.maximum(J, 0), np.maximum(-J, 0)


def corrupt(patterns, fraction, seed):
    """Flip exactly ``round(fraction * N)`` random pixels of each pattern (one probe per pattern)."""
    if not 0 <= fraction <= 1:
        raise ParameterError("fraction", fraction, "0..1")
    x = np.array(patterns, dtype=np.int64)
    rng = np.random.default_rng(seed)
    k = int(round(fraction * x.shape[1]))
    for row in x:
        row[rng.choice(x.shape[1], size=k, replace=False)] *= -1
    return x


def retrieve_float_hopfield(W, probes, seed, max_sweeps=50):
    """Asynchronous float Hopfield: s_i = sign(sum_j W_ij s_j) (ties keep s_i), random order."""
    s = np.array(probes, dtype=float).T  # (N, trials)
    rng = np.random.default_rng(seed)
    for _ in range(max_sweeps):
        changed = False
        for i in rng.permutation(s.shape[0]):
            h = W[i] @ s
            new = np.where(h > 0, 1.0, np.where(h < 0, -1.0, s[i]))
            changed |= bool(np.any(new != s[i]))
            s[i] = new
        if not changed:
            break
    return s.T.astype(np.int64)


def retrieval_params(J, steps=40):
    """ONN constants for retrieval: no noise, constant injection 1, drive scaled to the rows."""
    from .onn import SCHED_SHIFT, ONNParams
    rows = np.abs(J).sum(axis=1).max()
    phase_bits = 6
    q = 1 << (phase_bits - 2)
    acc_bits = max(8, int(rows * q).bit_length() + 2)
    shift = max(0, int(np.floor(np.log2(max(rows, 1) * q / 4 / 8))))  # typical |h| >> shift ~ couple_max
    return ONNParams(phase_bits=phase_bits, weight_bits=5, acc_bits=min(31, acc_bits), couple_shift=shift,
                     couple_max=8, inj_max=1, inj_rate=1 << SCHED_SHIFT, noise_max=0, noise_min=0, noise_rate=0)


def phases_of(p, probes):
    return np.where(np.asarray(probes).T > 0, 0, p.half).astype(np.int64)


def retrieve_onn_model(J, probes, steps=40, seed=1, params=None):
    """Fixed-point ONN retrieval (``ONNModel``), all probes at once as restarts."""
    from .onn import ONNModel
    p = params or retrieval_params(J, steps)
    probes = np.asarray(probes)
    m = ONNModel(p, J, seed, restarts=probes.shape[0])
    m.phase = phases_of(p, probes)
    m.run(steps)
    return m.spins().T


def retrieve_onn_float(J, probes, periods=40.0, seed=1, params=None):
    """Float phase-oscillator retrieval (``FloatONN``), couplings scaled to unit row sum."""
    from .onn_float import FloatONN, FloatONNParams
    Jf = np.asarray(J, dtype=float)
    Jf = Jf / max(np.abs(Jf).sum(axis=1).max(), 1e-12)
    # 0 and pi are fixed points of the coupling (sin 0 = sin pi = 0): a little phase noise lets
    # the unstable pixels leave them
    p = params or FloatONNParams(k_couple=0.2, k_inj_max=0.02, noise_max=0.05, noise_min=0.05)
    probes = np.asarray(probes)
    theta0 = np.where(probes.T > 0, 0.0, np.pi)
    m = FloatONN(p, Jf, seed, restarts=probes.shape[0], theta0=theta0)
    m.run(periods, anneal=False, k_inj=p.k_inj_max)
    return m.spins().T
