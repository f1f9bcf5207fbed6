"""Energy and latency of one inference of the SNN core on the user's devices (a NeuroSim-style estimate).

The network's activity (spikes, synaptic operations) is counted exactly by the fixed-point model;
the energy per event comes from the device models. Per inference (one input presented for
``steps`` time steps)::

    E_neuron  = (spikes of every layer of the core) * E_spike
    E_synapse = sum over input events e (row i of the layer it feeds) of
                V_read**2 * t_read * sum_j (G+[i, j] + G-[i, j])       every device of the row is read
    E_total   = E_neuron + E_synapse
    latency   = steps * t_step,   t_step = T_device / steps_per_period

Inputs and where each comes from (all reported with the result, ``inputs``):

* ``E_spike``: the neuron device's energy per spike at its operating point. Threshold switches
  (``ts``, ``oscillator``, and the circuit of a ``stochastic`` preset):
  :func:`~neuroxide.models.devices.threshold_switch.analytic_branch_energy_per_spike_joule` at the
  drive ``zoo.model_energy_joule`` uses (the published drive where it oscillates, else the middle
  of the operating range); FeFET/AFeFET and MTJ: their family's energy per spike at the published
  drive (``zoo.model_energy_joule``). The input encoder's spikes are the host's and are not counted.
* ``G+``/``G-``: the conductances the crossbars actually hold: each grid level ``k`` of a layer
  (``w_exc``/``w_inh``, ``weight_bits`` = the grid's bits) is ``G = G_min + k / (2**bits - 1) *
  (G_max - G_min)``, with ``G_min``/``G_max`` of the crossbar model
  (:class:`~neuroxide.models.crossbar.DeviceParams`: 1 uS / 100 uS by default, assumed values).
  A device at ``G_min`` is read too (a differential pair draws current on both lines).
* ``V_read = 0.5 V`` and ``t_read = 10 ns`` (assumed): NeuroSim's default read voltage and read
  pulse width of an analog synaptic cell. Only the cells' own read energy is counted: no wire,
  ADC, driver or digital energy, which NeuroSim adds from a circuit model we do not have, so this
  is a lower bound on the synapse side.
* ``T_device``: the neuron device's period at the same operating point (TS: ``1 /
  analytic_rate_hz``; MTJ: ``1 / analytic_rate_hz`` at its largest published current; FeFET:
  ``pulses_to_fire * pulse_period + t_reset``). ``steps_per_period`` defaults to 1: the converted
  networks (digits) fire at most once per step, so one step must hold a whole device period.
"""

import math

import numpy as np

from neuroxide.errors import ParameterError

from .crossbar import DeviceParams
from .devices import fefet as _fefet
from .devices import mtj as _mtj
from .devices.threshold_switch import analytic_branch_energy_per_spike_joule, analytic_rate_hz
from .devices.zoo import family_of, operating_drive_volt
from .snn import CoreNetwork

__all__ = ["V_READ_VOLT", "T_READ_S", "NEURON_FAMILIES", "operating_drive_volt", "neuron_device_figures",
           "synapse_read_energy_joule", "inference_energy"]

V_READ_VOLT = 0.5    # NeuroSim's default on-chip read voltage of a synaptic cell (assumed)
T_READ_S = 10e-9     # NeuroSim's default read pulse width (assumed)
NEURON_FAMILIES = ("ts", "oscillator", "stochastic", "fefet", "afefet", "mtj")


def _positive(name, value, unit):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) \
            or not math.isfinite(value) or value <= 0:
        raise ParameterError(name, value, f"> 0 {unit}".rstrip())
    return float(value)


def neuron_device_figures(preset, steps_per_period=1):
    """Energy per spike, period and time per step of a neuron device preset at its operating point.

    Returns ``{"device", "family", "energy_per_spike_joule", "operating_point", "period_s",
    "steps_per_period", "time_per_step_s"}`` (module docstring says where each comes from).
    """
    try:
        fam = family_of(preset)
    except ParameterError:
        raise ParameterError("device", type(preset).__name__, "a neuron device preset") from None
    if fam not in NEURON_FAMILIES:
        raise ParameterError("device", preset.name, f"a neuron device (families {', '.join(NEURON_FAMILIES)})",
                             f"a {fam} preset has no spike")
    if isinstance(steps_per_period, bool) or not isinstance(steps_per_period, int) or steps_per_period < 1:
        raise ParameterError("steps_per_period", steps_per_period, ">= 1")
    if fam in ("ts", "oscillator", "stochastic"):
        circuit = preset.circuit if fam == "stochastic" else preset
        vin = operating_drive_volt(circuit)
        energy = analytic_branch_energy_per_spike_joule(circuit, vin)
        rate = analytic_rate_hz(circuit, vin)
        where = f"{vin:g} V ({rate / 1e6:.3g} MHz)"
    elif fam == "mtj":
        i_amp = preset.i_max_amp
        energy = _mtj.energy_per_spike_joule(preset, i_amp)
        rate = _mtj.analytic_rate_hz(preset, i_amp)
        where = f"{i_amp * 1e6:g} uA ({rate / 1e6:.3g} MHz)"
    else:  # fefet, afefet: pulses to fire with no inhibition, then the reset
        energy = _fefet.energy_per_spike_joule(preset)
        pulses = _fefet.pulses_to_fire(preset, 0.0)
        rate = 1.0 / (pulses * preset.pulse_period_s + preset.t_reset_s)
        where = f"{preset.v_exc_volt:g} V pulses, {pulses:g} to fire"
    if not rate > 0:
        raise ParameterError("device", preset.name, "a device that fires at its operating point")
    period = 1.0 / rate
    return {"device": preset.name, "family": fam, "energy_per_spike_joule": float(energy),
            "operating_point": where, "period_s": period, "steps_per_period": steps_per_period,
            "time_per_step_s": period / steps_per_period}


def _layer_row_conductance(layer, crossbar):
    """``sum_j (G+[i, j] + G-[i, j])`` per crossbar row of ``layer`` (siemens), recurrent rows last."""
    top = (1 << layer.weight_bits) - 1
    g_min, g_span = crossbar.g_min_siemens, crossbar.g_max_siemens - crossbar.g_min_siemens
    w_exc, w_inh = layer.w_exc, layer.w_inh
    if layer.recurrent:
        w_exc = np.concatenate([w_exc, layer.w_rec_exc])
        w_inh = np.concatenate([w_inh, layer.w_rec_inh])
    levels = (w_exc + w_inh).sum(axis=1)   # both devices of every pair of the row
    return 2 * layer.n_out * g_min + levels / top * g_span


def synapse_read_energy_joule(network, row_events, crossbar=None, v_read_volt=V_READ_VOLT, t_read_s=T_READ_S):
    """Read energy of the crossbars for ``row_events[k]`` (events per row of layer k, ``(n_rows,)``).

    Returns ``(joule, device_reads, mean_g_siemens)``: the energy, the devices read (two per SOP)
    and their mean conductance.
    """
    if not isinstance(network, CoreNetwork):
        raise ParameterError("network", type(network).__name__, "a CoreNetwork")
    crossbar = DeviceParams() if crossbar is None else crossbar
    if not isinstance(crossbar, DeviceParams):
        raise ParameterError("crossbar", type(crossbar).__name__, "a crossbar DeviceParams")
    v = _positive("v_read_volt", v_read_volt, "V")
    t = _positive("t_read_s", t_read_s, "s")
    g_total = 0.0
    reads = 0
    for layer, events in zip(network.layers, row_events):
        events = np.asarray(events, dtype=np.float64)
        if events.shape != (layer.n_rows,):
            raise ParameterError("row_events", f"shape {events.shape}", f"({layer.n_rows},) (rows of the layer)")
        g_total += float(events @ _layer_row_conductance(layer, crossbar))
        reads += int(events.sum()) * 2 * layer.n_out
    return v * v * t * g_total, reads, (g_total / reads if reads else 0.0)


def inference_energy(network, in_spikes, layer_spikes, device, crossbar=None, v_read_volt=V_READ_VOLT,
                     t_read_s=T_READ_S, steps_per_period=1):
    """Energy and latency per inference of a run (module docstring).

    ``in_spikes``: bool ``(steps, batch, n_in)``; ``layer_spikes``: per layer bool ``(steps, batch,
    n_out)`` (what :class:`~neuroxide.models.snn.SNNTrace` or the RTL bench recorded); ``device``: the
    neuron device preset; ``crossbar``: the synapses' :class:`DeviceParams` (default: the crossbar
    model's defaults). Returns a JSON-able dict: ``neuron_joule``, ``synapse_joule``,
    ``total_joule_per_inference``, ``latency_s`` (per inference, averaged over the batch), and
    ``inputs``: every figure they were computed from.
    """
    s_in = np.asarray(in_spikes, dtype=bool)
    if s_in.ndim != 3 or s_in.shape[2] != network.n_in:
        raise ParameterError("in_spikes", f"shape {s_in.shape}", f"(steps, batch, {network.n_in})")
    steps, batch = s_in.shape[:2]
    spikes = [np.asarray(s, dtype=bool) for s in layer_spikes]
    if len(spikes) != len(network.layers) or any(s.shape != (steps, batch, layer.n_out)
                                                  for s, layer in zip(spikes, network.layers)):
        raise ParameterError("layer_spikes", [s.shape for s in spikes],
                             f"one (steps, batch, n_out) array per layer, steps={steps}, batch={batch}")
    fig = neuron_device_figures(device, steps_per_period)
    crossbar = DeviceParams() if crossbar is None else crossbar
    row_events = []
    feeding = s_in
    for layer, own in zip(network.layers, spikes):
        events = feeding.sum(axis=(0, 1))
        if layer.recurrent:  # the layer's own spikes of step t-1 are rows n_in + k at step t
            events = np.concatenate([events, own[:-1].sum(axis=(0, 1))])
        row_events.append(events)
        feeding = own
    syn_joule, reads, mean_g = synapse_read_energy_joule(network, row_events, crossbar, v_read_volt, t_read_s)
    n_spikes = sum(int(s.sum()) for s in spikes)
    sops = sum(int(e.sum()) * layer.n_out for e, layer in zip(row_events, network.layers))
    neuron_joule = n_spikes * fig["energy_per_spike_joule"] / batch
    synapse_joule = syn_joule / batch
    return {
        "neuron_joule": neuron_joule,
        "synapse_joule": synapse_joule,
        "total_joule_per_inference": neuron_joule + synapse_joule,
        "latency_s": steps * fig["time_per_step_s"],
        "inputs": {
            **fig,
            "steps": int(steps),
            "inferences": int(batch),
            "spikes_per_inference": n_spikes / batch,
            "sops_per_inference": sops / batch,
            "device_reads_per_inference": reads / batch,
            "v_read_volt": float(v_read_volt),
            "t_read_s": float(t_read_s),
            "g_min_siemens": crossbar.g_min_siemens,
            "g_max_siemens": crossbar.g_max_siemens,
            "mean_g_read_siemens": mean_g,
            "energy_per_device_read_joule": float(v_read_volt) ** 2 * float(t_read_s) * mean_g,
            "assumed": ["v_read_volt", "t_read_s", "g_min_siemens", "g_max_siemens", "steps_per_period"],
        },
    }
