"""Codec properties for both board protocols (hypothesis)."""

import pytest
from hypothesis import given, strategies as st

from locker_driver import protocol_8a as p8a, protocol_kerong as pk
from locker_driver.errors import ChecksumError, FrameError
from locker_driver.framing import extract

boards = st.integers(0, 255)
locks = st.integers(1, 24)


def test_design_frames_byte_for_byte():
    assert p8a.unlock(1, 1) == bytes.fromhex("8A 01 01 11 9B")
    assert p8a.query(1, 1) == bytes.fromhex("80 01 01 33 B3")
    assert p8a.query_all(1) == bytes.fromhex("80 01 00 33 B2")
    assert pk.unlock(0, 1) == bytes.fromhex("02 00 31 03 36")
    assert pk.status(0) == bytes.fromhex("02 00 30 03 35")
    # the reply of a real 8-channel board with every bit clear
    real = bytes.fromhex("80 01 00 00 00 33 B2")
    frame, err = extract(bytearray(real), p8a.all_reply(1))
    assert frame == real and not any(p8a.decode_all_status(frame).values())


@given(boards, locks)
def test_8a_request_checksums(board, lock):
    for frame in (p8a.unlock(board, lock), p8a.query(board, lock), p8a.query_all(board)):
        x = 0
        for b in frame[:-1]:
            x ^= b
        assert frame[-1] == x and len(frame) == 5


@given(boards, st.sets(st.integers(1, 24)))
def test_8a_all_status_round_trip(board, opened):
    frame = p8a.encode_all_status(board, opened)
    got, err = extract(bytearray(frame), p8a.all_reply(board))
    assert got == frame
    assert {l for l, v in p8a.decode_all_status(got).items() if v} == opened


@given(boards, locks, st.booleans(), st.sampled_from([p8a.UNLOCK_HEADER, p8a.QUERY_HEADER]))
def test_8a_single_round_trip(board, lock, is_set, header):
    frame = p8a.encode_single_reply(header, board, lock, is_set)
    got, _ = extract(bytearray(frame), p8a.single_reply(header, board, lock))
    assert got == frame and p8a.decode_single_status(got) == is_set


@given(st.integers(0, 15), st.sets(st.integers(1, 16)), st.sets(st.integers(1, 16)),
       st.sampled_from([0x35, 0x36]))
def test_kerong_status_round_trip(board, hooks, items, cmd):
    frame = pk.encode_status(board, hooks, items, cmd)
    assert len(frame) == 9 and frame[-1] == sum(frame[:-1]) & 0xFF
    got, _ = extract(bytearray(frame), pk.status_reply(board))
    h, ir = pk.decode_status(got)
    assert {l for l, v in h.items() if v} == hooks and {l for l, v in ir.items() if v} == items


@given(st.integers(0, 15), st.integers(1, 16))
def test_kerong_address_nibbles(board, lock):
    frame = pk.unlock(board, lock)
    assert frame[1] >> 4 == board and frame[1] & 0x0F == lock - 1
    assert frame[-1] == sum(frame[:-1]) & 0xFF


def _replies():
    return st.one_of(
        st.builds(lambda b, s: (p8a.encode_all_status(b, s), p8a.all_reply(b)),
                  boards, st.sets(st.integers(1, 24))),
        st.builds(lambda b, l, v: (p8a.encode_single_reply(0x80, b, l, v), p8a.single_reply(0x80, b, l)),
                  boards, locks, st.booleans()),
        st.builds(lambda b, h, i: (pk.encode_status(b, h, i), pk.status_reply(b)),
                  st.integers(0, 15), st.sets(st.integers(1, 16)), st.sets(st.integers(1, 16))))


@given(_replies(), st.data())
def test_every_single_byte_corruption_is_rejected(reply_spec, data):
    frame, spec = reply_spec
    pos = data.draw(st.integers(0, len(frame) - 1))
    new = data.draw(st.integers(0, 255).filter(lambda v: v != frame[pos]))
    corrupt = frame[:pos] + bytes([new]) + frame[pos + 1:]
    got, err = extract(bytearray(corrupt), spec)
    assert got is None


@given(_replies(), st.binary(max_size=20))
def test_stray_leading_bytes_are_skipped(reply_spec, stray):
    frame, spec = reply_spec
    buf = bytearray(stray + frame)
    got, _ = extract(buf, spec)
    assert got == frame and buf == bytearray()


def test_checksum_error_is_a_value_error():
    frame = bytearray(p8a.encode_all_status(1, {2}))
    frame[-1] ^= 1
    got, err = extract(frame, p8a.all_reply(1))
    assert got is None and isinstance(err, ChecksumError)
    assert isinstance(err, FrameError) and isinstance(err, ValueError)


def test_bad_arguments():
    with pytest.raises(ValueError):
        p8a.unlock(1, 0)
    with pytest.raises(ValueError):
        pk.unlock(16, 1)
