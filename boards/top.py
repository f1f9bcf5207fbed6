"""Board top: an LIF neuron array driven by on-chip random stimulus, its spikes on the LEDs.

Data path (all in the board's default ``sync`` domain, at the full board clock)::

    step prescaler --step--> StimulusGenerator --i_exc, i_inh--> LIFNeuronArray --spike--> LEDs
                      \\______________________________________________^

* The prescaler pulses ``step`` for one clock every ``round(clock_hz / steps_per_second)``
  clocks, so the network advances ``steps_per_second`` time steps per second. The neuron and
  stimulus registers still run at the board clock with ``step`` as their enable, so nextpnr's
  Fmax is the Fmax of the real one-step-per-cycle datapath.
* Each spike reloads that neuron's hold counter with ``led_hold_ms``; the counter counts down on
  a shared 1 ms tick and its LED is lit while it is nonzero, so a one-step spike shows for
  ``led_hold_ms`` (~50 ms), long enough to see.
* Neuron ``k`` lights board LED ``k mod n_leds`` (LEDs fold with OR when ``n`` exceeds them).
  The LEDs are the board's from :mod:`neuroxide.boards.platforms` (iCEBreaker: ``led_r``/``led_g``
  0 and the break-off PMOD's ``led_r`` 1, ``led_g`` 1..4; ULX3S: ``led`` 0..7); ones the platform
  has not defined are skipped.

The default of 100 steps/s suits the default stimulus: neurons fire about once every 30 steps,
i.e. ~3 Hz, which reads as distinct blinks with 50 ms holds (at 1000 steps/s they would merge).
"""

from amaranth.hdl import Elaboratable, Module, Signal
from amaranth.lib import io

from neuroxide.errors import ParameterError
from neuroxide.models.lif import LIFParams
from neuroxide.models.stimulus import StimulusParams
from neuroxide.rtl.lif import LIFNeuronArray
from neuroxide.rtl.stimulus import StimulusGenerator

from .platforms import board_for_platform

__all__ = ["NeuronBoardTop"]


def _pulse_every(m, cycles, name):
    """A signal high for one clock every ``cycles`` clocks (always high when ``cycles`` is 1)."""
    pulse = Signal(name=f"{name}_pulse")
    if cycles == 1:
        m.d.comb += pulse.eq(1)
        return pulse
    count = Signal(range(cycles), name=name)
    with m.If(count == cycles - 1):
        m.d.sync += count.eq(0)
        m.d.comb += pulse.eq(1)
    with m.Else():
        m.d.sync += count.eq(count + 1)
    return pulse


class NeuronBoardTop(Elaboratable):
    """``n`` LIF neurons on a board, stepped ``steps_per_second`` times a second, spikes on LEDs.

    Parameters: ``params`` (:class:`~neuroxide.models.lif.LIFParams`), ``n`` neurons, ``seed`` (of
    both the neurons' and the stimulus's PRNG streams), ``stimulus``
    (:class:`~neuroxide.models.stimulus.StimulusParams`), ``steps_per_second`` (time-step rate,
    1..clock_hz), ``led_hold_ms`` (how long a spike lights its LED, >= 1) and ``clock_hz`` (needed
    only without a platform, i.e. in simulation; otherwise the platform's default clock).

    Attributes for simulation: ``neurons`` and ``stimulus_generator`` (the components), ``step``
    (the prescaler's one-cycle pulse) and ``spike_leds`` (``n`` bits, neuron ``k`` lit).

    Another neuron datapath with the same ports (``step``, ``i_exc``, ``i_inh``, ``spike``) and the
    stimulus generator that fits it can be passed as ``neurons`` and ``stimulus_generator``; the
    board top (prescaler, LED holds) stays the same.
    """

    def __init__(self, params=None, n=4, seed=1, stimulus=None, *, steps_per_second=100,
                 led_hold_ms=50, clock_hz=None, neurons=None, stimulus_generator=None):
        self.params = LIFParams() if params is None else params
        self.stimulus_params = StimulusParams() if stimulus is None else stimulus
        if not isinstance(steps_per_second, (int, float)) or not steps_per_second > 0:
            raise ParameterError("steps_per_second", steps_per_second, "a number > 0")
        if not isinstance(led_hold_ms, int) or led_hold_ms < 1:
            raise ParameterError("led_hold_ms", led_hold_ms, "an integer >= 1")
        if clock_hz is not None and (not isinstance(clock_hz, (int, float)) or not clock_hz > 0):
            raise ParameterError("clock_hz", clock_hz, "a frequency in Hz > 0")
        self.n = n
        self.seed = seed
        self.steps_per_second = steps_per_second
        self.led_hold_ms = led_hold_ms
        self.clock_hz = clock_hz

        self.neurons = LIFNeuronArray(self.params, n, seed) if neurons is None else neurons
        self.stimulus_generator = (StimulusGenerator(self.stimulus_params, n, self.params.in_bits, seed)
                                   if stimulus_generator is None else stimulus_generator)
        self.step = Signal()
        self.spike_leds = Signal(n)

    def _divider(self, clock_hz, rate_hz, field):
        cycles = round(clock_hz / rate_hz)
        if cycles < 1:
            raise ParameterError(field, rate_hz, f"0 < {field} <= clock {clock_hz:g} Hz")
        return cycles

    def elaborate(self, platform):
        m = Module()
        clock_hz = self.clock_hz
        if clock_hz is None:
            if platform is None:
                raise ParameterError("clock_hz", None, "a frequency in Hz > 0",
                                     why="needed when elaborating without a platform")
            clock_hz = platform.default_clk_frequency

        m.submodules.neurons = neurons = self.neurons
        m.submodules.stimulus = stimulus = self.stimulus_generator
        m.d.comb += [
            stimulus.step.eq(self.step),
            neurons.step.eq(self.step),
            neurons.i_exc.eq(stimulus.i_exc),
            neurons.i_inh.eq(stimulus.i_inh),
        ]

        # step prescaler, and a shared 1 ms tick for the LED hold counters
        step_cycles = self._divider(clock_hz, self.steps_per_second, "steps_per_second")
        m.d.comb += self.step.eq(_pulse_every(m, step_cycles, "step_count"))
        ms_tick = _pulse_every(m, self._divider(clock_hz, 1000, "clock_hz"), "ms_count")

        # spike holds a whole step; sample it once, the cycle after the step that set it
        spike_valid = Signal()
        m.d.sync += spike_valid.eq(self.step)
        for k in range(self.n):
            hold = Signal(range(self.led_hold_ms + 1), name=f"led_hold{k}")
            with m.If(spike_valid & neurons.spike[k]):
                m.d.sync += hold.eq(self.led_hold_ms)
            with m.Elif(ms_tick & (hold != 0)):
                m.d.sync += hold.eq(hold - 1)
            m.d.comb += self.spike_leds[k].eq(hold != 0)

        if platform is not None:
            board = board_for_platform(platform)
            leds = [] if board is None else [
                (name, number) for name, number in board.leds if (name, number) in platform.resources]
            for j, (name, number) in enumerate(leds):
                # io.Buffer applies the pin's inversion (iCEBreaker's on-board LEDs are active low)
                led = io.Buffer("o", platform.request(name, number, dir="-"))
                m.submodules[f"led_{name}_{number}"] = led
                m.d.comb += led.o.eq(self.spike_leds[j::len(leds)].any())
        return m
