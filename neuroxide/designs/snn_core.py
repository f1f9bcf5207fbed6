"""``snn-core``: the event-driven SNN accelerator core (rtl/snn_core.py) on a random network.

``-p`` parameters build a feed-forward network ``n_in -> n_hidden -> n_out`` (``n_hidden=0``: one
layer) of random integer weights (seeded), LIF neurons with the given constants, and the core with
``lanes`` synapses and ``neurons_per_clock`` neuron updates per clock (auto: 64 and 16, 4 and 1 on
iCE40 boards). ``neuroxide simulate snn-core`` runs rate-coded random input
(``p_in``/256 spike probability per input per step) through the cocotb bench and compares every
neuron's full state at every step with ``SNNModel``; ``neuroxide build snn-core`` puts the core
behind the UART host link (``neuroxide.boards.linktop.HostLinkTop``), weights and neuron
parameters loadable over the link (docs/snn_core.md).

``-p network=CONFIG.json`` takes the network from a core configuration file instead (written by
``neuroxide nir import -o``, or any ``{"seed", "layers"}`` dict of ``models.snn.network_to_dict``);
the random-network parameters (n_in, n_hidden, n_out, weight_bits, v_th, decay, ...) are then
unused, ``lanes``, ``neurons_per_clock``, ``seed`` (input spikes) and ``p_in`` still apply.

``-p weight_format=signed`` (the default for a ``network`` file that records ``"weight_format": "signed"``,
written by ``neuroxide nir import --weight-format signed``) stores each synapse as its signed level ``w_exc - w_inh`` in
``weight_bits + 1`` bits instead of the pair (``2 * weight_bits``; ``pair``, the default): at 8-bit
weights 9 bits instead of 16, about half the weight block RAM (``rtl.snn_memory.WeightMemory``).
Refused for a network with a synapse whose w_exc and w_inh are both non-zero (the random network of
the ``n_in``.. parameters has such synapses; a network imported from NIR has none).
"""

import time
from dataclasses import dataclass

import numpy as np

from neuroxide.designs import Design
from neuroxide.errors import ParameterError
from neuroxide.models.hostlink import BAUD_PARAM, DEFAULT_BAUD
from neuroxide.overrides import check_int_params, check_known

__all__ = ["SNNCoreConfig", "SNNCoreDesign", "DESIGN", "PARAMS", "make_network", "weight_kinds", "CNN_GEOMETRY", "make_cnn_network",
           "make_event_input"]

PARAMS = {
    "n_in": ("inputs", 64, 1, 1024),
    "n_hidden": ("hidden neurons (0: a single layer n_in -> n_out)", 64, 0, 1024),
    "n_out": ("output neurons", 10, 1, 1024),
    "lanes": ("synapses accumulated per clock: 1, 2, 4 ... 128; 0 = auto (64; 4 on iCE40 boards)", 0, 0, 128),
    "neurons_per_clock": ("neuron updates per clock (parallel LIF lanes): 1, 2, 4 ... 32, at most lanes; "
                          "0 = auto (16; 1 on iCE40 boards)", 0, 0, 32),
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
    "baud": BAUD_PARAM,
}


@dataclass(frozen=True)
class SNNCoreConfig:
    design: str
    n_in: int
    n_hidden: int
    n_out: int
    lanes: int
    neurons_per_clock: int
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
    baud: int = DEFAULT_BAUD
    network: str | None = None
    weight_format: str = "pair"

    @property
    def n(self):
        """Neurons in the core (the CLI prints it)."""
        if self.network is not None:
            return make_network(self).n_neurons
        return self.n_hidden + self.n_out

    def lanes_for(self, board=None):
        """The lanes built: ``lanes``, or for 0 (auto) 64 (a digits layer's 64 columns in one group),
        and 4 on an iCE40 board (its 30 block RAMs and 5280 LCs hold the digits network at 4 lanes)."""
        if self.lanes:
            return self.lanes
        return 4 if _ice40(board) else 64

    def neurons_for(self, board=None):
        """The neuron lanes built: ``neurons_per_clock``, or for 0 (auto) min(16, lanes) (halved until it
        divides every conv layer's output channels), and 1 on an iCE40 board (one LIF datapath already
        fills most of the iCE40UP5K)."""
        if self.neurons_per_clock:
            return self.neurons_per_clock
        if _ice40(board):
            return 1
        if self.network is None:
            return min(16, self.lanes_for(board))
        from neuroxide.rtl.snn_core import default_neurons_per_clock   # halved to divide conv channels
        return default_neurons_per_clock(self.lanes_for(board), make_network(self))

    def to_dict(self):
        out = {name: getattr(self, name) for name in ("design", *PARAMS)}
        if self.network is not None:
            out["network"] = self.network
        if self.weight_format != "pair":
            out["weight_format"] = self.weight_format
        return out


def _ice40(board):
    if board is None:
        return False
    from neuroxide.boards.platforms import get_board
    return get_board(board).fpga == "ice40"


def weight_kinds(network, lanes, board=None, weight_format="pair"):
    """Weight memory kind per layer on ``board`` (``models.snn_capacity.weight_kinds``: the four SPRAMs
    of an iCE40UP5K for the largest layers, block RAM elsewhere); ``bram`` for a part it does not know."""
    from neuroxide.models.snn_capacity import device_of_part
    from neuroxide.models.snn_capacity import weight_kinds as kinds_on
    if board is None:
        return kinds_on(network, lanes)
    from neuroxide.boards.platforms import get_board
    device = device_of_part(get_board(board).device)
    return kinds_on(network, lanes, device, weight_format) if device else kinds_on(network, lanes)


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


def _recorded_weight_format(path):
    """The ``weight_format`` a core configuration file records (``pair`` when it records none or the
    file cannot be read: :func:`load_network` reports a bad file)."""
    import json
    from pathlib import Path
    try:
        d = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return "pair"
    return d.get("weight_format", "pair") if isinstance(d, dict) else "pair"


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


# The NIR paper's N-MNIST CNN (cnn_sinabs.nir) as core layers: input 2x34x34 -> conv 2->16 5x5 s2 p1
# -> conv 16->16 3x3 p1 -> (sum pool 2 composed with) conv 16->8 3x3 p1 = conv 6x6 s2 p2 -> dense
# 512->256 (pool + flatten + affine composed) -> dense 256->10.
CNN_GEOMETRY = (
    dict(in_shape=(2, 34, 34), out_channels=16, kernel=(5, 5), stride=(2, 2), padding=(1, 1)),
    dict(in_shape=(16, 16, 16), out_channels=16, kernel=(3, 3), stride=(1, 1), padding=(1, 1)),
    dict(in_shape=(16, 16, 16), out_channels=8, kernel=(6, 6), stride=(2, 2), padding=(2, 2)),
    512, 256, 10)


def make_cnn_network(seed=1, weight_bits=8, geometry=CNN_GEOMETRY, v_th=None):
    """A seeded random :class:`~neuroxide.models.snn.CoreNetwork` of the N-MNIST CNN's shape
    (``geometry``: conv layers as ConvGeometry keyword dicts, then the dense sizes): random integer
    kernels (excitatory levels on half the taps, inhibitory on a quarter), integrate-and-fire-like
    LIF neurons, thresholds scaled to each layer's fan-in so that every layer spikes on event-like
    input (:func:`make_event_input`). Builds in milliseconds: the kernels are stored once."""
    from neuroxide.models.lif import LIFParams
    from neuroxide.models.snn import CoreLayer, CoreNetwork
    from neuroxide.models.snn_conv import ConvGeometry
    rng = np.random.default_rng(seed)
    top = (1 << weight_bits) - 1
    layers = []
    convs = [ConvGeometry(**g) for g in geometry if isinstance(g, dict)]
    dense = [g for g in geometry if not isinstance(g, dict)]
    shapes = [g.kernel_shape for g in convs] + list(zip(dense[:-1], dense[1:]))
    for k, shape in enumerate(shapes):
        conv = convs[k] if k < len(convs) else None
        fan_in = int(np.prod(shape[1:])) if conv is not None else shape[0]
        w_exc = rng.integers(0, top + 1, shape) * (rng.random(shape) < 0.5)
        w_inh = rng.integers(0, top + 1, shape) * (rng.random(shape) < 0.25)
        # a threshold of a twentieth of the full-scale fan-in drive: every layer spikes (5-15 %)
        th = v_th or max(8, min(30000, fan_in * top // 20))
        p = LIFParams(v_bits=16, in_bits=12, v_th=th, decay=4096 - 128, t_ref=0, v_min=-th)
        layers.append(CoreLayer(w_exc, w_inh, weight_bits, p, conv=conv))
    return CoreNetwork(tuple(layers), seed=seed)


def make_event_input(n_in_shape, steps, batch=1, p=0.1, seed=1):
    """Event-like random input ``(steps, batch, prod(n_in_shape))`` of 0/1: clustered like a DVS
    sensor's (a random walk of a blob per sample; inputs near it fire with probability ``p`` x 4,
    others with ``p`` / 4), seeded."""
    rng = np.random.default_rng(seed)
    c, h, w = n_in_shape
    yy, xx = np.mgrid[0:h, 0:w]
    out = np.zeros((steps, batch, c, h, w), dtype=np.uint8)
    pos = rng.uniform(0, [h, w], size=(batch, 2))
    for t in range(steps):
        pos = np.clip(pos + rng.normal(0, 1.5, size=(batch, 2)), 0, [h - 1, w - 1])
        for b in range(batch):
            near = ((yy - pos[b, 0]) ** 2 + (xx - pos[b, 1]) ** 2) < (min(h, w) / 4) ** 2
            prob = np.where(near, min(1.0, 4 * p), p / 4)
            out[t, b] = rng.random((c, h, w)) < prob
    return out.reshape(steps, batch, -1)


def make_input(cfg, steps):
    """Rate-coded random input ``(steps, 1, n_in)``: every input fires with probability p_in/256."""
    from neuroxide.models.snn import encode_rate
    n_in = make_network(cfg).n_in if cfg.network is not None else cfg.n_in
    return encode_rate(np.full((1, n_in), cfg.p_in, dtype=np.int64), steps, seed=cfg.seed)


class SNNCoreDesign(Design):
    name = "snn-core"
    summary = "event-driven multi-layer SNN core: BRAM weights/state, `lanes` synapses and `neurons_per_clock` pipelined LIF updates per clock"
    model = "neuroxide.models.snn.SNNModel"
    rtl = "neuroxide.rtl.snn_core.SNNCore"

    def parameter_table(self):
        return [(k, default, f"{doc}, {lo}..{hi}") for k, (doc, default, lo, hi) in PARAMS.items()] + [
            ("network", None, "core configuration JSON (neuroxide nir import -o); replaces the random network"),
            ("weight_format", "pair", "weight memory format: pair (w_exc, w_inh: 2 x weight_bits bits a synapse) | "
             "signed (w_exc - w_inh: weight_bits + 1 bits; needs min(w_exc, w_inh) = 0 at every synapse)")]

    def configure(self, overrides):
        from neuroxide.rtl.snn_core import LANES, NEURONS_PER_CLOCK
        from neuroxide.models.snn_capacity import WEIGHT_FORMATS, check_signed_weights
        check_known(self.name, overrides, set(PARAMS) | {"network", "weight_format"})
        overrides = dict(overrides)
        network = overrides.pop("network", None)
        if network is not None and not isinstance(network, str):
            raise ParameterError("network", network, "a path to a core configuration JSON")
        # -p weight_format wins; else the format `nir import --weight-format` recorded in the network file
        weight_format = overrides.pop("weight_format", None)
        if weight_format is None:
            weight_format = _recorded_weight_format(network) if network is not None else "pair"
        if weight_format not in WEIGHT_FORMATS:
            raise ParameterError("weight_format", weight_format, " | ".join(WEIGHT_FORMATS))
        values = check_int_params(PARAMS, overrides)
        if values["lanes"] not in (0, *LANES):
            raise ParameterError("lanes", values["lanes"], "0 (auto) | " + " | ".join(map(str, LANES)))
        cfg = SNNCoreConfig(self.name, **values, network=network, weight_format=weight_format)
        allowed = [n for n in NEURONS_PER_CLOCK if n <= cfg.lanes_for()]
        if values["neurons_per_clock"] not in (0, *allowed):
            raise ParameterError("neurons_per_clock", values["neurons_per_clock"],
                                 "0 (auto) | " + " | ".join(map(str, allowed)), f"at most lanes={cfg.lanes_for()}")
        net = make_network(cfg)  # LIF/layer validation now, before any file is written
        if weight_format == "signed":
            check_signed_weights(net)
        return cfg

    def elaborate(self, cfg, board=None):
        from neuroxide.rtl.snn_core import SNNCore
        net, lanes = make_network(cfg), cfg.lanes_for(board)
        # the iCE40UP5K has no room for run-time parameter registers (shifters, comparators, bus mux);
        # its weights go into the SPRAMs (loaded over the link: SNNHost.load_network)
        return SNNCore(net, lanes=lanes, neurons_per_clock=cfg.neurons_for(board),
                       memory=weight_kinds(net, lanes, board, cfg.weight_format), runtime_params=not _ice40(board),
                       weight_format=cfg.weight_format)

    def simulate(self, cfg, simulator, steps, build_dir, waves=None, progress=None, model_network=None):
        """``model_network``: compare against a different network (the negative test)."""
        from neuroxide.testbench.snn_bench import run_network
        t0 = time.perf_counter()
        net = make_network(cfg)
        res = run_network(net, make_input(cfg, steps), simulator=simulator, build_dir=build_dir, progress=progress,
                          lanes=cfg.lanes_for(), neurons_per_clock=cfg.neurons_for(), waves=waves,
                          model_network=model_network, weight_format=cfg.weight_format)
        keep = ("cycles", "busy_cycles", "mismatches", "field_mismatches", "first_mismatch", "sops", "sops_rtl",
                "sop_per_cycle", "sop_per_busy_cycle", "cycles_per_s", "build_s")
        return {"design": cfg.design, "simulator": simulator, "steps": res["steps"], "lanes": cfg.lanes_for(),
                "neurons_per_clock": cfg.neurons_for(),
                "neurons": net.n_neurons, "synapses": int(sum(la.fanout().sum() for la in net.layers)),
                **{k: res[k] for k in keep}, "spikes": res["spikes_total"], "wall_s": round(time.perf_counter() - t0, 3),
                "waves": str(waves) if waves else None}

    def board_top(self, cfg, board):
        from neuroxide.boards.linktop import HostLinkTop
        from neuroxide.boards.platforms import get_board
        from neuroxide.models.snn_capacity import check_fits, device_of_part
        net, lanes = make_network(cfg), cfg.lanes_for(board)
        device = device_of_part(get_board(board).device)
        if device is not None:  # a network the board's memories cannot hold: exit 2 with the numbers, before synthesis
            check_fits(net, lanes, device, weight_kinds(net, lanes, board, cfg.weight_format),
                       weight_format=cfg.weight_format, neurons_per_clock=cfg.neurons_for(board))
        return HostLinkTop(self.elaborate(cfg, board), baud=cfg.baud, board=board)


DESIGN = SNNCoreDesign()
