"""Pseudo-random input stimulus, generated identically by the model and on chip.

Benches and board tops drive neurons from this generator instead of from Python, so a simulator
(or an FPGA) runs free for thousands of steps while the model reproduces every input exactly.

Each neuron owns one xorshift32 state (stream 2 of ``prng.seed_for``). Per step::

    r1 = xorshift32(rng);  r2 = xorshift32(r1);  rng' = r2
    i_exc = (r1 & (2**exc_bits - 1)) if (r1 >> 24) < p_exc else 0     excitatory event
    i_inh = (r2 & (2**inh_bits - 1)) if (r2 >> 24) < p_inh else 0     inhibitory event

``p_exc``/``p_inh`` are event probabilities in 1/256 (0..256); amplitudes are uniform over
``exc_bits``/``inh_bits`` bits. The inputs for step ``t`` come from the state after ``t`` advances.
"""

from dataclasses import dataclass

import numpy as np

from neuroxide.errors import ParameterError

from .fixedpoint import NUMPY
from .layout import StateField, StateLayout
from .prng import RNG_STATE, seeds_for, xorshift32

__all__ = ["STIM_DOCS", "StimulusParams", "stimulus_step", "StimulusModel", "STIM_STREAM"]

STIM_STREAM = 2

STIM_DOCS = {
    "p_exc": "probability x 256 of an excitatory event per neuron and step",
    "p_inh": "probability x 256 of an inhibitory event",
    "exc_bits": "excitatory amplitude: uniform over exc_bits bits",
    "inh_bits": "inhibitory amplitude: uniform over inh_bits bits",
}


@dataclass(frozen=True)
class StimulusParams:
    """Event probabilities (x/256) and amplitude widths of the random drive (:data:`STIM_DOCS`)."""

    p_exc: int = 128
    p_inh: int = 48
    exc_bits: int = 10
    inh_bits: int = 9

    # the state of one neuron's generator (its PRNG word), in the order stimulus_step returns it
    state_layout = StateLayout(RNG_STATE)

    @staticmethod
    def output_layout(in_bits):
        """The inputs a generator gives one neuron per step (``in_bits`` wide, the neuron's input width)."""
        return StateLayout(StateField("i_exc", in_bits, doc="excitatory event amplitude, 0 without an event"),
                           StateField("i_inh", in_bits, doc="inhibitory event amplitude, 0 without an event"))

    def validate(self, in_bits):
        for name in ("p_exc", "p_inh"):
            value = getattr(self, name)
            if not isinstance(value, int) or not 0 <= value <= 256:
                raise ParameterError(f"stim_{name}", value, "0..256 (event probability x 256)")
        for name in ("exc_bits", "inh_bits"):
            value = getattr(self, name)
            if not isinstance(value, int) or not 0 <= value <= in_bits:
                raise ParameterError(f"stim_{name}", value, f"0..{in_bits} (in_bits)")
        return self


def stimulus_step(ops, sp, rng):
    """One step of the stimulus rule: returns ``(rng', i_exc, i_inh)`` (``state_layout``, then
    ``output_layout``)."""
    r1 = ops.let("stim_r1", xorshift32(ops, rng))
    r2 = ops.let("stim_r2", xorshift32(ops, r1))
    i_exc = ops.select((r1 >> 24) < sp.p_exc, r1 & ((1 << sp.exc_bits) - 1), 0)
    i_inh = ops.select((r2 >> 24) < sp.p_inh, r2 & ((1 << sp.inh_bits) - 1), 0)
    return r2, i_exc, i_inh


class StimulusModel:
    """Vectorised stimulus for ``n`` neurons; :meth:`generate` returns ``(steps, n)`` arrays."""

    def __init__(self, params, n, seed, in_bits):
        self.params = params.validate(in_bits)
        self.n = n
        self.rng = seeds_for(seed, STIM_STREAM, n)

    def generate(self, steps):
        exc = np.empty((steps, self.n), dtype=np.int64)
        inh = np.empty((steps, self.n), dtype=np.int64)
        rng = self.rng
        for t in range(steps):
            rng, exc[t], inh[t] = stimulus_step(NUMPY, self.params, rng)
        self.rng = rng
        return exc, inh
