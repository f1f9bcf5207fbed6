"""The learning layer core's register map (bus target of ``neuroxide.rtl.plastic_layer.PlasticLinkCore``),
declared once.

:func:`plastic_register_map` builds it for a :class:`~neuroxide.models.plasticity.PlasticLayer`; the
core's bus decoder and the table in docs/plasticity.md are derived from it, and a host reaches it by
name through ``neuroxide.models.hostlink_client.CoreRegisters``. Every transfer is acked 3 clocks after ``stb``;
writes take effect only while no step runs (STATUS.busy low).

Learning over the link: MODE.learn enables the rule, the rates (A_PLUS, A_MINUS, SDSP_UP, SDSP_DOWN,
THETA_M) are registers loaded at run time (a written value beyond its range is clamped to it), the
rule itself is chosen when the core is built (INFO.rule); TEACHER and MODE.teacher_on are the teacher
input of supervised SDSP; WEIGHT reads back (and programs) every level.
"""

from neuroxide.errors import ParameterError

from .plasticity import RULES, PlasticLayer
from .registers import Field, Register, RegisterMap

__all__ = ["plastic_register_map", "PLASTIC_ID", "RATE_REGISTERS", "WEIGHT_BASE", "IN_BASE", "TEACHER_BASE",
           "OUT_BASE", "MAX_SYNAPSES"]

PLASTIC_ID = 0x504C_5331   # "PLS1"
IN_BASE, TEACHER_BASE, OUT_BASE = 0x100, 0x200, 0x300
WEIGHT_BASE = 0x10_0000
MAX_SYNAPSES = 1 << 20

# register name -> PlasticityParams field (the run-time rates, rtl.plasticity.RUNTIME_RATES)
RATE_REGISTERS = {"A_PLUS": "a_plus", "A_MINUS": "a_minus", "SDSP_UP": "sdsp_up", "SDSP_DOWN": "sdsp_down",
                  "THETA_M": "theta_m"}


def plastic_register_map(layer):
    """The register map of a learning layer core built for ``layer``."""
    if not isinstance(layer, PlasticLayer):
        raise ParameterError("layer", type(layer).__name__, "PlasticLayer")
    n_syn = layer.n_in * layer.n_out
    if n_syn > MAX_SYNAPSES:
        raise ParameterError("n_in", layer.n_in, f"n_in * n_out <= {MAX_SYNAPSES}", f"n_out={layer.n_out}")
    p = layer.plasticity
    words_in, words_out = -(-layer.n_in // 32), -(-layer.n_out // 32)
    step_doc = f"levels x 2**{p.frac_bits}, 0..{p.step_max}"
    return RegisterMap("plastic-layer", [
        Register("ID", 0x00, "r", reset=PLASTIC_ID, doc='"PLS1"'),
        Register("STATUS", None, "r", fields=[("busy", 1, 0, "a step is running")]),
        Register("CTRL", None, "w", fields=[
            ("step", 1, 0, "run one step on IN_SPIKES (and TEACHER when MODE.teacher_on)"),
            ("rest", 1, 0, "neurons, traces and calcium back to rest (a sample boundary); weights kept"),
            ("clear", 1, 0, "clear STEPS, BUSY and UPDATES")]),
        Register("MODE", None, "rw", fields=[
            ("learn", 1, 1, "the rule updates the weights on every step"),
            ("teacher_on", 1, 0, "TEACHER drives the neurons (supervised)")]),
        Register("INFO", None, "r", doc="how the core was built", reset_doc="-", fields=[
            ("n_in", 13, 0, "inputs"), ("n_out", 11, 0, "neurons"), ("weight_bits", 4, 0, ""),
            ("rule", 2, 0, " | ".join(f"{k}: {r}" for k, r in enumerate(RULES)))]),
        Register("STEPS", None, "r", doc="steps run since CTRL.clear"),
        Register("BUSY", None, "r", doc="cycles spent running steps since CTRL.clear"),
        Register("UPDATES", None, "r", doc="synapse updates (read-modify-writes of a level) since CTRL.clear"),
        Register("A_PLUS", 0x10, "rw", reset=p.a_plus, doc=f"STDP potentiation at full pre trace, {step_doc}"),
        Register("A_MINUS", None, "rw", reset=p.a_minus, doc=f"STDP depression at full post trace, {step_doc}"),
        Register("SDSP_UP", None, "rw", reset=p.sdsp_up_q, doc=f"SDSP potentiation step, {step_doc}"),
        Register("SDSP_DOWN", None, "rw", reset=p.sdsp_down_q, doc=f"SDSP depression step, {step_doc}"),
        Register("THETA_M", None, "rw", reset=p.theta_m & 0xFFFF_FFFF,
                 fields=[Field("theta_m", 32, reset=p.theta_m & 0xFFFF_FFFF, signed=True,
                               doc=f"SDSP membrane threshold (signed, v_bits={layer.params.v_bits})")]),
        Register("IN_SPIKES", IN_BASE, "rw", count=words_in, index="k", reset_doc="0",
                 doc="input spikes 32k..32k+31 of the next step (bit b: input 32k + b)"),
        Register("TEACHER", TEACHER_BASE, "rw", count=words_out, index="k", reset_doc="0",
                 doc="teacher bits of neurons 32k..32k+31 (MODE.teacher_on)"),
        Register("OUT_SPIKES", OUT_BASE, "r", count=words_out, index="k", reset_doc="0",
                 doc="spikes of neurons 32k..32k+31 on the last step"),
        Register("WEIGHT", WEIGHT_BASE, "rw", count=n_syn, index="s", reset_doc="w_init",
                 doc=f"level of synapse (i, j) at s = i * n_out + j, 0..{p.w_max}"),
    ], doc="learning layer core")
