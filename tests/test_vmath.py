"""The vectorisable ``exp`` and ``log`` against the C library (``math``), compiled and not."""

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from tvb_ngnmm import _vmath
from tvb_ngnmm._numba import jit


@jit
def _exp_all(x, out):
    for i in range(x.size):
        out[i] = _vmath.exp(x[i])


@jit
def _log_all(x, out):
    for i in range(x.size):
        out[i] = _vmath.log(x[i])


def _ulps(got, reference):
    """|got - reference| in units of the last place of the reference (0 where both agree,
    infinities and NaN included)."""
    got, reference = np.asarray(got), np.asarray(reference)
    same = (got == reference) | (np.isnan(got) & np.isnan(reference))
    spacing = np.spacing(np.abs(np.where(np.isfinite(reference), reference, 1.0)))
    out = np.zeros(got.shape)
    out[~same] = np.abs(got[~same] - reference[~same]) / spacing[~same]  # inf where one is
    return out


def _c_exp(v):
    try:
        return math.exp(v)
    except OverflowError:
        return math.inf


def _exp_arguments():
    rng = np.random.default_rng(3)
    return np.concatenate([
        rng.uniform(-745.2, 709.8, 200_000),  # the whole range, subnormal results included
        rng.uniform(-1.0, 1.0, 100_000),
        rng.uniform(-1e-9, 1e-9, 10_000),
        np.arange(-1100, 1100) * math.log(2.0),  # exact multiples of ln 2 (the reduction's edges)
        [0.0, -0.0, 709.78, 709.79, -745.13, -745.14, -1e300, 1e300],
    ])  # fmt: skip


def _log_arguments():
    rng = np.random.default_rng(4)
    return np.concatenate([
        np.exp(rng.uniform(-708.0, 709.0, 200_000)),
        rng.uniform(0.5, 2.0, 100_000),  # the range the balloon model's volume lives in
        1.0 + rng.uniform(-1e-7, 1e-7, 10_000),
        rng.uniform(0.0, 1.0, 1_000) * 2.2250738585072014e-308,  # subnormal
        np.sqrt(2.0) * (1.0 + np.arange(-50, 50) * 2.0**-52),  # either side of the split at √2
        [5e-324, 1.0, 2.0, 0.5, np.finfo(float).max],
    ])  # fmt: skip


def test_exp_within_one_ulp_of_the_c_library():
    x = _exp_arguments()
    out = np.empty_like(x)
    _exp_all(x, out)
    reference = np.array([_c_exp(v) for v in x])
    assert _ulps(out, reference).max() <= 1.0


def test_log_within_one_ulp_of_the_c_library():
    x = _log_arguments()
    out = np.empty_like(x)
    _log_all(x, out)
    reference = np.array([math.log(v) for v in x])
    assert _ulps(out, reference).max() <= 1.0


@pytest.mark.parametrize(
    "x, expected",
    [(np.inf, np.inf), (-np.inf, 0.0), (np.nan, np.nan), (1000.0, np.inf), (-1000.0, 0.0)],
)
def test_exp_special_values(x, expected):
    out = np.empty(1)
    _exp_all(np.array([x]), out)
    np.testing.assert_equal(out[0], expected)


@pytest.mark.parametrize(
    "x, expected",
    [(0.0, -np.inf), (-0.0, -np.inf), (-1.0, np.nan), (-np.inf, np.nan), (np.inf, np.inf),
     (np.nan, np.nan), (1.0, 0.0)],
)  # fmt: skip
def test_log_special_values(x, expected):
    out = np.empty(1)
    _log_all(np.array([x]), out)
    np.testing.assert_equal(out[0], expected)


PYTHON_SCRIPT = """
import json, sys, numpy as np
from tvb_ngnmm import _numba, _vmath
x = np.array(json.loads(sys.stdin.read()))
print(json.dumps({"jit": _numba.JIT_ENABLED,
                  "exp": [_vmath.exp(float(v)).hex() for v in x[0]],
                  "log": [float(_vmath.log(float(v))).hex() for v in x[1]]}))
"""


def test_python_and_compiled_give_the_same_bits():
    """Run as plain Python (``TVB_NGNMM_DISABLE_JIT=1``), the functions give the same bits,
    special values included."""
    specials = [np.inf, -np.inf, np.nan, 0.0, -0.0, -1.0, 1000.0, -1000.0]
    x = np.concatenate([_exp_arguments()[::400], specials])
    y = np.concatenate([_log_arguments()[::400], specials])
    x, y = x[: min(len(x), len(y))], y[: min(len(x), len(y))]
    env = dict(os.environ, TVB_NGNMM_DISABLE_JIT="1")
    arguments = json.dumps([x.tolist(), y.tolist()])
    run = subprocess.run([sys.executable, "-c", PYTHON_SCRIPT], env=env, capture_output=True,
                         text=True, check=True, input=arguments)  # fmt: skip
    python = json.loads(run.stdout.strip().splitlines()[-1])
    assert not python["jit"]
    compiled = np.empty_like(x), np.empty_like(y)
    _exp_all(x, compiled[0])
    _log_all(y, compiled[1])
    for name, values in zip(("exp", "log"), compiled, strict=True):
        assert [float(v).hex() for v in values] == python[name], name


def test_a_loop_of_any_length_gives_each_value_the_same_bits():
    """A value's result does not depend on whether it falls in a vector lane or in the loop's
    scalar remainder (the batch runner relies on this)."""
    x = _exp_arguments()[:1000]
    whole = np.empty_like(x)
    _exp_all(x, whole)
    for n in (1, 3, 7, 13):
        part = np.empty(n)
        _exp_all(np.ascontiguousarray(x[5 : 5 + n]), part)
        np.testing.assert_array_equal(part, whole[5 : 5 + n])
