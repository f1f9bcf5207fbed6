"""``snn-core``: the event-driven SNN accelerator core (rtl/snn_core.py) on a random network.

``-p`` parameters build a feed-forward network ``n_in -> n_hidden -> n_out`` (``n_hidden=0``: one
layer) of random integer weights (seeded), LIF neurons with the given constants, and the core with
``lanes`` synapses per clock. ``neuroxide simulate snn-core`` runs rate-coded random input
(``p_in``/256 spike probability per input per step) through the cocotb bench and compares every
neuron's full state at every step with ``SNNModel``; ``neuroxide build snn-core`` puts the core
behind the UART host link (``neuroxide.boards.linktop.HostLinkTop``), weights loadable over the
link (docs/snn_core.md).

``-p network=CONFIG.json`` takes the network from a core configuration file instead (written by
``neuroxide nir import -o``, or any ``{"seed", "layers"}`` dict of ``models.snn.network_to_dict``);
the random-network parameters (n_in, n_hidden, n_out, weight_bits, v_th, decay, ...) are then
unused, ``lanes``, ``seed`` (input spikes) and ``p_in`` still apply.
"""

import time
from dataclasses import dataclass

import numpy as np

from neuroxide.designs import Design
from neuroxide.errors import ParameterError
from neuroxide.overrides import check_int_params, check_known

__all__ = ["SNNCoreConfig", "SNNCoreDesign", "DESIGN", "PARAMS", "make_network"]

PARAMS = {
    "n_in": ("inputs", 64, 1, 1024),
    "n_hidden": ("hidden neurons (0: a single layer n_in -> n_out)", 64, 0, 1024),
    "n_out": ("output neurons", 10, 1, 1024),
    "lanes": ("synapses accumulated per clock: 1, 2, 4, 8, 16 or 32; 0 = auto (16; 4 on iCE40 boards)", 0, 0, 32),
    "weight_bits": ("conductance levels 2**weight_bits per device", 4, 1, 8),
    "seed": ("seed of the random weights, the input spikes and the neuron PRNGs", 1, 0, 0xFFFF_FFFF),
    "p_in": ("input spike probability x 256 per input and step (simulate)", 64, 0, 256),
    "v_th": ("threshold of every neuron", 120, 1, 32767),
    "decay": ("leak factor x 4096", 3968, 0, 4096),
    "t_ref": ("refractory steps", 1, 0, 63),
    "noise_bits": ("stochastic threshold noise bits", 4, 0, 15),
    "adapt_inc": ("threshold adaptation per spike", 8, 0, 4095),
    "lateral": ("lateral inhibition per spike of the output layer", 4, 0, 1023),
    "adc_shift": ("column ADC right shift", 0, 0, 15),
}


@dataclass(frozen=True)
class SNNCoreConfig:
    design: str
    n_in: int
    n_hidden: int
    n_out: int
    lanes: int
    weight_bits: int
    seed: int
    p_in: int
    v_th: int
    decay: int
    t_ref: int
    noise_bits: int
    adapt_inc: int
    lateral: int
    adc_shift: int
    network: str | None = None

    @property
    def n(self):
        """Neurons in the core (the CLI prints it)."""
        if self.network is not None:
            return make_network(self).n_neurons
        return self.n_hidden + self.n_out

    def lanes_for(self, board=None):
        """The lanes built: ``lanes``, or for 0 (auto) 16, and 4 on an iCE40 board (its 30 block
        RAMs and 5280 LCs hold the digits network at 4 lanes, not at 16)."""
        if self.lanes:
            return self.lanes
        if board is not None:
            from neuroxide.boards.platforms import get_board
            if get_board(board).fpga == "ice40":
                return 4
        return 16

    def to_dict(self):
        out = {name: getattr(self, name) for name in ("design", *PARAMS)}
        if self.network is not None:
            out["network"] = self.network
        return out


def load_network(path):
    """The :class:`~neuroxide.models.snn.CoreNetwork` of a configuration file (ParameterError if bad)."""
    import json
    from pathlib import Path

    from neuroxide.models.snn import network_from_dict
    try:
        d = json.loads(Path(path).read_text())
        return network_from_dict(d["network"] if "network" in d else d)
    except FileNotFoundError:
        raise ParameterError("network", path, "a core configuration JSON (neuroxide nir import -o)",
                             why="no such file") from None
    except ParameterError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as e:
        raise ParameterError("network", path, "a core configuration JSON (neuroxide nir import -o)",
                             why=f"{type(e).__name__}: {e}") from None


def make_network(cfg):
    """The seeded random :class:`~neuroxide.models.snn.CoreNetwork` of a configuration.

    Excitatory levels uniform over ``0..2**weight_bits - 1`` on half the synapses, inhibitory ones
    on a quarter; 10-bit input currents, 16-bit membranes.
    """
    if cfg.network is not None:
        return load_network(cfg.network)
    from neuroxide.models.lif import LIFParams
    from neuroxide.models.snn import CoreLayer, CoreNetwork
    rng = np.random.default_rng(cfg.seed)
    top = (1 << cfg.weight_bits) - 1
    sizes = [cfg.n_in] + ([cfg.n_hidden] if cfg.n_hidden else []) + [cfg.n_out]
    p = LIFParams(v_bits=16, in_bits=10, v_th=cfg.v_th, decay=cfg.decay, t_ref=cfg.t_ref,
                  noise_bits=cfg.noise_bits, adapt_inc=cfg.adapt_inc, v_min=-2048)
    layers = []
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        w_exc = rng.integers(0, top + 1, (n_in, n_out)) * (rng.random((n_in, n_out)) < 0.5)
        w_inh = rng.integers(0, top + 1, (n_in, n_out)) * (rng.random((n_in, n_out)) < 0.25)
        last = k == len(sizes) - 2
        layers.append(CoreLayer(w_exc, w_inh, cfg.weight_bits, p, adc_shift=cfg.adc_shift,
                                lateral=min(cfg.lateral, p.in_max) if last else 0))
    return CoreNetwork(tuple(layers), seed=cfg.seed)


def make_input(cfg, steps):
    """Rate-coded random input ``(steps, 1, n_in)``: every input fires with probability p_in/256."""
    from neuroxide.models.snn import encode_rate
    n_in = make_network(cfg).n_in if cfg.network is not None else cfg.n_in
    return encode_rate(np.full((1, n_in), cfg.p_in, dtype=np.int64), steps, seed=cfg.seed)


class SNNCoreDesign(Design):
    name = "snn-core"
    summary = "event-driven multi-layer SNN core: BRAM weights/state, `lanes` synapses/clock, pipelined LIF"
    model = "neuroxide.models.snn.SNNModel"
    rtl = "neuroxide.rtl.snn_core.SNNCore"

    def parameter_table(self):
        return [(k, default, f"{doc}, {lo}..{hi}") for k, (doc, default, lo, hi) in PARAMS.items()] + [
            ("network", None, "core configuration JSON (neuroxide nir import -o); replaces the random network")]

    def configure(self, overrides):
        from neuroxide.rtl.snn_core import LANES
        check_known(self.name, overrides, set(PARAMS) | {"network"})
        overrides = dict(overrides)
        network = overrides.pop("network", None)
        if network is not None and not isinstance(network, str):
            raise ParameterError("network", network, "a path to a core configuration JSON")
        values = check_int_params(PARAMS, overrides)
        if values["lanes"] not in (0, *LANES):
            raise ParameterError("lanes", values["lanes"], "0 (auto) | " + " | ".join(map(str, LANES)))
        cfg = SNNCoreConfig(self.name, **values, network=network)
        make_network(cfg)  # LIF/layer validation now, before any file is written
        return cfg

    def elaborate(self, cfg, board=None):
        from neuroxide.rtl.snn_core import SNNCore
        return SNNCore(make_network(cfg), lanes=cfg.lanes_for(board))

    def simulate(self, cfg, simulator, steps, build_dir, waves=None, progress=None, model_network=None):
        """``model_network``: compare against a different network (the negative test)."""
        from neuroxide.testbench.snn_bench import run_network
        t0 = time.perf_counter()
        net = make_network(cfg)
        res = run_network(net, make_input(cfg, steps), simulator=simulator, build_dir=build_dir, progress=progress,
                          lanes=cfg.lanes_for(), waves=waves, model_network=model_network)
        keep = ("cycles", "busy_cycles", "mismatches", "field_mismatches", "first_mismatch", "sops", "sops_rtl",
                "sop_per_cycle", "sop_per_busy_cycle", "cycles_per_s", "build_s")
        return {"design": cfg.design, "simulator": simulator, "steps": res["steps"], "lanes": cfg.lanes_for(),
                "neurons": net.n_neurons, "synapses": int(sum(la.n_in * la.n_out for la in net.layers)),
                **{k: res[k] for k in keep}, "spikes": res["spikes_total"], "wall_s": round(time.perf_counter() - t0, 3),
                "waves": str(waves) if waves else None}

    def board_top(self, cfg, board):
        from neuroxide.boards.linktop import HostLinkTop
        return HostLinkTop(self.elaborate(cfg, board))


DESIGN = SNNCoreDesign()
