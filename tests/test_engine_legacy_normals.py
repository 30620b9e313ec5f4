"""The replayed noise stream (``engine.legacy_normals``) against NumPy's ``RandomState.normal``.

Every check compares with the draws NumPy itself makes from the same state, bit for bit, and
the state both leave behind (MT19937's words and position, the kept Gaussian).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from tvb_ngnmm.engine.legacy_normals import LegacyNormals


def assert_same_state(replay: LegacyNormals, stream: np.random.RandomState) -> None:
    got, expected = replay.get_state(), stream.get_state(legacy=False)
    np.testing.assert_array_equal(got["state"]["key"], expected["state"]["key"])
    assert got["state"]["pos"] == expected["state"]["pos"]
    assert got["has_gauss"] == expected["has_gauss"]
    assert got["gauss"] == expected["gauss"]


def stream_at(seed: int, pos: int, gauss: float | None = None) -> np.random.RandomState:
    """A stream with the words of ``seed`` at position ``pos`` (0-624), ``gauss`` kept or not."""
    key = np.random.RandomState(seed).get_state()[1]
    stream = np.random.RandomState()
    stream.set_state(("MT19937", key, pos, int(gauss is not None), gauss or 0.0))
    return stream


# MT19937's position in its 624 words: every remainder modulo 4 (an attempt of the polar method
# takes four words), at the start, in the middle and at the end of a generation of words
POSITIONS = [0, 1, 2, 3, 310, 621, 622, 623, 624]
SHAPES = [
    ((1, 1, 1), None),
    ((5, 3, 7), [0, 2]),
    ((2, 3, 1), [1]),
    ((33, 6, 76), [4]),
    ((40, 6, 7), []),
    ((1000, 2, 5), None),
    ((3, 5, 2, 3), [0, 4]),
]


@pytest.mark.parametrize("gauss", [None, -0.75], ids=["no_kept_gaussian", "kept_gaussian"])
@pytest.mark.parametrize("pos", POSITIONS)
def test_draws_and_end_state_equal_numpys(pos, gauss):
    stream = stream_at(pos + 1, pos, gauss)
    replay = LegacyNormals(stream)
    assert_same_state(replay, stream)
    for shape, rows in SHAPES:  # one after the other: odd counts leave a Gaussian kept
        expected = stream.normal(size=shape)
        expected = expected if rows is None else expected[:, rows]
        got = replay.normal(shape, rows)
        assert got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)
        assert_same_state(replay, stream)


@pytest.mark.parametrize("seed", [0, 1, 2**32 - 1])
def test_long_runs_over_many_generations_and_one_draw_at_a_time(seed):
    stream = np.random.RandomState(seed)
    replay = LegacyNormals(stream)
    np.testing.assert_array_equal(replay.normal((2000, 6, 76), [4]),
                                  stream.normal(size=(2000, 6, 76))[:, [4]])  # fmt: skip
    np.testing.assert_array_equal(replay.normal((500, 3, 9)), stream.normal(size=(500, 3, 9)))
    for _ in range(700):  # single draws: every phase of the kept Gaussian and of a generation
        np.testing.assert_array_equal(replay.normal((1, 1)), stream.normal(size=(1, 1)))
    assert_same_state(replay, stream)


def test_the_draws_do_not_depend_on_how_they_are_split():
    stream = np.random.RandomState(5)
    whole = LegacyNormals(stream).normal((91, 4, 3), [1, 3])
    replay = LegacyNormals(stream)
    parts = [replay.normal((n, 4, 3), [1, 3]) for n in (1, 29, 60, 1)]
    np.testing.assert_array_equal(np.concatenate(parts), whole)


def test_the_stream_replayed_is_not_touched():
    stream = stream_at(9, 5, 0.5)
    before = copy.deepcopy(stream)
    LegacyNormals(stream).normal((100, 2, 3))
    np.testing.assert_array_equal(stream.normal(size=50), before.normal(size=50))


def test_a_stream_of_another_bit_generator_is_replayed_by_numpy():
    stream = np.random.RandomState(np.random.PCG64(3))
    replay = LegacyNormals(stream)
    expected = copy.deepcopy(stream).normal(size=(10, 3, 4))[:, [0, 2]]
    np.testing.assert_array_equal(replay.normal((10, 3, 4), [0, 2]), expected)


def test_without_the_jit_the_stream_itself_is_drawn(monkeypatch):
    from tvb_ngnmm.engine import legacy_normals

    stream = stream_at(11, 5, 0.25)
    compiled = LegacyNormals(stream)
    monkeypatch.setattr(legacy_normals, "JIT_ENABLED", False)
    plain = LegacyNormals(stream)
    for shape, rows in SHAPES:
        np.testing.assert_array_equal(plain.normal(shape, rows), compiled.normal(shape, rows))
    got, expected = plain.get_state(), compiled.get_state()
    np.testing.assert_array_equal(got["state"]["key"], expected["state"]["key"])
    assert (got["state"]["pos"], got["has_gauss"], got["gauss"]) == (
        expected["state"]["pos"], expected["has_gauss"], expected["gauss"])  # fmt: skip
