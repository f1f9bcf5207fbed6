"""The SNN core's synapse rules: column ADC, lateral inhibition and synaptic current.

What turns a layer's exact column sums into the two input currents of its :func:`~neuroxide.models.lif.lif_step`
neurons (docs/snn_contract.md). Written once over the ops layer, like ``lif_step``: numpy in
:class:`~neuroxide.models.snn.SNNModel`, gates in ``neuroxide.rtl.snn_core.LayerUnit`` (which
schedules the pieces into its neuron pipeline). ``layer`` is a :class:`~neuroxide.models.snn.CoreLayer`
(``params`` a :class:`~neuroxide.models.lif.LIFParams`, ``in_max = 2**in_bits - 1``). Per neuron j
and step, in this order::

    lat     = lateral * others[j]                   others: spikes of the layer's other neurons, last step
    i_exc   = min((acc_exc << adc_gain) >> adc_shift, in_max)          column ADC: gain, scale (floor),
    i_inh   = min(((acc_inh + lat) << adc_gain) >> adc_shift, in_max)  then the bound; acc >= 0
    if syn_decay is not None:                       synaptic current (signed, v_bits, CubaLIF)
        syn'  = clamp(((syn * syn_decay) >> decay_bits) + i_exc - i_inh, v_min, v_max)
        i_exc = clamp(syn', 0, in_max),  i_inh = clamp(-syn', 0, in_max)

State: ``syn`` (:func:`synapse_state_layout`) where ``syn_decay`` is set; it follows the neuron's
LIF state in the core's state word (``CoreLayer.state_layout``), starting at 0.
"""

from .layout import StateField, StateLayout

__all__ = ["synapse_state_layout", "lateral_inhibition", "adc_scale", "adc_bound", "column_adc", "column_currents",
           "synaptic_current_step"]


def synapse_state_layout(params):
    """State of one neuron's synaptic current (``LIFParams`` ``params``): ``syn``, saturated like ``v``."""
    return StateLayout(StateField("syn", params.v_bits, signed=True, doc="synaptic current, v_min..v_max"))


def lateral_inhibition(layer, others):
    """``lateral * others``: inhibition from ``others`` spikes of the layer's other neurons (0 when
    the layer has none)."""
    return others * layer.lateral if layer.lateral else 0


def adc_scale(layer, acc):
    """The column ADC's gain and scale: ``(acc << adc_gain) >> adc_shift`` (floor)."""
    if layer.adc_gain:
        acc = acc << layer.adc_gain
    return acc >> layer.adc_shift


def adc_bound(ops, layer, scaled):
    """The column ADC's bound: ``min(scaled, in_max)`` of a non-negative scaled sum."""
    in_max = layer.params.in_max
    return ops.select(scaled > in_max, in_max, scaled)


def column_adc(ops, layer, acc, name="adc_scaled"):
    """One column's ADC, :func:`adc_scale` then :func:`adc_bound`: ``min((acc << adc_gain) >> adc_shift,
    in_max)`` for an unsigned sum ``acc`` (``name``: the wire of the scaled sum in gates)."""
    return adc_bound(ops, layer, ops.let(name, adc_scale(layer, acc)))


def column_currents(ops, layer, acc_exc, acc_inh, others):
    """``(i_exc, i_inh)`` of the columns with sums ``acc_exc``/``acc_inh`` (module docstring; before
    the synaptic current)."""
    i_exc = column_adc(ops, layer, acc_exc, "exc_scaled")
    i_inh = column_adc(ops, layer, acc_inh + lateral_inhibition(layer, others), "inh_scaled")
    return i_exc, i_inh


def synaptic_current_step(ops, layer, syn, i_exc, i_inh):
    """One step of the synaptic current (``layer.syn_decay`` set): returns ``(syn', i_exc', i_inh')``,
    the new current and the currents it drives into the neuron."""
    p = layer.params
    syn_n = ops.let("syn_sum", ops.clamp(((syn * layer.syn_decay) >> p.decay_bits) + i_exc - i_inh, p.v_lo, p.v_hi))
    i_exc = ops.let("syn_exc", ops.clamp(syn_n, 0, p.in_max))
    i_inh = ops.let("syn_inh", ops.clamp(-syn_n, 0, p.in_max))
    return syn_n, i_exc, i_inh
