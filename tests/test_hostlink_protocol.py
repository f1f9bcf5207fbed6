"""Host link wire format (models/hostlink.py): CRC, request/response codecs, malformed frames."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from neuroxide.models import hostlink as proto
from neuroxide.models.hostlink import Command, ProtocolError, Status

addrs = st.integers(0, proto.ADDR_MASK)
words = st.lists(st.integers(0, proto.WORD_MASK), min_size=1, max_size=proto.MAX_WORDS)
counts = st.integers(1, proto.MAX_WORDS)


def test_crc_is_ccitt_false():
    # the standard check value of CRC-16/CCITT-FALSE
    assert proto.crc16(b"123456789") == 0x29B1
    assert proto.crc16(b"") == 0xFFFF


@given(st.binary(max_size=200))
def test_crc_residue_is_zero(data):
    # what the RTL checks: CRC over the covered bytes plus the big-endian CRC is 0
    assert proto.crc16(data + proto.crc16(data).to_bytes(2, "big")) == 0


def test_frame_bounds():
    assert proto.MAX_PAYLOAD == 131 and proto.MAX_REQUEST_BYTES == 136
    assert len(proto.write_request(0, [0] * proto.MAX_WORDS)) == proto.MAX_REQUEST_BYTES
    assert proto.MAX_RESPONSE_BYTES == len(proto.encode_response(Command.READ, Status.OK,
                                                                 bytes(4 * proto.MAX_WORDS)))


@given(addrs, words, st.booleans())
def test_write_round_trip(addr, data, increment):
    frame = proto.write_request(addr, data, increment)
    assert frame[0] == proto.SYNC_REQUEST and frame[2] == 3 + 4 * len(data)
    cmd, got_addr, got = proto.decode_request(frame)
    assert cmd == (Command.WRITE if increment else Command.WRITE_FIXED)
    assert (got_addr, got) == (addr, data)


@given(addrs, counts, st.booleans())
def test_read_round_trip(addr, count, increment):
    cmd, got_addr, got = proto.decode_request(proto.read_request(addr, count, increment))
    assert cmd == (Command.READ if increment else Command.READ_FIXED)
    assert (got_addr, got) == (addr, count)


def test_ping_layout():
    assert proto.ping_request() == bytes([0xA5, 0x01, 0x00]) + proto.crc16(b"\x01\x00").to_bytes(2, "big")
    assert proto.decode_request(proto.ping_request()) == (Command.PING, None, None)


@given(st.integers(0, 255), st.sampled_from(list(Status)), st.binary(max_size=4 * proto.MAX_WORDS))
def test_response_round_trip(cmd, status, payload):
    frame = proto.encode_response(cmd, status, payload)
    assert proto.decode_response(frame) == proto.Response(cmd, status, payload)
    assert proto.expected_response_length(frame[:4]) == len(frame)
    assert proto.split_responses(frame + frame) == [proto.Response(cmd, status, payload)] * 2


@given(st.binary(min_size=0, max_size=8), st.data())
def test_any_bit_flip_in_a_response_is_caught(payload, data):
    frame = bytearray(proto.encode_response(Command.READ, Status.OK, payload))
    bit = data.draw(st.integers(0, 8 * len(frame) - 1))
    frame[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(ProtocolError):
        proto.decode_response(frame)


@pytest.mark.parametrize("frame, match", [
    (b"\x5a\x01\x00", "too short"),
    (b"\x00" + proto.encode_response(1, Status.OK)[1:], "sync byte"),
    (proto.encode_response(1, Status.OK, b"ab")[:-1], "needs"),
    (bytes([0x5A, 1, 0x77, 0]) + proto.crc16(bytes([1, 0x77, 0])).to_bytes(2, "big"), "unknown response status"),
    (bytes([0x5A, 1, 0, 200]) + bytes(202), "LEN 200"),
])
def test_malformed_responses_name_the_field(frame, match):
    with pytest.raises(ProtocolError, match=match):
        proto.decode_response(frame)


def test_truncated_response_stream():
    with pytest.raises(ProtocolError, match="truncated"):
        proto.split_responses(proto.encode_response(1, Status.OK)[:-1])


def _with_crc(body):
    return bytes([proto.SYNC_REQUEST]) + body + proto.crc16(body).to_bytes(2, "big")


@pytest.mark.parametrize("frame, status", [
    (proto.ping_request()[:-1] + b"\x00", Status.BAD_CRC),
    (proto.encode_request(0x42), Status.UNKNOWN_COMMAND),
    (proto.encode_request(Command.PING, b"\x00"), Status.BAD_LENGTH),
    (proto.encode_request(Command.WRITE, bytes(5)), Status.BAD_LENGTH),      # 3 + 2 bytes
    (proto.encode_request(Command.WRITE, bytes(3)), Status.BAD_LENGTH),      # no word
    (proto.encode_request(Command.READ, bytes([0, 0, 0, 0])), Status.BAD_LENGTH),   # count 0
    (proto.encode_request(Command.READ, bytes([0, 0, 0, 33])), Status.BAD_LENGTH),  # count 33
    (proto.encode_request(Command.READ_FIXED, bytes(5)), Status.BAD_LENGTH),
    (_with_crc(bytes([Command.WRITE, 135]) + bytes(135)), Status.BAD_LENGTH),       # > MAX_PAYLOAD
])
def test_rejected_requests_carry_the_device_status(frame, status):
    with pytest.raises(ProtocolError) as error:
        proto.decode_request(frame)
    assert error.value.status == status


@pytest.mark.parametrize("call, match", [
    (lambda: proto.write_request(-1, [0]), "addr"),
    (lambda: proto.write_request(1 << 24, [0]), "addr"),
    (lambda: proto.write_request(0, []), "count"),
    (lambda: proto.write_request(0, [0] * 33), "count"),
    (lambda: proto.write_request(0, [1 << 32]), "words"),
    (lambda: proto.write_request(0, [True]), "words"),
    (lambda: proto.read_request(0, 0), "count"),
    (lambda: proto.read_request(0, 33), "count"),
    (lambda: proto.encode_request(256), "cmd"),
    (lambda: proto.encode_request(1, bytes(256)), "payload"),
])
def test_bad_arguments_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_codes_are_distinct_bytes():
    assert len({int(c) for c in Command}) == len(Command)
    assert len({int(s) for s in Status}) == len(Status) == 7
    assert all(0 <= int(c) <= 0xFF for c in Command)
