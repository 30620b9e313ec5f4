"""The documentation's "Add a coupling" (docs/extending.md), done here: a new nonlinear
coupling in one module, declared, run everywhere.

The coupling below is the whole of what a new coupling needs (in the package:
``coupling/<name>.py`` plus one import line in ``coupling/__init__.py``). Declared, it passes
the coupling conformance suite (the engine's coupling against TVB's, step by step, with and
without delays; whole runs against ``sim.run()``; its parameters checked), ``run_batch`` sweeps
its gain, and the GUI lists it; nothing else in the package changes.
"""

from math import tanh

import numpy as np
import pytest
from tvb.basic.neotraits.api import NArray, Range
from tvb.simulator.coupling import SparseCoupling
from tvb.simulator.integrators import HeunDeterministic
from tvb.simulator.models import Generic2dOscillator

from tvb_ngnmm.coupling import register_coupling, unregister_coupling
from tvb_ngnmm.engine.batch import run_batch
from tvb_ngnmm.engine.errors import UnsupportedSimulationError
from tvb_ngnmm.gui import plugin_couplings
from tvb_ngnmm.testing import build_simulator, check_coupling, coupling_checks, engine_couplings


def saturating_pre(q, m, x, p):
    """Engine form of the pre function: ``tanh(x_j / s)`` of each coupling variable."""
    return tanh(np.float64(x[q, m]) / p[0])


class Saturating(SparseCoupling):
    r"""Delayed input through a saturating function of the source's activity.

    .. math:: C_i = a \sum_j W_{ij} \tanh\big(x_j(t - d_{ij}) / s\big)
    """

    a = NArray(label=":math:`a`", default=np.array([0.1]), domain=Range(lo=0.0, hi=1.0, step=0.01),
               doc="Gain.")  # fmt: skip
    s = NArray(label=":math:`s`", default=np.array([1.0]), domain=Range(lo=0.1, hi=10.0, step=0.1),
               doc="Scale of the source's activity where the input saturates.")  # fmt: skip

    def pre(self, x_i, x_j):
        return np.tanh(x_j / self.s)

    def post(self, gx):
        return self.a * gx


def _declare(pre=saturating_pre):
    register_coupling(
        Saturating,
        parameters=("s",),
        pre=pre,
        example=lambda: Saturating(a=np.array([0.4]), s=np.array([0.5])),
    )


@pytest.fixture
def declared():
    _declare()
    yield Saturating
    unregister_coupling(Saturating)


def test_a_declared_coupling_passes_the_conformance_suite(declared):
    assert declared in engine_couplings()
    names = [name for name, _ in coupling_checks(declared)]
    assert "coupling_values[delays]" in names and "non_finite_parameters" in names
    check_coupling(declared)


def test_run_batch_sweeps_its_gain_and_the_gui_lists_it(declared):
    (out,) = run_batch(_simulator(), {"a": [0.0, 0.5]}, simulation_length=2.0, progress=False)
    assert out.sizes["member"] == 2
    assert not np.allclose(out.isel(member=0), out.isel(member=1))
    assert ("SATURATING", Saturating, "Saturating") in plugin_couplings()


def test_a_wrong_engine_form_fails_the_suite():
    """The suite can fail: an engine form that is not TVB's (``sin`` for ``tanh``)."""

    def wrong(q, m, x, p):
        return np.sin(np.float64(x[q, m]) / p[0])

    _declare(pre=wrong)
    try:
        with pytest.raises(AssertionError, match=r"'coupling_values\[delays\]' failed: Saturating"):
            check_coupling(Saturating)
    finally:
        unregister_coupling(Saturating)


def test_without_a_declaration_the_engine_refuses_it_naming_it():
    assert Saturating not in engine_couplings()
    assert [name for name, _ in coupling_checks(Saturating)] == ["refused_by_engine"]
    check_coupling(Saturating)
    with pytest.raises(UnsupportedSimulationError, match="but got 'Saturating'"):
        run_batch(_simulator(), {"a": [0.1]}, simulation_length=1.0, progress=False)


def _simulator():
    coupling = Saturating(a=np.array([0.4]), s=np.array([0.5]))
    return build_simulator(Generic2dOscillator(), HeunDeterministic(dt=0.1), coupling=coupling)


def test_a_declaration_that_cannot_be_run_is_refused_naming_what_is_wrong():
    """Not a TVB coupling, no engine form or two of them, a parameter it does not have."""
    with pytest.raises(TypeError, match="'coupling' parameter of register_coupling.*got 3"):
        register_coupling(3, pre=saturating_pre)
    with pytest.raises(ValueError, match="exactly one engine form.*but got 0"):
        register_coupling(Saturating, parameters=("s",))
    with pytest.raises(ValueError, match="exactly one engine form.*but got 2"):
        register_coupling(Saturating, pre=saturating_pre, linear=lambda c, w: None)
    with pytest.raises(ValueError, match="'parameters' of Saturating.*got 'sigma'"):
        register_coupling(Saturating, parameters=("sigma",), pre=saturating_pre)
    assert Saturating not in engine_couplings()  # nothing was registered
