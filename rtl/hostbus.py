"""The host bus: how the UART host link reaches a core's registers and memories.

Every accelerator core (SNN, ONN) exposes one :class:`HostBusSignature` port, ``bus``, as a
*target*; the host link (``neuroxide.rtl.hostlink``) drives it as the *initiator*. Everything a
host does (load weights and neuron parameters, push input events, start time steps, read spikes,
counters, phases) is a word write or read at an address of the core's register map, which each
core documents in its docstring. So one link, one protocol and one host driver serve every core.

Transfer (one word, 32 bits, word addresses of ``ADDR_BITS``)::

    cycle 0   initiator raises stb with addr, we, w_data (held until ack)
    cycle k   target raises ack for exactly one cycle (k >= 1); on a read, r_data is valid then
    cycle k+1 initiator drops stb (or presents the next transfer)

A target must ack every transfer, including ones to unmapped addresses (reads of those return 0
and set nothing), so the bus never hangs; the host link still gives up after a bounded number of
cycles and answers the host with a timeout error (defence in depth). Writes to FIFO-like
addresses (an input event queue) may be refused by acking with ``err`` high (queue full); the link
reports that to the host as an error code, and nothing is stored.
"""

from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["ADDR_BITS", "DATA_BITS", "HostBusSignature"]

ADDR_BITS = 24
DATA_BITS = 32


class HostBusSignature(wiring.Signature):
    """Initiator's view (the host link has ``Out(HostBusSignature())``, a core ``In(...)``)."""

    def __init__(self):
        super().__init__({
            "stb": Out(1),
            "we": Out(1),
            "addr": Out(ADDR_BITS),
            "w_data": Out(DATA_BITS),
            "ack": In(1),
            "err": In(1),
            "r_data": In(DATA_BITS),
        })
