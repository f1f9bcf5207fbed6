"""The SNN core's register map (bus target of ``neuroxide.rtl.snn_core.SNNCore``), declared once.

:func:`snn_register_map` builds it for a network of ``n_layers`` layers; the core's bus decoder
(``SNNCore.elaborate``), the host driver (``neuroxide.boards.snn_host.SNNHost``) and the table in
docs/snn_core.md are all derived from it. Every transfer is acked 3 clocks after ``stb``.

Limits that the map's field widths set: a layer count fits CONFIG.layers (4 bits, :data:`MAX_LAYERS`),
a neuron index fits a synapse address's ``i`` and ``j`` (10 bits, :data:`MAX_NEURONS`).
"""

from neuroxide.errors import ParameterError

from .registers import Field, Register, RegisterMap

__all__ = ["snn_register_map", "PARAM_REGISTERS", "SNN_ID", "MAX_LAYERS", "MAX_NEURONS", "NEURON_INDEX_BITS", "LAYER_BITS"]

SNN_ID = 0x534E_4E31   # "SNN1"
LAYER_BITS = 4
MAX_LAYERS = (1 << LAYER_BITS) - 1  # layer numbers 0..14 keep the synapse window below 2**24
NEURON_INDEX_BITS = 10
MAX_NEURONS = 1 << NEURON_INDEX_BITS  # per layer, in and out


# neuron parameters loadable at run time: register name -> (where the value lives: "params" (the
# layer's LIFParams) or "layer" (the CoreLayer), field name); every other field is fixed at build
PARAM_REGISTERS = {"V_TH": ("params", "v_th"), "DECAY": ("params", "decay"), "BIAS": ("params", "bias"),
                   "V_RESET": ("params", "v_reset"), "T_REF": ("params", "t_ref"),
                   "ADAPT_INC": ("params", "adapt_inc"), "ADC_SHIFT": ("layer", "adc_shift"),
                   "SYN_DECAY": ("layer", "syn_decay")}


# the neuron parameters of a layer the host may load (V_TH at 0x100 + l, DECAY at 0x110 + l, ...)
PARAMETER_REGISTERS = (
    ("V_TH", "threshold v_th of layer l's neurons (signed; unused where the layer has per-neuron thresholds)"),
    ("DECAY", "leak factor decay of layer l (x 2**decay_bits)"),
    ("BIAS", "bias current of layer l (signed)"),
    ("V_RESET", "reset value v_reset of layer l (signed; reset_mode value)"),
    ("T_REF", "refractory steps t_ref of layer l"),
    ("ADAPT_INC", "threshold adaptation per spike adapt_inc of layer l"),
    ("ADC_SHIFT", "column ADC right shift adc_shift of layer l"),
    ("SYN_DECAY", "synaptic-current leak syn_decay of layer l (layers with a synaptic current)"),
)


def snn_register_map(n_layers):
    """The register map of an SNN core with ``n_layers`` layers (1..MAX_LAYERS)."""
    if isinstance(n_layers, bool) or not isinstance(n_layers, int) or not 1 <= n_layers <= MAX_LAYERS:
        raise ParameterError("layers", n_layers, f"1..{MAX_LAYERS}")
    return RegisterMap("snn-core", [
        Register("ID", 0x00, "r", reset=SNN_ID, doc='"SNN1"'),
        Register("STATUS", None, "r", fields=[
            ("busy", 1, 0, "a step or reset is running"),
            ("in_empty", 1, 1, "input FIFO empty"),
            ("in_full", 1, 0, "input FIFO full"),
            ("out_ready", 1, 0, "output FIFO non-empty"),
            ("overflow", 1, 0, "input events beyond n_in in a step"),
            ("out_overflow", 1, 0, "output FIFO overflow (spikes lost)")]),
        Register("CTRL", None, "w", fields=[
            ("clear_counters", 1, 0, "clear the cycle, busy, SOP and spike counters"),
            ("clear_flags", 1, 0, "clear the overflow flags")]),
        Register("RUN", None, "rw", doc="W: add N to the step budget; R: budget left"),
        Register("EVENT", None, "w fifo", doc="push an input event; acked with err (nothing stored) "
                 "when the input FIFO is full", fields=[
                     ("index", 16, 0, "input neuron of layer 0"),
                     Field("end_step", 1, doc="the step's events are all in: run it", at=30),
                     ("reset", 1, 0, "every neuron back to its initial state, step counter 0")]),
        Register("OUT_EVENT", None, "r fifo", doc="pop one output spike; 0 when the FIFO is empty", fields=[
            ("neuron", 12, 0, "index in its layer"),
            ("step", 15, 0, "step mod 2**15"),
            ("layer", LAYER_BITS, 0, ""),
            ("valid", 1, 0, "a spike (0: the FIFO was empty)")]),
        Register("STEP", None, "r", doc="steps run since the last reset"),
        Register("CYCLES", None, "r", doc="clock cycles since CTRL.clear_counters"),
        Register("BUSY", None, "r", doc="cycles spent running steps since CTRL.clear_counters"),
        Register("SOPS", None, "r", doc="synaptic operations since CTRL.clear_counters (per event, one per "
                 "column)"),
        Register("OUT_MASK", None, "rw", doc="layers whose spikes enter the output FIFO (bit l)",
                 reset=1 << (n_layers - 1), reset_doc="last layer's bit"),
        Register("CONFIG", None, "r", doc="how the core was built", reset_doc="-", fields=[
            ("layers", LAYER_BITS, 0, ""),
            ("lanes", 8, 0, "synapses per clock"),
            ("out_fifo_depth", 17, 0, ""),
            ("neurons_log2", 3, 0, "log2 of the neuron updates per clock (parallel neuron lanes)")]),
        Register("OUT_LEVEL", None, "r", doc="spikes waiting in the output FIFO"),
        Register("SPIKES", 0x10, "r", count=n_layers, index="l", doc="spikes of layer l since "
                 "CTRL.clear_counters"),
        Register("SHAPE", 0x20, "r", count=n_layers, index="l", doc="layer l's size", reset_doc="-",
                 fields=[("n_in", 16, 0, ""), ("n_out", 16, 0, "")]),
        *(Register(name, 0x100 + 0x10 * k, "rw", count=n_layers, index="l", reset_doc="build-time value",
                   doc=f"{what}; load while no step runs") for k, (name, what) in enumerate(PARAMETER_REGISTERS)),
        Register("SYNAPSE", 1 << 20, "w", count=n_layers << 20,
                 index=[("j", NEURON_INDEX_BITS), ("i", NEURON_INDEX_BITS), ("layer", LAYER_BITS)],
                 doc="synapse (i, j) of a layer (weight_bits used); rows n_in + k of a recurrent layer: "
                 "its recurrent block (from neuron k); for a conv layer i = kernel row (ci*kH + ky)*kW + kx, "
                 "j = output channel; load while no step runs",
                 fields=[("w_exc", 8, 0, ""), ("w_inh", 8, 0, "")]),
    ], doc="SNN core")
