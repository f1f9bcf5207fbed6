"""The learning layer core: a crossbar of weight levels in a memory, LIF neurons and on-chip plasticity.

:class:`PlasticLayerCore` is the gateware of ``neuroxide.models.plasticity.PlasticModel``: equal to
it on every weight and every neuron, trace, calcium and PRNG word after every step.

Memory and state
    The ``n_in x n_out`` levels live in one memory of ``weight_bits``-wide words, synapse ``(i, j)``
    at address ``i * n_out + j`` (row-major, as ``PlasticModel.w``). The per-neuron state
    (``layer.neuron_layout``: LIF state, post trace, calcium, column PRNG) and the per-row state
    (``layer.row_layout``: pre trace, row PRNG) are registers, exposed as array ports.

One step (``start`` while idle latches ``in_spikes``, ``teacher_on``/``teacher`` and ``learn``)
    1. ``ACC``: every synapse in address order is read (one per clock; the synchronous read answers a
       clock later) and ``w - w_zero`` is added to its column's accumulator when its row spiked:
       ``N + 1`` cycles (``N = n_in * n_out``).
    2. ``FIRE``: the LIF rule of every column (``lif_step``, one datapath per column, from the
       accumulators by ``layer_drive``): the drive is registered, then the rule's three pipeline cuts
       (``PipelinedOps``), then the spikes are latched: ``LIF_STAGES + 2`` = 5 cycles.
    3. ``LEARN`` (only with ``learn``): the weight memory is rewritten in place, one synapse per clock
       through one shared :class:`~neuroxide.rtl.plasticity.SynapseUpdateUnit`: address ``k`` is read
       in cycle ``c``, its level and the row/column state it needs are registered at the unit's inputs
       in ``c + 1``, and the new level is written back in ``c + 2`` (``c + 4`` with
       ``PIPELINED_RULE``: ``weight_update``'s two cuts as registers), while the next synapses are in
       flight: ``N + 2`` cycles (``N + 4``). The unit sees the state at the start of the step, as the
       model.
    4. ``COMMIT``: neurons, traces, calcium and the PRNG words take their new values: 1 cycle, then
       ``step_done`` pulses and ``busy`` falls.

    A step costs ``2 N + 9`` cycles while learning (``2 N + 11`` with ``PIPELINED_RULE``) and ``N + 7``
    without (:func:`step_cycles`), the
    cycles ``busy`` is high; each synapse is read once to integrate and read-modified-written once
    to learn.

``rest`` (while idle) is ``PlasticModel.rest``. Host access while idle: ``host_addr`` reads
``host_rdata`` one clock later; ``host_we`` writes ``host_wdata`` (program or read back the levels).
"""

from amaranth.hdl import Array, Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from neuroxide.errors import ParameterError
from neuroxide.models.lif import lif_step
from neuroxide.models.plasticity import (GAIN_BITS, WEIGHT_UPDATE_STAGES, PlasticLayer, layer_drive, lif_quiet,
                                        wta_margin)
from neuroxide.models.prng import xorshift32

from .fixedpoint import AmaranthOps, PipelinedOps
from .layout import array_ports
from .plasticity import RUNTIME_RATES, CalciumUnit, SynapseUpdateUnit, TraceUnit, rate_shapes

__all__ = ["PlasticLayerCore", "PlasticLinkCore", "step_cycles"]


LIF_STAGES = 3  # pipeline cuts of lif_step (its ops.stage calls)
# weight_update's two cuts as registers: elaborates and simulates (bit-exact), but yosys' ECP5 flow
# (synth_ecp5, ABC9) stops on an internal assert in abc_ops_reintegrate on it, so the rule unit is
# combinational for now
PIPELINED_RULE = False
SYNAPSE_STAGES = WEIGHT_UPDATE_STAGES if PIPELINED_RULE else 0  # register stages of the rule unit


def step_cycles(layer, learn=True):
    """Clock cycles of one step of :class:`PlasticLayerCore` (module docstring)."""
    n = layer.n_in * layer.n_out
    fire = LIF_STAGES + 2
    return (n + 1) + fire + (n + 2 + SYNAPSE_STAGES) + 1 if learn else (n + 1) + fire + 1


class PlasticLayerCore(wiring.Component):
    """One learning layer (``PlasticLayer`` ``layer``) with initial levels ``w_init`` ``(n_in, n_out)``.

    ``runtime_rates``: the rule's :data:`~neuroxide.rtl.plasticity.RUNTIME_RATES` come from input ports
    ``rate_<name>`` (registers of a host-linked core) instead of being built in; with the values of
    ``rate_values(p)`` the core equals the model of ``layer``, with others the model of
    ``layer.plasticity.replace(...)`` of them.
    """

    def __init__(self, layer, w_init, runtime_rates=False):
        if not isinstance(layer, PlasticLayer):
            raise ParameterError("layer", type(layer).__name__, "PlasticLayer")
        import numpy as np
        self.layer = layer
        w = np.asarray(w_init)
        if w.shape != (layer.n_in, layer.n_out) or (w.size and (w.min() < 0 or w.max() > layer.w_max)):
            raise ParameterError("w_init", f"shape {w.shape}", f"({layer.n_in}, {layer.n_out}) levels 0..{layer.w_max}")
        self.w_init = [int(x) for x in w.reshape(-1)]
        self.n_syn = layer.n_in * layer.n_out
        init = layer.initial_state()
        self.initial = init
        self.runtime_rates = runtime_rates
        nl, rl = layer.neuron_layout, layer.row_layout
        rates = ({f"rate_{name}": In(shape) for name, shape in rate_shapes(layer.plasticity, layer.params.v_bits).items()}
                 if runtime_rates else {})
        super().__init__({
            "start": In(1), "rest": In(1), "learn": In(1),
            "in_spikes": In(layer.n_in), "teacher_on": In(1), "teacher": In(layer.n_out),
            "busy": Out(1), "step_done": Out(1),
            "host_addr": In(range(self.n_syn)), "host_rdata": Out(layer.weight_bits),
            "host_we": In(1), "host_wdata": In(layer.weight_bits),
            **array_ports(nl, layer.n_out, Out, init={f.name: list(init[f.name]) for f in nl}),
            **array_ports(rl, layer.n_in, Out, init={f.name: list(init[f.name]) for f in rl}),
            **rates,
        })
        # block RAM also for small layers: the levels are the memory that scales with the layer
        self.weights = Memory(shape=unsigned(layer.weight_bits), depth=self.n_syn, init=self.w_init,
                              attrs={"ram_style": "block"})

    def elaborate(self, platform):
        m = Module()
        layer, p, lp = self.layer, self.layer.plasticity, self.layer.params
        n_in, n_out, n = layer.n_in, layer.n_out, self.n_syn
        m.submodules.weights = mem = self.weights
        rd = mem.read_port()
        host_rd = mem.read_port()
        wr = mem.write_port()
        m.d.comb += [host_rd.addr.eq(self.host_addr), self.host_rdata.eq(host_rd.data)]

        # inputs of the step, latched at start
        s_in = Signal(n_in)
        t_on = Signal()
        t_vec = Signal(n_out)
        learn = Signal()
        post = Signal(n_out)

        acc_bits = max(n_in * layer.w_max, n_in * layer.w_zero).bit_length() + 2
        acc = Array(Signal(signed(acc_bits), name=f"acc{j}") for j in range(n_out))

        # LIF of every column from the accumulators and the state at the start of the step: the drive
        # registered, then lif_step's pipeline cuts (PipelinedOps). Its inputs hold still from the end
        # of ACC to COMMIT, so the outputs are settled lif_depth cycles after FIRE begins.
        spikes_prev = sum(self.spike[j] for j in range(n_out))
        lif_next, lif_quiet_next = [], []
        for j in range(n_out):
            ops = AmaranthOps(m, f"n{j}_")
            i_exc, i_inh = layer_drive(ops, layer, acc[j], t_on, t_vec[j], self.spike[j], spikes_prev)
            r_exc = Signal(unsigned(lp.in_bits), name=f"n{j}_i_exc")
            r_inh = Signal(unsigned(lp.in_bits), name=f"n{j}_i_inh")
            m.d.sync += [r_exc.eq(i_exc), r_inh.eq(i_inh)]
            pops = PipelinedOps(m, f"n{j}_")
            lif_next.append(lif_step(pops, lp, self.v[j], self.ref[j], self.adapt[j], self.rng[j], r_exc, r_inh))
            if layer.wta:  # the not-fired branch of every neuron, for the losers of the vote
                qops = PipelinedOps(m, f"n{j}_q_")
                lif_quiet_next.append(lif_step(qops, lif_quiet(lp), self.v[j], self.ref[j], self.adapt[j],
                                               self.rng[j], r_exc, r_inh))
                assert qops.depth == LIF_STAGES
        assert pops.depth == LIF_STAGES, "step_cycles assumes lif_step's three pipeline cuts"
        lif_depth = pops.depth + 2  # the drive register, the cuts, and the cycle that latches the spikes
        fire_wait = Signal(range(lif_depth + 1))
        fire = Cat(*(state[4] for state in lif_next))
        if layer.wta:
            fire = self._wta(m, fire, lif_quiet_next)

        # scan engine shared by ACC and LEARN: issue address k (row i, column j); the data stage
        # one clock later has the level of (d_i, d_j) at address d_k
        k = Signal(range(n + 1))
        i = Signal(range(n_in))
        j = Signal(range(n_out))
        d_valid = Signal()
        d_k = Signal(range(n))
        d_i = Signal(range(n_in))
        d_j = Signal(range(n_out))
        scanning = Signal()
        issue = Signal()
        m.d.comb += [issue.eq(scanning & (k != n)), rd.addr.eq(k)]
        m.d.sync += [d_valid.eq(issue), d_k.eq(k), d_i.eq(i), d_j.eq(j)]
        with m.If(issue):
            m.d.sync += k.eq(k + 1)
            with m.If(j == n_out - 1):
                m.d.sync += [j.eq(0), i.eq(i + 1)]
            with m.Else():
                m.d.sync += j.eq(j + 1)
        scan_over = ~issue  # every address issued; the last one's data is consumed in this cycle

        # the synapse rule unit (LEARN)
        m.submodules.synapse = syn = SynapseUpdateUnit(p, lp.v_bits, layer.column_gain is not None, self.runtime_rates,
                                                       pipelined=PIPELINED_RULE)
        if self.runtime_rates:
            m.d.comb += [getattr(syn, name).eq(getattr(self, f"rate_{name}")) for name in RUNTIME_RATES]
        rng_row_next = [Signal(32, name=f"rng_row_next{r}") for r in range(n_in)]
        rng_col_next = [Signal(32, name=f"rng_col_next{c}") for c in range(n_out)]
        for r in range(n_in):
            m.d.comb += rng_row_next[r].eq(xorshift32(AmaranthOps(m, f"rr{r}_"), self.rng_row[r]))
        for c in range(n_out):
            m.d.comb += rng_col_next[c].eq(xorshift32(AmaranthOps(m, f"rc{c}_"), self.rng_col[c]))
        # the rule unit's inputs registered (stage e, one clock after the level arrives): the muxes over
        # rows and columns and the xorshift of the random words end there
        learning = Signal()
        e_valid = Signal()
        e_k = Signal(range(n))
        m.d.sync += [e_valid.eq(d_valid & learning), e_k.eq(d_k)]
        # the unit's pipeline: the address and valid bit of each synapse in flight, one per stage
        w_valid, w_k = [e_valid], [e_k]
        for s in range(SYNAPSE_STAGES):
            v_s, k_s = Signal(name=f"syn_valid{s + 1}"), Signal(range(n), name=f"syn_k{s + 1}")
            m.d.sync += [v_s.eq(w_valid[-1]), k_s.eq(w_k[-1])]
            w_valid.append(v_s)
            w_k.append(k_s)
        in_flight = Cat(d_valid, *w_valid[:-1]).any()  # synapses not yet at the write-back
        m.d.sync += [
            syn.w.eq(rd.data), syn.pre_spike.eq(s_in.bit_select(d_i, 1)), syn.post_spike.eq(post.bit_select(d_j, 1)),
            syn.pre_trace.eq(self.pre_trace[d_i]), syn.post_trace.eq(self.post_trace[d_j]),
            syn.v_post.eq(self.v[d_j]), syn.ca_post.eq(self.ca[d_j]),
            syn.rng.eq(Array(rng_row_next)[d_i] ^ Array(rng_col_next)[d_j]),
        ]
        if layer.column_gain is not None:
            m.d.sync += syn.gain.eq(Array(layer.column_gain)[d_j])

        # trace and calcium units of every row and column (COMMIT)
        pre_next, post_next, ca_next = [], [], []
        for r in range(n_in):
            u = m.submodules[f"pre_trace{r}"] = TraceUnit(p)
            m.d.comb += [u.trace.eq(self.pre_trace[r]), u.spike.eq(s_in[r])]
            pre_next.append(u.trace_next)
        for c in range(n_out):
            u = m.submodules[f"post_trace{c}"] = TraceUnit(p)
            m.d.comb += [u.trace.eq(self.post_trace[c]), u.spike.eq(post[c])]
            post_next.append(u.trace_next)
            u = m.submodules[f"calcium{c}"] = CalciumUnit(p)
            m.d.comb += [u.ca.eq(self.ca[c]), u.spike.eq(post[c])]
            ca_next.append(u.ca_next)

        # one write port: the learning write-back while busy, the host's while idle
        with m.If(learning):
            m.d.comb += [wr.addr.eq(w_k[-1]), wr.data.eq(syn.w_next), wr.en.eq(w_valid[-1])]
        with m.Else():
            m.d.comb += [wr.addr.eq(self.host_addr), wr.data.eq(self.host_wdata), wr.en.eq(self.host_we & ~self.busy)]

        m.d.sync += self.step_done.eq(0)
        with m.FSM():
            with m.State("IDLE"):
                with m.If(self.start):
                    m.d.sync += [s_in.eq(self.in_spikes), t_on.eq(self.teacher_on), t_vec.eq(self.teacher),
                                 learn.eq(self.learn), self.busy.eq(1), scanning.eq(1), k.eq(0), i.eq(0), j.eq(0)]
                    m.d.sync += [acc[c].eq(0) for c in range(n_out)]
                    m.next = "ACC"
                with m.Elif(self.rest):
                    keep = {"rng", "rng_col", "rng_row"} | ({"adapt"} if layer.homeostasis else set())
                    for f in (*layer.neuron_layout, *layer.row_layout):
                        if f.name in keep:
                            continue
                        port = getattr(self, f.name)
                        if f.name == "spike":
                            m.d.sync += port.eq(0)
                        else:
                            m.d.sync += [port[x].eq(int(self.initial[f.name][x])) for x in range(len(self.initial[f.name]))]
            with m.State("ACC"):
                with m.If(d_valid & s_in.bit_select(d_i, 1)):
                    m.d.sync += acc[d_j].eq(acc[d_j] + rd.data - layer.w_zero)
                with m.If(scan_over):
                    m.d.sync += scanning.eq(0)
                    m.next = "FIRE"
            with m.State("FIRE"):
                m.d.sync += fire_wait.eq(fire_wait + 1)
                with m.If(fire_wait == lif_depth - 1):
                    m.d.sync += [post.eq(fire), fire_wait.eq(0)]
                    with m.If(learn):
                        m.d.sync += [scanning.eq(1), learning.eq(1), k.eq(0), i.eq(0), j.eq(0)]
                        m.next = "LEARN"
                    with m.Else():
                        m.next = "COMMIT"
            with m.State("LEARN"):
                with m.If(~issue & ~in_flight):  # the last level is written back in this cycle
                    m.d.sync += [scanning.eq(0), learning.eq(0)]
                    m.next = "COMMIT"
            with m.State("COMMIT"):
                for c in range(n_out):
                    v_n, ref_n, adapt_n, rng_n, fire_n = lif_next[c]
                    if layer.wta:  # the winner fired (post), every other neuron takes the not-fired branch
                        v_q, ref_q, adapt_q, _, _ = lif_quiet_next[c]
                        v_n, ref_n, adapt_n = (Mux(post[c], v_n, v_q), Mux(post[c], ref_n, ref_q),
                                               Mux(post[c], adapt_n, adapt_q))
                        fire_n = post[c]
                    m.d.sync += [self.v[c].eq(v_n), self.ref[c].eq(ref_n), self.adapt[c].eq(adapt_n),
                                 self.rng[c].eq(rng_n), self.spike[c].eq(fire_n),
                                 self.post_trace[c].eq(post_next[c]), self.ca[c].eq(ca_next[c]),
                                 self.rng_col[c].eq(rng_col_next[c])]
                for r in range(n_in):
                    m.d.sync += [self.pre_trace[r].eq(pre_next[r]), self.rng_row[r].eq(rng_row_next[r])]
                m.d.sync += [self.busy.eq(0), self.step_done.eq(1)]
                m.next = "IDLE"
        return m

    def _wta(self, m, fire, lif_quiet_next):
        """One-hot spikes of the single winner (``wta_winner``): a balanced tree of compare-and-select
        over ``(crossed, margin, index)`` (the left operand, lower indices, kept on ties), combinational
        after lif_step's last cut (the spikes are latched at the end of FIRE as without ``wta``)."""
        layer, lp = self.layer, self.layer.params
        n_out = layer.n_out
        nodes = []
        for j, (v_q, _, adapt_q, rng_q, _) in enumerate(lif_quiet_next):
            ops = AmaranthOps(m, f"n{j}_w_")
            nodes.append((fire[j], ops.let("margin", wta_margin(ops, lp, v_q, adapt_q, rng_q)), Const(j, range(n_out))))
        level = 0
        while len(nodes) > 1:
            nxt = []
            for a in range(0, len(nodes) - 1, 2):
                (va, ma, ia), (vb, mb, ib) = nodes[a], nodes[a + 1]
                take_b = Signal(name=f"wta_l{level}_{a // 2}_b")
                m.d.comb += take_b.eq(vb & (~va | (mb > ma)))
                nxt.append((va | vb, Mux(take_b, mb, ma), Mux(take_b, ib, ia)))
            if len(nodes) % 2:
                nxt.append(nodes[-1])
            nodes, level = nxt, level + 1
        valid, _, index = nodes[0]
        win = Signal(range(n_out), name="wta_index")
        m.d.comb += win.eq(index)
        return Cat(*((valid & (win == j)) for j in range(n_out)))


# a column gain is an unsigned GAIN_BITS + 3 bit constant (0..4 * 2**GAIN_BITS)
assert (4 << GAIN_BITS) < (1 << (GAIN_BITS + 3))


class PlasticLinkCore(wiring.Component):
    """:class:`PlasticLayerCore` as a host-bus target (``bus``), its registers decoded from
    ``neuroxide.models.plastic_registers.plastic_register_map(layer)``: learning enable, run-time rates,
    the teacher input, steps on host-written input spikes, and every level readable and writable.
    Every transfer acks 3 clocks after ``stb``; writes act only while no step runs."""

    def __init__(self, layer, w_init):
        from neuroxide.models.plastic_registers import plastic_register_map
        from .hostbus import HostBusSignature
        self.layer = layer
        self.registers = plastic_register_map(layer)
        self.core = PlasticLayerCore(layer, w_init, runtime_rates=True)
        super().__init__({"bus": In(HostBusSignature())})

    def elaborate(self, platform):
        from neuroxide.models.plastic_registers import RATE_REGISTERS
        from neuroxide.models.plasticity import RULES

        from .hostbus import RegisterDecoder, pack
        from .plasticity import rate_values
        m = Module()
        layer, regs, p = self.layer, self.registers, self.layer.plasticity
        m.submodules.core = core = self.core
        n_in, n_out = layer.n_in, layer.n_out
        words_in, words_out = -(-n_in // 32), -(-n_out // 32)

        shapes = rate_shapes(p, layer.params.v_bits)
        build = rate_values(p)
        rates = {name: Signal(shapes[name], init=build[name], name=f"rate_{name}") for name in RUNTIME_RATES}
        m.d.comb += [getattr(core, f"rate_{name}").eq(rates[name]) for name in RUNTIME_RATES]
        in_spk, teacher = Signal(32 * words_in), Signal(32 * words_out)
        learn, t_on = Signal(init=1), Signal()
        steps, busy_cycles, updates = Signal(32), Signal(32), Signal(32)
        host_step, host_rest, host_clear = Signal(), Signal(), Signal()
        m.d.comb += [core.in_spikes.eq(in_spk[:n_in]), core.teacher.eq(teacher[:n_out]), core.teacher_on.eq(t_on),
                     core.learn.eq(learn), core.start.eq(host_step & ~core.busy), core.rest.eq(host_rest & ~core.busy)]
        with m.If(host_clear):
            m.d.sync += [steps.eq(0), busy_cycles.eq(0), updates.eq(0)]
        with m.Else():
            with m.If(core.busy):
                m.d.sync += busy_cycles.eq(busy_cycles + 1)
            with m.If(core.step_done):
                m.d.sync += steps.eq(steps + 1)
                with m.If(learn):
                    m.d.sync += updates.eq(updates + n_in * n_out)

        bus = self.bus
        pending, pending2 = Signal(), Signal()
        h_addr, h_we, h_data = Signal(24), Signal(), Signal(32)
        decoder = RegisterDecoder(regs, h_addr)
        m.d.comb += core.host_addr.eq(decoder.index("WEIGHT"))
        with m.If(bus.stb & ~pending & ~pending2 & ~bus.ack):
            m.d.sync += [pending.eq(1), h_addr.eq(bus.addr), h_we.eq(bus.we), h_data.eq(bus.w_data)]
        m.d.sync += bus.ack.eq(0)

        def control(word):
            m.d.comb += [host_step.eq(word.step), host_rest.eq(word.rest), host_clear.eq(word.clear)]

        def mode(word):
            m.d.sync += [learn.eq(word.learn), t_on.eq(word.teacher_on)]

        def rate(name):
            def write(word):
                reg = rates[name]
                if name == "theta_m":
                    lo, hi = -(1 << (layer.params.v_bits - 1)), (1 << (layer.params.v_bits - 1)) - 1
                    value = word.theta_m
                else:
                    lo, hi = 0, p.step_max
                    value = word
                m.d.sync += reg.eq(Mux(value > hi, hi, Mux(value < lo, lo, value)))
            return write

        def window(target):
            def write(word, index=None):  # no index: a one-word window
                if index is None:
                    m.d.sync += target.eq(word)
                    return
                with m.Switch(index):
                    for k in range(len(target) // 32):
                        with m.Case(k):
                            m.d.sync += target[32 * k:32 * (k + 1)].eq(word)
            return write

        def weight_write(word, index):
            m.d.comb += [core.host_wdata.eq(word), core.host_we.eq(1)]

        with m.If(pending):  # the address is presented (the level read starts); writes act now
            m.d.sync += [pending.eq(0), pending2.eq(1)]
            with m.If(h_we & ~core.busy):
                decoder.write(m, h_data, {
                    "CTRL": control, "MODE": mode,
                    **{reg: rate(name) for reg, name in RATE_REGISTERS.items()},
                    "IN_SPIKES": window(in_spk), "TEACHER": window(teacher), "WEIGHT": weight_write})
        with m.If(pending2):  # the level is valid now: answer
            m.d.sync += [pending2.eq(0), bus.ack.eq(1)]
            r_data = Signal(32)
            spikes_out = Cat(core.spike, Const(0, 32 * words_out - n_out))

            def word_of(vector):
                return lambda index=None: vector if index is None else vector.word_select(index, 32)

            decoder.read(m, r_data, {
                "ID": regs["ID"].reset,
                "STATUS": pack(regs["STATUS"], busy=core.busy),
                "MODE": pack(regs["MODE"], learn=learn, teacher_on=t_on),
                "INFO": regs.encode("INFO", n_in=n_in, n_out=n_out, weight_bits=layer.weight_bits,
                                    rule=RULES.index(p.rule)),
                "STEPS": steps, "BUSY": busy_cycles, "UPDATES": updates,
                **{reg: rates[name] for reg, name in RATE_REGISTERS.items()},
                "IN_SPIKES": word_of(in_spk), "TEACHER": word_of(teacher), "OUT_SPIKES": word_of(spikes_out),
                "WEIGHT": core.host_rdata,
            })
            m.d.sync += bus.r_data.eq(r_data)
        return m
