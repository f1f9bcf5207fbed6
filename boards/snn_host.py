"""Host driver of the SNN core over the UART host link.

::

    from neuroxide.boards.host import open_serial
    from neuroxide.boards.snn_host import SNNHost
    core = SNNHost(open_serial("/dev/ttyUSB1", 115200))
    core.load_network(network)            # every weight of every layer, over the link
    spikes = core.run(in_spikes)          # (steps, n_in) 0/1 -> per layer (steps, n_out) bool

Every address, field and FIFO register comes from the core's register map
(:func:`neuroxide.models.snn_registers.snn_register_map`, through
:class:`~neuroxide.boards.host.CoreRegisters`). The gateware fixes the widths, reset mode, noise,
lateral inhibition and PRNG seeds of each layer at elaboration (``neuroxide build snn-core -p ...``);
:meth:`SNNHost.load_network` checks the layer shapes against the core's SHAPE registers and loads
the weights and the run-time neuron parameters (``models.snn_registers.PARAM_REGISTERS``: v_th,
decay, bias, v_reset, t_ref, adapt_inc, adc_shift, syn_decay), the part a host may change. :meth:`SNNHost.run` resets the neuron state, then per step
pushes the input events and an end-of-step marker, grants one step (RUN), waits for it and drains
the output spike FIFO.
"""

import time

import numpy as np

from neuroxide.errors import ParameterError
from neuroxide.models.snn_registers import MAX_LAYERS, PARAM_REGISTERS, SNN_ID, snn_register_map

from .host import CoreRegisters

__all__ = ["SNNHost"]


class SNNHost:
    """The SNN core's registers through a :class:`~neuroxide.boards.host.HostLink`.

    ``regs``: the registers by name; the map is the one of the largest core (its addresses do not
    depend on the layer count), :meth:`info` reads the actual layers. ``weight_format``: how the
    core stores its weights (``neuroxide build snn-core`` ``weight_format``; no register reports
    it): under ``signed`` (``rtl.snn_memory.WeightMemory``: one level w_exc - w_inh per synapse)
    :meth:`load_network` refuses, before any write, a network with a synapse whose w_exc and
    w_inh are both non-zero (the core would store the difference and no longer equal the model)."""

    def __init__(self, link, step_timeout_s=2.0, weight_format="pair"):
        from neuroxide.models.snn_capacity import check_weight_format
        self.weight_format = check_weight_format(weight_format)
        self.link = link
        self.regs = CoreRegisters(link, snn_register_map(MAX_LAYERS))
        self.step_timeout_s = step_timeout_s
        self._shapes = None

    def info(self):
        """``{"layers", "lanes", "out_fifo_depth", "neurons_per_clock", "shapes": [(n_in, n_out)]}``; raises when the
        target is not an SNN core."""
        ident = self.regs.read("ID")
        if ident != SNN_ID:
            raise ParameterError("ID", hex(ident), hex(SNN_ID), why="the bus target is not an SNN core")
        config = self.regs.get("CONFIG")
        shapes = []
        for k in range(config["layers"]):
            shape = self.regs.get("SHAPE", k)
            shapes.append((shape["n_in"], shape["n_out"]))
        self._shapes = shapes
        return {"layers": config["layers"], "lanes": config["lanes"], "out_fifo_depth": config["out_fifo_depth"],
                "neurons_per_clock": 1 << config["neurons_log2"], "shapes": shapes}

    def load_network(self, network):
        """Write every weight and run-time neuron parameter of ``network`` (a CoreNetwork whose shapes
        match the core; its other parameters must be the ones the core was built with). A core of the
        ``signed`` weight format refuses a synapse with both levels non-zero (ParameterError naming
        the layer and the synapse, nothing written)."""
        shapes = self._shapes or self.info()["shapes"]
        want = [(layer.n_in, layer.n_out) for layer in network.layers]
        if want != shapes:
            raise ParameterError("network", want, f"layer shapes {shapes}", why="the core was built for other sizes")
        if self.weight_format == "signed":   # before any write: the core keeps what it had
            from neuroxide.models.snn_capacity import check_signed_weights
            check_signed_weights(network)
        synapse = self.regs.registers["SYNAPSE"]
        for k, layer in enumerate(network.layers):
            for name, (where, field_name) in PARAM_REGISTERS.items():
                value = getattr(layer.params if where == "params" else layer, field_name)
                if value is None:
                    continue
                word = int(value) & 0xFFFF_FFFF
                self.regs.write(name, word, index=k)
                if self.regs.read(name, index=k) != word:  # a core built without run-time parameters
                    raise ParameterError(f"layers[{k}].{field_name}", value, "the value the core was built with",
                                         why="the core's neuron parameters are fixed at build time")
            # every row, zeros included (SPRAM weights start undefined on the silicon); a recurrent
            # layer's rows n_in + m hold its own spikes' weights; a conv layer's kernel is stored once:
            # row i = kernel row (ci*kH + ky)*kW + kx, column j = output channel
            w_exc, w_inh = np.asarray(layer.w_exc), np.asarray(layer.w_inh)
            if layer.conv is not None:
                w_exc = w_exc.reshape(layer.conv.out_channels, -1).T
                w_inh = w_inh.reshape(layer.conv.out_channels, -1).T
            elif layer.recurrent:
                w_exc, w_inh = np.vstack([w_exc, layer.w_rec_exc]), np.vstack([w_inh, layer.w_rec_inh])
            words = synapse.encode(w_exc=w_exc, w_inh=w_inh)
            for i in range(w_exc.shape[0]):  # one row: consecutive addresses j = 0 .. n_out-1
                self.regs.write("SYNAPSE", words[i], layer=k, i=i)

    def reset(self):
        """Every neuron back to its initial state, step counter 0 (a reset marker in the event queue)."""
        self.regs.set("EVENT", reset=1)

    def run(self, in_spikes, layers_mask=None):
        """Run ``in_spikes`` (0/1 ``(steps, n_in)``) from the reset state; returns per layer a bool
        ``(steps, n_out)`` array of the spikes read back from the core."""
        shapes = self._shapes or self.info()["shapes"]
        s = np.asarray(in_spikes)
        if s.ndim != 2 or s.shape[1] != shapes[0][0]:
            raise ParameterError("in_spikes", f"shape {s.shape}", f"(steps, {shapes[0][0]})")
        mask = (1 << len(shapes)) - 1 if layers_mask is None else layers_mask
        out = [np.zeros((s.shape[0], n_out), dtype=bool) for _, n_out in shapes]
        events = self.regs.registers["EVENT"]
        self.reset()
        self.regs.write("OUT_MASK", mask)
        self.regs.set("CTRL", clear_counters=1, clear_flags=1)
        for t in range(s.shape[0]):
            self.regs.write("EVENT", [events.encode(index=int(i)) for i in np.flatnonzero(s[t])]
                            + [events.encode(end_step=1)])
            self.regs.write("RUN", 1)
            deadline = time.monotonic() + self.step_timeout_s
            while self.regs.read("STEP") < t + 1:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"step {t} did not finish within {self.step_timeout_s} s")
            level = self.regs.read("OUT_LEVEL")
            if level:
                for word in self.regs.read("OUT_EVENT", level):
                    spike = self.regs.registers.decode("OUT_EVENT", word)
                    if spike["valid"]:
                        out[spike["layer"]][t, spike["neuron"]] = True
        status = self.regs.get("STATUS")
        if status["overflow"] or status["out_overflow"]:
            raise RuntimeError("the core reported an overflow (input events beyond n_in, or spikes lost)")
        return out
