r"""Common conformance checks for the plugin's neural mass models, couplings and monitors.

In the spirit of scikit-learn's ``check_estimator``: one public suite that every model passes,
and one each for couplings (:func:`check_coupling`) and monitors (:func:`check_monitor`).
:func:`check_model` runs all checks and raises ``AssertionError`` at the first failure;
:func:`model_checks` yields the checks one by one as ``(name, check)`` pairs so that a test
suite can give each its own test id::

    import pytest
    from tvb_ngnmm.testing import model_checks

    @pytest.mark.parametrize(("name", "check"), model_checks(MyModel))
    def test_my_model(name, check):
        check()

What the checks ask of a model (a subclass of
:class:`tvb_ngnmm.models.AbstractNextGenModel`):

- it runs in TVB's stock ``Simulator`` on a tiny network with delays, with every TVB integrator
  in :data:`INTEGRATORS` (deterministic ones agree with fourth-order Runge–Kutta), with noise
  and with a region stimulus; the output is finite and shaped
  ``(n_time, n_voi, n_node, n_mode)``;
- every parameter has a domain (``parameter_domains``); NaN, infinities and values outside
  the domain raise ``ValueError`` at ``configure()`` naming the parameter, the allowed values
  and the value given; per-region arrays of the wrong length raise at ``Simulator.configure()``;
- firing rates (state variables named ``r`` or ``r_<population>``) have a lower boundary 0
  that holds in a stochastic run with large noise;
- the class docstring has the equations (``.. math::``), every trait has a label and a doc,
  ``state_variables``, ``variables_of_interest``, ``cvar``, ``stvar``, ranges, boundaries and
  ``state_variable_dfuns`` are consistent;
- the ``state_variable_dfuns`` strings, evaluated with ``numexpr``, equal ``dfun``;
- ``dfun`` equals an independent transcription of the equations (``equations=``) at random
  states and parameters;
- per-region parameter arrays give the same result as scalars for equal values, and each
  node of a heterogeneous uncoupled network behaves as a single node with its own values.

Adding a check: write a function ``check_<what>(model_cls, ...)`` that raises
``AssertionError`` with a message naming the model and what is wrong, and yield it from
:func:`model_checks`. Checks that need a capability not every model has (an analytic
Jacobian to compare with finite differences, a fast-engine kernel to compare with the stock
simulator) belong in :func:`_capability_checks`, gated on the model declaring it.

Couplings: :func:`check_coupling` (one by one: :func:`coupling_checks`) takes a TVB coupling
instance, or a class (instantiated by :func:`example_coupling` with parameters under which it
acts visibly). For a coupling the engine runs (:func:`engine_runs_coupling`):

- ``coupling_values``: :class:`CouplingProbe`, a model whose state integrates the coupling it
  receives, records the coupling of every Euler step in the engine and in ``sim.run()`` from
  the same random delayed history; they agree within :data:`COUPLING_RTOL`, with the checks'
  delays (1–4 ms), without delays, with self-connections, and with one-way connections,
  asymmetric delays and delayed self-connections (:data:`COUPLING_NETWORKS`);
- ``matches_stock``: the model that suits the coupling (:func:`coupling_partner`) runs on the
  engine as in ``sim.run()`` (Heun, within :data:`ENGINE_RTOL`), with and without delays;
- ``per_region_parameters``: a gain per region (the package's couplings) agrees with TVB;
  any other parameter given per region is refused with ``UnsupportedSimulationError``;
- ``non_finite_parameters``: NaN and infinite parameters raise ``ValueError`` naming the
  parameter and the value, at ``configure()`` or before the engine's first step.

A coupling the engine does not run must be refused with ``UnsupportedSimulationError`` naming
it (``refused_by_engine``).

Monitors: :func:`check_monitor` (one by one: :func:`monitor_checks`) takes a TVB monitor for a
network of :data:`N_REGIONS` regions, or a class (set up by :func:`example_monitor`: TVB's
``EEG``, ``MEG`` and ``iEEG`` with three sensors). For a monitor with a registered engine
monitor (:func:`engine_monitors`), on an oscillating ``MontbrioPazoRoxin`` network:

- ``matches_stock``: the same sample times and shapes as ``sim.run()``, values within
  :data:`ENGINE_RTOL`, over three periods and over a run continued from a stock run that
  stopped inside a period;
- ``periods``: a period that is not a whole number of steps is refused at ``configure()``
  naming ``'period'``, or runs as in TVB with a ``RuntimeWarning``; a period below ``dt`` is
  refused (:mod:`tvb_ngnmm.engine.checks`);
- ``engine_monitor_contract``: the engine monitor is an
  :class:`~tvb_ngnmm.monitors.AbstractEngineMonitor` whose ``space``, ``space_labels``,
  ``variable_names`` and ``sample_shape`` agree with what ``consume`` returns, and whose
  samples do not depend on how the steps are cut into chunks or on the other batch members.

A monitor without an engine monitor must be refused naming it (``refused_by_engine``).
"""

from ._common import (
    BIG_NOISE_NSIG,
    CONDUCTION_SPEED,
    DT,
    ENGINE_RTOL,
    EXCLUDED_INTEGRATORS,
    INTEGRATORS,
    N_REGIONS,
    NOISE_NSIG,
    SIMULATION_LENGTH,
    build_simulator,
    random_parameters,
    random_state,
    tiny_connectivity,
)
from .couplings import (
    COUPLING_NETWORKS,
    COUPLING_RTOL,
    CouplingProbe,
    check_coupling,
    check_coupling_matches_stock,
    check_coupling_non_finite_parameters,
    check_coupling_per_region_parameters,
    check_coupling_refused,
    check_coupling_values,
    coupling_checks,
    coupling_partner,
    engine_couplings,
    engine_runs_coupling,
    example_coupling,
)
from .models import (
    check_boundaries,
    check_consistency,
    check_defaults_in_domain,
    check_dfun_matches_equations,
    check_dfun_strings,
    check_docs,
    check_engine_matches_stock,
    check_jacobian,
    check_model,
    check_parameter_domains,
    check_parameter_shapes,
    check_per_region_parameters,
    check_runs_in_simulator,
    check_stimulus,
    has_engine_path,
    model_checks,
)
from .monitors import (
    check_engine_monitor_contract,
    check_monitor,
    check_monitor_matches_stock,
    check_monitor_periods,
    check_monitor_refused,
    engine_monitors,
    example_monitor,
    monitor_checks,
)

__all__ = [
    "BIG_NOISE_NSIG",
    "CONDUCTION_SPEED",
    "COUPLING_NETWORKS",
    "COUPLING_RTOL",
    "DT",
    "ENGINE_RTOL",
    "EXCLUDED_INTEGRATORS",
    "INTEGRATORS",
    "NOISE_NSIG",
    "N_REGIONS",
    "SIMULATION_LENGTH",
    "CouplingProbe",
    "build_simulator",
    "check_boundaries",
    "check_consistency",
    "check_coupling",
    "check_coupling_matches_stock",
    "check_coupling_non_finite_parameters",
    "check_coupling_per_region_parameters",
    "check_coupling_refused",
    "check_coupling_values",
    "check_defaults_in_domain",
    "check_dfun_matches_equations",
    "check_dfun_strings",
    "check_docs",
    "check_engine_matches_stock",
    "check_engine_monitor_contract",
    "check_jacobian",
    "check_model",
    "check_monitor",
    "check_monitor_matches_stock",
    "check_monitor_periods",
    "check_monitor_refused",
    "check_parameter_domains",
    "check_parameter_shapes",
    "check_per_region_parameters",
    "check_runs_in_simulator",
    "check_stimulus",
    "coupling_checks",
    "coupling_partner",
    "engine_couplings",
    "engine_monitors",
    "engine_runs_coupling",
    "example_coupling",
    "example_monitor",
    "has_engine_path",
    "model_checks",
    "monitor_checks",
    "random_parameters",
    "random_state",
    "tiny_connectivity",
]
