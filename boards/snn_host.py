"""Host driver of the SNN core (``rtl/snn_core.py`` register map) over the UART host link.

::

    from neuroxide.boards.host import HostLink, SerialTransport
    from neuroxide.boards.snn_host import SNNHost
    core = SNNHost(HostLink(SerialTransport("/dev/ttyUSB1", 115200)))
    core.load_network(network)            # every weight of every layer, over the link
    spikes = core.run(in_spikes)          # (steps, n_in) 0/1 -> per layer (steps, n_out) bool

The gateware fixes each layer's LIF parameters, ADC shift, lateral inhibition and PRNG seeds at
elaboration (``neuroxide build snn-core -p ...``); :meth:`SNNHost.load_network` checks the layer
shapes against the core's SHAPE registers and loads the weights, the part a host may change.
:meth:`SNNHost.run` resets the neuron state, then per step pushes the input events and an
end-of-step marker, grants one step (RUN), waits for it and drains the output spike FIFO.
"""

import time

import numpy as np

from neuroxide.errors import ParameterError
from neuroxide.rtl.snn_core import EVENT_END, EVENT_RESET, ID_VALUE, REG

__all__ = ["SNNHost", "synapse_address", "decode_spike"]


def synapse_address(layer, i, j):
    """Bus word address of synapse (i, j) of layer ``layer``."""
    return ((layer + 1) << 20) | (i << 10) | j


def decode_spike(word):
    """OUT_EVENT word -> ``(layer, step mod 2**15, neuron)`` or None when the FIFO was empty."""
    if not word >> 31:
        return None
    return (word >> 27) & 0xF, (word >> 12) & 0x7FFF, word & 0xFFF


class SNNHost:
    """The SNN core's registers through a :class:`~neuroxide.boards.host.HostLink`."""

    def __init__(self, link, step_timeout_s=2.0):
        self.link = link
        self.step_timeout_s = step_timeout_s
        self._shapes = None

    def read(self, name, offset=0):
        return self.link.read(REG[name] + offset, 1)[0]

    def write(self, name, value, offset=0):
        self.link.write(REG[name] + offset, [value])

    def info(self):
        """``{"layers", "lanes", "out_fifo_depth", "shapes": [(n_in, n_out)]}``; raises when the
        target is not an SNN core."""
        ident = self.read("ID")
        if ident != ID_VALUE:
            raise ParameterError("ID", hex(ident), hex(ID_VALUE), why="the bus target is not an SNN core")
        config = self.read("CONFIG")
        n_layers = config & 0xF
        shapes = []
        for k in range(n_layers):
            word = self.read("SHAPE", k)
            shapes.append((word & 0xFFFF, word >> 16))
        self._shapes = shapes
        return {"layers": n_layers, "lanes": (config >> 4) & 0xFF, "out_fifo_depth": config >> 12, "shapes": shapes}

    def load_network(self, network):
        """Write every weight of ``network`` (a CoreNetwork whose shapes match the core)."""
        shapes = self._shapes or self.info()["shapes"]
        want = [(layer.n_in, layer.n_out) for layer in network.layers]
        if want != shapes:
            raise ParameterError("network", want, f"layer shapes {shapes}", why="the core was built for other sizes")
        for k, layer in enumerate(network.layers):
            words = (layer.w_exc | (layer.w_inh << 8)).astype(np.int64)
            for i in range(layer.n_in):  # one row: consecutive addresses j = 0 .. n_out-1
                self.link.write(synapse_address(k, i, 0), [int(x) for x in words[i]])

    def reset(self):
        """Every neuron back to its initial state, step counter 0 (a reset marker in the event queue)."""
        self.link.write(REG["EVENT"], [EVENT_RESET], increment=False)

    def run(self, in_spikes, layers_mask=None):
        """Run ``in_spikes`` (0/1 ``(steps, n_in)``) from the reset state; returns per layer a bool
        ``(steps, n_out)`` array of the spikes read back from the core."""
        shapes = self._shapes or self.info()["shapes"]
        s = np.asarray(in_spikes)
        if s.ndim != 2 or s.shape[1] != shapes[0][0]:
            raise ParameterError("in_spikes", f"shape {s.shape}", f"(steps, {shapes[0][0]})")
        mask = (1 << len(shapes)) - 1 if layers_mask is None else layers_mask
        out = [np.zeros((s.shape[0], n_out), dtype=bool) for _, n_out in shapes]
        self.reset()
        self.write("OUT_MASK", mask)
        self.write("CTRL", 0b11)  # counters and overflow flags cleared
        for t in range(s.shape[0]):
            words = [int(i) for i in np.flatnonzero(s[t])] + [EVENT_END]
            self.link.write(REG["EVENT"], words, increment=False)
            self.write("RUN", 1)
            deadline = time.monotonic() + self.step_timeout_s
            while self.read("STEP") < t + 1:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"step {t} did not finish within {self.step_timeout_s} s")
            level = self.read("OUT_LEVEL")
            if level:
                for word in self.link.read(REG["OUT_EVENT"], level, increment=False):
                    spike = decode_spike(word)
                    if spike is not None:
                        layer, _, neuron = spike
                        out[layer][t, neuron] = True
        if self.read("STATUS") & 0b110000:
            raise RuntimeError("the core reported an overflow (input events beyond n_in, or spikes lost)")
        return out
