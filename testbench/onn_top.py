"""Bench top of the ONN core: the core with its graph in block RAM, plus trace memories.

On a ``go`` pulse the core runs ``chunk`` steps back to back (no Python per clock). Every
oscillator update (the core's ``upd_*`` stream, one per oscillator per step, in row order) is
written to ``trace`` at address ``step_in_chunk * N + row``, packed by ``params.state_layout``
(``phase`` lowest, then ``rng``); after each step the core's ``energy`` (of the phases before that
step) goes to ``etrace[step_in_chunk]``. ``done`` rises when the chunk is over. The cocotb bench
reads both through VPI.

``core`` (default: the synchronous ``ONNCore`` of the other arguments) is the core to wrap, e.g. the
colour-mode core ``neuroxide.boards.onn_host.onn_core_of`` builds: its updates come in its row order,
which the bench maps back to the graph's nodes (``models.onn_registers.ColourLayout``). A core with
``row_groups`` = k > 1 updates up to k rows a clock (``gupd_*``, one stream a group): the trace then
has k write ports, group g's update of row r at ``step_in_chunk * N + r`` (row order again).
"""

from amaranth.hdl import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from neuroxide.rtl.onn_core import DEFAULT_LANES, ONNCore

__all__ = ["ONNBenchTop", "unpack_trace"]


def unpack_trace(words, params, n, steps):
    """Trace words -> ``{field of params.state_layout: (steps, n) int64 array}``."""
    out = params.state_layout.unpack_words(words[:steps * n], 1)
    return {name: values.reshape(steps, n) for name, values in out.items()}


class ONNBenchTop(wiring.Component):
    def __init__(self, params, n, J, dense, seed, chunk, lanes=DEFAULT_LANES, core=None):
        self.params, self.n, self.chunk = params, n, chunk
        self.core = ONNCore(params, n, J, dense=dense, seed=seed, lanes=lanes) if core is None else core
        if self.core.n != n or self.core.params != params:
            raise ValueError(f"core of {self.core.n} oscillators with other params, not {n}")
        super().__init__({"go": In(1), "busy": Out(1), "done": Out(1)})

    def elaborate(self, platform):
        m = Module()
        p, n, chunk = self.params, self.n, self.chunk
        m.submodules.core = core = self.core
        # the oscillator just updated, packed like its state layout
        update = Cat(*(getattr(core, f"upd_{f.name}") for f in p.state_layout))
        m.submodules.trace = trace = Memory(shape=p.state_layout.bits, depth=chunk * n, init=[])
        m.submodules.etrace = etrace = Memory(shape=32, depth=chunk, init=[])
        wr, ewr = trace.write_port(), etrace.write_port()
        addr = Signal(range(chunk * n + 1))
        step = Signal(range(chunk + 1))
        t_prev = Signal.like(core.t)
        m.d.sync += t_prev.eq(core.t)
        m.d.comb += [wr.en.eq(core.upd_valid), wr.addr.eq(addr), wr.data.eq(update),
                     ewr.en.eq(core.t != t_prev), ewr.addr.eq(step), ewr.data.eq(core.energy),
                     core.run_steps.eq(chunk)]
        k = getattr(core, "row_groups", 1)
        if k > 1:  # one write port a group, at the row's address in the step's block
            m.d.comb += wr.en.eq(0)
            base = Signal(range(chunk * n + 1), name="trace_base")
            with m.If(core.t != t_prev):
                m.d.sync += base.eq(base + n)
            for g in range(k):
                port = trace.write_port()
                m.d.comb += [port.en.eq(core.gupd_valid[g]), port.addr.eq(base + core.gupd_row[g]),
                             port.data.eq(Cat(*(getattr(core, f"gupd_{f.name}")[g] for f in p.state_layout)))]
        with m.If(core.upd_valid):
            m.d.sync += addr.eq(addr + 1)
        with m.If(core.t != t_prev):
            m.d.sync += step.eq(step + 1)
        started = Signal()
        with m.If(self.go & ~self.busy):
            m.d.comb += core.start.eq(1)
            m.d.sync += [self.busy.eq(1), self.done.eq(0), addr.eq(0), step.eq(0), started.eq(0)]
            if k > 1:
                m.d.sync += base.eq(0)
        with m.Elif(self.busy):
            m.d.sync += started.eq(1)
            updating = core.gupd_valid.any() if k > 1 else core.upd_valid
            with m.If(started & ~core.busy & (core.t == t_prev) & ~updating):
                m.d.sync += [self.busy.eq(0), self.done.eq(1)]
        return m
