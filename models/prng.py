"""The shared pseudo-random number generator: xorshift32, identical in models/ and rtl/.

Marsaglia's xorshift32 (shifts 13, 17, 5; period 2**32 - 1, state never 0)::

    x ^= x << 13;  x ^= x >> 17;  x ^= x << 5      (all mod 2**32)

One call advances one 32-bit state word. In gates each output bit is an XOR of a handful of state
bits: no adder, no multiplier, one LUT level or two. Every stochastic element (threshold noise,
on-chip stimulus) owns its own state word, seeded from ``(seed, stream, index)`` by
:func:`seed_for`, so neurons draw independent streams and a run is reproducible from one seed.
"""

import numpy as np

from .layout import StateField

__all__ = ["xorshift32", "seed_for", "seeds_for", "MASK32", "RNG_STATE"]

MASK32 = 0xFFFF_FFFF

# the state word every stochastic element owns, as a field of its rule's state layout
RNG_STATE = StateField("rng", 32, doc="xorshift32 state word (never 0)")


def xorshift32(ops, x):
    """One xorshift32 step of the state ``x`` (an unsigned 32-bit value), as an update rule."""
    x = ops.let("xs13", x ^ ops.shl(x, 13, 32))
    x = ops.let("xs17", x ^ (x >> 17))
    return x ^ ops.shl(x, 5, 32)


def _mix32(z):
    # the 32-bit finaliser of MurmurHash3: a bijection that spreads every input bit
    z = (z ^ (z >> 16)) * 0x85EB_CA6B & MASK32
    z = (z ^ (z >> 13)) * 0xC2B2_AE35 & MASK32
    return z ^ (z >> 16)


def seed_for(seed, stream, index):
    """Nonzero 32-bit PRNG seed for element ``index`` of stream ``stream`` (a small int) of a run."""
    if not isinstance(seed, int) or not 0 <= seed <= MASK32:
        from neuroxide.errors import ParameterError
        raise ParameterError("seed", seed, f"0..{MASK32}")
    z = _mix32((seed * 0x9E37_79B9 + stream * 0x7F4A_7C15 + index * 0x632B_E5AB) & MASK32)
    return z or 0x6D2B_79F5  # xorshift's state must never be 0


def seeds_for(seed, stream, n):
    """``seed_for`` for indices 0..n-1 as an int64 array."""
    return np.array([seed_for(seed, stream, i) for i in range(n)], dtype=np.int64)
