"""The host link's protocol client: word writes and reads on a core's bus over any byte transport.

::

    link = HostLink(transport)
    link.ping()                          # {"version": 1, "max_words": 32}
    link.write(0x000010, [1, 2, 3])      # three words at 0x10, 0x11, 0x12
    link.read(0x000010, 3)               # [1, 2, 3]
    link.write(0xFFFF01, [7, 8], increment=False)   # both to one FIFO register
    regs = CoreRegisters(link, register_map)         # the same, by register and field name
    regs.set("CTRL", start=1)

:class:`HostLink` speaks :mod:`neuroxide.models.hostlink` over any *transport*: an object with
``write(data: bytes)``, ``read(n, timeout_s) -> bytes`` (fewer bytes when the time ran out),
``flush_input()`` and ``close()``. Transports:

* :class:`neuroxide.boards.host.SerialTransport` -- a real board through pyserial.
* :class:`neuroxide.testbench.hostlink_top.AmaranthTransport` -- the Amaranth simulator of the
  link (byte stream or the UART at bit level) with a core behind it.
* :class:`neuroxide.testbench.hostlink_bench.CocotbTransport` -- the generated Verilog under
  cocotb (Icarus, Verilator), through the UART pins.

Transfers longer than ``MAX_WORDS`` words are split into several frames (addresses advance
with ``increment``). Errors:

* the device answered an error status -> :class:`HostLinkError` with ``.status``
  (:class:`~neuroxide.models.hostlink.Status`), ``.done`` (words of *that frame* transferred
  before the error) and ``.addr`` (the frame's first address);
* no response within ``timeout_s``, or a garbled one -> :class:`HostLinkTimeout` /
  :class:`HostLinkError` with ``status=None``.

Retries (``retries``, default 2): a request is sent again only when resending cannot do harm:
after ``BAD_CRC`` or ``FRAME_TIMEOUT`` (the device rejected the frame, so nothing was written),
and after a missing or garbled response to a PING, a READ or an incrementing WRITE (RAM-like:
writing the same words twice leaves the same state). A missing response to WRITE_FIXED is not
retried: the words may have been pushed into a FIFO. Before a retry the input is flushed and the
host waits out the device's frame timeout (``settle_s``) so a half-received frame is dropped.
Reads of FIFO registers (READ_FIXED) pop; a lost response to one is reported, not retried.

:class:`CoreRegisters` reads a core's :class:`~neuroxide.models.registers.RegisterMap`: registers,
array elements and fields by name, and FIFO registers moved with the fixed-address commands, so
a host driver restates no address or bit position.
"""

import numbers
import time

from neuroxide.errors import ParameterError

from . import hostlink as proto

__all__ = ["HostLink", "HostLinkError", "HostLinkTimeout", "CoreRegisters"]


class HostLinkError(RuntimeError):
    """The device answered with an error status, or the link failed.

    ``status``: :class:`~neuroxide.models.hostlink.Status` from the device, or None for a link
    failure (no or garbled response); ``done``: words of the failing frame transferred before the
    error; ``addr``: that frame's first address; ``cmd``: its command.
    """

    def __init__(self, message, status=None, done=None, addr=None, cmd=None):
        self.status, self.done, self.addr, self.cmd = status, done, addr, cmd
        super().__init__(message)


class HostLinkTimeout(HostLinkError):
    """No (complete) response within the timeout."""


class HostLink:
    """Word reads and writes through a host-link transport (see the module docstring).

    ``timeout_s``: how long to wait for each response; ``retries``: extra attempts where safe;
    ``settle_s``: pause before a retry (at least the device's frame timeout, 20 ms on boards).
    ``frames``/``bytes_sent``/``bytes_received``/``retried`` count the traffic.
    """

    def __init__(self, transport, timeout_s=1.0, retries=2, settle_s=0.05):
        self.transport = transport
        self.timeout_s = timeout_s
        self.retries = retries
        self.settle_s = settle_s
        self.frames = self.bytes_sent = self.bytes_received = self.retried = 0

    def close(self):
        self.transport.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- one frame ------------------------------------------------------------------------------
    def _receive(self):
        """Read one response; skip bytes before its sync byte. Raises HostLinkTimeout."""
        deadline = time.monotonic() + self.timeout_s

        def take(n):
            data = b""
            while len(data) < n:
                left = deadline - time.monotonic()
                chunk = self.transport.read(n - len(data), max(left, 0.0))
                if not chunk:
                    raise HostLinkTimeout(f"no response within {self.timeout_s} s "
                                          f"(got {data.hex() or 'nothing'})")
                data += chunk
                self.bytes_received += len(chunk)
            return data

        while take(1)[0] != proto.SYNC_RESPONSE:
            pass
        head = bytes([proto.SYNC_RESPONSE]) + take(3)
        return proto.decode_response(head + take(head[3] + 2))

    def transact(self, frame, retry_on_loss=True):
        """Send one request frame, return its :class:`~neuroxide.models.hostlink.Response`
        (any status). Retries as the module docstring says."""
        attempts = 1 + max(0, self.retries)
        last = None
        for attempt in range(attempts):
            if attempt:
                self.retried += 1
                time.sleep(self.settle_s)
                self.transport.flush_input()
            self.transport.write(frame)
            self.bytes_sent += len(frame)
            self.frames += 1
            try:
                response = self._receive()
            except HostLinkTimeout as error:
                last = error
                if retry_on_loss:
                    continue
                raise
            except proto.ProtocolError as error:
                last = HostLinkError(f"garbled response: {error}")
                if retry_on_loss:
                    continue
                raise last from error
            if response.status in (proto.Status.BAD_CRC, proto.Status.FRAME_TIMEOUT):
                last = response
                continue
            return response
        if isinstance(last, proto.Response):
            return last
        raise last

    def _checked(self, frame, cmd, addr, retry_on_loss=True):
        response = self.transact(frame, retry_on_loss)
        if response.status != proto.Status.OK:
            raise HostLinkError(f"{cmd.name} at {addr:#08x}: device answered {response.status.name}"
                                f" after {response.done} word(s)", response.status,
                                response.done, addr, cmd)
        if response.cmd != cmd:
            raise HostLinkError(f"response echoes command {response.cmd:#04x}, sent {cmd.name}")
        return response

    # -- the API --------------------------------------------------------------------------------
    def ping(self):
        """``{"version", "max_words"}`` of the device; HostLinkError when it is not a host link."""
        response = self._checked(proto.ping_request(), proto.Command.PING, 0)
        if len(response.payload) != 4 or response.payload[:2] != proto.MAGIC:
            raise HostLinkError(f"PING answered {response.payload.hex()}, not a neuroxide host link")
        return {"version": response.payload[2], "max_words": response.payload[3]}

    def write(self, addr, words, increment=True):
        """Write ``words`` (32-bit ints) starting at word address ``addr``; with
        ``increment=False`` all go to ``addr`` (a FIFO register)."""
        words = list(words)
        if not words:
            return
        proto.write_request(addr, words[:1])  # validates addr and the first word early
        for start in range(0, len(words), proto.MAX_WORDS):
            chunk = words[start:start + proto.MAX_WORDS]
            at = (addr + start) & proto.ADDR_MASK if increment else addr
            cmd = proto.Command.WRITE if increment else proto.Command.WRITE_FIXED
            self._checked(proto.write_request(at, chunk, increment), cmd, at,
                          retry_on_loss=increment)

    def read(self, addr, count, increment=True):
        """``count`` words from ``addr`` (successive addresses, or all from ``addr``)."""
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"count must be a non-negative integer, not {count!r}")
        out = []
        for start in range(0, count, proto.MAX_WORDS):
            n = min(proto.MAX_WORDS, count - start)
            at = (addr + start) & proto.ADDR_MASK if increment else addr
            cmd = proto.Command.READ if increment else proto.Command.READ_FIXED
            response = self._checked(proto.read_request(at, n, increment), cmd, at,
                                     retry_on_loss=increment)
            if len(response.payload) != 4 * n:
                raise HostLinkError(f"READ of {n} words answered {len(response.payload)} bytes")
            out += response.words
        return out


class CoreRegisters:
    """A core's registers by name through a :class:`HostLink` (anything with its ``read``/``write``).

    ``regs.read("STEP")`` -> one word; ``regs.read("OUT_EVENT", 5)`` -> five words (pops of a FIFO
    register, or successive elements of an array); ``regs.write("PHASE", phases)`` writes elements
    0, 1, ...; ``index=`` or the register's index fields (``layer=1, i=3``) pick the first element.
    ``regs.get("STATUS")`` -> the word's fields as a dict, ``regs.set("CTRL", clear=1)`` writes a
    word made of fields (the others at their resets). Counts beyond the register's elements raise
    :class:`~neuroxide.errors.ParameterError` before anything is sent.
    """

    def __init__(self, link, registers):
        self.link, self.registers = link, registers

    def _span(self, name, count, index, index_fields):
        register = self.registers[name]
        first = register.element(index, **index_fields)
        if not register.access.fifo and first + count > register.count:
            raise ParameterError(f"{name} elements", f"{first}..{first + count - 1}", f"0..{register.count - 1}")
        return register, register.address + first

    def read(self, name, count=None, index=0, **index_fields):
        """One word (``count`` None) or a list of ``count`` words of register ``name``."""
        n = 1 if count is None else count
        register, addr = self._span(name, n, index, index_fields)
        if not register.access.readable:
            raise ParameterError("register", name, "a readable register", why="it is write-only")
        words = self.link.read(addr, n, increment=not register.access.fifo)
        return words[0] if count is None else words

    def write(self, name, words, index=0, **index_fields):
        """Write one word or a sequence of words to register ``name`` (successive elements, or
        pushes of a FIFO register)."""
        words = [int(words)] if isinstance(words, numbers.Integral) else [int(w) for w in words]
        register, addr = self._span(name, len(words), index, index_fields)
        if not register.access.writable:
            raise ParameterError("register", name, "a writable register", why="it is read-only")
        self.link.write(addr, words, increment=not register.access.fifo)

    def get(self, name, index=0, **index_fields):
        """The fields of register ``name`` as read now (``{"value": word}`` without fields)."""
        return self.registers.decode(name, self.read(name, index=index, **index_fields))

    def set(self, name, **fields):
        """Write register ``name`` (element 0) as ``fields``, the others at their resets."""
        self.write(name, self.registers.encode(name, **fields))
