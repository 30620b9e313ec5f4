"""The documentation's "Add a model" (docs/extending.md), done here: a new model in one
module, registered, run everywhere.

The model below is the whole of what a new model needs (in the package: ``models/<family>.py``
plus one import line in ``models/__init__.py``; optionally an independent transcription in
``tests/test_common.py``). Registered, it passes the common conformance suite, runs on the fast
engine as in ``sim.run()``, and the GUI lists it; nothing else in the package changes.
"""

import math

import numpy as np
import pytest
from tvb.basic.neotraits.api import Final, List, NArray, Range

from tvb_ngnmm.gui import plugin_models
from tvb_ngnmm.models import AbstractNextGenModel, register_model, unregister_model
from tvb_ngnmm.models._base import NON_NEGATIVE, POSITIVE, REAL
from tvb_ngnmm.testing import check_engine_matches_stock, check_model, has_engine_path

PI = math.pi


def qif_population_equations(r, v, C, tau, Delta, eta, J, I, c):
    """Time derivatives of one QIF population (Montbrió, Pazó & Roxin 2015): ``(dr, dv)``."""
    dr = (Delta / (PI * tau) + 2.0 * r * v) / tau
    dv = (v * v + eta - (PI * tau * r) ** 2 + I) / tau + J * r + c * C
    return dr, dv


def _parameter(label, default, lo, hi, doc):
    return NArray(label=label, default=np.array([default]), domain=Range(lo=lo, hi=hi, step=0.1),
                  doc=doc)  # fmt: skip


class QIFPopulation(AbstractNextGenModel):
    r"""One population of quadratic integrate-and-fire neurons (Montbrió, Pazó & Roxin 2015).

    .. math::

        \tau \dot r &= \frac{\Delta}{\pi\tau} + 2 r v \\
        \tau \dot v &= v^2 + \eta - (\pi\tau r)^2 + I + \tau J r + \tau c C

    Time in ms, ``r`` in kHz, ``v`` dimensionless; ``C`` is the coupling of ``r``.
    """

    tau = _parameter(r":math:`\tau`", 10.0, 0.1, 50.0, "Membrane time constant (ms).")
    Delta = _parameter(r":math:`\Delta`", 1.0, 0.0, 10.0, "Half-width of excitabilities.")
    eta = _parameter(r":math:`\eta`", -5.0, -20.0, 20.0, "Centre of excitabilities.")
    J = _parameter(":math:`J`", 15.0, -50.0, 50.0, "Recurrent synaptic weight.")
    I = _parameter(":math:`I`", 0.0, -10.0, 30.0, "External current.")  # noqa: E741
    c = _parameter(":math:`c`", 1.0, 0.0, 2.0, "Gain of the long-range input.")

    parameter_domains = {
        "tau": POSITIVE, "Delta": NON_NEGATIVE, "eta": REAL, "J": REAL, "I": REAL, "c": REAL,
    }  # fmt: skip
    state_variable_range = Final(
        default={"r": np.array([0.0, 0.1]), "v": np.array([-2.0, 1.0])},
        label="Ranges",
        doc="Typical ranges.",
    )
    state_variable_boundaries = Final(
        default={"r": np.array([0.0, np.inf])}, label="Bounds", doc="Rates >= 0."
    )
    coupling_terms = Final(default=["C"], label="Coupling terms", doc="C: coupling of r.")
    state_variable_dfuns = Final(
        default={
            "r": "(Delta / (pi * tau) + 2 * r * v) / tau",
            "v": "(v * v + eta - (pi * tau * r) ** 2 + I) / tau + J * r + c * C",
        },
        label="Drift functions",
        doc="The drifts, for TVB's code generators.",
    )
    variables_of_interest = List(
        of=str, choices=("r", "v"), default=("r", "v"), label="VOI", doc="Monitored."
    )
    parameter_names = List(
        of=str,
        default=("tau", "Delta", "eta", "J", "I", "c"),
        label="Parameters",
        doc="Order of the equations.",
    )
    state_variables = ("r", "v")
    _nvar = 2
    cvar = np.array([0], dtype=np.int32)
    stvar = np.array([1], dtype=np.int32)

    def dfun(self, state_variables, coupling, local_coupling=0.0):
        """Time derivatives, shaped like ``state_variables`` ``(2, n_node, n_mode)``."""
        params = [getattr(self, name) for name in self.parameter_names]
        derivatives = qif_population_equations(*state_variables, coupling[0], *params)
        return np.array(np.broadcast_arrays(*derivatives))


@pytest.fixture
def registered():
    register_model(QIFPopulation, equations=qif_population_equations)
    yield QIFPopulation
    unregister_model(QIFPopulation)


def test_a_model_added_in_one_module_runs_everywhere(registered):
    assert ("QIF_POPULATION", QIFPopulation, "QIFPopulation") in plugin_models()
    assert has_engine_path(QIFPopulation)
    check_model(QIFPopulation)  # the whole common suite, the engine against sim.run() included


def test_unregistered_it_still_runs_on_the_engine_from_its_expressions():
    """A model class in a user's script: its state_variable_dfuns suffice for the engine."""
    check_engine_matches_stock(QIFPopulation)
    assert QIFPopulation not in {cls for _, cls, _ in plugin_models()}
