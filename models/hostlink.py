"""The host link protocol: framed, CRC-16-checked word reads and writes over a byte stream (UART).

This module is the single source of truth for the wire format and the device's rules: the RTL
engine (:mod:`neuroxide.rtl.hostlink`), the protocol client (:mod:`neuroxide.models.hostlink_client`,
which the board driver :mod:`neuroxide.boards.host` puts on a serial port) and the reference model
of the device (:func:`link_model`, below) take every constant from here. Every core maps its
registers and memories onto 32-bit bus words at 24-bit word addresses
(:mod:`neuroxide.models.registers`, :mod:`neuroxide.rtl.hostbus`), so the protocol only needs word
writes and reads.

Request (host -> device), at most ``MAX_REQUEST_BYTES`` = 136 bytes::

    +------+-----+-----+---------------------------+--------+--------+
    | 0xA5 | CMD | LEN | PAYLOAD (LEN bytes)       | CRC hi | CRC lo |
    +------+-----+-----+---------------------------+--------+--------+
     sync                 LEN <= MAX_PAYLOAD (131)    CRC-16 over CMD, LEN, PAYLOAD

    PING         0x01  LEN 0
    WRITE        0x10  LEN 3+4N  ADDR[23:16] ADDR[15:8] ADDR[7:0] WORD0[31:24] .. WORDN-1[7:0]
    WRITE_FIXED  0x11  LEN 3+4N  same, every word to ADDR (a FIFO register)
    READ         0x20  LEN 4     ADDR[23:16] ADDR[15:8] ADDR[7:0] N
    READ_FIXED   0x21  LEN 4     same, every word from ADDR
                                 1 <= N <= MAX_WORDS (32); multi-byte fields big-endian

Response (device -> host), one for every request, at most ``MAX_RESPONSE_BYTES`` = 134 bytes::

    +------+-----+--------+-----+---------------------------+--------+--------+
    | 0x5A | CMD | STATUS | LEN | PAYLOAD (LEN bytes)       | CRC hi | CRC lo |
    +------+-----+--------+-----+---------------------------+--------+--------+
     sync   echo                   CRC-16 over CMD, STATUS, LEN, PAYLOAD

    STATUS OK:   PING  -> 4 bytes "N" "X" PROTOCOL_VERSION MAX_WORDS
                 WRITE -> 1 byte, words written (= N)
                 READ  -> 4N bytes, the words (big-endian)
    otherwise:   1 byte, the words transferred before the error (0 for a rejected frame)

``CMD`` in a response echoes the request's command byte (0 when the frame timed out before it).

Rules the device keeps (and the RTL tests check):

* Bytes other than ``0xA5`` between frames are discarded silently.
* A frame is buffered whole and checked before any bus transfer: a bad CRC (``BAD_CRC``), an
  unknown command (``UNKNOWN_COMMAND``) or a length that does not fit the command (``BAD_LENGTH``)
  is answered with that code and performs **no bus write**. Checks run in that order.
* ``LEN > MAX_PAYLOAD``: the device discards bytes until the line has been idle for the frame
  timeout (so the tail of the long frame is not mistaken for a new one), then answers
  ``BAD_LENGTH``.
* A gap longer than the frame timeout inside a frame abandons it: ``FRAME_TIMEOUT``.
* Word transfers run in order; the first one acked with ``err`` (e.g. a full FIFO) stops the frame
  with ``BUS_ERROR``, one not acked within the bus timeout with ``BUS_TIMEOUT``; the response's
  payload byte says how many words were transferred before it.
* Strict request/response: the device does not receive while it executes a frame and sends its
  response; the host sends the next frame after reading the response.

CRC: CRC-16/CCITT-FALSE (polynomial 0x1021, init 0xFFFF, no reflection, no final XOR), sent
big-endian, so the CRC over the covered bytes *plus* the two CRC bytes is 0 (what the RTL checks).
Why 16 bits and not CRC-8: a frame is up to 133 covered bytes (1064 bits); CRC-16/CCITT detects
every error burst up to 16 bits and every 1-, 2- and 3-bit error at that length (Hamming distance
4 below 32767 bits), and lets random corruption through with probability 2^-16 instead of 2^-8
(1 in 256 would be reached within a single weight load of a few thousand frames). In hardware it
is a 16-bit register updated one byte per cycle by an XOR network; the cost is one extra byte per
frame.
"""

import enum

from .registers import ADDR_BITS, DATA_BITS

__all__ = [
    "SYNC_REQUEST", "SYNC_RESPONSE", "PROTOCOL_VERSION", "MAGIC", "MAX_WORDS", "MAX_PAYLOAD",
    "MAX_REQUEST_BYTES", "MAX_RESPONSE_BYTES", "ADDR_BYTES", "ADDR_MASK", "WORD_MASK",
    "CRC_POLY", "CRC_INIT", "Command", "Status", "ProtocolError", "crc16", "crc16_update",
    "encode_request", "decode_request", "encode_response", "decode_response", "Response",
    "write_request", "read_request", "ping_request", "expected_response_length",
    "request_length", "split_responses", "GAP", "link_model", "DEFAULT_BAUD", "BAUD_PARAM",
]

SYNC_REQUEST = 0xA5
SYNC_RESPONSE = 0x5A
PROTOCOL_VERSION = 1
MAGIC = b"NX"
MAX_WORDS = 32           # words per WRITE/READ frame
ADDR_BYTES = ADDR_BITS // 8   # 3: the host bus's 24-bit word addresses
ADDR_MASK = (1 << ADDR_BITS) - 1
WORD_MASK = (1 << DATA_BITS) - 1
MAX_PAYLOAD = ADDR_BYTES + 4 * MAX_WORDS                 # 131
MAX_REQUEST_BYTES = 3 + MAX_PAYLOAD + 2                  # 136
MAX_RESPONSE_BYTES = 4 + 4 * MAX_WORDS + 2               # 134
# The line: 8N1 at ``baud``. BAUD_PARAM is the ``baud`` parameter (doc, default, lo, hi) of every
# design behind the host link. The board clock divided by the baud must be an integer within 2 %
# (rtl.uart.uart_divisor): iCEBreaker (12 MHz, FT2232H) up to 3 Mbaud at 4 clocks a bit; ULX3S
# (25 MHz, FT231X) 1 Mbaud at 25 (its FTDI's 3 Mbaud would be 8.33 clocks a bit, 4 % off).
DEFAULT_BAUD = 115200
BAUD_PARAM = ("UART bit rate on boards; board clock / baud must be an integer within 2 % "
              "(e.g. 1000000 on ULX3S, 3000000 on iCEBreaker)", DEFAULT_BAUD, 1200, 3_000_000)
CRC_POLY = 0x1021
CRC_INIT = 0xFFFF


class Command(enum.IntEnum):
    """Request command codes (second byte of a request)."""

    PING = 0x01
    WRITE = 0x10
    WRITE_FIXED = 0x11
    READ = 0x20
    READ_FIXED = 0x21

    @property
    def is_write(self):
        return self in (Command.WRITE, Command.WRITE_FIXED)

    @property
    def is_read(self):
        return self in (Command.READ, Command.READ_FIXED)

    @property
    def increments(self):
        """True when successive words go to successive addresses."""
        return self in (Command.WRITE, Command.READ)


class Status(enum.IntEnum):
    """Response status codes (third byte of a response)."""

    OK = 0x00
    BAD_CRC = 0x01          # CRC over the frame did not check
    UNKNOWN_COMMAND = 0x02  # CMD is not a Command
    BAD_LENGTH = 0x03       # LEN > MAX_PAYLOAD, or not the length the command needs
    FRAME_TIMEOUT = 0x04    # inter-byte gap longer than the frame timeout inside a frame
    BUS_TIMEOUT = 0x05      # a bus transfer was not acked within the bus timeout
    BUS_ERROR = 0x06        # a bus transfer was acked with err (e.g. FIFO full)


class ProtocolError(ValueError):
    """A byte string is not a well-formed frame (says which field and why)."""


def crc16_update(crc, byte):
    """CRC-16/CCITT-FALSE register after shifting in one byte, MSB first."""
    crc ^= byte << 8
    for _ in range(8):
        crc = ((crc << 1) ^ CRC_POLY) if crc & 0x8000 else (crc << 1)
        crc &= 0xFFFF
    return crc


def crc16(data, crc=CRC_INIT):
    """CRC-16/CCITT-FALSE of ``data`` (bytes); ``crc16(b"123456789") == 0x29B1``."""
    for byte in data:
        crc = crc16_update(crc, byte)
    return crc


def _check_addr(addr):
    if isinstance(addr, bool) or not isinstance(addr, int) or not 0 <= addr <= ADDR_MASK:
        raise ValueError(f"addr must be an integer in 0..{ADDR_MASK:#x}, not {addr!r}")


def _check_count(count):
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_WORDS:
        raise ValueError(f"count must be an integer in 1..{MAX_WORDS}, not {count!r}")


def encode_request(cmd, payload=b""):
    """A request frame: sync, ``cmd``, length, ``payload``, CRC. Any byte ``cmd`` is allowed
    (tests send unknown ones); ``payload`` may be up to 255 bytes (tests send overlong ones)."""
    payload = bytes(payload)
    if not 0 <= int(cmd) <= 0xFF:
        raise ValueError(f"cmd must be a byte, not {cmd!r}")
    if len(payload) > 0xFF:
        raise ValueError(f"payload must be at most 255 bytes, not {len(payload)}")
    body = bytes([int(cmd), len(payload)]) + payload
    return bytes([SYNC_REQUEST]) + body + crc16(body).to_bytes(2, "big")


def ping_request():
    return encode_request(Command.PING)


def write_request(addr, words, increment=True):
    """WRITE (``increment``) or WRITE_FIXED frame of 1..MAX_WORDS 32-bit ``words`` at ``addr``."""
    _check_addr(addr)
    words = list(words)
    _check_count(len(words))
    for word in words:
        if isinstance(word, bool) or not isinstance(word, int) or not 0 <= word <= WORD_MASK:
            raise ValueError(f"words must be integers in 0..{WORD_MASK:#x}, not {word!r}")
    payload = addr.to_bytes(ADDR_BYTES, "big") + b"".join(w.to_bytes(4, "big") for w in words)
    return encode_request(Command.WRITE if increment else Command.WRITE_FIXED, payload)


def read_request(addr, count, increment=True):
    """READ (``increment``) or READ_FIXED frame of ``count`` (1..MAX_WORDS) words at ``addr``."""
    _check_addr(addr)
    _check_count(count)
    payload = addr.to_bytes(ADDR_BYTES, "big") + bytes([count])
    return encode_request(Command.READ if increment else Command.READ_FIXED, payload)


def request_length(cmd, payload_len):
    return 3 + payload_len + 2


def decode_request(frame):
    """``(Command, addr, words_or_count)`` of a well-formed request frame; the device's checks.

    Returns ``(cmd, None, None)`` for PING, ``(cmd, addr, [words])`` for writes, ``(cmd, addr,
    count)`` for reads. Raises :class:`ProtocolError` with ``.status`` set to the code the device
    answers (BAD_CRC, UNKNOWN_COMMAND, BAD_LENGTH) or None when the bytes are not a frame at all.
    """
    frame = bytes(frame)

    def fail(status, why):
        error = ProtocolError(why)
        error.status = status
        raise error

    if len(frame) < 5 or frame[0] != SYNC_REQUEST:
        fail(None, f"a request starts with {SYNC_REQUEST:#04x} and has at least 5 bytes")
    cmd, length = frame[1], frame[2]
    if length > MAX_PAYLOAD:
        fail(Status.BAD_LENGTH, f"LEN {length} > MAX_PAYLOAD {MAX_PAYLOAD}")
    if len(frame) != length + 5:
        fail(None, f"frame has {len(frame)} bytes, LEN {length} needs {length + 5}")
    if crc16(frame[1:]) != 0:
        fail(Status.BAD_CRC, "CRC does not check")
    try:
        cmd = Command(cmd)
    except ValueError:
        fail(Status.UNKNOWN_COMMAND, f"unknown command {cmd:#04x}")
    payload = frame[3:3 + length]
    if cmd is Command.PING:
        if length != 0:
            fail(Status.BAD_LENGTH, "PING has no payload")
        return cmd, None, None
    if cmd.is_write:
        if length < ADDR_BYTES + 4 or (length - ADDR_BYTES) % 4:
            fail(Status.BAD_LENGTH, f"a write needs LEN 3+4N (N=1..{MAX_WORDS}), not {length}")
        addr = int.from_bytes(payload[:ADDR_BYTES], "big")
        words = [int.from_bytes(payload[i:i + 4], "big") for i in range(ADDR_BYTES, length, 4)]
        return cmd, addr, words
    if length != ADDR_BYTES + 1 or not 1 <= payload[ADDR_BYTES] <= MAX_WORDS:
        fail(Status.BAD_LENGTH, f"a read needs LEN 4 and N in 1..{MAX_WORDS}")
    return cmd, int.from_bytes(payload[:ADDR_BYTES], "big"), payload[ADDR_BYTES]


class Response:
    """A decoded response: ``cmd`` (int, echoed), ``status`` (Status), ``payload`` (bytes)."""

    __slots__ = ("cmd", "status", "payload")

    def __init__(self, cmd, status, payload):
        self.cmd, self.status, self.payload = cmd, status, bytes(payload)

    @property
    def words(self):
        """The payload as big-endian 32-bit words (a READ's data)."""
        return [int.from_bytes(self.payload[i:i + 4], "big") for i in range(0, len(self.payload) - 3, 4)]

    @property
    def done(self):
        """Words transferred (WRITE and error responses carry it in their one payload byte)."""
        return self.payload[0] if len(self.payload) == 1 else None

    def __eq__(self, other):
        return isinstance(other, Response) and (self.cmd, self.status, self.payload) == (
            other.cmd, other.status, other.payload)

    def __repr__(self):
        return f"Response(cmd={self.cmd:#04x}, status={self.status!r}, payload={self.payload.hex()})"


def encode_response(cmd, status, payload=b""):
    """A response frame (what the device sends)."""
    payload = bytes(payload)
    if len(payload) > 4 * MAX_WORDS:
        raise ValueError(f"response payload must be at most {4 * MAX_WORDS} bytes")
    body = bytes([int(cmd), int(status), len(payload)]) + payload
    return bytes([SYNC_RESPONSE]) + body + crc16(body).to_bytes(2, "big")


def expected_response_length(data):
    """Total length of the response starting at ``data[0]`` once its header is in ``data``,
    else None (fewer than 4 bytes so far)."""
    return None if len(data) < 4 else data[3] + 6


def decode_response(frame):
    """:class:`Response` of one complete response frame; :class:`ProtocolError` (naming the field)
    on a wrong sync byte, length, CRC or unknown status."""
    frame = bytes(frame)
    if len(frame) < 6:
        raise ProtocolError(f"response too short: {len(frame)} bytes, a response has at least 6")
    if frame[0] != SYNC_RESPONSE:
        raise ProtocolError(f"response sync byte is {frame[0]:#04x}, expected {SYNC_RESPONSE:#04x}")
    length = frame[3]
    if length > 4 * MAX_WORDS:
        raise ProtocolError(f"response LEN {length} > {4 * MAX_WORDS}")
    if len(frame) != length + 6:
        raise ProtocolError(f"response has {len(frame)} bytes, its LEN {length} needs {length + 6}")
    if crc16(frame[1:]) != 0:
        raise ProtocolError("response CRC does not check")
    try:
        status = Status(frame[2])
    except ValueError:
        raise ProtocolError(f"unknown response status {frame[2]:#04x}") from None
    return Response(frame[1], status, frame[4:4 + length])


def split_responses(data):
    """Split a byte string of back-to-back responses into :class:`Response` objects."""
    out, data = [], bytes(data)
    while data:
        n = expected_response_length(data)
        if n is None or n > len(data):
            raise ProtocolError(f"truncated response: {data.hex()}")
        out.append(decode_response(data[:n]))
        data = data[n:]
    return out


# -- the reference model of the device ---------------------------------------------------------------
GAP = "gap"  # in a byte stream: the line stays idle longer than the frame timeout


def link_model(stream, target):
    """Responses (bytes) the device sends for ``stream`` (bytes and :data:`GAP` markers), with
    ``target`` updated by the bus transfers: any object with ``transfer(addr, we, data) -> (r_data,
    err)``, such as :class:`neuroxide.models.register_file.RegisterFileModel`. Follows the rules of
    the module docstring (strict request/response: the next byte is read after the response)."""
    S, C = Status, Command
    out = bytearray()
    items = list(stream)
    i = 0

    def respond(cmd, status, payload):
        out.extend(encode_response(cmd, status, payload))

    while i < len(items):
        item = items[i]
        i += 1
        if item != SYNC_REQUEST:
            continue  # garbage or a gap between frames
        frame = [item]
        timed_out = False
        drain = False
        while True:
            need = 3 if len(frame) < 3 else frame[2] + 5
            if len(frame) >= 3 and frame[2] > MAX_PAYLOAD:
                drain = True
                break
            if len(frame) >= need:
                break
            if i >= len(items) or items[i] == GAP:
                timed_out = True
                i += 1
                break
            frame.append(items[i])
            i += 1
        if drain:
            while i < len(items) and items[i] != GAP:
                i += 1
            i += 1
            respond(frame[1], S.BAD_LENGTH, b"\0")
            continue
        if timed_out:
            respond(frame[1] if len(frame) > 1 else 0, S.FRAME_TIMEOUT, b"\0")
            continue
        try:
            cmd, addr, arg = decode_request(bytes(frame))
        except ProtocolError as error:
            respond(frame[1], error.status, b"\0")
            continue
        if cmd is C.PING:
            respond(cmd, S.OK, MAGIC + bytes([PROTOCOL_VERSION, MAX_WORDS]))
            continue
        n = len(arg) if cmd.is_write else arg
        data = b""
        status = S.OK
        done = 0
        for k in range(n):
            at = (addr + k) & ADDR_MASK if cmd.increments else addr
            r_data, err = target.transfer(at, cmd.is_write, arg[k] if cmd.is_write else 0)
            if err:
                status = S.BUS_ERROR
                break
            data += r_data.to_bytes(4, "big")
            done += 1
        if status != S.OK or cmd.is_write:
            respond(cmd, status, bytes([done]))
        else:
            respond(cmd, status, data)
    return bytes(out)
