"""Neuron-device variability in the SNN core: threshold spread device to device and cycle to cycle.

A device's threshold voltage varies between devices (device-to-device, d2d: fixed once the chip
is made) and between switching events of one device (cycle-to-cycle, c2c: a fresh value each
time). Both are relative standard deviations of ``V_th`` (``sigma / mu``); the fixed-point
threshold ``v_th`` of a layer stands for the device's ``V_th`` (``models/calibrate.py`` maps
``V_th`` linearly onto ``v_th``), so the same relative spread applies to the integer threshold.

* d2d -> :attr:`CoreLayer.v_th_neuron`, one integer threshold per neuron, drawn once::

      v_th[j] = clip(floor(v_th * (1 + d2d_sigma * z_j) + 1/2), lo, v_hi),   z_j ~ N(0, 1)

  ``z`` comes from ``numpy.random.default_rng([seed, THRESHOLD_D2D_STREAM, layer])`` (host-side
  float, like the crossbar's conductance spread; the integer vector it produces is what the
  bit-exact contract covers: the model and the RTL's threshold ROM hold the same integers). ``lo``
  is 1 (or ``v_reset + 1`` with ``reset_mode`` "value").

* c2c -> the LIF rule's existing stochastic threshold (``LIFParams.noise_bits``): every step each
  neuron adds ``(rng >> (32 - noise_bits)) - 2**(noise_bits - 1)`` to its threshold, drawn from
  its own xorshift32 state (the shared PRNG of ``models/prng.py``, stream ``SNN_STREAM``, already
  in the core). The uniform noise of width ``W = 2**noise_bits`` LSB has standard deviation
  ``W / sqrt(12)``; ``noise_bits`` is chosen so that it matches ``c2c_sigma * v_th`` best on a log
  scale::

      noise_bits = max(0, round(log2(sqrt(12) * c2c_sigma * v_th)))

  so the realised c2c sigma is within a factor sqrt(2) of the one asked for, and it is reported
  (``c2c_sigma_realised``). The shape is uniform, not Gaussian (as ``calibrate_zoo``'s stochastic
  neuron); the RTL needs nothing new for it.

Zero spread returns the network unchanged (the same object), so a run without spread is
bit-identical to one that never called this module.
"""

import dataclasses
import math

import numpy as np

from neuroxide.errors import ParameterError

from .snn import CoreNetwork

__all__ = ["THRESHOLD_D2D_STREAM", "MAX_THRESHOLD_SIGMA", "noise_bits_for", "threshold_spread", "device_spread"]

THRESHOLD_D2D_STREAM = 5   # default_rng([seed, stream, layer]) of the d2d threshold draw (crossbar uses 1..4)
MAX_THRESHOLD_SIGMA = 0.5  # beyond this a Gaussian threshold goes negative too often to mean anything
_SQRT12 = math.sqrt(12.0)


def _check_sigma(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) \
            or not math.isfinite(value) or not 0.0 <= value <= MAX_THRESHOLD_SIGMA:
        raise ParameterError(name, value, f"0..{MAX_THRESHOLD_SIGMA}", "relative sigma of the threshold")
    return float(value)


def noise_bits_for(c2c_sigma, v_th, v_bits):
    """``noise_bits`` of the uniform threshold noise whose sigma best matches ``c2c_sigma * v_th``
    (module docstring), at most ``v_bits - 2``."""
    c2c_sigma = _check_sigma("c2c_sigma", c2c_sigma)
    if c2c_sigma == 0.0:
        return 0
    width = _SQRT12 * c2c_sigma * v_th
    return int(min(max(0, round(math.log2(width))), v_bits - 2))


def threshold_spread(network, d2d_sigma=0.0, c2c_sigma=0.0, seed=1):
    """``network`` with device threshold spread (module docstring) -> ``(network, info)``.

    ``info``: per layer ``{"v_th", "v_th_min", "v_th_max", "clipped", "d2d_sigma_realised",
    "noise_bits", "c2c_sigma_realised"}`` (realised sigmas relative to the layer's nominal
    ``v_th``). With both sigmas 0 the very ``network`` object comes back.
    """
    if not isinstance(network, CoreNetwork):
        raise ParameterError("network", type(network).__name__, "a CoreNetwork")
    d2d_sigma = _check_sigma("d2d_sigma", d2d_sigma)
    c2c_sigma = _check_sigma("c2c_sigma", c2c_sigma)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= 0xFFFF_FFFF:
        raise ParameterError("seed", seed, "0..4294967295")
    layers, info = [], []
    for k, layer in enumerate(network.layers):
        p = layer.params
        v_nom = p.v_th
        v_th = layer.thresholds
        clipped = 0
        if d2d_sigma > 0.0:
            z = np.random.default_rng([seed, THRESHOLD_D2D_STREAM, k]).standard_normal(layer.n_out)
            raw = np.floor(v_th * (1.0 + d2d_sigma * z) + 0.5)
            lo = p.v_reset + 1 if p.reset_mode == "value" else 1
            clipped = int(((raw < lo) | (raw > p.v_hi)).sum())
            v_th = np.clip(raw, lo, p.v_hi).astype(np.int64)
        noise_bits = max(p.noise_bits, noise_bits_for(c2c_sigma, v_nom, p.v_bits))
        params = dataclasses.replace(p, noise_bits=noise_bits) if noise_bits != p.noise_bits else p
        if d2d_sigma > 0.0 or params is not p:
            layer = dataclasses.replace(layer, params=params, v_th_neuron=v_th)
        layers.append(layer)
        info.append({"v_th": int(v_nom), "v_th_min": int(v_th.min()), "v_th_max": int(v_th.max()),
                     "clipped": clipped, "d2d_sigma_realised": float(np.std(v_th) / v_nom),
                     "noise_bits": int(noise_bits),
                     "c2c_sigma_realised": float((1 << noise_bits) / _SQRT12 / v_nom) if noise_bits else 0.0})
    if d2d_sigma == 0.0 and c2c_sigma == 0.0:
        return network, info
    return CoreNetwork(tuple(layers), seed=network.seed), info


def device_spread(preset, spread=None):
    """``(d2d_sigma, c2c_sigma)`` of a device's threshold ``V_th``, relative (0.0 where not given).

    ``spread``: the measured spread of a preset file (``PresetDocument.spread``: ``{field: {"d2d":
    sigma, "c2c": sigma}}``), read at ``v_th_volt`` (a stochastic preset's circuit field is the same
    name). Without it, a stochastic TS preset (``StochasticTSPreset.sigma_rel``: a threshold drawn per
    switching event) gives its c2c sigma.
    """
    kinds = dict((spread or {}).get("v_th_volt") or {})
    d2d = float(kinds.get("d2d", 0.0))
    c2c = float(kinds.get("c2c", 0.0))
    sigma_rel = getattr(preset, "sigma_rel", None)
    if sigma_rel is not None and "c2c" not in kinds:
        c2c = float(sigma_rel)
    return d2d, c2c
