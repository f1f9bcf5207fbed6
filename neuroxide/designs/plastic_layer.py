"""``plastic-layer``: a learning layer on the chip (rtl/plastic_layer.py), plasticity in the weight memory.

``n_in`` inputs x ``n_out`` LIF neurons, a crossbar of ``2**weight_bits`` levels learned by the
``rule`` (``stdp-add``, ``stdp-mult``, ``sdsp``; equations in docs/plasticity.md) with winner-take-all
lateral inhibition, and the host-bus registers of ``models/plastic_registers.py`` (learning enable,
rates, teacher, input spikes, levels read back). ``neuroxide simulate plastic-layer`` runs rate-coded
random samples (``steps_per_sample`` steps each, a rest between samples, a teacher per sample with
``sdsp``) through the cocotb bench and compares every weight and every neuron, trace, calcium and
PRNG state after every step with ``PlasticModel``; ``neuroxide build plastic-layer`` puts the core
behind the UART host link.
"""

import time
from dataclasses import dataclass

import numpy as np

from neuroxide.designs import Design
from neuroxide.errors import ParameterError
from neuroxide.overrides import check_int_params, check_known

__all__ = ["PlasticLayerConfig", "PlasticLayerDesign", "DESIGN", "PARAMS", "make_layer", "make_weights",
           "make_schedule"]

PARAMS = {
    "n_in": ("inputs (rows of the crossbar)", 16, 1, 1024),
    "n_out": ("LIF neurons (columns)", 4, 1, 64),
    "weight_bits": ("conductance levels 2**weight_bits", 4, 1, 8),
    "frac_bits": ("fraction bits of a step (stochastic rounding draws this many)", 8, 8, 16),
    # a_plus/a_minus: the range depends on weight_bits and frac_bits (PlasticityParams checks it)
    "a_plus": ("STDP potentiation at full pre trace, levels x 2**frac_bits (run-time register A_PLUS); "
               "at most (2**weight_bits - 1) * 2**frac_bits", 200, 0, 1 << 24),
    "a_minus": ("STDP depression at full post trace, levels x 2**frac_bits (register A_MINUS); "
                "at most (2**weight_bits - 1) * 2**frac_bits", 150, 0, 1 << 24),
    "trace_inc": ("trace increment per spike (8-bit traces)", 200, 0, 255),
    "theta_m": ("SDSP membrane threshold (register THETA_M)", 600, -32768, 32767),
    "v_th": ("neuron threshold", 1500, 1, 32767),
    "lateral": ("winner-take-all inhibition per spike of another neuron", 300, 0, 4095),
    "teacher_drive": ("drive of a taught neuron (supervised SDSP)", 2500, 0, 4095),
    "seed": ("seed of the initial levels, the samples and the PRNGs", 1, 0, 0xFFFF_FFFF),
    "steps_per_sample": ("steps of one sample (simulate)", 20, 1, 10_000),
    "p_in": ("input spike probability x 256 per input and step (simulate)", 64, 0, 256),
}
DEPENDENT_RANGES = ("a_plus", "a_minus")
STRING_PARAMS = {"rule": ("plasticity rule: stdp-add | stdp-mult | sdsp", "stdp-add")}


@dataclass(frozen=True)
class PlasticLayerConfig:
    design: str
    rule: str
    n_in: int
    n_out: int
    weight_bits: int
    frac_bits: int
    a_plus: int
    a_minus: int
    trace_inc: int
    theta_m: int
    v_th: int
    lateral: int
    teacher_drive: int
    seed: int
    steps_per_sample: int
    p_in: int

    @property
    def n(self):
        """Neurons in the core (the CLI prints it)."""
        return self.n_out

    def to_dict(self):
        return {name: getattr(self, name) for name in ("design", "rule", *PARAMS)}


def make_layer(cfg):
    """The :class:`~neuroxide.models.plasticity.PlasticLayer` of a configuration (validated)."""
    from neuroxide.models.lif import LIFParams
    from neuroxide.models.plasticity import PlasticityParams, PlasticLayer
    p = PlasticityParams(rule=cfg.rule, weight_bits=cfg.weight_bits, frac_bits=cfg.frac_bits, a_plus=cfg.a_plus,
                         a_minus=cfg.a_minus, trace_inc=cfg.trace_inc, theta_m=cfg.theta_m)
    sdsp = cfg.rule == "sdsp"
    return PlasticLayer(cfg.n_in, cfg.n_out, params=LIFParams(v_th=cfg.v_th, noise_bits=3, t_ref=1), plasticity=p,
                        lateral=0 if sdsp else cfg.lateral, teacher_drive=cfg.teacher_drive if sdsp else 0,
                        seed=cfg.seed)


def make_weights(cfg):
    """Seeded uniform initial levels ``(n_in, n_out)``."""
    return np.random.default_rng(cfg.seed).integers(0, 1 << cfg.weight_bits, (cfg.n_in, cfg.n_out))


def make_schedule(cfg, steps):
    """Rate-coded random samples covering ``steps`` steps (a rest between samples; with ``sdsp`` a
    teacher per sample, the samples' labels cycling over the neurons)."""
    from neuroxide.models.plasticity import LearningSchedule
    rng = np.random.default_rng(cfg.seed + 1)
    samples, left = [], steps
    while left > 0:
        this = min(cfg.steps_per_sample, left)
        samples.append(rng.random((this, cfg.n_in)) < cfg.p_in / 256)
        left -= this
    teachers = [np.arange(cfg.n_out) == k % cfg.n_out for k in range(len(samples))] if cfg.rule == "sdsp" else None
    return LearningSchedule.from_samples(samples, teachers)


class PlasticLayerDesign(Design):
    name = "plastic-layer"
    summary = "learning layer: crossbar levels in a memory updated on chip by STDP or SDSP, LIF neurons, host registers"
    model = "neuroxide.models.plasticity.PlasticModel"
    rtl = "neuroxide.rtl.plastic_layer.PlasticLinkCore"

    def parameter_table(self):
        return [(k, default, doc) for k, (doc, default) in STRING_PARAMS.items()] + \
            [(k, default, doc if k in DEPENDENT_RANGES else f"{doc}, {lo}..{hi}")
             for k, (doc, default, lo, hi) in PARAMS.items()]

    def configure(self, overrides):
        from neuroxide.models.plasticity import RULES
        check_known(self.name, overrides, set(PARAMS) | set(STRING_PARAMS))
        overrides = dict(overrides)
        rule = overrides.pop("rule", STRING_PARAMS["rule"][1])
        if rule not in RULES:
            raise ParameterError("rule", rule, " | ".join(RULES))
        cfg = PlasticLayerConfig(self.name, rule, **check_int_params(PARAMS, overrides))
        make_layer(cfg)  # rule/width validation (a_plus that does not fit weight_bits ...) before any file
        return cfg

    def elaborate(self, cfg):
        from neuroxide.rtl.plastic_layer import PlasticLinkCore
        return PlasticLinkCore(make_layer(cfg), make_weights(cfg))

    def simulate(self, cfg, simulator, steps, build_dir, waves=None, progress=None, model_layer=None):
        """``model_layer``: compare against a different layer (the negative test)."""
        from neuroxide.testbench.plastic_top import simulate_plastic
        t0 = time.perf_counter()
        layer = make_layer(cfg)
        res = simulate_plastic(layer, make_weights(cfg), make_schedule(cfg, steps), simulator, build_dir,
                               chunk=min(steps, 1024), model_layer=model_layer, waves=waves, progress=progress)
        keep = ("cycles", "mismatches", "field_mismatches", "first_mismatch", "spikes", "weight_changes",
                "cycles_per_s", "build_s")
        return {"design": cfg.design, "simulator": simulator, "steps": res["steps"], "neurons": cfg.n_out,
                "synapses": cfg.n_in * cfg.n_out, "rule": cfg.rule, **{k: res.get(k) for k in keep},
                "wall_s": round(time.perf_counter() - t0, 3), "waves": str(waves) if waves else None}

    def board_top(self, cfg, board):
        from neuroxide.boards.linktop import HostLinkTop
        return HostLinkTop(self.elaborate(cfg))


DESIGN = PlasticLayerDesign()
