"""cocotb benches of the host link's generated Verilog (Icarus, Verilator).

The config's ``mode`` picks one of two benches (and the toplevel it needs):

* ``"uart"`` (toplevel :class:`~neuroxide.testbench.hostlink_top.LinkSimTop` with a UART):
  the real :class:`~neuroxide.models.hostlink_client.HostLink` driver talks to the Verilog through the
  ``rx``/``tx`` pins via :class:`CocotbTransport`; blocking driver code runs in a
  ``cocotb.task.bridge`` thread and each transport call resumes the simulation
  (``cocotb.task.resume``). It makes ``frames`` random writes/reads checked against a shadow
  copy of the RAM, FIFO pushes and pops, and malformed frames (bad CRC, unknown command, bad
  length, truncated), each of which must be answered with its code while the DUT's
  ``bus_writes`` counter stays put.
* ``"fuzz"`` (toplevel :class:`~neuroxide.testbench.hostlink_top.FuzzTop`): random and mutated
  frames (:func:`~neuroxide.testbench.hostlink_top.fuzz_stream`) are written into the stimulus
  memory in chunks, the simulator runs each chunk free, and the response memory is compared
  byte for byte with :func:`~neuroxide.models.hostlink.link_model`; a final sweep of READs
  over the whole RAM checks its state. ``mismatches`` counts responses that differ.

Both write ``{"steps" (frames), "cycles", "mismatches", ...}`` to the result file.
"""

import json
import os
import random
import time

import cocotb
from cocotb.clock import Clock
from cocotb.task import bridge, resume
from cocotb.triggers import ClockCycles, Event, FallingEdge, First, RisingEdge

from neuroxide.fileio import write_text
from neuroxide.models import hostlink as proto
from neuroxide.models.hostlink import GAP, link_model
from neuroxide.models.hostlink_client import CoreRegisters, HostLink, HostLinkError
from neuroxide.models.register_file import RegisterFileModel
from neuroxide.testbench.hostlink_top import encode_stimulus, fuzz_stream

CLOCK_NS = 10

__all__ = ["CocotbTransport"]


def _config():
    with open(os.environ["NEUROXIDE_BENCH_CONFIG"]) as f:
        return json.load(f)


def _result(result):
    with open(os.environ["NEUROXIDE_BENCH_RESULT"], "w") as f:
        json.dump(result, f)


def _progress(done, total):
    path = os.environ.get("NEUROXIDE_BENCH_PROGRESS")
    if path:
        write_text(path, f"{done} {total}\n")


class CocotbTransport:
    """HostLink transport onto a cocotb DUT's UART pins (``rx`` in, ``tx`` out, ``clk``).

    Use from a thread started by ``cocotb.task.bridge``: ``write`` drives the bytes bit by bit
    (``divisor`` clocks per bit) and returns when the stop bit is done; ``read(n)`` lets the
    simulation run until ``n`` bytes were received by the background UART monitor or
    ``read_cycles`` clocks passed. ``start()`` (a coroutine) launches the monitor.
    """

    def __init__(self, dut, divisor, read_cycles):
        self.dut, self.divisor, self.read_cycles = dut, divisor, read_cycles
        self.received = bytearray()
        self.arrived = Event()

    async def start(self):
        cocotb.start_soon(self._monitor())

    async def _monitor(self):
        dut, div = self.dut, self.divisor
        while True:
            await FallingEdge(dut.tx)
            await ClockCycles(dut.clk, div // 2)
            byte = 0
            for i in range(8):
                await ClockCycles(dut.clk, div)
                byte |= int(dut.tx.value) << i
            await ClockCycles(dut.clk, div)
            assert int(dut.tx.value) == 1, "stop bit low"
            self.received.append(byte)
            self.arrived.set()

    async def _send(self, data):
        for byte in data:
            for bit in [0, *((byte >> i) & 1 for i in range(8)), 1]:
                self.dut.rx.value = bit
                await ClockCycles(self.dut.clk, self.divisor)

    async def _wait(self, n):
        left = self.read_cycles
        while len(self.received) < n and left > 0:
            self.arrived.clear()
            step = 64 * self.divisor
            await First(self.arrived.wait(), ClockCycles(self.dut.clk, step))
            left -= step

    async def _idle(self, cycles):
        await ClockCycles(self.dut.clk, cycles)

    def write(self, data):
        resume(self._send)(bytes(data))

    def read(self, n, timeout_s=None):
        resume(self._wait)(n)
        out = bytes(self.received[:n])
        del self.received[:n]
        return out

    def idle(self, cycles):
        resume(self._idle)(cycles)

    def flush_input(self):
        self.received.clear()

    def close(self):
        pass


async def _reset(dut):
    cocotb.start_soon(Clock(dut.clk, CLOCK_NS, unit="ns").start())
    dut.rst.value = 1
    await ClockCycles(dut.clk, 2)
    dut.rst.value = 0
    await RisingEdge(dut.clk)


def _uart_scenario(dut, cfg, transport):
    """Blocking driver code (runs in a bridge thread). Returns the result dict."""
    rng = random.Random(cfg["seed"])
    frames = cfg["steps"]
    link = HostLink(transport, retries=0, settle_s=0)
    ram = RegisterFileModel(cfg["ram_depth"])
    mismatches, errors, checked = 0, [], 0
    bus_writes = resume(_get)(dut.bus_writes)

    def expect(what, got, want):
        nonlocal mismatches
        if got != want:
            mismatches += 1
            if len(errors) < 5:
                errors.append(f"{what}: got {got}, want {want}")

    expect("ping", link.ping(), {"version": proto.PROTOCOL_VERSION, "max_words": proto.MAX_WORDS})
    broken = [
        ("bad_crc", lambda f: f[:-1] + bytes([f[-1] ^ 0x5A]), proto.Status.BAD_CRC),
        ("unknown", lambda f: proto.encode_request(0x7E, f[3:-2]), proto.Status.UNKNOWN_COMMAND),
        ("length", lambda f: proto.encode_request(f[1], f[3:-3]), proto.Status.BAD_LENGTH),
        ("truncated", lambda f: f[:len(f) // 2], proto.Status.FRAME_TIMEOUT),
    ]
    for k in range(frames):
        addr = rng.randrange(cfg["ram_depth"] - proto.MAX_WORDS)
        n = rng.randint(1, proto.MAX_WORDS if rng.random() < 0.2 else 6)
        if k % 5 == 4:  # a malformed frame: answered with its code, nothing written
            name, mutate, status = broken[(k // 5) % len(broken)]
            frame = mutate(proto.write_request(addr, [rng.getrandbits(32) for _ in range(n)]))
            before = resume(_get)(dut.bus_writes)
            transport.write(frame)
            if status == proto.Status.FRAME_TIMEOUT:
                transport.idle(cfg["frame_timeout"] + 10)
            head = transport.read(4)
            response = proto.decode_response(head + transport.read(head[3] + 2)) if len(head) == 4 else None
            expect(name, response and response.status, status)
            expect(f"{name} bus writes", resume(_get)(dut.bus_writes) - before, 0)
        elif rng.random() < 0.5:
            words = [rng.getrandbits(32) for _ in range(n)]
            link.write(addr, words)
            for i, w in enumerate(words):
                ram.ram[addr + i] = w
            bus_writes += n
        else:
            expect(f"read {addr:#x}+{n}", link.read(addr, n), ram.ram[addr:addr + n])
        checked += 1
        if k % 10 == 0:
            _progress(k, frames)
    # FIFO: fixed-address pushes, the fifth refused with BUS_ERROR, pops in order
    regs = CoreRegisters(link, ram.registers)
    pushes = [rng.getrandbits(32) for _ in range(5)]
    try:
        regs.write("FIFO", pushes)
        expect("fifo overflow", "no error", "BUS_ERROR")
    except HostLinkError as error:
        expect("fifo overflow", (error.status, error.done), (proto.Status.BUS_ERROR, 4))
    bus_writes += 4
    expect("fifo pops", regs.read("FIFO", 4), pushes[:4])
    expect("id", regs.read("ID"), ram.registers["ID"].reset)
    expect("whole ram", link.read(0, cfg["ram_depth"]), ram.ram)
    expect("bus writes", resume(_get)(dut.bus_writes), bus_writes)
    return {"steps": checked, "mismatches": mismatches, "errors": errors,
            "bytes_sent": link.bytes_sent, "bytes_received": link.bytes_received,
            "link_frames": link.frames}


async def _get(signal):
    return int(signal.value)


async def _uart_bench(dut, cfg):
    await _reset(dut)
    dut.rx.value = 1
    transport = CocotbTransport(dut, cfg["divisor"],
                                read_cycles=20 * cfg["divisor"] * proto.MAX_RESPONSE_BYTES
                                + cfg["frame_timeout"])
    await transport.start()
    t0 = cocotb.utils.get_sim_time("ns")
    result = await bridge(_uart_scenario)(dut, cfg, transport)
    result["cycles"] = int((cocotb.utils.get_sim_time("ns") - t0) // CLOCK_NS)
    return result


async def _fuzz_bench(dut, cfg):
    await _reset(dut)
    dut.go.value = 0
    rng = random.Random(cfg["seed"])
    frames, chunk = cfg["steps"], cfg["chunk"]
    model = RegisterFileModel(cfg["ram_depth"])
    model_depth = cfg.get("model_ram_depth", cfg["ram_depth"])
    if model_depth != cfg["ram_depth"]:  # negative test: a model that differs from the RTL
        model = RegisterFileModel(model_depth)
    stim_items = 4 * cfg["stim_words"]
    resp_bytes = 4 * cfg["resp_words"]
    mismatches = responses_total = cycles = done = 0
    first = None
    free_run_s = 0.0
    sweep_done = False
    while not sweep_done:
        if done < frames:
            # frames until the chunk is full or either memory could overflow (a response is at
            # most MAX_RESPONSE_BYTES, a frame with its garbage and gap under 170 items)
            n, stream = 0, []
            limit = min(chunk, frames - done, resp_bytes // proto.MAX_RESPONSE_BYTES)
            while n < limit and len(stream) + 170 < stim_items:
                stream += fuzz_stream(rng, 1, cfg["ram_depth"])
                n += 1
            stream.append(GAP)
        else:  # final sweep: read the whole RAM back
            n = 0
            stream = [b for a in range(0, cfg["ram_depth"], proto.MAX_WORDS)
                      for b in proto.read_request(a, min(proto.MAX_WORDS, cfg["ram_depth"] - a))]
            sweep_done = True
        want = link_model(stream, model)
        assert len(stream) <= stim_items and len(want) <= resp_bytes, "chunk too big for the memories"
        for i, word in enumerate(encode_stimulus(stream)):
            dut.stimulus[i].value = word
        dut.n_stim.value = len(stream)
        dut.go.value = 1
        await RisingEdge(dut.clk)
        dut.go.value = 0
        t0 = time.perf_counter()
        # a bound on the run (every byte, gap and response byte, the bus), so a hang fails
        budget = 4 * len(stream) + len(want) + 64 * 100 + stream.count(GAP) * (cfg["frame_timeout"] + 8)
        await First(RisingEdge(dut.done), ClockCycles(dut.clk, budget))
        free_run_s += time.perf_counter() - t0
        if not int(dut.done.value):
            dut._log.error(f"no done within {budget} clocks: cycles={int(dut.cycles.value)} pos={int(dut.pos.value)} running={dut.running.value} rd={dut.rd__data.value} valid={dut.rx__valid.value} ready={dut.rx__ready.value} n_stim={dut.n_stim.value}, n_resp={dut.n_resp.value}")
            mismatches += 1
            first = first or {"frame": done, "rtl": "hang", "model": f"done within {budget} clocks"}
            break
        # one more clock: the counters' last updates land on the edge that raised done, and
        # simulators differ in whether a RisingEdge(done) callback sees them yet
        await RisingEdge(dut.clk)
        try:
            n_resp = int(dut.n_resp.value)
            words = [int(dut.responses[i].value) for i in range(-(-n_resp // 4))]
        except ValueError:  # X or Z in the responses (e.g. a gate-level netlist's undefined read)
            mismatches += max(1, n)
            first = first or {"frame": done, "rtl": "X/Z in the response memory", "model": repr(want[:16])}
            done += n
            _progress(done, frames)
            await RisingEdge(dut.clk)
            continue
        got = b"".join(w.to_bytes(4, "little") for w in words)[:n_resp]
        try:
            got_responses = proto.split_responses(got)
        except proto.ProtocolError:
            got_responses = []
        want_responses = proto.split_responses(want)
        bad = sum(g != w for g, w in zip(got_responses, want_responses))
        bad += abs(len(got_responses) - len(want_responses))
        if got_responses == [] and got:
            bad = max(bad, 1)
        if bad and first is None:
            for i, (g, w) in enumerate(zip(got_responses + [None] * len(want_responses), want_responses)):
                if g != w:
                    first = {"frame": done + i, "rtl": repr(g), "model": repr(w)}
                    break
        mismatches += bad
        responses_total += len(want_responses)
        cycles += int(dut.cycles.value)
        done += n
        _progress(done, frames)
        await RisingEdge(dut.clk)
    return {"steps": done, "responses": responses_total, "cycles": cycles, "mismatches": mismatches,
            "first_mismatch": first, "free_run_s": round(free_run_s, 3),
            "cycles_per_s": round(cycles / free_run_s, 1) if free_run_s else None,
            "frames_per_s": round(done / free_run_s, 1) if free_run_s else None,
            "bus_writes": int(dut.bus_writes.value)}


@cocotb.test()
async def hostlink_bench(dut):
    cfg = _config()
    wall0 = time.perf_counter()
    if cfg["mode"] == "uart":
        result = await _uart_bench(dut, cfg)
    else:
        result = await _fuzz_bench(dut, cfg)
    result["bench_wall_s"] = round(time.perf_counter() - wall0, 3)
    _result(result)
    assert result["mismatches"] == 0, f"{result['mismatches']} mismatches: {result.get('errors') or result.get('first_mismatch')}"
