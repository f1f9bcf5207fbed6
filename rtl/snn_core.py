"""SNN accelerator core: a multi-layer fixed-point spiking network in block RAM, event driven.

Implements ``neuroxide.models.snn.SNNModel`` bit for bit (docs/snn_contract.md); docs/snn_core.md
has the architecture drawing, measured resources and the commands that reproduce them.

Architecture (one :class:`LayerUnit` per layer; the layers of a step run one after another)::

    aer_in / bus EVENT -> input FIFO -> collect: event list 0 -+
                                                               v
    layer l:  issue (group g, event e) -> event list -> weight RAM word (g*n_rows + i: the weights
              of `lanes` consecutive columns) -> `lanes` accumulators (exc, inh) -> on the group's
              last event: hand the `lanes` column sums to the neuron feeder
              neuron pipeline (one neuron per clock): state RAM read -> column ADC + lateral
              inhibition (2 stages) -> synaptic current (when syn_decay) + lif_step (3 register
              cuts, rtl.fixedpoint.PipelinedOps) -> state RAM write-back
              -> spike: event list of layer l+1, AER output (layer, neuron, step), counters

The arithmetic is the model's own rules elaborated (``models.synapse``: ``adc_scale``/``adc_bound``,
``lateral_inhibition``, ``synaptic_current_step``; ``models.lif.lif_step``); this module only
schedules them. The state RAM word is ``CoreLayer.state_layout`` (``rtl.layout.struct_of``), packed
like ``StateLayout.pack``; the write-back ports ``wb_<field>`` follow the same layout.

The accumulation is group-major: for each group of ``lanes`` columns the unit walks the step's
event list once, so no accumulator memory is needed and a group's sums go straight to the neuron
pipeline while the next group accumulates. Neuron state (v, ref, adapt, rng, last spike, syn) and the
weights (w_exc, w_inh) live in ``amaranth.lib.memory.Memory`` (block RAM); a layer's LIF
parameters, ``adc_shift``, ``lateral`` and the PRNG seeds are elaboration-time constants (the
seeds in a ROM used by the state reset), the weights are loaded over the bus. A layer with
per-neuron thresholds (``CoreLayer.v_th_neuron``) reads them from a ROM beside the state RAM.

A recurrent layer (``CoreLayer.w_rec_exc``/``w_rec_inh``) has ``n_rows = n_in + n_out`` weight
rows: its own spikes of the previous step, kept in a two-bank list (written at write-back, read
the next step), are events ``n_in + k`` appended to the step's event list; ``E_l`` below counts
them. Other layers have ``n_rows = n_in`` and no such list.

Cycle cost (exact, measured by tests/test_snn_core_rtl.py; ``E_l`` = events into layer l in the
step, ``G_l = ceil(n_out_l / lanes)``, ``L = lanes``)::

    time step   = (E_0 + 1)                                       collect the events + end marker
                + sum_l  layer_l                                  the layers, one after another
    layer_l     = max(E_l, 1) + (G_l - 1) * max(E_l, L)           walk the event list per group
                + (n_out_l - (G_l - 1) * L)                       feed the last group's neurons
                + LAYER_LATENCY                                   13: pipelines drain, hand-over

(``max(E_l, L)`` also covers ``E_l = 0``, as ``L >= 1``.) An input event thus costs 1 cycle to
collect plus ``G_0`` cycles of accumulation once ``E_0 >= L``: the core does ``L`` synaptic
operations per clock while a layer has at least ``L`` events; with fewer, each group still spends
``L`` cycles, one per neuron update (the layer's neurons share one pipelined LIF datapath).
A state reset costs ``max(n_out) + 3`` cycles.

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
* ``wb`` (snoop, for benches): every neuron write-back, the full new state and spike.

Register map of the ``bus`` target (:class:`~neuroxide.rtl.hostbus.HostBusSignature`): declared
once in :func:`neuroxide.models.snn_registers.snn_register_map` (``SNNCore.registers``; the table is
in docs/snn_core.md), the decoder elaborated from it by :class:`~neuroxide.rtl.hostbus.RegisterDecoder`.
Every transfer is acked 3 cycles after ``stb``; unmapped reads return 0.
"""

import numpy as np
from amaranth.hdl import Cat, Module, Mux, Signal, unsigned
from amaranth.lib import data, fifo, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from neuroxide.errors import ParameterError
from neuroxide.models.lif import lif_step
from neuroxide.models.snn import CoreNetwork
from neuroxide.models.snn_registers import MAX_LAYERS, MAX_NEURONS, snn_register_map
from neuroxide.models.synapse import adc_bound, adc_scale, lateral_inhibition, synaptic_current_step

from .fixedpoint import AmaranthOps, PipelinedOps
from .hostbus import HostBusSignature, RegisterDecoder, pack
from .layout import item_ports, shape_of, struct_of

__all__ = ["SNNCore", "LayerUnit", "EVENT_LAYOUT", "LAYER_LATENCY", "ACC_LATENCY", "NEURON_LATENCY",
           "LANES", "step_cycles", "layer_cycles", "weight_words", "MAX_LAYERS",
           "MAX_NEURONS"]

LANES = (1, 2, 4, 8, 16, 32)
ACC_LATENCY = 4     # issue -> event RAM -> index register -> weight RAM -> weight register -> accumulate
NEURON_LATENCY = 9  # feed -> state RAM -> ADC (2) -> lif_step (3 cuts + result) -> write-back
LAYER_LATENCY = 13  # cycles of a layer beyond issue and feed: ACC_LATENCY + NEURON_LATENCY
#                     (less the overlapping feed cycle) + the sequencer's hand-over

# an input event (aer_in, the input FIFO): the fields of the EVENT register, packed
EVENT_LAYOUT = data.StructLayout({f.name: unsigned(f.bits) for f in snn_register_map(1)["EVENT"].fields})


def _bits(n):
    """Bits of an unsigned value 0..n (at least 1)."""
    return max(1, int(n).bit_length())


def layer_cycles(n_out, lanes, events):
    """Cycles layer of ``n_out`` neurons spends on a step with ``events`` input events."""
    groups = -(-n_out // lanes)
    return max(events, 1) + (groups - 1) * max(events, lanes) + (n_out - (groups - 1) * lanes) + LAYER_LATENCY


def step_cycles(network, lanes, events):
    """Cycles of one step (module docstring formula); ``events[l]`` = events into layer l.

    Returns ``(total, busy)``: ``busy`` leaves out the ``events[0] + 1`` collect cycles."""
    busy = sum(layer_cycles(layer.n_out, lanes, e) for layer, e in zip(network.layers, events))
    return events[0] + 1 + busy, busy


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


def writeback_ports(layout):
    """``{"wb_<field>": Out(shape)}``: a neuron's new state, one port per field of ``layout``."""
    return {f"wb_{name}": port for name, port in item_ports(layout, Out).items()}


class LayerUnit(wiring.Component):
    """One layer: event list, weight RAM, `lanes` accumulators, neuron state RAM, neuron pipeline.

    ``start`` (one cycle): run one step of this layer over the events written to its list since
    the last start (``ev_we``/``ev_index``); ``busy`` stays high until the last write-back.
    ``reset`` (one cycle): write the initial state into every neuron (``n_out + 3`` cycles).
    Write-backs appear on ``wb_*`` (``wb_valid`` for one cycle per neuron). ``w_*``: a write
    port of the weight RAM (one lane of one word). Cycle cost: see the module docstring.
    """

    def __init__(self, layer, lanes, rng_seeds):
        self.layer = layer
        self.lanes = lanes
        self.rng_seeds = [int(s) for s in rng_seeds]
        self.groups = -(-layer.n_out // lanes)
        self.in_bits = _bits(layer.n_in - 1)
        self.row_bits = _bits(layer.n_rows - 1)
        self.out_bits = _bits(layer.n_out - 1)
        wb = layer.weight_bits
        self.acc_bits = _bits(layer.n_rows * ((1 << wb) - 1))
        super().__init__({
            "start": In(1),
            "reset": In(1),
            "busy": Out(1),
            "n_events": Out(self.row_bits + 1),  # events latched by the last start (for SOP counting)
            "ev_we": In(1),
            "ev_index": In(self.in_bits),
            "overflow": Out(1),                  # an event arrived while the list was full
            "clear_flags": In(1),
            "w_en": In(1),
            "w_addr": In(range(max(2, self.groups * layer.n_rows))),
            "w_lane": In(range(max(2, lanes))),
            "w_data": In(2 * wb),
            "wb_valid": Out(1),
            "wb_neuron": Out(self.out_bits),
            **writeback_ports(layer.state_layout),
        })

    def elaborate(self, platform):
        m = Module()
        layer, L, G = self.layer, self.lanes, self.groups
        p = layer.params
        n_in, n_out, wb = layer.n_in, layer.n_out, layer.weight_bits
        n_rows = layer.n_rows
        acc_w = self.acc_bits

        # --- memories --------------------------------------------------------------------------
        m.submodules.events = ev_mem = Memory(shape=unsigned(self.in_bits), depth=n_in, init=[])
        m.submodules.weights = w_mem = Memory(shape=unsigned(2 * wb * L), depth=G * n_rows,
                                              init=weight_words(layer, L))
        state = layer.state_layout  # the RAM word: struct_of(state), packed as state.pack
        init_words = [state.pack(layer.initial_state((), seed)) for seed in self.rng_seeds]
        m.submodules.state = st_mem = Memory(shape=unsigned(state.bits), depth=n_out, init=init_words)
        m.submodules.seeds = seed_mem = Memory(shape=unsigned(32), depth=n_out, init=self.rng_seeds)
        ev_rd, ev_wr = ev_mem.read_port(), ev_mem.write_port()
        w_rd, w_wr = w_mem.read_port(), w_mem.write_port(granularity=2 * wb)
        st_rd, st_wr = st_mem.read_port(), st_mem.write_port()
        seed_rd = seed_mem.read_port()

        # --- event list --------------------------------------------------------------------------
        ev_count = Signal(range(n_in + 1))
        n_ev = self.n_events
        with m.If(self.ev_we):
            with m.If(ev_count == n_in):
                m.d.sync += self.overflow.eq(1)
            with m.Else():
                m.d.sync += ev_count.eq(ev_count + 1)
        m.d.comb += [ev_wr.en.eq(self.ev_we & (ev_count != n_in)), ev_wr.addr.eq(ev_count),
                     ev_wr.data.eq(self.ev_index)]

        # --- weight write port (bus) -------------------------------------------------------------
        m.d.comb += [w_wr.addr.eq(self.w_addr), w_wr.data.eq(Cat(*([self.w_data] * L)))]
        for k in range(L):
            m.d.comb += w_wr.en[k].eq(self.w_en & (self.w_lane == k))

        # --- issue: for each group, each event of the list (or one empty token) ----------------
        issuing = Signal()
        g = Signal(range(G + 1))
        e = Signal(range(n_rows + 1))
        gbase = Signal(range(G * n_rows + 1))
        cool = Signal(range(L + 1))
        is_last = Signal()
        fire_tok = Signal()
        m.d.comb += [
            is_last.eq((n_ev == 0) | (e == n_ev - 1)),
            fire_tok.eq(issuing & (~is_last | (cool == 0))),
            ev_rd.addr.eq(e),
        ]
        with m.If(cool != 0):
            m.d.sync += cool.eq(cool - 1)
        with m.If(fire_tok):
            with m.If(is_last):
                m.d.sync += [e.eq(0), g.eq(g + 1), gbase.eq(gbase + n_rows), cool.eq(L - 1)]
                with m.If(g == G - 1):
                    m.d.sync += issuing.eq(0)
            with m.Else():
                m.d.sync += e.eq(e + 1)

        # recurrent layers: the layer's own spikes of the previous step are events n_ff.. of the list,
        # rows n_in + k of the weight RAM; a two-bank list written at write-back, read the next step
        if layer.recurrent:
            n_ff = Signal(range(n_in + 1))   # feed-forward events latched by start
            m.submodules.rec_events = rec_mem = Memory(shape=unsigned(self.out_bits), depth=2 * n_out, init=[])
            rec_rd, rec_wr = rec_mem.read_port(), rec_mem.write_port()
            rec_count = Signal(range(n_out + 1))  # own spikes written this step
            w_bank, r_bank = Signal(), Signal()
            t1_is_rec = Signal()
            m.d.comb += [rec_rd.addr.eq(Mux(r_bank, n_out, 0) + (e - n_ff)),
                         rec_wr.en.eq(self.wb_valid & self.wb_spike),
                         rec_wr.addr.eq(Mux(w_bank, n_out, 0) + rec_count), rec_wr.data.eq(self.wb_neuron)]
            with m.If(self.wb_valid & self.wb_spike):
                m.d.sync += rec_count.eq(rec_count + 1)
            m.d.sync += t1_is_rec.eq(e >= n_ff)
            ev_data = Mux(t1_is_rec, rec_rd.data + n_in, ev_rd.data)
        else:
            ev_data = ev_rd.data

        # accumulate pipeline: t1 event RAM out, t2 weight address, t3 weight RAM out, t4 accumulate
        t_valid = [Signal(name=f"t{k}_valid") for k in range(1, 5)]
        t_has = [Signal(name=f"t{k}_has") for k in range(1, 5)]
        t_last = [Signal(name=f"t{k}_last") for k in range(1, 5)]
        t1_gbase = Signal.like(gbase)
        t2_gbase = Signal.like(gbase)
        t2_index = Signal(self.row_bits)
        t4_w = Signal(2 * wb * L)
        m.d.sync += [
            t_valid[0].eq(fire_tok), t_has[0].eq(n_ev != 0), t_last[0].eq(is_last), t1_gbase.eq(gbase),
            t2_index.eq(ev_data), t2_gbase.eq(t1_gbase),
            t4_w.eq(Mux(t_has[2], w_rd.data, 0)),
        ]
        for k in range(1, 4):
            m.d.sync += [t_valid[k].eq(t_valid[k - 1]), t_has[k].eq(t_has[k - 1]), t_last[k].eq(t_last[k - 1])]
        m.d.comb += w_rd.addr.eq(t2_gbase + t2_index)

        # `lanes` accumulator pairs; a group's last token moves the sums into the feed register
        acc = [(Signal(acc_w, name=f"acc_exc{k}"), Signal(acc_w, name=f"acc_inh{k}")) for k in range(L)]
        feed = [(Signal(acc_w, name=f"feed_exc{k}"), Signal(acc_w, name=f"feed_inh{k}")) for k in range(L)]
        feed_left = Signal(range(L + 1))
        feed_j = Signal(range(G * L + 1))
        load = Signal()
        m.d.comb += load.eq(t_valid[3] & t_last[3])
        for k in range(L):
            w_exc = t4_w[2 * wb * k: 2 * wb * k + wb]
            w_inh = t4_w[2 * wb * k + wb: 2 * wb * (k + 1)]
            sum_exc = Signal(acc_w, name=f"sum_exc{k}")
            sum_inh = Signal(acc_w, name=f"sum_inh{k}")
            m.d.comb += [sum_exc.eq(acc[k][0] + w_exc), sum_inh.eq(acc[k][1] + w_inh)]
            with m.If(load):
                m.d.sync += [acc[k][0].eq(0), acc[k][1].eq(0), feed[k][0].eq(sum_exc), feed[k][1].eq(sum_inh)]
            with m.Elif(t_valid[3]):
                m.d.sync += [acc[k][0].eq(sum_exc), acc[k][1].eq(sum_inh)]
            with m.If(~load & (feed_left != 0)):  # shift: lane k+1 moves to lane k
                if k + 1 < L:
                    m.d.sync += [feed[k][0].eq(feed[k + 1][0]), feed[k][1].eq(feed[k + 1][1])]
        with m.If(load):
            m.d.sync += feed_left.eq(L)
        with m.Elif(feed_left != 0):
            m.d.sync += feed_left.eq(feed_left - 1)
        with m.If(feed_left != 0):
            m.d.sync += feed_j.eq(feed_j + 1)

        # --- neuron pipeline ----------------------------------------------------------------------
        # n0: feed lane 0 of neuron feed_j, read its state
        n0_valid = Signal()
        m.d.comb += [n0_valid.eq((feed_left != 0) & (feed_j < n_out)), st_rd.addr.eq(feed_j)]
        # n1: state RAM out; register everything
        n1_valid, n1_j = Signal(), Signal(self.out_bits)
        n1_exc, n1_inh = Signal(acc_w), Signal(acc_w)
        m.d.sync += [n1_valid.eq(n0_valid), n1_j.eq(feed_j), n1_exc.eq(feed[0][0]), n1_inh.eq(feed[0][1])]
        sv = struct_of(state)
        st = sv(st_rd.data)
        cnt_prev = Signal(range(n_out + 1))  # this layer's spikes in the previous step
        cnt_cur = Signal(range(n_out + 1))
        n2 = {name: Signal(sv.members[name], name=f"n2_{name}") for name in state.names}
        n2_valid, n2_j = Signal(), Signal(self.out_bits)
        n2_exc, n2_inh = Signal(acc_w), Signal(acc_w)
        lat_bits = _bits(n_out)
        n2_others = Signal(lat_bits)  # spikes of the other neurons of this layer last step
        m.d.sync += [n2[name].eq(st[name]) for name in state.names]
        m.d.sync += [n2_valid.eq(n1_valid), n2_j.eq(n1_j), n2_exc.eq(n1_exc), n2_inh.eq(n1_inh),
                     n2_others.eq(cnt_prev - st.spike)]
        # n2 -> n3: lateral term, excitatory ADC; n3 -> n4: inhibitory ADC (models.synapse's
        # column_currents, its two ADCs in successive stages); each scaled sum in a wire as wide as
        # the sum it scales needs (the accumulator or the inhibitory total, + adc_gain bits)
        adc = AmaranthOps(m)
        inh_w = _bits(n_rows * ((1 << wb) - 1) + layer.lateral * n_out)
        current = shape_of(p.input_layout["i_exc"])
        n3 = {name: Signal.like(n2[name], name=f"n3_{name}") for name in state.names}
        n3_valid, n3_j = Signal(), Signal(self.out_bits)
        n3_iexc = Signal(current)
        n3_inh = Signal(inh_w)
        n3_lat = Signal(inh_w)
        exc_scaled = Signal(acc_w + layer.adc_gain, name="exc_scaled")
        m.d.comb += exc_scaled.eq(adc_scale(layer, n2_exc))
        m.d.sync += [n3[name].eq(n2[name]) for name in state.names]
        m.d.sync += [n3_valid.eq(n2_valid), n3_j.eq(n2_j), n3_inh.eq(n2_inh),
                     n3_iexc.eq(adc_bound(adc, layer, exc_scaled)),
                     n3_lat.eq(lateral_inhibition(layer, n2_others))]
        n4 = {name: Signal.like(n2[name], name=f"n4_{name}") for name in state.names}
        n4_valid, n4_j = Signal(), Signal(self.out_bits)
        n4_iexc, n4_iinh = Signal(current), Signal(current)
        inh_scaled = Signal(inh_w + layer.adc_gain, name="inh_scaled")
        m.d.comb += inh_scaled.eq(adc_scale(layer, n3_inh + n3_lat))
        m.d.sync += [n4[name].eq(n3[name]) for name in state.names]
        m.d.sync += [n4_valid.eq(n3_valid), n4_j.eq(n3_j), n4_iexc.eq(n3_iexc),
                     n4_iinh.eq(adc_bound(adc, layer, inh_scaled))]
        # per-neuron thresholds (CoreLayer.v_th_neuron, device-to-device spread): a ROM read beside
        # the state RAM, its word carried with the neuron to the LIF rule's compare. Absent when the
        # thresholds are uniform, so such a core keeps its Verilog.
        carry_vth = {}
        if layer.v_th_neuron is not None:
            vth_shape = unsigned(int(layer.v_th_neuron.max()).bit_length())
            m.submodules.thresholds = vth_mem = Memory(shape=vth_shape, depth=n_out,
                                                       init=[int(x) for x in layer.v_th_neuron])
            vth_rd = vth_mem.read_port()
            m.d.comb += vth_rd.addr.eq(feed_j)
            vth_n2, vth_n3, vth_n4 = (Signal(vth_shape, name=f"n{k}_v_th") for k in (2, 3, 4))
            m.d.sync += [vth_n2.eq(vth_rd.data), vth_n3.eq(vth_n2), vth_n4.eq(vth_n3)]
            carry_vth = {"v_th": vth_n4}
        # n4..n7: the synaptic current (models.synapse, before the first cut) and the LIF rule,
        # pipelined at its stage() cuts; the result registered at n8
        syn = layer.syn_decay is not None
        syn_next = Signal(shape_of(state["syn"]), name="syn_next") if syn else None
        ops = PipelinedOps(m, prefix="lif_", carry={"valid": n4_valid, "j": n4_j, **({"syn": syn_next} if syn else {}),
                                                    **carry_vth})
        # lif_step reads v_th after its cuts: the carried threshold is the one of the neuron in that stage
        p = layer.neuron_params(lambda: ops.carried["v_th"]) if carry_vth else p
        i_exc, i_inh = n4_iexc, n4_iinh
        if syn:
            syn_sum, i_exc, i_inh = synaptic_current_step(ops, layer, n4["syn"], i_exc, i_inh)
            m.d.comb += syn_next.eq(syn_sum)
        new_state = dict(zip(p.state_layout.names, lif_step(ops, p, n4["v"], n4["ref"], n4["adapt"], n4["rng"],
                                                             i_exc, i_inh)))
        assert ops.depth == 3, ops.depth
        if syn:
            new_state["syn"] = ops.carried["syn"]
        m.d.sync += [self.wb_valid.eq(ops.carried["valid"]), self.wb_neuron.eq(ops.carried["j"])]
        m.d.sync += [getattr(self, f"wb_{name}").eq(new_state[name]) for name in state.names]

        # --- write-back (and the reset sequence, which writes the initial state) ---------------
        resetting = Signal()
        r_j = Signal(range(n_out + 1))
        r_we = Signal()
        r_addr = Signal(self.out_bits)
        m.d.comb += seed_rd.addr.eq(r_j)
        m.d.sync += [r_we.eq(resetting & (r_j < n_out)), r_addr.eq(r_j)]
        with m.If(resetting):
            with m.If(r_j == n_out):
                m.d.sync += resetting.eq(0)
            with m.Else():
                m.d.sync += r_j.eq(r_j + 1)
        # the initial word with rng 0: the seed ROM's word goes in its place
        init = sv.const({name: int(x) for name, x in layer.initial_state((), 0).items()}).as_value()
        # Mux, not m.If: Icarus never runs an `always @*` block whose inputs have not changed since
        # time 0, so an If-built write address would stay X for the first write-back (neuron 0)
        reset_word = init | (seed_rd.data << state.offsets()["rng"])
        m.d.comb += [
            st_wr.en.eq(r_we | self.wb_valid),
            st_wr.addr.eq(Mux(r_we, r_addr, self.wb_neuron)),
            st_wr.data.eq(Mux(r_we, reset_word, Cat(*(getattr(self, f"wb_{name}") for name in state.names)))),
        ]
        with m.If(self.wb_valid & self.wb_spike):
            m.d.sync += cnt_cur.eq(cnt_cur + 1)

        # --- control ----------------------------------------------------------------------------
        pipe_valid = Cat(*t_valid, n1_valid, n2_valid, n3_valid, n4_valid, *ops.history["valid"], self.wb_valid)
        m.d.comb += self.busy.eq(issuing | pipe_valid.any() | (feed_left != 0) | resetting | r_we)
        with m.If(self.start):
            m.d.sync += [issuing.eq(1), g.eq(0), e.eq(0), gbase.eq(0), cool.eq(0), feed_j.eq(0),
                         n_ev.eq(ev_count), ev_count.eq(0), cnt_prev.eq(cnt_cur), cnt_cur.eq(0)]
            if layer.recurrent:
                m.d.sync += [n_ev.eq(ev_count + rec_count), n_ff.eq(ev_count), rec_count.eq(0), r_bank.eq(w_bank),
                             w_bank.eq(~w_bank)]
        with m.If(self.clear_flags):
            m.d.sync += self.overflow.eq(0)
        with m.If(self.reset):
            m.d.sync += [resetting.eq(1), r_j.eq(0), ev_count.eq(0), cnt_prev.eq(0), cnt_cur.eq(0),
                         self.overflow.eq(0)]
            if layer.recurrent:
                m.d.sync += rec_count.eq(0)
        return m


class SNNCore(wiring.Component):
    """The SNN accelerator core for ``network`` (a :class:`~neuroxide.models.snn.CoreNetwork`).

    ``lanes``: synapses accumulated per clock (1, 2, 4 ... 32; the weights of ``lanes``
    consecutive columns share one RAM word). ``in_fifo_depth``/``out_fifo_depth``: input event
    and output spike queues (events pushed ahead of their step; spikes for the bus). Ports:
    ``aer_in``, ``aer_out``, ``bus``, ``free_run`` (run steps without a RUN budget), ``step``
    (steps run), ``step_done`` (one-cycle pulse per finished step), ``busy``, ``sops`` and the
    write-back snoop ``wb_*`` (``wb_neuron`` is the global neuron index). Cycle costs, register
    map and behaviour: module docstring.
    """

    def __init__(self, network, lanes=8, in_fifo_depth=64, out_fifo_depth=256):
        if not isinstance(network, CoreNetwork):
            raise ParameterError("network", type(network).__name__, "a CoreNetwork")
        if lanes not in LANES:
            raise ParameterError("lanes", lanes, " | ".join(map(str, LANES)))
        if len(network.layers) > MAX_LAYERS:
            raise ParameterError("layers", len(network.layers), f"1..{MAX_LAYERS}")
        for k, layer in enumerate(network.layers):
            for name, n in (("n_in", layer.n_in), ("n_out", layer.n_out), ("n_in + n_out (recurrent)", layer.n_rows)):
                if n > MAX_NEURONS:
                    raise ParameterError(f"layers[{k}].{name}", n, f"1..{MAX_NEURONS}")
        for name, depth in (("in_fifo_depth", in_fifo_depth), ("out_fifo_depth", out_fifo_depth)):
            if isinstance(depth, bool) or not isinstance(depth, int) or not 2 <= depth <= 65536:
                raise ParameterError(name, depth, "2..65536")
        self.network = network
        self.lanes = lanes
        self.in_fifo_depth = in_fifo_depth
        self.out_fifo_depth = out_fifo_depth
        self.registers = snn_register_map(len(network.layers))  # the bus target's map
        self.units = [LayerUnit(layer, lanes, seeds) for layer, seeds in zip(network.layers, network.initial_rng())]
        n_layers = len(network.layers)
        self.neuron_bits = _bits(network.n_neurons - 1)
        self.spike_layout = data.StructLayout({"layer": unsigned(4), "neuron": unsigned(10), "step": unsigned(32)})
        super().__init__({
            "aer_in": In(stream.Signature(EVENT_LAYOUT)),
            "aer_out": Out(stream.Signature(self.spike_layout)),  # `ready` is ignored: no back-pressure
            "bus": In(HostBusSignature()),
            "free_run": In(1),
            "busy": Out(1),
            "step": Out(32),
            "step_done": Out(1),
            "sops": Out(32),
            "wb_valid": Out(1),
            "wb_layer": Out(range(max(2, n_layers))),
            "wb_neuron": Out(self.neuron_bits),
            **writeback_ports(network.state_layout),  # each field as wide as in the widest layer
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

        # --- input FIFO: from the stream, or from the bus (the bus wins a shared cycle) --------
        m.d.comb += [
            in_fifo.w_en.eq(bus_push | self.aer_in.valid),
            in_fifo.w_data.eq(Mux(bus_push, bus_push_word, self.aer_in.payload.as_value())),
            self.aer_in.ready.eq(in_fifo.w_rdy & ~bus_push),
        ]
        word = EVENT_LAYOUT(in_fifo.r_data)

        # --- step sequencer ---------------------------------------------------------------------
        unit0 = units[0]
        step_ok = Signal()
        m.d.comb += step_ok.eq(self.free_run | (budget != 0))
        start = Signal(n_layers)
        for k, unit in enumerate(units):
            m.d.comb += unit.start.eq(start[k])
        reset_all = Signal()
        for unit in units:
            m.d.comb += unit.reset.eq(reset_all)
        budget_take = Signal()
        with m.FSM(name="seq") as seq:
            with m.State("COLLECT"):
                with m.If(in_fifo.r_rdy):
                    with m.If(word.reset):
                        m.d.comb += [in_fifo.r_en.eq(1), reset_all.eq(1)]
                        m.d.sync += self.step.eq(0)
                        m.next = "RESET"
                    with m.Elif(word.end_step):
                        with m.If(step_ok):
                            m.d.comb += [in_fifo.r_en.eq(1), start[0].eq(1), budget_take.eq(~self.free_run)]
                            m.next = "LAYER0"
                    with m.Else():
                        m.d.comb += [in_fifo.r_en.eq(1), unit0.ev_we.eq(1), unit0.ev_index.eq(word.index)]
            with m.State("RESET"):
                with m.If(~Cat(*(u.busy for u in units)).any()):
                    m.next = "COLLECT"
            for k, unit in enumerate(units):
                with m.State(f"LAYER{k}"):
                    with m.If(~unit.busy):
                        if k + 1 < n_layers:
                            m.d.comb += start[k + 1].eq(1)
                            m.next = f"LAYER{k + 1}"
                        else:
                            m.d.sync += self.step.eq(self.step + 1)
                            m.d.comb += self.step_done.eq(1)
                            m.next = "COLLECT"

        m.d.comb += self.busy.eq(~seq.ongoing("COLLECT"))

        # layer k's spikes are layer k+1's events
        for k in range(1, n_layers):
            prev = units[k - 1]
            m.d.comb += [units[k].ev_we.eq(prev.wb_valid & prev.wb_spike), units[k].ev_index.eq(prev.wb_neuron)]

        # --- write-back snoop, AER output, counters ---------------------------------------------
        offsets = net.offsets
        for k, unit in enumerate(units):
            with m.If(unit.wb_valid):
                m.d.comb += [self.wb_valid.eq(1), self.wb_layer.eq(k), self.wb_neuron.eq(unit.wb_neuron + int(offsets[k])),
                             *(getattr(self, f"wb_{name}").eq(getattr(unit, f"wb_{name}"))
                               for name in unit.layer.state_layout.names),
                             self.aer_out.payload.neuron.eq(unit.wb_neuron)]
            with m.If(unit.wb_valid & unit.wb_spike):
                m.d.sync += spikes[k].eq(spikes[k] + 1)
        fire = Signal()
        m.d.comb += [
            fire.eq(self.wb_valid & self.wb_spike),
            self.aer_out.valid.eq(fire),
            self.aer_out.payload.layer.eq(self.wb_layer),
            self.aer_out.payload.step.eq(self.step),
            out_fifo.w_data.eq(pack(out_event, neuron=self.aer_out.payload.neuron, step=self.step, layer=self.wb_layer)),
            out_fifo.w_en.eq(fire & (out_mask >> self.wb_layer)[0]),
        ]
        with m.If(out_fifo.w_en & ~out_fifo.w_rdy):
            m.d.sync += out_overflow.eq(1)

        m.d.sync += cycles.eq(cycles + 1)
        with m.If(self.busy):
            m.d.sync += busy_cycles.eq(busy_cycles + 1)
        # SOPs: counted when a layer starts, from the events it latches (n_events is valid one
        # cycle later, so count then)
        started = Signal(n_layers)
        m.d.sync += started.eq(start)
        sop_add = Signal(32)
        for k, unit in enumerate(units):
            with m.If(started[k]):
                m.d.comb += sop_add.eq(unit.n_events * net.layers[k].n_out)
        sop_add_r = Signal(32)  # registered: the product and the 32-bit sum in separate cycles
        m.d.sync += [sop_add_r.eq(sop_add), sops.eq(sops + sop_add_r)]
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
                m.d.sync += [w_en[k].eq((at.layer == k) & (at.i < layer.n_rows) & (at.j < layer.n_out)),
                             unit.w_addr.eq((at.j >> lane_bits) * layer.n_rows + at.i),
                             unit.w_lane.eq(at.j[:lane_bits] if lane_bits else 0),
                             unit.w_data.eq(Cat(word.w_exc[:layer.weight_bits], word.w_inh[:layer.weight_bits]))]

        def pop_spike():
            with m.If(out_fifo.r_rdy):
                m.d.comb += bus_pop.eq(1)
                m.d.sync += r_data.eq(out_fifo.r_data | regs.encode("OUT_EVENT", valid=1))

        decoder = RegisterDecoder(regs, b_addr)
        with m.FSM(name="bus"):
            with m.State("IDLE"):
                with m.If(bus.stb):
                    m.d.sync += [b_addr.eq(bus.addr), b_data.eq(bus.w_data), b_we.eq(bus.we), r_data.eq(0), b_err.eq(0)]
                    m.next = "EXEC"
            with m.State("EXEC"):
                m.next = "ACK"
                with m.If(b_we):
                    decoder.write(m, b_data, {"CTRL": clear, "RUN": add_budget, "EVENT": push_event,
                                              "OUT_MASK": out_mask, "SYNAPSE": write_synapse})
                with m.Else():
                    decoder.read(m, r_data, {
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
                                              out_fifo_depth=self.out_fifo_depth),
                        "OUT_LEVEL": out_fifo.level,
                        "SPIKES": spikes,
                        "SHAPE": [regs.encode("SHAPE", n_in=layer.n_in, n_out=layer.n_out) for layer in net.layers],
                    }, domain="sync")
            with m.State("ACK"):
                m.d.comb += [bus.ack.eq(1), bus.err.eq(b_err), bus.r_data.eq(r_data)]
                m.next = "IDLE"
        m.d.comb += out_fifo.r_en.eq(bus_pop)
        return m
