"""SNN accelerator core: a multi-layer fixed-point spiking network in block RAM, event driven.

Implements ``neuroxide.models.snn.SNNModel`` bit for bit (docs/snn_contract.md); docs/snn_core.md
has the architecture drawing, measured resources and the commands that reproduce them.

Architecture (one :class:`LayerUnit` per layer; every layer is armed when a step begins)::

    aer_in / bus EVENT -> input FIFO -> event list 0 (layer 0 accumulates each event as it is read)
    layer l:  issue: group 0 follows the event list as it fills (one token per event, then an end
              token once the inputs are complete); groups 1 .. G-1 replay the list
              -> weight memory word (g*n_rows + i: the weights of `lanes` consecutive columns,
              rtl.snn_memory.WeightMemory, read_latency R) -> `lanes` accumulators (exc, inh)
              -> on the group's last token: the `lanes` sums into the feed register, which drains
              P = neurons_per_clock sums per clock into P parallel neuron lanes
              neuron lane q (neuron word*P + q): state RAM bank q -> column ADC + lateral
              inhibition (2 stages) -> synaptic current (when syn_decay) + lif_step (3 register
              cuts, rtl.fixedpoint.PipelinedOps) -> state RAM bank q write-back
              -> spike queue (one entry: the P lanes' spike mask + word, per write-back with a
              spike) -> one spike per clock: event list of layer l+1 (which accumulates it at
              once), recurrent list, AER output, counters

The arithmetic is the model's own rules elaborated (``models.synapse``: ``adc_scale``/``adc_bound``,
``lateral_inhibition``, ``synaptic_current_step``; ``models.lif.lif_step``); this module only
schedules them. The state RAM word is ``CoreLayer.state_layout`` (``rtl.layout.struct_of``), packed
like ``StateLayout.pack``; neuron j lives in bank ``j % P`` at word ``j // P``.

The accumulation is group-major: for each group of ``lanes`` columns the unit walks the step's
event list once, so the accumulators are ``lanes`` register pairs (no accumulator memory: a
group's sums go to the feed register while the next group accumulates). Their width is
``bits(n_rows * (2**weight_bits - 1))``: the sum of every row at the top level, so they cannot
wrap. A layer whose columns fit one group (``n_out <= lanes``) therefore costs one clock per
event, accumulated as the events arrive. Neuron state (v, ref, adapt, rng, last spike, syn) and the
weights live in block RAM. A layer's run-time parameters (v_th, decay, bias, v_reset, t_ref,
adapt_inc, adc_shift, syn_decay: ``models.snn_registers.PARAM_REGISTERS``) are bus registers reset to
the build-time values and fed to the same rules in place of the constants; the widths, reset mode,
noise, lateral inhibition and PRNG seeds are elaboration-time constants (the seeds in ROMs used by
the state reset); the weights are loaded over the bus. A layer with per-neuron thresholds
(``CoreLayer.v_th_neuron``) reads them from ROM banks beside the state banks.

A recurrent layer (``CoreLayer.w_rec_exc``/``w_rec_inh``) has ``n_rows = n_in + n_out`` weight
rows: its own spikes of the previous step, kept in a two-bank list (written as they leave the
spike queue, read the next step), are the first events ``0 .. n_rec - 1`` of its walk (rows
``n_in + k``), readable from the step's first cycle.

A layer with input delays (``CoreLayer.delay``) has a delay line in front of its event list. In
a dense unit every input event passes one register stage (its delay ``d`` read from a ROM);
``d = 0`` goes on to the event list, ``d > 0`` is appended to the list of slot ``(s + d) mod S`` of
a ring of ``S = max_delay + 1`` slots (``s``: the slot of the step the walker is on; a slot has
``2**bits(n_delayed - 1)`` entries and a counter). Arming the walker for the next step moves ``s``
on, latches that slot's count as the step's delayed events (walk positions after the recurrent
ones, before the event list's) and frees the slot just walked (its count to 0). A conv unit reads
the ROM beside its decode and stores decoded entries (:class:`ConvLayerUnit`).

Steps overlap: layer 0 (unless recurrent) re-arms its walker as soon as it has issued a step's
last token, so the next step's input events are read and accumulated while the deeper layers
finish this step; a step's neuron side starts (``go``) when the previous step is done, so the
write-backs of two steps never interleave and the step counter is exact.

Cycle cost: exact, but it depends on when spikes leave the queues, so it is a short recurrence
(:func:`layer_timing`, :func:`run_cycles`, and :func:`step_cycles` for a step alone; checked
cycle for cycle against the RTL by tests/test_snn_core_rtl.py::test_cycle_formula). Cycle 0 is
the first at which the run's first input word is read (words back to back); ``L = lanes``,
``P = neurons_per_clock``, ``D = L / P``, ``G = ceil(n_out / L)``, ``A = acc_latency = 3 + R``
(R: :func:`weight_read_latency`, the layer's ``WeightMemory.read_latency`` beyond its first cycle),
``NEURON_LATENCY = 8``, ``QUEUE_LATENCY = 1``::

    go(t)      = step_done(t-1) + 1 (go(0) = 0): the step's neuron side may run
    read0(t)   = first cycle layer 0 reads step t's words: walk_end_0(t-1) + 1 (read0(0) = 0;
                 go(t) for a recurrent layer 0); its event m is readable at read0 + m + 1 and its
                 inputs are complete at read0 + E_0 + 1
    a layer's event n (walk order: recurrent events, readable from go(t), first) is issued at
                 i_n = max(avail_n, i_(n-1) + 1)
    group 0's end token      T_0 = max(i_last + 1, done, go(t))
    group g's last token     T_g = T_(g-1) + max(E, D)       (E: the layer's events); walk_end = T_(G-1)
    group g's sums loaded    T_g + A; its D words (the last group: ceil((n_out - (G-1)L)/P))
                             drain on the following cycles, one word (P neurons) per cycle
    word w written back      drain_w + NEURON_LATENCY
    spikes of word w leave   s_w = max(wb_w + QUEUE_LATENCY, s_prev + c_prev), one per cycle
                             (c: spikes in the word; words without a spike take no slot)
    a spike leaving at z is readable by layer l+1 at z + 1
    the layer finishes at    f = max(last write-back, last spike out) + 1; layer l+1's inputs
                             are complete at f
    step_done(t) = f of the last layer
    a dense layer with delays: its walk is [go] * n_rec + [r] * n_del + [avail + 1 of its events
                 with delay 0] (r: read0(t) for layer 0, go(t) otherwise; n_del: sources j with
                 d_j > 0 that spiked in step t - d_j), and its inputs are complete one cycle later;
                 a conv layer takes its n_del delayed events first from go(t), its events with
                 delay 0 as before, and its end token waits for done' = max(done, last avail +
                 CONV_DECODE)

A state reset costs about ``max(ceil(n_out / P), A + 4) + 3`` cycles.

Input/output streams:

* ``aer_in`` (``stream``, payload :data:`EVENT_LAYOUT`): an input neuron index of layer 0 for the
  current step, or a marker: ``end_step`` (the step's events are all in: run the step) or ``reset``
  (every neuron back to its initial state, step counter 0). Each index at most once per step (as
  the model's 0/1 inputs); events beyond ``n_in`` in one step are dropped and set STATUS.overflow.
  A step runs when its end marker is read and either ``free_run`` is high or the RUN budget is
  non-zero (it then counts down).
* ``aer_out`` (``stream``, payload ``(layer, neuron, step)``): one transfer per spike of any
  layer; ``ready`` is ignored (no back-pressure: a consumer must take every event). The bus's output FIFO keeps the
  spikes of the layers selected by OUT_MASK.
* ``wb`` (snoop, for benches): every neuron write-back, the full new state and spike; P lanes per
  clock (lane q: global neuron ``wb_neuron + q`` when ``wb_valid[q]``); one layer at a time.

Register map of the ``bus`` target (:class:`~neuroxide.rtl.hostbus.HostBusSignature`): declared
once in :func:`neuroxide.models.snn_registers.snn_register_map` (``SNNCore.registers``; the table is
in docs/snn_core.md), the decoder elaborated from it by :class:`~neuroxide.rtl.hostbus.RegisterDecoder`.
Every transfer is acked 3 cycles after ``stb``; unmapped reads return 0.
"""

import operator
from functools import reduce

import numpy as np
from amaranth.hdl import Array, Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, fifo, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from neuroxide.errors import ParameterError
from neuroxide.models.lif import lif_step
from neuroxide.models.prng import xorshift32
from neuroxide.models.snn import CoreNetwork
from neuroxide.models.snn_capacity import bram_read_latency, check_signed_weights, check_weight_format, weight_banks
from neuroxide.models.snn_conv import (conv_accumulator_bits, conv_axis_table, conv_chunks, conv_event_cycles,
                                       conv_event_fields, conv_internal_order, conv_lanes, conv_weight_rows)
from neuroxide.models.snn_registers import MAX_LAYERS, MAX_NEURONS, PARAM_REGISTERS, snn_register_map
from neuroxide.models.synapse import adc_bound, adc_scale, lateral_inhibition, synaptic_current_step

from .fixedpoint import AmaranthOps, PipelinedOps
from .hostbus import HostBusSignature, RegisterDecoder, pack
from .layout import item_ports, shape_of, struct_of
from .snn_memory import MEMORY_KINDS, WeightMemory

__all__ = ["SNNCore", "LayerUnit", "EVENT_LAYOUT", "NEURON_LATENCY", "QUEUE_LATENCY", "BUS_LATENCY", "LANES",
           "NEURONS_PER_CLOCK", "default_neurons_per_clock", "acc_latency", "layer_timing", "run_cycles",
           "step_cycles",
           "accumulator_bits", "accumulate", "weight_words", "MAX_LAYERS", "MAX_NEURONS", "ConvLayerUnit",
           "conv_layer_timing", "conv_weight_words", "emission_order", "const_divmod", "CONV_DECODE",
           "CONV_OUT_LATENCY", "MAX_CONV_NEURONS", "weight_read_latency"]

LANES = (1, 2, 4, 8, 16, 32, 64, 128)
NEURONS_PER_CLOCK = (1, 2, 4, 8, 16, 32)  # neuron lanes; at most `lanes`
NEURON_LATENCY = 8  # drain cycle -> write-back: registers, ADC (2), lif_step (3 cuts + its result), write-back
QUEUE_LATENCY = 1   # write-back -> the first of its spikes leaves the layer's spike queue
CONV_DECODE = 3     # conv layer: an event's index -> its decoded entry in the event list (register stages)
CONV_OUT_LATENCY = 1  # conv layer: a spike leaves one cycle after its queue emits it (index to C order)
BUS_LATENCY = 3     # bus access: clocks from the cycle stb is seen to the cycle ack is high (EXEC, READ, ACK)
READ_GROUP = 6      # registers/elements per first-stage read mux (two register stages, see SNNCore.elaborate)

# an input event (aer_in, the input FIFO): the fields of the EVENT register, packed
EVENT_LAYOUT = data.StructLayout({f.name: unsigned(f.bits) for f in snn_register_map(1)["EVENT"].fields})


def _bits(n):
    """Bits of an unsigned value 0..n (at least 1)."""
    return max(1, int(n).bit_length())


def default_neurons_per_clock(lanes, network=None):
    """Neuron lanes the cocotb bench (``testbench.snn_bench.run_network``) builds for ``lanes``
    synapse lanes unless told: ``min(lanes, 16)``, halved until it divides the output channels of
    every conv layer of ``network`` (a conv layer needs that). (``SNNCore`` itself defaults to 1.)"""
    p = min(lanes, 16)
    while network is not None and p > 1 and any(layer.is_conv and layer.conv.out_channels % p
                                                   for layer in network.layers):
        p //= 2
    return p


def acc_latency(read_latency=1):
    """Cycles from a group's last token to its sums in the feed register: the event list, the
    weight address, ``read_latency`` cycles of weight memory, the registered weight word."""
    return 3 + read_latency


def layer_timing(layer, lanes, neurons_per_clock, avail, done, spikes, read_latency=1, start=0, events=None):
    """Cycle-exact schedule of one layer in one step (absolute cycles, see the module docstring).

    ``avail``: the cycles at which the layer's events become readable, in walk order (recurrent
    events first); ``done``: the first cycle at which the layer sees its input complete; ``start``:
    the first cycle its neuron side may run (``go`` seen); ``spikes``: the layer's 0/1 spikes of the
    step (n_out,). Returns ``(emitted, finished, walk_end)``: the cycles at which its spikes leave
    the spike queue (in order), the layer's idle cycle (its ``finishing`` pulse) and the cycle of
    the walk's last token. ``events``: the layer's input indices in walk order (a conv layer's cost
    depends on them; :func:`conv_layer_timing`)."""
    if layer.is_conv:
        return conv_layer_timing(layer, lanes, neurons_per_clock, avail, events, done, spikes, read_latency, start)
    L, P = lanes, neurons_per_clock
    n_out = layer.n_out
    G = -(-n_out // L)
    D = L // P
    D_last = -(-(n_out - (G - 1) * L) // P)
    # group 0 follows the list (one token per event, as soon as it is readable), then an end token
    i = -(1 << 62)
    for a in avail:
        i = max(a, i + 1)
    last = max(i + 1, done, start)
    E = len(avail)
    loads = [last + acc_latency(read_latency)]
    for _ in range(1, G):  # groups 1..: replay every event; a group's last token >= D after the previous
        last += max(E, D)
        loads.append(last + acc_latency(read_latency))
    wb_at = {}  # state word -> its write-back cycle
    for gi, x in enumerate(loads):
        for c in range(D_last if gi == G - 1 else D):
            wb_at[gi * D + c] = x + 1 + c + NEURON_LATENCY
    s = np.asarray(spikes, dtype=bool)
    emitted, free = [], -(1 << 62)
    for w in sorted(wb_at):
        c = int(s[w * P:(w + 1) * P].sum())
        if c:
            first = max(wb_at[w] + QUEUE_LATENCY, free)
            emitted.extend(range(first, first + c))
            free = first + c
    finished = max(max(wb_at.values()) + 1, (emitted[-1] + 1) if emitted else 0)
    return emitted, finished, last


def conv_layer_timing(layer, lanes, neurons_per_clock, avail, events, done, spikes, read_latency=1, start=0):
    """:func:`layer_timing` of a conv layer (:class:`ConvLayerUnit`; docs/snn_core.md):

    ``take_n = max(avail_n + CONV_DECODE, end_(n-1), start)``, its tokens on the next ``c_n =
    conv_event_cycles[index_n]`` cycles (``end_n = take_n + c_n``); the end token at ``T = max(end_last
    + 1, done, start)``; accumulator word ``aw`` (of ``n_out / Lc``) read at ``T + A + aw * D`` and
    loaded the cycle after, its ``D = max(Lc, P) / P`` state words draining on the next cycles; write-backs
    and the spike queue as a dense layer's (in the layer's internal position-major order), each
    spike leaving ``CONV_OUT_LATENCY`` later."""
    g, P = layer.conv, neurons_per_clock
    if events is None or len(events) != len(avail):
        raise ParameterError("events", None if events is None else len(events),
                             f"the {len(avail)} input indices of the conv layer's events, in walk order")
    cost = conv_event_cycles(g, lanes)
    end = -(1 << 62)
    for a, i in zip(avail, events):
        end = max(a + CONV_DECODE, end, start) + int(cost[int(i)])
    last = max(end + 1, done, start)
    D = max(conv_lanes(g, lanes), P) // P    # accumulator banks / neuron lanes
    first_load = last + acc_latency(read_latency) + 1
    wb_at = {w: first_load + (w // D) * D + 1 + (w % D) + NEURON_LATENCY for w in range(layer.n_out // P)}
    s = np.asarray(spikes, dtype=bool)[conv_internal_order(g)]
    emitted, free = [], -(1 << 62)
    for w in range(layer.n_out // P):
        c = int(s[w * P:(w + 1) * P].sum())
        if c:
            first = max(wb_at[w] + QUEUE_LATENCY, free)
            emitted.extend(range(first + CONV_OUT_LATENCY, first + c + CONV_OUT_LATENCY))
            free = first + c
    finished = max(max(wb_at.values()) + 1, (emitted[-1] + 1) if emitted else 0)
    return emitted, finished, last


def emission_order(layer, spikes):
    """The indices of a layer's 0/1 ``spikes`` in the order its spike queue emits them: ascending for a
    dense layer, the internal position-major order of a conv layer."""
    s = np.asarray(spikes, dtype=bool)
    if not layer.is_conv:
        return np.flatnonzero(s)
    order = conv_internal_order(layer.conv)
    return order[np.flatnonzero(s[order])]


def weight_read_latency(layer, lanes, kind="bram"):
    """The cycle model's ``read_latency`` for ``layer``'s weight memory as the core builds it: the
    ``WeightMemory.read_latency`` beyond its first cycle (1 for SPRAM and for block RAM of one bank;
    a banked block RAM adds its OR-tree levels: ``models.snn_capacity.bram_read_latency``)."""
    if kind == "spram":
        return 1
    if layer.is_conv:
        depth = (layer.conv.out_channels // conv_lanes(layer.conv, lanes)) * conv_weight_rows(layer.conv)
    else:
        depth = -(-layer.n_out // lanes) * layer.n_rows
    return bram_read_latency(weight_banks(depth)) - 1


def run_cycles(network, lanes, in_events, spikes, neurons_per_clock=1, read_latency=None, memory="bram"):
    """The cycle of every ``step_done`` of a run (module docstring), cycle 0 being the first at which
    the first input word is read, the words arriving back to back (no state reset in the run).

    ``in_events[t]``: input events of step t (a count, or for a network with conv layers the 0/1
    input vector or the ascending input indices of the step); ``spikes[l][t]``: layer l's 0/1 spikes
    of step t (the model's; recurrent layers' events of step t are their spikes of step t - 1). A
    conv layer 0 reads a step's inputs only once the previous step is done (as a recurrent one).
    ``read_latency``: one value for every layer, or None: each layer's own (:func:`weight_read_latency`
    of its ``memory`` kind, one for all layers or a list)."""
    P = neurons_per_clock
    layers = network.layers
    delayed = any(layer.delay is not None for layer in layers)
    src = None           # per layer, the 0/1 source spikes (steps, n_in) of a delayed layer
    if delayed:
        if layers[0].delay is not None:
            src0 = []
            for ev in in_events:
                ev = np.asarray(ev)
                if ev.ndim == 0:
                    raise ParameterError("in_events", "counts", "0/1 input vectors or index lists per step",
                                         why="layer 0 has a delay line: which inputs are delayed matters")
                v = np.zeros(layers[0].n_in, dtype=bool)
                v[np.flatnonzero(ev) if ev.dtype == bool else ev.astype(np.int64)] = True
                src0.append(v)
            src = [np.array(src0).reshape(len(in_events), -1)]
        else:
            src = [None]
        src += [np.asarray(spikes[k - 1], dtype=bool).reshape(len(in_events), -1) for k in range(1, len(layers))]
    kinds = [memory] * len(layers) if isinstance(memory, str) else list(memory)
    latency = [read_latency if read_latency is not None else weight_read_latency(layer, lanes, kind)
               for layer, kind in zip(layers, kinds)]
    done_at = []
    read0 = 0        # the first cycle layer 0 can read the step's first word
    go = 0           # the first cycle the step's neuron side may run
    for t, ev in enumerate(in_events):
        ev = np.asarray(ev)
        if ev.ndim == 0:
            n_ev, idx = int(ev), None
        else:
            idx = np.flatnonzero(ev) if ev.dtype == bool else np.sort(ev.astype(np.int64))
            n_ev = len(idx)
        rec0 = layers[0].recurrent or layers[0].is_conv
        if rec0:
            read0 = go
        avail = [read0 + m + 1 for m in range(n_ev)]
        done = read0 + n_ev + 1
        for k, layer in enumerate(layers):
            n_rec = int(np.sum(spikes[k][t - 1])) if (layer.recurrent and t > 0) else 0
            pre = [go] * n_rec
            events = idx
            if layer.delay is not None:
                d = layer.delay
                order = idx if k == 0 else emission_order(layers[k - 1], spikes[k - 1][t])
                due = [int(j) for j in np.flatnonzero(d) if t >= int(d[j]) and src[k][t - int(d[j]), j]]
                direct = [int(j) for j in order if d[int(j)] == 0]
                if layer.is_conv:
                    # decoded before they were stored: taken from the walker's start (go), then the
                    # step's own events with delay 0 as without a delay line
                    pre += [go - CONV_DECODE] * len(due)
                    if len(avail):   # the end token waits for the decode of the last input, delayed or not
                        done = max(done, max(avail) + CONV_DECODE)
                    avail = [a for a, j in zip(avail, order) if d[int(j)] == 0]
                    events = due + direct
                else:
                    # the slot's delayed events are readable once the walker is armed (layer 0 not
                    # recurrent: at read0; otherwise at go); the step's own events with delay 0 one
                    # cycle after they would be (the delay ROM's stage), the inputs complete one later
                    pre += [read0 if k == 0 else go] * len(due)
                    avail = [a + 1 for a, j in zip(avail, order) if d[int(j)] == 0]
                    done += 1
                    events = due + direct
            emitted, finished, walk_end = layer_timing(layer, lanes, P, pre + avail, done, spikes[k][t],
                                                       latency[k], start=go, events=events)
            if k == 0 and not rec0:
                next_read0 = walk_end + 1
            avail, done = [z + 1 for z in emitted], finished
            idx = emission_order(layer, spikes[k][t])
        done_at.append(finished)
        go = finished + 1
        read0 = go if rec0 else next_read0
    return done_at


def step_cycles(network, lanes, in_events, spikes, prev_spikes=None, neurons_per_clock=1, read_latency=None,
                memory="bram"):
    """Cycles of one step run alone (from reading its first input word to its ``step_done``, both
    included): the latency of a step; a run's steps overlap (:func:`run_cycles`). ``spikes[l]``:
    layer l's 0/1 spikes of the step, ``prev_spikes[l]`` of the previous step (recurrent events)."""
    pairs = [[np.zeros_like(np.asarray(s)) if prev_spikes is None else prev_spikes[k], s]
             for k, s in enumerate(spikes)]
    first = run_cycles(network, lanes, [0, in_events], pairs, neurons_per_clock, read_latency, memory)
    return first[1] - first[0]


def accumulator_bits(n_rows, weight_bits):
    """Width of a lane's accumulator: the sum of all ``n_rows`` rows at the top level fits, so it
    cannot wrap (testbench/formal_snn.py proves it for the gates of :func:`accumulate`)."""
    return _bits(n_rows * ((1 << weight_bits) - 1))


def accumulate(m, acc, w, valid, load, name):
    """One accumulator of a lane, as every layer unit builds it: ``acc + w`` in a wire as wide as
    ``acc`` (returned: the group's sum on its last token); ``load`` (the group's last token, also
    valid) restarts ``acc`` at 0, another ``valid`` token adds ``w``."""
    total = Signal(acc.shape(), name=name)
    m.d.comb += total.eq(acc + w)
    with m.If(load):
        m.d.sync += acc.eq(0)
    with m.Elif(valid):
        m.d.sync += acc.eq(total)
    return total


def param_registers(layer):
    """``{register name: (shape, build-time value)}`` of the run-time parameters of ``layer``
    (``models.snn_registers.PARAM_REGISTERS``; SYN_DECAY only where the layer has a synaptic current)."""
    p = layer.params
    shapes = {"V_TH": signed(p.v_bits), "DECAY": unsigned(p.decay_bits + 1), "BIAS": signed(p.v_bits),
              "V_RESET": signed(p.v_bits), "T_REF": unsigned(p.ref_bits), "ADAPT_INC": unsigned(p.adapt_bits),
              "ADC_SHIFT": unsigned(4), "SYN_DECAY": unsigned(p.decay_bits + 1)}
    out = {}
    for name, (where, field_name) in PARAM_REGISTERS.items():
        value = getattr(p if where == "params" else layer, field_name)
        if value is None:
            continue
        Const(int(value), shapes[name])  # the build-time value fits the register (or raises)
        if not (-(1 << 31) <= int(value) < (1 << 32)):
            raise ParameterError(field_name, value, "a 32-bit value")
        out[name] = (shapes[name], int(value))
    return out


class _Override:
    """``base`` seen with some attributes replaced (run-time parameter registers in place of
    build-time constants): the model's rules read them like the constants."""

    def __init__(self, base, **values):
        self._base = base
        self._values = values

    def __getattr__(self, name):
        values = self.__dict__.get("_values", {})
        return values[name] if name in values else getattr(self.__dict__["_base"], name)


def weight_words(layer, lanes):
    """Weight RAM contents of ``layer``: word ``g * n_rows + i`` holds columns ``g*lanes ..`` of row i,
    lane k in bits ``[2*wb*k, 2*wb*k + wb)`` (w_exc) and ``[.. + wb, 2*wb*(k+1))`` (w_inh). Rows
    ``n_in + k`` of a recurrent layer hold its recurrent block (from its own neuron k)."""
    wb = layer.weight_bits
    groups = -(-layer.n_out // lanes)
    w_exc, w_inh = layer.w_exc, layer.w_inh
    if layer.recurrent:
        w_exc = np.concatenate([w_exc, layer.w_rec_exc])
        w_inh = np.concatenate([w_inh, layer.w_rec_inh])
    words = []
    for g in range(groups):
        for i in range(layer.n_rows):
            word = 0
            for k in range(lanes):
                j = g * lanes + k
                if j < layer.n_out:
                    word |= (int(w_exc[i, j]) | int(w_inh[i, j]) << wb) << (2 * wb * k)
            words.append(word)
    return words


def writeback_ports(layout, lanes=1):
    """``{"wb_<field>": Out(shape).array(lanes)}``: the new state of ``lanes`` neurons, one port per
    field of ``layout``."""
    return {f"wb_{name}": port.array(lanes) for name, port in item_ports(layout, Out).items()}


class LayerUnit(wiring.Component):
    """One layer: event list, weight memory, `lanes` accumulators, ``neurons_per_clock`` neuron lanes
    (state RAM banked that many ways), spike queue.

    ``arm`` (one cycle): begin a step; the walk of group 0 starts at once and follows the event
    list as it is written (``ev_we``/``ev_index``). ``in_done`` (level, until the next ``arm``):
    every event of the step is in the list. ``finished`` (level, until the next ``arm``): the
    step's last spike has left the layer. ``reset`` (one cycle): write the initial state into every
    neuron (``ceil(n_out / P) + 3`` cycles). Write-backs: ``wb_valid[p]`` (lane p holds neuron
    ``wb_word * P + p``) and ``wb_<field>[p]``. Spikes, one per clock: ``sp_valid``/``sp_neuron``.
    ``issued``: an event of group 0 entered the accumulator (one per event: SOP counting). ``w_*``:
    a write port of the weight memory (one lane of one word). Cycle cost: module docstring.
    """

    def __init__(self, layer, lanes, rng_seeds, neurons_per_clock=1, memory="bram", auto_arm=False,
                 runtime_params=True, weight_format="pair"):
        self.layer = layer
        self.runtime_params = runtime_params
        self.auto_arm = bool(auto_arm) and not layer.recurrent
        self.lanes = lanes
        self.P = neurons_per_clock
        self.memory = memory
        self.rng_seeds = [int(s) for s in rng_seeds]
        self.groups = -(-layer.n_out // lanes)
        self.words = -(-layer.n_out // self.P)          # state RAM words per bank
        self.in_bits = _bits(layer.n_in - 1)
        self.row_bits = _bits(layer.n_rows - 1)
        self.out_bits = _bits(layer.n_out - 1)
        self.word_bits = _bits(self.words - 1)
        wb = layer.weight_bits
        self.acc_bits = accumulator_bits(layer.n_rows, wb)
        # SPRAM has no initial contents: its weights come over the bus (SYNAPSE) before the first
        # step, also in simulation (the behavioural model starts at zero)
        self.weights = WeightMemory(lanes=lanes, weight_bits=wb, depth=self.groups * layer.n_rows,
                                    init=weight_words(layer, lanes) if memory == "bram" else (), kind=memory,
                                    weight_format=weight_format)
        P = self.P
        super().__init__({
            "arm": In(1),
            "go": In(1),
            "rearmed": Out(1),
            "in_done": In(1),
            "finishing": Out(1),
            "reset": In(1),
            "busy": Out(1),
            "finished": Out(1),
            "issued": Out(1),
            "ev_we": In(1),
            "ev_index": In(self.in_bits),
            "overflow": Out(1),                  # an event arrived while the list was full
            "clear_flags": In(1),
            "w_en": In(1),
            "w_addr": In(range(max(2, self.groups * layer.n_rows))),
            "w_lane": In(range(max(2, lanes))),
            "w_data": In(2 * wb),
            "sp_valid": Out(1),
            "sp_neuron": Out(self.out_bits),
            "wb_valid": Out(P),
            "wb_word": Out(self.word_bits),
            **writeback_ports(layer.state_layout, P),
            # run-time parameters (the core's registers, reset to the build-time values)
            **({f"prm_{name.lower()}": In(shape) for name, (shape, _) in param_registers(layer).items()}
               if runtime_params else {}),
        })

    def elaborate(self, platform):
        m = Module()
        layer, L, G, P = self.layer, self.lanes, self.groups, self.P
        prm = ({name: getattr(self, f"prm_{name.lower()}") for name in param_registers(layer)} if self.runtime_params
               else {name: value for name, (_, value) in param_registers(layer).items()})
        lif_fields = {f: prm[n] for n, (where, f) in PARAM_REGISTERS.items() if where == "params"}
        p = _Override(layer.params, **lif_fields)
        # the layer as the synapse rules read it: adc_shift (and syn_decay) from the registers
        layer_rt = _Override(layer, adc_shift=prm["ADC_SHIFT"], params=p,
                             **({"syn_decay": prm["SYN_DECAY"]} if "SYN_DECAY" in prm else {}))
        n_in, n_out, wb = layer.n_in, layer.n_out, layer.weight_bits
        n_rows = layer.n_rows
        acc_w = self.acc_bits
        D = L // P                                    # drain words per group
        D_last = -(-(n_out - (G - 1) * L) // P)       # ... of the last group
        W = self.words

        # --- memories --------------------------------------------------------------------------
        m.submodules.events = ev_mem = Memory(shape=unsigned(self.in_bits), depth=n_in, init=[])
        m.submodules.weights = w_mem = self.weights
        R = w_mem.read_latency
        state = layer.state_layout  # the RAM word: struct_of(state), packed as state.pack
        sv = struct_of(state)
        ev_rd, ev_wr = ev_mem.read_port(), ev_mem.write_port()

        def bank(values, lane, pad):
            return [values[w * P + lane] if w * P + lane < n_out else pad for w in range(W)]

        seeds = self.rng_seeds
        st_rd, st_wr, seed_rd, vth_rd, rng_rd, rng_wr = [], [], [], [], [], []
        for q in range(P):
            self._state_bank(m, q, bank(seeds, q, 0), W, st_rd, st_wr, seed_rd, rng_rd, rng_wr)
            if layer.v_th_neuron is not None:
                vth_shape = unsigned(int(layer.v_th_neuron.max()).bit_length())
                m.submodules[f"thresholds{q}"] = vth_mem = Memory(
                    shape=vth_shape, depth=W, init=bank([int(x) for x in layer.v_th_neuron], q, int(layer.v_th_neuron.max())))
                vth_rd.append(vth_mem.read_port())

        # --- step control --------------------------------------------------------------------------
        stepping = Signal()       # the step's neuron side may run (go), not yet finished
        walking = Signal()        # the walker is on a step (armed, last token not yet issued)
        go_seen = Signal()        # `go` seen, group 0's end token not yet issued
        done_in = Signal()

        # --- delay line (a layer with CoreLayer.delay): every input event passes one register stage
        # (its delay read from a ROM); delay 0 goes on to the event list, delay d > 0 is appended to
        # the list of slot (s + d) mod S of a ring of S = max_delay + 1 slots (s: the walker's slot)
        dly = layer.delay is not None
        in_we, in_index = self.ev_we, self.ev_index
        if dly:
            S = layer.max_delay + 1
            n_dsrc = int(np.count_nonzero(layer.delay))     # a slot holds at most one event per delayed source
            ent_bits = _bits(n_dsrc - 1)
            m.submodules.delay_rom = d_rom = Memory(shape=unsigned(_bits(S - 1)), depth=n_in,
                                                    init=[int(x) for x in layer.delay])
            m.submodules.delay_line = dl_mem = Memory(shape=unsigned(self.in_bits), depth=S << ent_bits, init=[])
            d_rd = d_rom.read_port()
            dl_rd, dl_wr = dl_mem.read_port(), dl_mem.write_port()
            slot = Signal(range(S))                          # the slot of the step the walker is on
            counts = Array(Signal(range(n_dsrc + 1), name=f"slot_count{i}") for i in range(S))
            p1_valid, p1_index, p1_slot = Signal(), Signal(self.in_bits), Signal(range(S))
            m.d.comb += d_rd.addr.eq(self.ev_index)
            m.d.sync += [p1_valid.eq(self.ev_we), p1_index.eq(self.ev_index), p1_slot.eq(slot)]
            target = Signal(range(2 * S))
            m.d.comb += target.eq(p1_slot + d_rd.data)
            t_slot = Signal(range(S))
            m.d.comb += t_slot.eq(Mux(target >= S, target - S, target))
            to_line = Signal()
            m.d.comb += [to_line.eq(p1_valid & (d_rd.data != 0)),
                         dl_wr.en.eq(to_line), dl_wr.addr.eq(Cat(counts[t_slot][:ent_bits], t_slot)),
                         dl_wr.data.eq(p1_index)]
            with m.If(to_line):
                m.d.sync += counts[t_slot].eq(counts[t_slot] + 1)
            in_we, in_index = Signal(), p1_index
            m.d.comb += in_we.eq(p1_valid & (d_rd.data == 0))
            # the inputs are complete one cycle later too (the last event's stage)
            done_r = Signal()
            m.d.sync += done_r.eq(self.in_done)
            m.d.comb += done_in.eq(self.in_done & done_r)
        else:
            m.d.comb += done_in.eq(self.in_done)

        # --- event list --------------------------------------------------------------------------
        ev_count = Signal(range(n_in + 1))
        with m.If(in_we):
            with m.If(ev_count == n_in):
                m.d.sync += self.overflow.eq(1)
            with m.Else():
                m.d.sync += ev_count.eq(ev_count + 1)
        m.d.comb += [ev_wr.en.eq(in_we & (ev_count != n_in)), ev_wr.addr.eq(ev_count),
                     ev_wr.data.eq(in_index)]

        # --- weight write port (bus) -------------------------------------------------------------
        m.d.comb += [w_mem.wr_addr.eq(self.w_addr), w_mem.wr_lane.eq(self.w_lane), w_mem.wr_data.eq(self.w_data),
                     w_mem.wr_en.eq(self.w_en)]

        # recurrent layers: the layer's own spikes of the previous step are events 0 .. n_rec - 1 of
        # the walk (rows n_in + k), kept in a two-bank list written as they leave, read the next step
        n_rec = Signal(range(n_out + 1)) if layer.recurrent else 0
        rec_count = Signal(range(n_out + 1))

        # --- issue: group 0 follows the list as it fills (then one end token), groups 1.. replay it
        g = Signal(range(G + 1))
        e = Signal(range(n_rows + 1))
        gbase = Signal(range(G * n_rows + 1))
        cool = Signal(range(D + 1))
        n_ev = Signal(range(n_rows + 1))      # events of the step, latched by group 0's end token
        # n_ev == 0 and n_ev - 1, latched with n_ev (Fmax: no subtraction before the replay's compare)
        n_ev_zero, n_ev_last = Signal(init=1), Signal(range(n_rows + 1))
        n_avail = Signal(range(n_rows + 1))
        # events before the event list's: the recurrent list, then the delay line's slot
        n_pre = Signal(range(n_rows + 1)) if dly else n_rec
        m.d.comb += n_avail.eq(n_pre + ev_count)
        chase = Signal()
        m.d.comb += chase.eq(g == 0)
        fire, has, last = Signal(), Signal(), Signal()
        fire_ev, fire_end = Signal(), Signal()
        is_last = Signal()
        m.d.comb += [
            fire_ev.eq(walking & chase & (e < n_avail)),
            fire_end.eq(walking & chase & (e >= n_avail) & done_in & go_seen),
            is_last.eq(n_ev_zero | (e == n_ev_last)),
            self.issued.eq(fire_ev),
        ]
        with m.If(chase):
            m.d.comb += [fire.eq(fire_ev | fire_end), has.eq(fire_ev), last.eq(fire_end)]
        with m.Else():
            m.d.comb += [fire.eq(walking & (~is_last | (cool == 0))), has.eq(~n_ev_zero), last.eq(is_last)]
        m.d.comb += ev_rd.addr.eq(e - n_pre)
        with m.If(cool != 0):
            m.d.sync += cool.eq(cool - 1)
        walk_end = Signal()     # the step's last token
        # = fire & last & (g == G - 1), written flat (Fmax: it re-arms the walker and clears ev_count)
        if G == 1:
            m.d.comb += walk_end.eq(fire_end)
        else:
            m.d.comb += walk_end.eq(walking & ~chase & is_last & (cool == 0) & (g == G - 1))
        with m.If(fire):
            with m.If(last):
                m.d.sync += [e.eq(0), g.eq(g + 1), gbase.eq(gbase + n_rows), cool.eq(D - 1)]
                with m.If(chase):
                    m.d.sync += [n_ev.eq(n_avail), n_ev_zero.eq(n_avail == 0), n_ev_last.eq(n_avail - 1), go_seen.eq(0)]
                with m.If(g == G - 1):
                    m.d.sync += walking.eq(0)
            with m.Else():
                m.d.sync += e.eq(e + 1)

        if layer.recurrent:
            m.submodules.rec_events = rec_mem = Memory(shape=unsigned(self.out_bits), depth=2 * n_out, init=[])
            rec_rd, rec_wr = rec_mem.read_port(), rec_mem.write_port()
            w_bank, r_bank = Signal(), Signal()
            t1_is_rec = Signal()
            m.d.comb += [rec_rd.addr.eq(Mux(r_bank, n_out, 0) + e),
                         rec_wr.en.eq(self.sp_valid),
                         rec_wr.addr.eq(Mux(w_bank, n_out, 0) + rec_count), rec_wr.data.eq(self.sp_neuron)]
            with m.If(self.sp_valid):
                m.d.sync += rec_count.eq(rec_count + 1)
            m.d.sync += t1_is_rec.eq(e < n_rec)
            ev_data = Mux(t1_is_rec, rec_rd.data + n_in, ev_rd.data)
        else:
            ev_data = ev_rd.data
        if dly:   # walk positions n_rec .. n_pre - 1: the slot's list
            t1_is_del = Signal()
            m.d.comb += dl_rd.addr.eq(Cat((e - n_rec)[:ent_bits], slot))
            m.d.sync += t1_is_del.eq((e >= n_rec) & (e < n_pre))
            ev_data = Mux(t1_is_del, dl_rd.data, ev_data)

        # accumulate pipeline: t1 event RAM out, t2 weight address, R cycles of weight memory,
        # then the weight word registered (tA) and added
        n_t = 3 + R
        t_valid = [Signal(name=f"t{k}_valid") for k in range(1, n_t + 1)]
        t_has = [Signal(name=f"t{k}_has") for k in range(1, n_t + 1)]
        t_last = [Signal(name=f"t{k}_last") for k in range(1, n_t + 1)]
        t1_gbase = Signal.like(gbase)
        t2_gbase = Signal.like(gbase)
        t2_index = Signal(self.row_bits)
        tA_w = Signal(2 * wb * L)
        m.d.sync += [
            t_valid[0].eq(fire), t_has[0].eq(has), t_last[0].eq(last), t1_gbase.eq(gbase),
            t2_index.eq(ev_data), t2_gbase.eq(t1_gbase),
            tA_w.eq(Mux(t_has[1 + R], w_mem.rd_data, 0)),
        ]
        for k in range(1, n_t):
            m.d.sync += [t_valid[k].eq(t_valid[k - 1]), t_has[k].eq(t_has[k - 1]), t_last[k].eq(t_last[k - 1])]
        m.d.comb += [w_mem.rd_addr.eq(t2_gbase + t2_index), w_mem.rd_en.eq(t_valid[1] & t_has[1])]

        # `lanes` accumulator pairs; a group's last token moves the sums into the feed register,
        # which drains P lanes per clock into the neuron lanes
        acc = [(Signal(acc_w, name=f"acc_exc{k}"), Signal(acc_w, name=f"acc_inh{k}")) for k in range(L)]
        feed = [(Signal(acc_w, name=f"feed_exc{k}"), Signal(acc_w, name=f"feed_inh{k}")) for k in range(L)]
        feed_left = Signal(range(D + 1))
        feed_w = Signal(range(G * D + 1))     # state word of the lanes being fed
        load_base = Signal(range(G * D + 1))  # first word of the next group to load
        load = Signal()
        m.d.comb += load.eq(t_valid[-1] & t_last[-1])
        for k in range(L):
            w_exc = tA_w[2 * wb * k: 2 * wb * k + wb]
            w_inh = tA_w[2 * wb * k + wb: 2 * wb * (k + 1)]
            sum_exc = accumulate(m, acc[k][0], w_exc, t_valid[-1], load, f"sum_exc{k}")
            sum_inh = accumulate(m, acc[k][1], w_inh, t_valid[-1], load, f"sum_inh{k}")
            with m.If(load):
                m.d.sync += [feed[k][0].eq(sum_exc), feed[k][1].eq(sum_inh)]
            with m.If(~load & (feed_left != 0)):  # shift: lane k+P moves to lane k
                if k + P < L:
                    m.d.sync += [feed[k][0].eq(feed[k + P][0]), feed[k][1].eq(feed[k + P][1])]
        with m.If(load):
            m.d.sync += [feed_left.eq(Mux(load_base == (G - 1) * D, D_last, D)), feed_w.eq(load_base),
                         load_base.eq(load_base + D)]
        with m.Elif(feed_left != 0):
            m.d.sync += [feed_left.eq(feed_left - 1), feed_w.eq(feed_w + 1)]
        # the state banks are read one cycle ahead: the word that drains next cycle
        next_w = Signal.like(feed_w)
        m.d.comb += next_w.eq(Mux(load, load_base, feed_w + 1))

        c = self._neuron_side(m, dict(layer=layer, P=P, n_out=n_out, n_rows=n_rows, wb=wb, W=W, n_t=n_t, feed=feed,
                                      feed_left=feed_left, feed_w=feed_w, next_w=next_w, st_rd=st_rd, st_wr=st_wr,
                                      seed_rd=seed_rd, vth_rd=vth_rd, rng_rd=rng_rd, rng_wr=rng_wr, state=state, sv=sv,
                                      layer_rt=layer_rt, p=p,
                                      lif_fields=lif_fields, acc_w=acc_w))
        cnt_prev, cnt_cur, lane_valid, resetting, r_j, r_end, r_we, q_w, q_r, q_ready, cur_mask = (
            c[k] for k in ("cnt_prev", "cnt_cur", "lane_valid", "resetting", "r_j", "r_end", "r_we", "q_w", "q_r",
                           "q_ready", "cur_mask"))

        # --- control ----------------------------------------------------------------------------
        # the step's neuron side is idle once its last group is loaded and drained, written back and its
        # spikes are out (the accumulator pipeline may already hold the next step's tokens)
        last_loaded = Signal()
        with m.If(load & (load_base == (G - 1) * D)):
            m.d.sync += last_loaded.eq(1)
        neuron_valid = Cat(*lane_valid, self.wb_valid)
        pipe_valid = Cat(*t_valid, neuron_valid)
        idle = Signal()
        m.d.comb += [idle.eq(last_loaded & ~neuron_valid.any() & (feed_left == 0) & ~q_ready & ~cur_mask.any()),
                     self.finishing.eq(stepping & idle)]
        with m.If(self.finishing):
            m.d.sync += [stepping.eq(0), self.finished.eq(1)]
        m.d.comb += self.busy.eq(stepping | resetting | r_we | pipe_valid.any() | (feed_left != 0) | q_ready |
                                 cur_mask.any())

        def arm_walker():
            m.d.sync += [walking.eq(1), g.eq(0), e.eq(0), gbase.eq(0), ev_count.eq(0)]
            if layer.recurrent:
                m.d.sync += [n_rec.eq(rec_count), rec_count.eq(0), r_bank.eq(w_bank), w_bank.eq(~w_bank)]
            if dly:  # the next slot's list is the step's delayed events; the slot just walked is freed
                nxt = Mux(slot == S - 1, 0, slot + 1)
                m.d.sync += [slot.eq(nxt), n_pre.eq(counts[nxt] + (rec_count if layer.recurrent else 0)),
                             counts[slot].eq(0)]

        if self.auto_arm:  # the walk of the next step starts as soon as this one's last token is out
            m.d.comb += self.rearmed.eq(walk_end)
            with m.If(walk_end):
                arm_walker()
        with m.If(self.arm):
            arm_walker()
        with m.If(self.go):
            m.d.sync += [stepping.eq(1), last_loaded.eq(0), go_seen.eq(1), self.finished.eq(0),
                         load_base.eq(0),
                         cnt_prev.eq(cnt_cur), cnt_cur.eq(0), q_w.eq(0), q_r.eq(0)]
        with m.If(self.clear_flags):
            m.d.sync += self.overflow.eq(0)
        # reset: the walker stops; the sequence lasts at least as long as the accumulator pipeline, whose
        # last tokens land before the accumulators are cleared at its end
        with m.If(self.reset):
            m.d.sync += [resetting.eq(1), r_j.eq(0), ev_count.eq(0), cnt_prev.eq(0), cnt_cur.eq(0),
                         self.overflow.eq(0), stepping.eq(0), walking.eq(0), go_seen.eq(0),
                         last_loaded.eq(0),
                         self.finished.eq(0)]
            if layer.recurrent:
                m.d.sync += rec_count.eq(0)
            if dly:
                m.d.sync += [c.eq(0) for c in counts]
        with m.If(resetting & (r_j == r_end)):
            m.d.sync += [a.eq(0) for pair in acc for a in pair]
        return m

    @property
    def rng_apart(self):
        """The layer draws no threshold noise (``noise_bits == 0``): its PRNG state lives in a memory
        of its own, advanced (``xorshift32``) at the cycle it is read, instead of in the state word
        carried down the neuron pipeline. Its value then feeds no arithmetic; the pipeline's copy of
        it only drives the write-back snoop ``wb_rng`` (benches), which a board top leaves open, so
        synthesis removes those registers (about 224 flip-flops per layer and lane)."""
        return self.layer.params.noise_bits == 0

    def _state_bank(self, m, q, seeds, W, st_rd, st_wr, seed_rd, rng_rd, rng_wr):
        """State RAM bank ``q`` (the layer's initial state, PRNG state from ``seeds``), its seed ROM
        (read by the reset) and, when :attr:`rng_apart`, the bank's PRNG memory; ports appended."""
        state = self.layer.state_layout
        word = state.without("rng") if self.rng_apart else state
        init_words = [word.pack(self.layer.initial_state((), s)) for s in seeds]
        m.submodules[f"state{q}"] = st_mem = Memory(shape=unsigned(word.bits), depth=W, init=init_words)
        m.submodules[f"seeds{q}"] = seed_mem = Memory(shape=unsigned(32), depth=W, init=seeds)
        st_rd.append(st_mem.read_port())
        st_wr.append(st_mem.write_port())
        seed_rd.append(seed_mem.read_port())
        if self.rng_apart:
            m.submodules[f"rng{q}"] = rng_mem = Memory(shape=unsigned(32), depth=W, init=seeds)
            rng_rd.append(rng_mem.read_port())
            rng_wr.append(rng_mem.write_port())

    def _spike_port(self, m, cur_mask, low, cur_word):
        """Statements driving ``sp_valid``/``sp_neuron`` from the spike queue's output register
        (lane mask ``cur_mask``, its lowest lane ``low``, state word ``cur_word``)."""
        P = self.P
        return [self.sp_valid.eq(cur_mask.any()),
                self.sp_neuron.eq(Cat(low[:max(0, (P - 1).bit_length())], cur_word) if P > 1 else cur_word)]

    def _neuron_side(self, m, c):
        """Neuron lanes, write-back (and the reset sequence) and the spike queue of a layer unit, fed
        by the feed register (``c``: the names the unit's elaborate defined; returns the ones its
        control needs). Shared by the dense and the convolution unit."""
        layer, P, n_out, n_rows, wb, W, n_t = (c[k] for k in ("layer", "P", "n_out", "n_rows", "wb", "W", "n_t"))
        feed, feed_left, feed_w, next_w = (c[k] for k in ("feed", "feed_left", "feed_w", "next_w"))
        st_rd, st_wr, seed_rd, vth_rd = (c[k] for k in ("st_rd", "st_wr", "seed_rd", "vth_rd"))
        rng_rd, rng_wr = c["rng_rd"], c["rng_wr"]
        state, sv, layer_rt, p, lif_fields, acc_w = (c[k] for k in ("state", "sv", "layer_rt", "p", "lif_fields", "acc_w"))
        # the state RAM word: the state less rng when the PRNG has a memory of its own (rng_apart)
        word = state.without("rng") if self.rng_apart else state
        sw = struct_of(word)
        n1_valids = []
        # --- neuron lanes: lane q updates neuron feed_w * P + q ---------------------------------------
        cnt_prev = Signal(range(n_out + 1))  # this layer's spikes in the previous step
        cnt_cur = Signal(range(n_out + 1))
        lat_bits = _bits(n_out)
        inh_w = _bits(n_rows * ((1 << wb) - 1) + layer.lateral * n_out)
        current = shape_of(p.input_layout["i_exc"])
        syn = layer.syn_decay is not None
        lane_valid = []   # every pipeline valid bit of lane 0 (the first lane is valid whenever any is)
        wb_j = None
        for q in range(P):
            words_q = -(-(n_out - q) // P)   # words of bank q holding a neuron
            # n1: the drain cycle: the bank's word (read last cycle) and lane q of the feed register
            n1_valid = Signal(name=f"n1_valid_{q}")
            m.d.comb += [n1_valid.eq((feed_left != 0) & (feed_w < words_q)), st_rd[q].addr.eq(next_w)]
            n1_valids.append(n1_valid)
            st_word = sw(st_rd[q].data)
            st = {name: st_word[name] for name in word.names}
            if self.rng_apart:
                m.d.comb += rng_rd[q].addr.eq(next_w)
                st["rng"] = rng_rd[q].data
            n2 = {name: Signal(sv.members[name], name=f"n2_{name}_{q}") for name in state.names}
            n2_valid, n2_j = Signal(name=f"n2_valid_{q}"), Signal(self.word_bits, name=f"n2_j_{q}")
            n2_exc, n2_inh = Signal(acc_w, name=f"n2_exc_{q}"), Signal(acc_w, name=f"n2_inh_{q}")
            n2_others = Signal(lat_bits, name=f"n2_others_{q}")
            m.d.sync += [n2[name].eq(st[name]) for name in state.names]
            m.d.sync += [n2_valid.eq(n1_valid), n2_j.eq(feed_w), n2_exc.eq(feed[q][0]), n2_inh.eq(feed[q][1]),
                         n2_others.eq(cnt_prev - st["spike"])]
            # n2 -> n3: lateral term, excitatory ADC; n3 -> n4: inhibitory ADC (models.synapse's
            # column_currents, its two ADCs in successive stages)
            adc = AmaranthOps(m, prefix=f"adc{q}_")
            n3 = {name: Signal.like(n2[name], name=f"n3_{name}_{q}") for name in state.names}
            n3_valid, n3_j = Signal(name=f"n3_valid_{q}"), Signal(self.word_bits, name=f"n3_j_{q}")
            n3_iexc = Signal(current, name=f"n3_iexc_{q}")
            n3_inh = Signal(inh_w, name=f"n3_inh_{q}")
            n3_lat = Signal(inh_w, name=f"n3_lat_{q}")
            exc_scaled = Signal(acc_w + layer.adc_gain, name=f"exc_scaled_{q}")
            m.d.comb += exc_scaled.eq(adc_scale(layer_rt, n2_exc))
            m.d.sync += [n3[name].eq(n2[name]) for name in state.names]
            m.d.sync += [n3_valid.eq(n2_valid), n3_j.eq(n2_j), n3_inh.eq(n2_inh),
                         n3_iexc.eq(adc_bound(adc, layer_rt, exc_scaled)),
                         n3_lat.eq(lateral_inhibition(layer, n2_others))]
            n4 = {name: Signal.like(n2[name], name=f"n4_{name}_{q}") for name in state.names}
            n4_valid, n4_j = Signal(name=f"n4_valid_{q}"), Signal(self.word_bits, name=f"n4_j_{q}")
            n4_iexc, n4_iinh = Signal(current, name=f"n4_iexc_{q}"), Signal(current, name=f"n4_iinh_{q}")
            inh_scaled = Signal(inh_w + layer.adc_gain, name=f"inh_scaled_{q}")
            m.d.comb += inh_scaled.eq(adc_scale(layer_rt, n3_inh + n3_lat))
            m.d.sync += [n4[name].eq(n3[name]) for name in state.names]
            m.d.sync += [n4_valid.eq(n3_valid), n4_j.eq(n3_j), n4_iexc.eq(n3_iexc),
                         n4_iinh.eq(adc_bound(adc, layer_rt, inh_scaled))]
            carry_vth = {}
            if vth_rd:
                vth_shape = vth_rd[q].data.shape()
                m.d.comb += vth_rd[q].addr.eq(next_w)
                vth_n2, vth_n3, vth_n4 = (Signal(vth_shape, name=f"n{k}_v_th_{q}") for k in (2, 3, 4))
                m.d.sync += [vth_n2.eq(vth_rd[q].data), vth_n3.eq(vth_n2), vth_n4.eq(vth_n3)]
                carry_vth = {"v_th": vth_n4}
            # n4..n7: the synaptic current and the LIF rule, pipelined at its stage() cuts; result at n8
            syn_next = Signal(shape_of(state["syn"]), name=f"syn_next_{q}") if syn else None
            ops = PipelinedOps(m, prefix=f"lif{q}_", carry={"valid": n4_valid, "j": n4_j,
                                                            **({"syn": syn_next} if syn else {}), **carry_vth})
            pq = (_Override(layer.neuron_params(lambda ops=ops: ops.carried["v_th"]),
                            **{f: v for f, v in lif_fields.items() if f != "v_th"}) if carry_vth else p)
            i_exc, i_inh = n4_iexc, n4_iinh
            if syn:
                syn_sum, i_exc, i_inh = synaptic_current_step(ops, layer_rt, n4["syn"], i_exc, i_inh)
                m.d.comb += syn_next.eq(syn_sum)
            new_state = dict(zip(layer.params.state_layout.names, lif_step(ops, pq, n4["v"], n4["ref"], n4["adapt"],
                                                                            n4["rng"], i_exc, i_inh)))
            assert ops.depth == 3, ops.depth
            if syn:
                new_state["syn"] = ops.carried["syn"]
            m.d.sync += self.wb_valid[q].eq(ops.carried["valid"])
            m.d.sync += [getattr(self, f"wb_{name}")[q].eq(new_state[name]) for name in state.names]
            if q == 0:
                m.d.sync += self.wb_word.eq(ops.carried["j"])
                lane_valid = [n1_valid, n2_valid, n3_valid, n4_valid, *ops.history["valid"]]

        # --- write-back (and the reset sequence, which writes the initial state) ---------------
        resetting = Signal()
        r_end = max(W, n_t + 1)   # reset sequence length (see control)
        r_j = Signal(range(r_end + 1))
        r_we = Signal()
        r_addr = Signal(self.word_bits)
        m.d.sync += [r_we.eq(resetting & (r_j < W)), r_addr.eq(r_j)]
        with m.If(resetting):
            with m.If(r_j == r_end):
                m.d.sync += resetting.eq(0)
            with m.Else():
                m.d.sync += r_j.eq(r_j + 1)
        init = sw.const({name: int(x) for name, x in layer.initial_state((), 0).items() if name in word}).as_value()
        for q in range(P):
            m.d.comb += seed_rd[q].addr.eq(r_j)
            # Mux, not m.If: Icarus never runs an `always @*` block whose inputs have not changed since
            # time 0, so an If-built write address would stay X for the first write-back (neuron 0)
            reset_word = init if self.rng_apart else init | (seed_rd[q].data << state.offsets()["rng"])
            m.d.comb += [
                st_wr[q].en.eq(r_we | self.wb_valid[q]),
                st_wr[q].addr.eq(Mux(r_we, r_addr, self.wb_word)),
                st_wr[q].data.eq(Mux(r_we, reset_word, Cat(*(getattr(self, f"wb_{name}")[q] for name in word.names)))),
            ]
            if self.rng_apart:
                # rng' = xorshift32(rng) depends on rng alone and each neuron is updated once a step:
                # written back in the cycle it is read (n1), not 7 cycles later with the rest
                rng_next = xorshift32(AmaranthOps(m, prefix=f"rng{q}_"), rng_rd[q].data)
                m.d.comb += [
                    rng_wr[q].en.eq(r_we | n1_valids[q]),
                    rng_wr[q].addr.eq(Mux(r_we, r_addr, c["feed_w"])),
                    rng_wr[q].data.eq(Mux(r_we, seed_rd[q].data, rng_next)),
                ]

        # --- spike queue: one entry (lane mask, word) per write-back with spikes; one spike per clock out
        mask = Signal(P)
        m.d.comb += mask.eq(Cat(*(self.wb_valid[q] & self.wb_spike[q] for q in range(P))))
        q_w, q_r = Signal(range(W + 1)), Signal(range(W + 1))
        push, bypass = Signal(), Signal()
        cur_mask, cur_word = Signal(P), Signal(self.word_bits)
        rest = Signal(P)
        q_ready = Signal()
        # an entry goes straight to the output register when the queue is empty and that register
        # frees this cycle; otherwise into the queue. With one lane every entry is one spike, the
        # register frees every cycle and the queue is never used: it is not built.
        m.d.comb += [push.eq(mask.any()), bypass.eq(push & (rest == 0) & ~q_ready)]
        if P > 1:
            m.submodules.spike_queue = q_mem = Memory(shape=unsigned(P + self.word_bits), depth=max(2, W), init=[])
            q_wr, q_rd = q_mem.write_port(), q_mem.read_port(domain="comb")
            m.d.comb += [q_wr.en.eq(push & ~bypass), q_wr.addr.eq(q_w), q_wr.data.eq(Cat(mask, self.wb_word)),
                         q_rd.addr.eq(q_r), q_ready.eq(q_r != q_w)]
            with m.If(q_wr.en):
                m.d.sync += q_w.eq(q_w + 1)
            q_data = q_rd.data
        else:
            q_data = Const(0, P + self.word_bits)
        low = Signal(range(max(2, P)))
        for q in reversed(range(P)):
            with m.If(cur_mask[q]):
                m.d.comb += low.eq(q)
        m.d.comb += [rest.eq(cur_mask & (cur_mask - 1)), *self._spike_port(m, cur_mask, low, cur_word)]
        with m.If(rest == 0):
            with m.If(q_ready):
                m.d.sync += [cur_mask.eq(q_data[:P]), cur_word.eq(q_data[P:]), q_r.eq(q_r + 1)]
            with m.Elif(bypass):
                m.d.sync += [cur_mask.eq(mask), cur_word.eq(self.wb_word)]
            with m.Else():
                m.d.sync += cur_mask.eq(0)
        with m.Else():
            m.d.sync += cur_mask.eq(rest)
        with m.If(self.sp_valid):
            m.d.sync += cnt_cur.eq(cnt_cur + 1)

        return {"cnt_prev": cnt_prev, "cnt_cur": cnt_cur, "lane_valid": lane_valid, "resetting": resetting,
                "r_j": r_j, "r_end": r_end, "r_we": r_we, "q_w": q_w, "q_r": q_r, "q_ready": q_ready,
                "cur_mask": cur_mask}


MAX_CONV_NEURONS = 1 << 12   # a conv layer's neurons: OUT_EVENT.neuron is 12 bits


def _check_conv_layer(k, layer, lanes, neurons_per_clock):
    """A conv layer the core can build: the register map's field widths bound it (ParameterError)."""
    g = layer.conv
    for name, n, hi in (("n_out", layer.n_out, MAX_CONV_NEURONS), ("n_in", layer.n_in, 1 << 16),
                        ("conv.kernel rows (C_in/groups * kH * kW)", conv_weight_rows(g), MAX_NEURONS),
                        ("conv.out_channels", g.out_channels, MAX_NEURONS)):
        if n > hi:
            raise ParameterError(f"layers[{k}].{name}", n, f"1..{hi}")
    if g.out_channels % neurons_per_clock:
        allowed = [n for n in NEURONS_PER_CLOCK if n <= lanes and g.out_channels % n == 0]
        raise ParameterError("neurons_per_clock", neurons_per_clock, " | ".join(map(str, allowed)),
                             f"a divisor of conv layer {k}'s {g.out_channels} output channels")


def const_divmod(value, divisor, max_value):
    """``(value // divisor, value % divisor)`` as Amaranth values, exact for ``0 <= value <=
    max_value``: a power of two is sliced; another divisor is a multiply by the reciprocal constant
    ``M = ceil(2**s / divisor)`` and a shift by ``s``, the smallest ``s`` exact over the range
    (checked here for every value)."""
    divisor, max_value = int(divisor), int(max_value)
    q_bits, r_bits = _bits(max_value // divisor), _bits(divisor - 1)
    if divisor & (divisor - 1) == 0:
        s = divisor.bit_length() - 1
        return (value >> s)[:q_bits], value[:s] if s else Const(0, 1)
    v = np.arange(max_value + 1, dtype=np.int64)
    for s in range(_bits(max_value), 48):
        mult = -(-(1 << s) // divisor)
        if np.array_equal((v * mult) >> s, v // divisor):
            break
    else:  # pragma: no cover - a reciprocal exists for every divisor at s <= 2 * bits
        raise ParameterError("divisor", divisor, "a divisor with an exact reciprocal")
    return ((value * mult) >> s)[:q_bits], (value - ((value * mult) >> s)[:q_bits] * divisor)[:r_bits]


def conv_weight_words(layer, conv_lanes_):
    """Kernel memory of a conv layer: word ``chunk * rows + r`` holds channels ``chunk * Lc ..`` of
    kernel row ``r = (ci * kH + ky) * kW + kx``, lane q in the bits :func:`weight_words` uses."""
    g, wb = layer.conv, layer.weight_bits
    rows = conv_weight_rows(g)
    w_exc = layer.w_exc.reshape(g.out_channels, rows)
    w_inh = layer.w_inh.reshape(g.out_channels, rows)
    words = []
    for chunk in range(g.out_channels // conv_lanes_):
        for r in range(rows):
            word = 0
            for q in range(conv_lanes_):
                co = chunk * conv_lanes_ + q
                word |= (int(w_exc[co, r]) | int(w_inh[co, r]) << wb) << (2 * wb * q)
            words.append(word)
    return words


class ConvLayerUnit(LayerUnit):
    """A weight-shared convolution layer (``CoreLayer.conv``): the ports, neuron lanes, write-back and
    spike queue of :class:`LayerUnit`, but event-major accumulation into block-RAM accumulators.

    * An event's index (C order) is decoded in ``CONV_DECODE`` register stages (two constant
      divisions: channel, row, column; then its group, channel in the group and the tap counts of
      its row and column, from per-axis ROMs) and written to the event list.
    * The walker takes the list's events in order; for each it issues one token per (ky, kx) tap
      reaching an output and per chunk of ``Lc = conv_lanes`` output channels of its group
      (``conv_event_cycles``: at least one token per event). A token reads one kernel word (``Lc``
      weight pairs, ``rtl.snn_memory.WeightMemory``) and read-modify-writes ``Lc`` of the ``B =
      max(Lc, P)`` accumulator banks (channel ``co`` in bank ``co % B``, word ``pos * C_out / B + co //
      B``; bank q takes channel lane ``q % Lc``): read ``read_latency`` cycles after the token, added
      and written one cycle later. Successive tokens may hit one word (two events at neighbouring
      positions): the banks' read ports are transparent for their write port, so a read in the
      cycle of the write returns the new sum.
    * After the step's end token has passed the pipeline, the banks are drained word by word (one
      word of ``B`` sums every ``D = B / P`` cycles into the feed register, as a dense group),
      each word written back to 0 the cycle after it is read: the accumulators are clear for the
      next step. The walker of the next step starts only after the step is done (a conv layer is
      never re-armed early), so draining and accumulating never meet.
    * With input delays (``CoreLayer.delay``) the delay ROM is read beside the decode's first stage
      and carried along it; an event with delay ``d > 0`` leaves the decode into the list of slot
      ``(s + d) mod S`` (decoded entries), walked first in step ``t + d`` from ``go``. A reset then
      stops the walker's tokens and zeroes the accumulator banks after the token pipeline empties
      (a step's delayed events may already be summed when a reset comes instead of its inputs).
    * Neurons are numbered position-major inside the layer (``models.snn_conv.conv_internal_order``):
      state bank ``j' % P``, word ``j' // P``; the write-back snoop reports that order. A spike
      leaves one cycle after the queue emits it (``CONV_OUT_LATENCY``), its index converted to C
      order. SOPs: ``Lc`` per token with taps (one event's tokens: its fan-out).
    """

    def __init__(self, layer, lanes, rng_seeds, neurons_per_clock=1, memory="bram", runtime_params=True,
                 weight_format="pair"):
        g = layer.conv
        self.layer = layer
        self.geometry = g
        self.runtime_params = runtime_params
        self.auto_arm = False
        self.lanes = lanes
        self.conv_lanes = conv_lanes(g, lanes)
        self.P = neurons_per_clock
        # accumulator banks: one per channel lane, at least one per neuron lane (channel co in bank
        # co % banks: a drained word holds `banks` channels of one position)
        self.acc_banks = max(self.conv_lanes, self.P)
        if g.out_channels % self.acc_banks:
            raise ParameterError("neurons_per_clock", neurons_per_clock, f"a divisor of {g.out_channels}",
                                 f"the conv layer's output channels {g.out_channels} spread over the neuron lanes")
        self.memory = memory
        order = conv_internal_order(g)
        self.rng_seeds = [int(rng_seeds[j]) for j in order]        # internal (position-major) order
        self.order = order
        self.sops_per_issue = self.conv_lanes
        self.rows = conv_weight_rows(g)
        self.chunks = conv_chunks(g, lanes)
        self.acc_words = layer.n_out // self.acc_banks
        self.groups = self.acc_words
        self.words = layer.n_out // self.P
        self.in_bits = _bits(layer.n_in - 1)
        self.row_bits = _bits(self.rows - 1)
        self.out_bits = _bits(layer.n_out - 1)
        self.word_bits = _bits(self.words - 1)
        wb = layer.weight_bits
        self.acc_bits = conv_accumulator_bits(g, wb)
        depth = (g.out_channels // self.conv_lanes) * self.rows
        self.weights = WeightMemory(lanes=self.conv_lanes, weight_bits=wb, depth=depth,
                                    init=conv_weight_words(layer, self.conv_lanes) if memory == "bram" else (),
                                    kind=memory, weight_format=weight_format)
        P = self.P
        wiring.Component.__init__(self, {
            "arm": In(1), "go": In(1), "rearmed": Out(1), "in_done": In(1), "finishing": Out(1), "reset": In(1),
            "busy": Out(1), "finished": Out(1), "issued": Out(1),
            "ev_we": In(1), "ev_index": In(self.in_bits), "overflow": Out(1), "clear_flags": In(1),
            "w_en": In(1), "w_addr": In(range(max(2, depth))), "w_lane": In(range(max(2, self.conv_lanes))),
            "w_data": In(2 * wb),
            "sp_valid": Out(1), "sp_neuron": Out(self.out_bits),
            "wb_valid": Out(P), "wb_word": Out(self.word_bits),
            **writeback_ports(layer.state_layout, P),
            **({f"prm_{name.lower()}": In(shape) for name, (shape, _) in param_registers(layer).items()}
               if runtime_params else {}),
        })

    def _spike_port(self, m, cur_mask, low, cur_word):
        # internal j' = cur_word * P + low = pos * C_out + co  ->  C order co * H_out * W_out + pos
        g, P = self.geometry, self.P
        c_out, ho, wo = g.out_shape
        pos, cw = const_divmod(cur_word, c_out // P, self.words - 1)
        co = (cw * P + low) if P > 1 else cw
        m.d.sync += [self.sp_valid.eq(cur_mask.any()), self.sp_neuron.eq(co * (ho * wo) + pos)]
        return []

    def elaborate(self, platform):
        m = Module()
        layer, g, Lc, P = self.layer, self.geometry, self.conv_lanes, self.P
        prm = ({name: getattr(self, f"prm_{name.lower()}") for name in param_registers(layer)} if self.runtime_params
               else {name: value for name, (_, value) in param_registers(layer).items()})
        lif_fields = {f: prm[n] for n, (where, f) in PARAM_REGISTERS.items() if where == "params"}
        p = _Override(layer.params, **lif_fields)
        layer_rt = _Override(layer, adc_shift=prm["ADC_SHIFT"], params=p,
                             **({"syn_decay": prm["SYN_DECAY"]} if "SYN_DECAY" in prm else {}))
        n_in, n_out, wb = layer.n_in, layer.n_out, layer.weight_bits
        rows, chunks, AW, W = self.rows, self.chunks, self.acc_words, self.words
        acc_w = self.acc_bits
        B = self.acc_banks
        S = B // Lc                        # a token's channel chunk fills slot gk % S of the banks
        D = B // P
        c_in, h, w = g.in_shape
        _, ho, wo = g.out_shape
        CL = g.out_channels // B           # accumulator words per output position

        # --- memories --------------------------------------------------------------------------
        fields = conv_event_fields(g, self.lanes)
        ev_layout = data.StructLayout({name: unsigned(bits) for name, bits in fields.items()})
        m.submodules.events = ev_mem = Memory(shape=ev_layout, depth=n_in, init=[])
        m.submodules.weights = w_mem = self.weights
        R = w_mem.read_latency
        state = layer.state_layout
        sv = struct_of(state)
        ev_rd, ev_wr = ev_mem.read_port(), ev_mem.write_port()

        def bank(values, lane, pad):
            return [values[wd * P + lane] for wd in range(W)]

        seeds = self.rng_seeds
        st_rd, st_wr, seed_rd, vth_rd, rng_rd, rng_wr = [], [], [], [], [], []
        for q in range(P):
            self._state_bank(m, q, bank(seeds, q, 0), W, st_rd, st_wr, seed_rd, rng_rd, rng_wr)
            if layer.v_th_neuron is not None:
                vth = [int(layer.v_th_neuron[j]) for j in self.order]
                m.submodules[f"thresholds{q}"] = vth_mem = Memory(
                    shape=unsigned(int(layer.v_th_neuron.max()).bit_length()), depth=W, init=bank(vth, q, 0))
                vth_rd.append(vth_mem.read_port())
        acc_rd, acc_wr = [], []
        for q in range(B):
            m.submodules[f"acc{q}"] = acc_mem = Memory(shape=unsigned(2 * acc_w), depth=AW, init=[])
            wr = acc_mem.write_port()
            acc_wr.append(wr)
            acc_rd.append(acc_mem.read_port(transparent_for=(wr,)))
        # per-axis tap ROMs: entry (pos, a) -> the a-th tap (k, o) reached from input position pos,
        # stored pre-scaled as its weight-row and accumulator-address terms
        roms = []
        for axis, side, scale_k, scale_o in ((0, h, g.kernel[1], wo * CL), (1, w, 1, CL)):
            table, n = conv_axis_table(g, axis)
            a_bits = _bits(n - 1)
            k_bits = _bits((g.kernel[axis] - 1) * scale_k)
            o_bits = _bits((g.out_shape[1 + axis] - 1) * scale_o)
            init = []
            for pos in range(side):
                taps = table[pos] + [(0, 0)] * ((1 << a_bits) - len(table[pos]))
                init += [kk * scale_k | (o * scale_o) << k_bits for kk, o in taps]
            m.submodules[f"taps{'yx'[axis]}"] = rom = Memory(shape=unsigned(k_bits + o_bits), depth=len(init), init=init)
            roms.append((rom.read_port(domain="comb"), a_bits, k_bits, o_bits))
        ny_rom, nx_rom = ([max(0, len(t) - 1) for t in conv_axis_table(g, axis)[0]] for axis in (0, 1))
        empty_rom = [[not (conv_axis_table(g, 0)[0][yy] and conv_axis_table(g, 1)[0][xx]) for xx in range(w)]
                     for yy in range(h)]

        # --- step control ------------------------------------------------------------------------
        stepping, walking, go_seen = Signal(), Signal(), Signal()

        # --- decode: index -> (c, r) -> (group, ci, y, x) -> event entry (CONV_DECODE stages) ------
        d_valid = [Signal(name=f"d{k}_valid") for k in range(1, CONV_DECODE + 1)]
        d1_i = Signal(self.in_bits)
        d2_c, d2_r = Signal(_bits(c_in - 1)), Signal(_bits(h * w - 1))
        d3_g, d3_ci = Signal(_bits(g.groups - 1)), Signal(_bits(g.in_per_group - 1))
        d3_y, d3_x = Signal(_bits(h - 1)), Signal(_bits(w - 1))
        m.d.sync += [d_valid[0].eq(self.ev_we), d1_i.eq(self.ev_index), d_valid[1].eq(d_valid[0]),
                     d_valid[2].eq(d_valid[1])]
        # delay line (CoreLayer.delay): the event's delay read from a ROM beside the decode, carried to
        # its last stage; delay 0 goes to the event list, d > 0 (decoded) to slot (s + d) mod S's list
        dly = layer.delay is not None
        if dly:
            SL = layer.max_delay + 1
            n_dsrc = int(np.count_nonzero(layer.delay))
            ent_bits = _bits(n_dsrc - 1)
            m.submodules.delay_rom = d_rom = Memory(shape=unsigned(_bits(SL - 1)), depth=n_in,
                                                    init=[int(x) for x in layer.delay])
            m.submodules.delay_line = dl_mem = Memory(shape=ev_layout, depth=SL << ent_bits, init=[])
            d_rd = d_rom.read_port()
            dl_rd, dl_wr = dl_mem.read_port(), dl_mem.write_port()
            d_slot = Signal(range(SL))
            counts = Array(Signal(range(n_dsrc + 1), name=f"slot_count{i}") for i in range(SL))
            n_del = Signal(range(n_dsrc + 1))
            d2_d, d3_d = Signal(_bits(SL - 1)), Signal(_bits(SL - 1))
            m.d.comb += d_rd.addr.eq(self.ev_index)
            m.d.sync += [d2_d.eq(d_rd.data), d3_d.eq(d2_d)]
        c_, r_ = const_divmod(d1_i, h * w, n_in - 1)
        m.d.sync += [d2_c.eq(c_), d2_r.eq(r_)]
        g_, ci_ = const_divmod(d2_c, g.in_per_group, c_in - 1)
        y_, x_ = const_divmod(d2_r, w, h * w - 1)
        m.d.sync += [d3_g.eq(g_), d3_ci.eq(ci_), d3_y.eq(y_), d3_x.eq(x_)]
        ny1 = Signal(fields["ny1"])
        nx1 = Signal(fields["nx1"])
        empty = Signal()
        with m.Switch(d3_y):
            for yy in range(h):
                with m.Case(yy):
                    m.d.comb += ny1.eq(ny_rom[yy])
        with m.Switch(d3_x):
            for xx in range(w):
                with m.Case(xx):
                    m.d.comb += nx1.eq(nx_rom[xx])
        if any(any(row) for row in empty_rom):
            with m.Switch(Cat(d3_x, d3_y)):
                for yy in range(h):
                    for xx in range(w):
                        if empty_rom[yy][xx]:
                            with m.Case(xx | yy << len(d3_x)):
                                m.d.comb += empty.eq(1)
        ev_count = Signal(range(n_in + 1))
        entry = ev_layout(ev_wr.data)
        to_list = d_valid[2]
        if dly:
            to_list = Signal()
            target, t_slot = Signal(range(2 * SL)), Signal(range(SL))
            m.d.comb += [to_list.eq(d_valid[2] & (d3_d == 0)), target.eq(d_slot + d3_d),
                         t_slot.eq(Mux(target >= SL, target - SL, target)),
                         dl_wr.en.eq(d_valid[2] & (d3_d != 0)), dl_wr.addr.eq(Cat(counts[t_slot][:ent_bits], t_slot)),
                         dl_wr.data.eq(ev_wr.data)]
            with m.If(dl_wr.en):
                m.d.sync += counts[t_slot].eq(counts[t_slot] + 1)
        m.d.comb += [ev_wr.en.eq(to_list & (ev_count != n_in)), ev_wr.addr.eq(ev_count),
                     entry.gk0.eq(d3_g * chunks), entry.ci.eq(d3_ci), entry.y.eq(d3_y), entry.x.eq(d3_x),
                     entry.ny1.eq(ny1), entry.nx1.eq(nx1), entry.empty.eq(empty)]
        with m.If(to_list):
            with m.If(ev_count == n_in):
                m.d.sync += self.overflow.eq(1)
            with m.Else():
                m.d.sync += ev_count.eq(ev_count + 1)
        decoding = Signal()
        m.d.comb += decoding.eq(Cat(*d_valid).any())

        # --- weight write port (bus) -------------------------------------------------------------
        m.d.comb += [w_mem.wr_addr.eq(self.w_addr), w_mem.wr_lane.eq(self.w_lane), w_mem.wr_data.eq(self.w_data),
                     w_mem.wr_en.eq(self.w_en)]

        # --- walker: one token per (tap, channel chunk) of the current event; then one end token ----
        e = Signal(range(n_in + 1))
        cur_valid, fetched = Signal(), Signal()
        cur = Signal(ev_layout)
        n_total = ev_count   # events of the step: the delay slot's (walked first), then the list's
        rd_data = ev_rd.data.as_value()
        if dly:
            n_total = Signal(range(n_in + 1))
            fetched_del = Signal()
            m.d.comb += [n_total.eq(n_del + ev_count), dl_rd.addr.eq(Cat(e[:ent_bits], d_slot))]
            rd_data = Mux(fetched_del, dl_rd.data.as_value(), rd_data)
        ev = ev_layout(Mux(fetched, rd_data, cur.as_value()))
        a = Signal(fields["ny1"])
        b = Signal(fields["nx1"])
        k = Signal(range(max(2, chunks)))
        k_last, last_tok, take, tok, fire_end = Signal(), Signal(), Signal(), Signal(), Signal()
        m.d.comb += [
            k_last.eq((k == chunks - 1) | ev.empty),
            last_tok.eq((a == ev.ny1) & (b == ev.nx1) & k_last),
            tok.eq(cur_valid),
            take.eq(walking & (e < n_total) & (~cur_valid | last_tok)),
            fire_end.eq(walking & ~cur_valid & (e >= n_total) & self.in_done & go_seen & ~decoding),
            ev_rd.addr.eq(e - n_del if dly else e),
            self.issued.eq(tok & ~ev.empty),
        ]
        with m.If(fetched):
            m.d.sync += cur.eq(rd_data)
        m.d.sync += [fetched.eq(take), cur_valid.eq(take | (cur_valid & ~last_tok))]
        if dly:
            m.d.sync += fetched_del.eq(e < n_del)
        with m.If(take):
            m.d.sync += e.eq(e + 1)
        with m.If(tok):
            with m.If(last_tok):
                m.d.sync += [a.eq(0), b.eq(0), k.eq(0)]
            with m.Elif(k_last):
                m.d.sync += k.eq(0)
                with m.If(b == ev.nx1):
                    m.d.sync += [b.eq(0), a.eq(a + 1)]
                with m.Else():
                    m.d.sync += b.eq(b + 1)
            with m.Else():
                m.d.sync += k.eq(k + 1)
        with m.If(fire_end):
            m.d.sync += [walking.eq(0), go_seen.eq(0)]

        # --- token pipeline: t1 tap ROMs, t2 addresses, R cycles of kernel memory (the accumulator
        # word read in the last of them), tA: the kernel word registered, added, written back
        n_t = 3 + R
        t_valid = [Signal(name=f"t{i}_valid") for i in range(1, n_t + 1)]
        t_has = [Signal(name=f"t{i}_has") for i in range(1, n_t + 1)]
        t_last = [Signal(name=f"t{i}_last") for i in range(1, n_t + 1)]
        t1 = {name: Signal(bits, name=f"t1_{name}") for name, bits in
              (("gk0", fields["gk0"]), ("k", len(k)), ("ci", fields["ci"]), ("y", fields["y"]), ("x", fields["x"]),
               ("a", len(a)), ("b", len(b)))}
        m.d.sync += [t_valid[0].eq(tok | fire_end), t_has[0].eq(tok & ~ev.empty), t_last[0].eq(fire_end),
                     t1["gk0"].eq(ev.gk0), t1["k"].eq(k), t1["ci"].eq(ev.ci), t1["y"].eq(ev.y), t1["x"].eq(ev.x),
                     t1["a"].eq(a), t1["b"].eq(b)]
        for i in range(1, n_t):
            m.d.sync += [t_valid[i].eq(t_valid[i - 1]), t_has[i].eq(t_has[i - 1]), t_last[i].eq(t_last[i - 1])]
        (ry, ay, kyb, _), (rx, ax, kxb, _) = roms
        m.d.comb += [ry.addr.eq(Cat(t1["a"][:ay], t1["y"]) if ay else t1["y"]),
                     rx.addr.eq(Cat(t1["b"][:ax], t1["x"]) if ax else t1["x"])]
        ky_term, oy_term = ry.data[:kyb], ry.data[kyb:]
        kx_term, ox_term = rx.data[:kxb], rx.data[kxb:]
        gk = Signal(_bits(g.out_channels // Lc - 1), name="t1_gk")
        m.d.comb += gk.eq(t1["gk0"] + t1["k"])
        t2_waddr = Signal(range(max(2, (g.out_channels // Lc) * rows)))
        aaddr = [Signal(range(max(2, AW)), name=f"t{i}_aaddr") for i in range(2, n_t + 1)]
        slot = [Signal(range(max(2, S)), name=f"t{i}_slot") for i in range(2, n_t + 1)]
        s_bits = (S - 1).bit_length()
        m.d.sync += [t2_waddr.eq(gk * rows + t1["ci"] * g.taps + ky_term + kx_term),
                     aaddr[0].eq(oy_term + ox_term + (gk >> s_bits)), slot[0].eq(gk[:s_bits] if s_bits else 0)]
        for i in range(1, len(aaddr)):
            m.d.sync += [aaddr[i].eq(aaddr[i - 1]), slot[i].eq(slot[i - 1])]
        tA_w = Signal(2 * wb * Lc)
        m.d.sync += tA_w.eq(Mux(t_has[1 + R], w_mem.rd_data, 0))
        m.d.comb += [w_mem.rd_addr.eq(t2_waddr), w_mem.rd_en.eq(t_valid[1] & t_has[1])]

        # --- accumulator banks: token read-modify-write, then the drain ---------------------------
        drain_go = Signal()
        m.d.comb += drain_go.eq(t_valid[-1] & t_last[-1])
        dr_active, da, dcool = Signal(), Signal(range(AW + 1)), Signal(range(max(2, D)))
        rd_now, rd_addr = Signal(), Signal(range(max(2, AW)))
        load, load_addr = Signal(), Signal(range(max(2, AW)))
        m.d.comb += [rd_now.eq(drain_go | (dr_active & (dcool == 0))), rd_addr.eq(Mux(drain_go, 0, da))]
        with m.If(rd_now):
            m.d.sync += [da.eq(rd_addr + 1), dcool.eq(D - 1), dr_active.eq(rd_addr != AW - 1)]
        with m.Elif(dcool != 0):
            m.d.sync += dcool.eq(dcool - 1)
        m.d.sync += [load.eq(rd_now), load_addr.eq(rd_addr)]
        rmw = Signal()
        m.d.comb += rmw.eq(t_valid[-1] & t_has[-1])
        if dly:
            # a reset may come after a step's delayed events were taken (they are walked from go, before
            # its inputs): the reset sequence zeroes the accumulator banks once the token pipeline is
            # empty (r_j = n_t + 1 .. n_t + AW), so a new sample starts from empty sums
            zero_now, zero_addr = Signal(), Signal(range(max(2, AW)))
        sums = []
        for q in range(B):
            old = acc_rd[q].data
            s_exc = Signal(acc_w, name=f"sum_exc{q}")
            s_inh = Signal(acc_w, name=f"sum_inh{q}")
            lane = q % Lc    # bank q takes channel lane q % Lc of the tokens in slot q // Lc
            mine = rmw & (slot[-1] == q // Lc) if S > 1 else rmw
            m.d.comb += [s_exc.eq(old[:acc_w] + tA_w[2 * wb * lane: 2 * wb * lane + wb]),
                         s_inh.eq(old[acc_w:] + tA_w[2 * wb * lane + wb: 2 * wb * (lane + 1)]),
                         acc_rd[q].addr.eq(Mux(rd_now, rd_addr, aaddr[R]))]
            if dly:
                m.d.comb += [acc_wr[q].en.eq(mine | load | zero_now),
                             acc_wr[q].addr.eq(Mux(zero_now, zero_addr, Mux(load, load_addr, aaddr[-1]))),
                             acc_wr[q].data.eq(Mux(load | zero_now, 0, Cat(s_exc, s_inh)))]
            else:
                m.d.comb += [acc_wr[q].en.eq(mine | load),
                             acc_wr[q].addr.eq(Mux(load, load_addr, aaddr[-1])),
                             acc_wr[q].data.eq(Mux(load, 0, Cat(s_exc, s_inh)))]
            sums.append((old[:acc_w], old[acc_w:]))

        # the feed register: a word of B sums, drained P per clock (as a dense unit's group)
        feed = [(Signal(acc_w, name=f"feed_exc{q}"), Signal(acc_w, name=f"feed_inh{q}")) for q in range(B)]
        feed_left = Signal(range(D + 1))
        feed_w = Signal(range(W + 1))
        load_base = Signal(range(W + 1))
        for q in range(B):
            with m.If(load):
                m.d.sync += [feed[q][0].eq(sums[q][0]), feed[q][1].eq(sums[q][1])]
            with m.If(~load & (feed_left != 0)):
                if q + P < B:
                    m.d.sync += [feed[q][0].eq(feed[q + P][0]), feed[q][1].eq(feed[q + P][1])]
        with m.If(load):
            m.d.sync += [feed_left.eq(D), feed_w.eq(load_base), load_base.eq(load_base + D)]
        with m.Elif(feed_left != 0):
            m.d.sync += [feed_left.eq(feed_left - 1), feed_w.eq(feed_w + 1)]
        next_w = Signal.like(feed_w)
        m.d.comb += next_w.eq(Mux(load, load_base, feed_w + 1))

        c = self._neuron_side(m, dict(layer=layer, P=P, n_out=n_out, n_rows=rows, wb=wb, W=W,
                                      n_t=n_t + AW if dly else n_t, feed=feed,
                                      feed_left=feed_left, feed_w=feed_w, next_w=next_w, st_rd=st_rd, st_wr=st_wr,
                                      seed_rd=seed_rd, vth_rd=vth_rd, rng_rd=rng_rd, rng_wr=rng_wr, state=state, sv=sv,
                                      layer_rt=layer_rt, p=p,
                                      lif_fields=lif_fields, acc_w=acc_w))
        cnt_prev, cnt_cur, lane_valid, resetting, r_j, r_end, r_we, q_w, q_r, q_ready, cur_mask = (
            c[k] for k in ("cnt_prev", "cnt_cur", "lane_valid", "resetting", "r_j", "r_end", "r_we", "q_w", "q_r",
                           "q_ready", "cur_mask"))
        if dly:
            m.d.comb += [zero_now.eq(resetting & (r_j > n_t) & (r_j <= n_t + AW)), zero_addr.eq(r_j - (n_t + 1))]

        # --- control ----------------------------------------------------------------------------
        last_loaded = Signal()
        with m.If(load & (load_base == (AW - 1) * D)):
            m.d.sync += last_loaded.eq(1)
        neuron_valid = Cat(*lane_valid, self.wb_valid)
        pipe_valid = Cat(*t_valid, neuron_valid)
        idle = Signal()
        m.d.comb += [idle.eq(last_loaded & ~neuron_valid.any() & (feed_left == 0) & ~q_ready & ~cur_mask.any() &
                             ~self.sp_valid),
                     self.finishing.eq(stepping & idle)]
        with m.If(self.finishing):
            m.d.sync += [stepping.eq(0), self.finished.eq(1)]
        m.d.comb += self.busy.eq(stepping | resetting | r_we | pipe_valid.any() | (feed_left != 0) | q_ready |
                                 cur_mask.any() | self.sp_valid | decoding | dr_active | load | cur_valid)
        with m.If(self.arm):
            m.d.sync += [walking.eq(1), e.eq(0), ev_count.eq(0)]
            if dly:  # the next slot's list is the step's delayed events; the slot just walked is freed
                nxt = Mux(d_slot == SL - 1, 0, d_slot + 1)
                m.d.sync += [d_slot.eq(nxt), n_del.eq(counts[nxt]), counts[d_slot].eq(0)]
        with m.If(self.go):
            m.d.sync += [stepping.eq(1), last_loaded.eq(0), go_seen.eq(1), self.finished.eq(0), load_base.eq(0),
                         cnt_prev.eq(cnt_cur), cnt_cur.eq(0), q_w.eq(0), q_r.eq(0)]
        with m.If(self.clear_flags):
            m.d.sync += self.overflow.eq(0)
        with m.If(self.reset):
            m.d.sync += [resetting.eq(1), r_j.eq(0), ev_count.eq(0), cnt_prev.eq(0), cnt_cur.eq(0),
                         self.overflow.eq(0), stepping.eq(0), walking.eq(0), go_seen.eq(0), last_loaded.eq(0),
                         self.finished.eq(0)]
            if dly:   # and the walker stops issuing the tokens of the event it was on
                m.d.sync += [c.eq(0) for c in counts] + [cur_valid.eq(0)]
        return m


class SNNCore(wiring.Component):
    """The SNN accelerator core for ``network`` (a :class:`~neuroxide.models.snn.CoreNetwork`).

    ``lanes``: synapses accumulated per clock (1, 2, 4 ... 128; the weights of ``lanes``
    consecutive columns share one memory word). ``neurons_per_clock``: parallel neuron lanes
    (1, 2, 4 ... 32, at most ``lanes``). ``memory``: the
    weight memory kind (``rtl.snn_memory.MEMORY_KINDS``), one for all layers or a sequence with one
    per layer. Each layer has its own memory: layer 0 reads the next step's weights while deeper
    layers read theirs, so single-ported SPRAM cannot be shared between layers. A ``spram`` layer
    starts with zero weights (SPRAM has no initial contents, the simulation model likewise): they
    are loaded over the bus (SYNAPSE, ``SNNHost.load_network``) while no step runs. ``runtime_params``: the neuron
    parameters V_TH .. SYN_DECAY are bus registers (False: build-time constants, the registers read
    them and ignore writes; smaller, for the iCE40UP5K). ``read_group``: registers per first-stage bus
    read multiplexer (0: all in one, fewer cells; the latency is BUS_LATENCY either way). ``in_fifo_depth``/``out_fifo_depth``: input event
    and output spike queues (events pushed ahead of their step; spikes for the bus). Ports:
    ``aer_in``, ``aer_out``, ``bus``, ``free_run`` (run steps without a RUN budget), ``step``
    (steps run), ``step_done`` (one-cycle pulse per finished step), ``busy``, ``sops`` and the
    write-back snoop ``wb_*`` (``wb_neuron`` is the global neuron index). ``weight_format``: how the
    weight memories store a synapse (``rtl.snn_memory.WeightMemory``): ``pair`` (w_exc, w_inh) or
    ``signed`` (the level w_exc - w_inh in ``weight_bits + 1`` bits, decoded on read: same latency,
    same cycles); ``signed`` refuses a network with a synapse whose w_exc and w_inh are both
    non-zero (``models.snn_capacity.check_signed_weights``), and the bus must not write one
    (``SNNHost.load_network`` refuses it). Cycle costs, register map and behaviour: module docstring.
    """

    def __init__(self, network, lanes=8, in_fifo_depth=64, out_fifo_depth=256, neurons_per_clock=1,
                 memory="bram", runtime_params=True, read_group=READ_GROUP, weight_format="pair"):
        if not isinstance(network, CoreNetwork):
            raise ParameterError("network", type(network).__name__, "a CoreNetwork")
        if check_weight_format(weight_format) == "signed":
            check_signed_weights(network)
        if lanes not in LANES:
            raise ParameterError("lanes", lanes, " | ".join(map(str, LANES)))
        allowed = [n for n in NEURONS_PER_CLOCK if n <= lanes]
        if neurons_per_clock not in allowed:
            raise ParameterError("neurons_per_clock", neurons_per_clock, " | ".join(map(str, allowed)),
                                 f"at most lanes={lanes}")
        if len(network.layers) > MAX_LAYERS:
            raise ParameterError("layers", len(network.layers), f"1..{MAX_LAYERS}")
        for k, layer in enumerate(network.layers):
            if layer.is_conv:
                _check_conv_layer(k, layer, lanes, neurons_per_clock)
                continue
            for name, n in (("n_in", layer.n_in), ("n_out", layer.n_out), ("n_in + n_out (recurrent)", layer.n_rows)):
                if n > MAX_NEURONS:
                    raise ParameterError(f"layers[{k}].{name}", n, f"1..{MAX_NEURONS}")
        for name, depth in (("in_fifo_depth", in_fifo_depth), ("out_fifo_depth", out_fifo_depth)):
            if isinstance(depth, bool) or not isinstance(depth, int) or not 2 <= depth <= 65536:
                raise ParameterError(name, depth, "2..65536")
        if isinstance(read_group, bool) or not isinstance(read_group, int) or read_group < 0:
            raise ParameterError("read_group", read_group, "0 (one group) | 1, 2, ...")
        self.read_group = read_group
        self.network = network
        self.lanes = lanes
        self.neurons_per_clock = P = neurons_per_clock
        self.in_fifo_depth = in_fifo_depth
        self.out_fifo_depth = out_fifo_depth
        self.registers = snn_register_map(len(network.layers))  # the bus target's map
        self.runtime_params = bool(runtime_params)
        kinds = [memory] * len(network.layers) if isinstance(memory, str) else list(memory)
        if len(kinds) != len(network.layers) or any(k not in MEMORY_KINDS for k in kinds):
            raise ParameterError("memory", memory, " | ".join(MEMORY_KINDS) + ", or one of them per layer")
        self.memory = tuple(kinds)
        self.weight_format = weight_format
        self.units = [ConvLayerUnit(layer, lanes, seeds, P, kind, runtime_params=self.runtime_params,
                                    weight_format=weight_format) if layer.is_conv
                      else LayerUnit(layer, lanes, seeds, P, kind, auto_arm=(k == 0), runtime_params=self.runtime_params,
                                     weight_format=weight_format)
                      for k, (layer, seeds, kind) in enumerate(zip(network.layers, network.initial_rng(), kinds))]
        n_layers = len(network.layers)
        self.neuron_bits = _bits(network.n_neurons - 1)
        # a neuron index of 10 bits (12 where a conv layer has more than MAX_NEURONS: OUT_EVENT's width)
        neuron_bits = 10 if all(layer.n_out <= MAX_NEURONS for layer in network.layers) else MAX_CONV_NEURONS.bit_length() - 1
        self.spike_layout = data.StructLayout({"layer": unsigned(4), "neuron": unsigned(neuron_bits), "step": unsigned(32)})
        super().__init__({
            "aer_in": In(stream.Signature(EVENT_LAYOUT)),
            "aer_out": Out(stream.Signature(self.spike_layout)),  # `ready` is ignored: no back-pressure
            "bus": In(HostBusSignature()),
            "free_run": In(1),
            "busy": Out(1),
            "step": Out(32),
            "step_done": Out(1),
            "sops": Out(32),
            "wb_valid": Out(P),                       # lane p holds global neuron wb_neuron + p
            "wb_layer": Out(range(max(2, n_layers))),
            "wb_neuron": Out(self.neuron_bits),
            **writeback_ports(network.state_layout, P),  # each field as wide as in the widest layer
        })

    def elaborate(self, platform):
        m = Module()
        net, units = self.network, self.units
        n_layers = len(units)
        for k, unit in enumerate(units):
            m.submodules[f"layer{k}"] = unit

        regs = self.registers
        out_event = regs["OUT_EVENT"]  # the output FIFO holds OUT_EVENT words less their valid bit
        m.submodules.in_fifo = in_fifo = fifo.SyncFIFOBuffered(width=EVENT_LAYOUT.size, depth=self.in_fifo_depth)
        m.submodules.out_fifo = out_fifo = fifo.SyncFIFOBuffered(width=out_event.field("valid").at,
                                                                 depth=self.out_fifo_depth)

        # --- bus registers ----------------------------------------------------------------------
        budget = Signal(32)
        cycles, busy_cycles, sops = Signal(32), Signal(32), Signal(32)
        spikes = [Signal(32, name=f"spikes{k}") for k in range(n_layers)]
        out_mask = Signal(n_layers, init=regs["OUT_MASK"].reset)
        out_overflow = Signal()
        bus_push = Signal()       # bus writes an event word this cycle
        bus_push_word = Signal(EVENT_LAYOUT.size)
        bus_pop = Signal()
        bus_budget_add = Signal(32)
        bus_clear = Signal()
        bus_clear_flags = Signal()
        m.d.comb += self.sops.eq(sops)
        # run-time neuron parameters, one register per layer, reset to the build-time values
        # (built without them: the registers read the build-time values and ignore writes)
        param_regs = {name: [None] * n_layers for name in PARAM_REGISTERS}
        param_reads = {name: [0] * n_layers for name in PARAM_REGISTERS}
        for k, unit in enumerate(units):
            for name, (shape, value) in param_registers(unit.layer).items():
                if self.runtime_params:
                    reg = Signal(shape, init=value, name=f"{name.lower()}{k}")
                    param_regs[name][k] = param_reads[name][k] = reg
                    m.d.comb += getattr(unit, f"prm_{name.lower()}").eq(reg)
                else:
                    param_reads[name][k] = value & 0xFFFF_FFFF

        # --- input FIFO: from the stream, or from the bus (the bus wins a shared cycle) --------
        m.d.comb += [
            in_fifo.w_en.eq(bus_push | self.aer_in.valid),
            in_fifo.w_data.eq(Mux(bus_push, bus_push_word, self.aer_in.payload.as_value())),
            self.aer_in.ready.eq(in_fifo.w_rdy & ~bus_push),
        ]
        word = EVENT_LAYOUT(in_fifo.r_data)

        # --- step sequencer ---------------------------------------------------------------------
        # Every layer's walker is armed for a step before its inputs arrive: layer 0 accumulates the
        # input events as they are read, layer l+1 the spikes of layer l as they leave it. A layer's
        # inputs are complete when the end marker has been read (l = 0) or layer l-1 finishes. `go`
        # (step_done of the previous step) lets the step's neuron side run. Layer 0 (unless
        # recurrent) re-arms itself after its last token: the next step's input events are read and
        # accumulated while the deeper layers finish this one.
        unit0 = units[0]
        step_ok = Signal()
        m.d.comb += step_ok.eq(self.free_run | (budget != 0))
        arm, go = Signal(), Signal()
        fresh = Signal(init=1)    # power-up: arm and go once before the first step
        end_seen = Signal()       # layer 0's current walk has read its end marker
        words = Signal()          # layer 0's current walk has read an event
        owed = Signal(2)          # end markers read whose steps are not done
        for k, unit in enumerate(units):
            m.d.comb += [unit.arm.eq(arm), unit.go.eq(go),
                         unit.in_done.eq(end_seen if k == 0 else (units[k - 1].finished | units[k - 1].finishing))]
        reset_all = Signal()
        for unit in units:
            m.d.comb += unit.reset.eq(reset_all)
        budget_take = Signal()
        end_read = Signal()
        m.d.comb += self.step_done.eq(units[-1].finishing)
        with m.FSM(name="seq") as seq:
            with m.State("COLLECT"):
                with m.If(fresh):
                    m.d.comb += [arm.eq(1), go.eq(1)]
                    m.d.sync += fresh.eq(0)
                with m.Elif(in_fifo.r_rdy & ~end_seen):
                    with m.If(word.reset):
                        with m.If((owed == 0) & ~words):
                            m.d.comb += [in_fifo.r_en.eq(1), reset_all.eq(1)]
                            m.d.sync += self.step.eq(0)
                            m.next = "RESET"
                    with m.Elif(word.end_step):
                        with m.If(step_ok):
                            m.d.comb += [in_fifo.r_en.eq(1), budget_take.eq(~self.free_run), end_read.eq(1)]
                            m.d.sync += end_seen.eq(1)
                    with m.Else():
                        m.d.comb += [in_fifo.r_en.eq(1), unit0.ev_we.eq(1), unit0.ev_index.eq(word.index)]
                        m.d.sync += words.eq(1)
            with m.State("RESET"):
                with m.If(~Cat(*(u.busy for u in units)).any()):
                    m.d.comb += [arm.eq(1), go.eq(1)]
                    m.next = "COLLECT"
        with m.If(self.step_done):
            m.d.sync += self.step.eq(self.step + 1)
            m.d.comb += go.eq(1)
            for k, unit in enumerate(units):  # the deeper layers' walkers start the next step now
                if not unit.auto_arm:
                    m.d.comb += unit.arm.eq(1)
        with m.If(unit0.rearmed if unit0.auto_arm else unit0.arm):
            m.d.sync += [end_seen.eq(0), words.eq(0)]
        m.d.sync += owed.eq(owed + end_read - self.step_done)
        # running a step: its end marker has been read and it is not done (events read ahead of their
        # end marker are being collected, as in the first core, not run)
        m.d.comb += self.busy.eq((owed != 0) | ~seq.ongoing("COLLECT"))
        # layer k's spikes are layer k+1's events
        for k in range(1, n_layers):
            prev = units[k - 1]
            m.d.comb += [units[k].ev_we.eq(prev.sp_valid), units[k].ev_index.eq(prev.sp_neuron)]

        # --- write-back snoop (one layer writes back at a time), AER output, counters ----------
        offsets = net.offsets
        P = self.neurons_per_clock
        for k, unit in enumerate(units):
            with m.If(unit.wb_valid.any()):
                m.d.comb += [self.wb_valid.eq(unit.wb_valid), self.wb_layer.eq(k),
                             self.wb_neuron.eq(unit.wb_word * P + int(offsets[k]))]
                for name in unit.layer.state_layout.names:
                    for q in range(P):
                        m.d.comb += getattr(self, f"wb_{name}")[q].eq(getattr(unit, f"wb_{name}")[q])
        spike_layer = Signal.like(self.wb_layer)
        fire = Signal()
        for k, unit in enumerate(units):
            with m.If(unit.sp_valid):
                m.d.comb += [fire.eq(1), spike_layer.eq(k), self.aer_out.payload.neuron.eq(unit.sp_neuron)]
                m.d.sync += spikes[k].eq(spikes[k] + 1)
        m.d.comb += [
            self.aer_out.valid.eq(fire),
            self.aer_out.payload.layer.eq(spike_layer),
            self.aer_out.payload.step.eq(self.step),
            out_fifo.w_data.eq(pack(out_event, neuron=self.aer_out.payload.neuron, step=self.step, layer=spike_layer)),
            out_fifo.w_en.eq(fire & (out_mask >> spike_layer)[0]),
        ]
        with m.If(out_fifo.w_en & ~out_fifo.w_rdy):
            m.d.sync += out_overflow.eq(1)

        m.d.sync += cycles.eq(cycles + 1)
        with m.If(self.busy):
            m.d.sync += busy_cycles.eq(busy_cycles + 1)
        # SOPs: n_out of a layer per event it takes (each event enters group 0 once), the sum of
        # the layers' terms and the 32-bit total in separate cycles
        sop_add = Signal(32)
        m.d.sync += sop_add.eq(sum(Mux(unit.issued, getattr(unit, "sops_per_issue", net.layers[k].n_out), 0)
                                   for k, unit in enumerate(units)))
        m.d.sync += sops.eq(sops + sop_add)
        m.d.sync += budget.eq(budget + bus_budget_add - budget_take)
        with m.If(bus_clear):
            m.d.sync += [cycles.eq(0), busy_cycles.eq(0), sops.eq(0)] + [s.eq(0) for s in spikes]
        with m.If(bus_clear_flags):
            m.d.sync += out_overflow.eq(0)
        for unit in units:
            m.d.comb += unit.clear_flags.eq(bus_clear_flags)

        # --- bus target: LATCH (stb seen) -> EXEC -> ACK, decoded from self.registers -------------
        bus = self.bus
        b_addr, b_data, b_we = Signal(24), Signal(32), Signal()
        r_data = Signal(32)
        b_err = Signal()
        lane_bits = (self.lanes - 1).bit_length()
        # a synapse write: word address g * n_in + i registered in EXEC, written during ACK
        w_en = Signal(n_layers)
        m.d.sync += w_en.eq(0)
        for k, unit in enumerate(units):
            m.d.comb += unit.w_en.eq(w_en[k])

        def clear(word):
            m.d.comb += [bus_clear.eq(word.clear_counters), bus_clear_flags.eq(word.clear_flags)]

        def add_budget(word):
            m.d.comb += bus_budget_add.eq(word)

        def push_event(word):
            with m.If(in_fifo.w_rdy):
                m.d.comb += [bus_push.eq(1), bus_push_word.eq(Cat(*(word[name] for name in EVENT_LAYOUT.members)))]
            with m.Else():
                m.d.sync += b_err.eq(1)  # queue full: refused, nothing stored

        def write_synapse(word, at):
            for k, unit in enumerate(units):
                layer = net.layers[k]
                if layer.is_conv:   # (i, j): kernel row (ci * kH + ky) * kW + kx, output channel
                    cbits = (unit.conv_lanes - 1).bit_length()
                    m.d.sync += [w_en[k].eq((at.layer == k) & (at.i < unit.rows) & (at.j < layer.conv.out_channels)),
                                 unit.w_addr.eq((at.j >> cbits) * unit.rows + at.i),
                                 unit.w_lane.eq(at.j[:cbits] if cbits else 0),
                                 unit.w_data.eq(Cat(word.w_exc[:layer.weight_bits], word.w_inh[:layer.weight_bits]))]
                    continue
                m.d.sync += [w_en[k].eq((at.layer == k) & (at.i < layer.n_rows) & (at.j < layer.n_out)),
                             unit.w_addr.eq((at.j >> lane_bits) * layer.n_rows + at.i),
                             unit.w_lane.eq(at.j[:lane_bits] if lane_bits else 0),
                             unit.w_data.eq(Cat(word.w_exc[:layer.weight_bits], word.w_inh[:layer.weight_bits]))]

        def pop_spike():
            m.d.comb += bus_pop.eq(out_fifo.r_rdy)
            return Mux(out_fifo.r_rdy, out_fifo.r_data | regs.encode("OUT_EVENT", valid=1), 0)

        read_handlers = {
            "ID": regs["ID"].reset,
            "STATUS": pack(regs["STATUS"], busy=self.busy, in_empty=~in_fifo.r_rdy,
                           in_full=~in_fifo.w_rdy, out_ready=out_fifo.r_rdy,
                           overflow=Cat(*(u.overflow for u in units)).any(), out_overflow=out_overflow),
            "RUN": budget,
            "OUT_EVENT": pop_spike,
            "STEP": self.step,
            "CYCLES": cycles,
            "BUSY": busy_cycles,
            "SOPS": sops,
            "OUT_MASK": out_mask,
            "CONFIG": regs.encode("CONFIG", layers=n_layers, lanes=self.lanes,
                                  out_fifo_depth=self.out_fifo_depth,
                                  neurons_log2=self.neurons_per_clock.bit_length() - 1),
            "OUT_LEVEL": out_fifo.level,
            "SPIKES": spikes,
            "SHAPE": [regs.encode("SHAPE", n_in=layer.n_in, n_out=layer.n_out) for layer in net.layers],
            **param_reads,
        }
        # the read mux in two register stages (Fmax): EXEC selects within groups of at most
        # `read_group` registers/elements (OUT_EVENT in a group of its own) into r_part[g] (0 where
        # the address is not in group g), READ ORs the groups into r_data; ACK follows, so a bus
        # access takes BUS_LATENCY clocks stb -> ack
        items = [(name, k) for name, h in read_handlers.items()
                 for k in (range(len(h)) if isinstance(h, (list, tuple)) else [None])]
        # OUT_EVENT alone: the output FIFO's word comes straight from block RAM (slow clock-to-out)
        items.remove(("OUT_EVENT", None))
        size = self.read_group or len(items)
        groups = [{("OUT_EVENT", None)}] + [set(items[g:g + size]) for g in range(0, len(items), size)]
        r_parts = [Signal(32, name=f"r_part{g}") for g in range(len(groups))]

        def group_handlers(members):
            return {name: ([e if (name, k) in members else 0 for k, e in enumerate(h)]
                           if isinstance(h, (list, tuple)) else (h if (name, None) in members else 0))
                    for name, h in read_handlers.items()}

        decoder = RegisterDecoder(regs, b_addr)
        with m.FSM(name="bus"):
            with m.State("IDLE"):
                with m.If(bus.stb):
                    m.d.sync += [b_addr.eq(bus.addr), b_data.eq(bus.w_data), b_we.eq(bus.we), b_err.eq(0)]
                    m.next = "EXEC"
            with m.State("EXEC"):
                m.next = "READ"
                m.d.sync += [part.eq(0) for part in r_parts]
                with m.If(b_we):
                    decoder.write(m, b_data, {"CTRL": clear, "RUN": add_budget, "EVENT": push_event,
                                              "OUT_MASK": out_mask, "SYNAPSE": write_synapse, **param_regs})
                with m.Else():
                    for members, part in zip(groups, r_parts):
                        decoder.read(m, part, group_handlers(members), domain="sync")
            with m.State("READ"):
                m.next = "ACK"
                m.d.sync += r_data.eq(reduce(operator.or_, r_parts))
            with m.State("ACK"):
                m.d.comb += [bus.ack.eq(1), bus.err.eq(b_err), bus.r_data.eq(r_data)]
                m.next = "IDLE"
        m.d.comb += out_fifo.r_en.eq(bus_pop)
        return m
