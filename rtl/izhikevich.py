"""Izhikevich neuron datapath: the ``izhikevich_step`` rule of ``neuroxide.models.izhikevich`` in gates.

:class:`IzhikevichNeuron` holds ``v`` and ``u`` in registers and advances one Euler step on every
clock edge where ``step`` is high (one step per cycle, latency one cycle from ``i_dt`` to
``spike``). The panel's coefficients are elaboration-time constants, so every product except
``v*v`` is a constant multiplication (shift-and-add or DSP, as yosys chooses); ``v*v`` is one
``state_bits`` x ``state_bits`` signed multiplier.

:class:`IzhikevichNeuronPipelined` is the same arithmetic cut into register stages for a higher
clock (Fmax): a step takes ``STAGES`` cycles and ``step`` may be raised at most once every
``STAGES`` cycles; after the last stage the state registers equal the model's, exactly as in the
one-cycle version (the cocotb bench checks both).
"""

from amaranth.hdl import Module, Signal, Value, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from neuroxide.models.izhikevich import (COEF_BITS, FRAC_BITS, STATE_BITS, input_layout, izhikevich_du_sum,
                                         izhikevich_dv_sum, izhikevich_reset, izhikevich_step, izhikevich_v1,
                                         state_layout)

from .fixedpoint import AmaranthOps
from .layout import item_ports

__all__ = ["IzhikevichNeuron", "IzhikevichNeuronPipelined", "neuron_ports"]


def neuron_ports(coeffs, state_bits):
    """``step``, the input and the state registers (``models.izhikevich.input_layout`` and
    ``state_layout``), ``v``/``u`` reset to the coefficient set's initial state."""
    return {"step": In(1), **item_ports(input_layout(state_bits), In),
            **item_ports(state_layout(state_bits), Out, init={"v": coeffs.v_init, "u": coeffs.u_init})}


class IzhikevichNeuron(wiring.Component):
    """One fixed-point Izhikevich neuron with constant coefficients ``coeffs`` (IzhikevichCoeffs).

    Ports (:func:`neuron_ports`): ``step`` (advance on this edge), ``i_dt`` (signed ``state_bits``,
    dt*I in Q.F), ``v``/``u`` (state registers, signed ``state_bits``, reset to the panel's initial
    state), ``spike`` (fired on the last step). Cost: one step per clock, one multiplier (v*v).
    """

    def __init__(self, coeffs, frac_bits=FRAC_BITS, coef_bits=COEF_BITS, state_bits=STATE_BITS):
        self.coeffs = coeffs
        self.frac_bits, self.coef_bits, self.state_bits = frac_bits, coef_bits, state_bits
        super().__init__(neuron_ports(coeffs, state_bits))

    def elaborate(self, platform):
        m = Module()
        v_n, u_n, fire = izhikevich_step(AmaranthOps(m), self.coeffs, self.v, self.u, self.i_dt,
                                         self.frac_bits, self.coef_bits, self.state_bits)
        with m.If(self.step):
            m.d.sync += [self.v.eq(v_n), self.u.eq(u_n), self.spike.eq(fire)]
        return m


class IzhikevichNeuronPipelined(wiring.Component):
    """The same neuron, one step every ``STAGES`` = 5 cycles, registered between stages.

    Cycle 0 (``step`` high): latch ``v``, ``u``, ``i_dt``.
    Cycle 1: ``dv_sum = A2*((v*v)>>F) + A1*v - AU*u`` -> register.
    Cycle 2: ``v1 = clamp(v + (dv_sum>>K) + A0 + i_dt)`` -> register.
    Cycle 3: ``du_sum = BV*v1 - BU*u + B0`` -> register.
    Cycle 4: ``u1``, ``fire`` and the reset select write ``v``, ``u``, ``spike``.
    Each stage is one of the model's stage functions (``izhikevich_dv_sum``, ``izhikevich_v1``,
    ``izhikevich_du_sum``, ``izhikevich_reset``), so the arithmetic is the model's; the stages only
    add registers. ``busy`` is high while a step is in flight; ``step`` while busy is ignored.
    """

    STAGES = 5

    def __init__(self, coeffs, frac_bits=FRAC_BITS, coef_bits=COEF_BITS, state_bits=STATE_BITS):
        self.coeffs = coeffs
        self.frac_bits, self.coef_bits, self.state_bits = frac_bits, coef_bits, state_bits
        super().__init__({**neuron_ports(coeffs, state_bits), "busy": Out(1)})

    def elaborate(self, platform):
        m = Module()
        k, F, K, W = self.coeffs, self.frac_bits, self.coef_bits, self.state_bits
        ops = AmaranthOps(m, prefix="p_")
        stage = Signal(range(self.STAGES))
        m.d.comb += self.busy.eq(stage != 0)

        def reg(name, value):
            value = Value.cast(value)
            return Signal(value.shape(), name=name), value

        # stage 1 registers: the state and input the step starts from
        s1_v, s1_u, s1_i = Signal(signed(W)), Signal(signed(W)), Signal(signed(W))
        with m.If((stage == 0) & self.step):
            m.d.sync += [s1_v.eq(self.v), s1_u.eq(self.u), s1_i.eq(self.i_dt), stage.eq(1)]
        # stage 2: dv_sum (v*v and the constant products), registered
        s2_sum, dv_sum = reg("s2_dv_sum", izhikevich_dv_sum(ops, k, s1_v, s1_u, F))
        # stage 3: v1, then du_sum, registered
        s3_v1, v1 = reg("s3_v1", izhikevich_v1(ops, k, s1_v, s2_sum, s1_i, K, W))
        s4_du, du_sum = reg("s4_du_sum", izhikevich_du_sum(ops, k, s3_v1, s1_u))
        v_n, u_n, fire = izhikevich_reset(ops, k, s3_v1, s1_u, s4_du, K, W)
        with m.If(stage == 1):
            m.d.sync += [s2_sum.eq(dv_sum), stage.eq(2)]
        with m.If(stage == 2):
            m.d.sync += [s3_v1.eq(v1), stage.eq(3)]
        with m.If(stage == 3):
            m.d.sync += [s4_du.eq(du_sum), stage.eq(4)]
        with m.If(stage == 4):
            m.d.sync += [self.v.eq(v_n), self.u.eq(u_n), self.spike.eq(fire), stage.eq(0)]
        return m
