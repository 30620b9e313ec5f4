"""The conformance suites of :mod:`tvb_ngnmm.testing` for couplings and monitors, applied to
every coupling and monitor the engine registers.

The couplings come from the engine's registry (:func:`tvb_ngnmm.testing.engine_couplings`),
the monitors from :func:`tvb_ngnmm.monitors.register_engine_monitor`'s
(:func:`tvb_ngnmm.testing.engine_monitors`); nothing is listed by hand, so a newly registered
coupling or monitor runs the suite, and fails it if the checks cannot set it up. TVB's couplings
and monitors the engine does not register must be refused naming them. Deliberately broken
couplings and monitors, registered for one test, show that the checks can fail.
"""

import inspect

import numpy as np
import pytest
from tvb.basic.neotraits.api import NArray
from tvb.simulator import coupling as tvb_coupling
from tvb.simulator import monitors as tvb_monitors

from tvb_ngnmm import coupling as package_couplings
from tvb_ngnmm.coupling import (
    Additive,
    Laplacian,
    MultiCoupling,
    coupling_declaration,
    register_coupling,
    unregister_coupling,
)
from tvb_ngnmm.monitors import _base as monitor_registry
from tvb_ngnmm.monitors.raw import EngineRaw
from tvb_ngnmm.monitors.temporal_average import EngineTemporalAverage
from tvb_ngnmm.testing import (
    check_coupling,
    check_coupling_refused,
    check_monitor,
    coupling_checks,
    engine_couplings,
    engine_monitors,
    engine_runs_coupling,
    example_coupling,
    monitor_checks,
)

#: Checks that find a difference between the engine and stock TVB, with what it is (none now;
#: a case listed here runs as a strict expected failure).
KNOWN_DIFFERENCES: dict[str, str] = {}

#: TVB's monitors that neither run on the engine nor can be set up on the checks' network.
NOT_CHECKED_MONITORS = {
    "Projection": "the base of EEG, MEG and iEEG, with no sensors of its own",
    "BoldRegionROI": "needs a cortical surface (a surface simulation)",
}


def cases(classes, checks):
    params = []
    for cls in classes:
        for name, check in checks(cls):
            case_id = f"{cls.__name__}-{name}"
            reason = KNOWN_DIFFERENCES.get(case_id)
            marks = [pytest.mark.xfail(raises=AssertionError, strict=True, reason=reason)]
            params.append(pytest.param(check, id=case_id, marks=marks if reason else []))
    return params


def tvb_classes(module, base):
    """The classes of a TVB module derived from ``base`` (``base`` included)."""
    return [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj) and issubclass(obj, base) and obj.__module__ == module.__name__
    ]


# -- every registered coupling and monitor ----------------------------------------------------


@pytest.mark.parametrize("check", cases(engine_couplings(), coupling_checks))
def test_coupling_conformance(check):
    check()


@pytest.mark.parametrize("check", cases(engine_monitors(), monitor_checks))
def test_monitor_conformance(check):
    check()


@pytest.mark.parametrize("coupling_cls", engine_couplings(), ids=lambda cls: cls.__name__)
def test_every_engine_coupling_has_a_conformance_run(coupling_cls):
    runs = {name for name, _ in coupling_checks(coupling_cls)}
    for network in ("delays", "zero_delay"):
        assert {f"coupling_values[{network}]", f"matches_stock[{network}]"} <= runs, (
            f"{coupling_cls.__name__} has no conformance run"
        )
    assert "coupling_values[self_connections]" in runs
    assert {"per_region_parameters", "non_finite_parameters"} <= runs


def test_the_registry_names_every_coupling_the_engine_dispatches_and_the_package_has():
    registered = set(engine_couplings())
    for cls in tvb_classes(tvb_coupling, tvb_coupling.Coupling):
        if cls in registered:  # the engine claims exactly what the registry declares
            assert engine_runs_coupling(example_coupling(cls)), cls.__name__
    package = {getattr(package_couplings, name) for name in package_couplings.__all__}
    couplings = {
        c
        for c in package
        if inspect.isclass(c)
        and issubclass(c, tvb_coupling.Coupling)
        and not c.__name__.startswith("Abstract")  # a base to subclass, not a coupling to run
    }
    assert couplings <= registered


@pytest.mark.parametrize("monitor_cls", engine_monitors(), ids=lambda cls: cls.__name__)
def test_every_engine_monitor_has_a_conformance_run(monitor_cls):
    runs = {name for name, _ in monitor_checks(monitor_cls)}
    assert runs == {"matches_stock", "periods", "engine_monitor_contract"}, (
        f"{monitor_cls.__name__} has no conformance run"
    )


# -- what the engine does not run is refused --------------------------------------------------


class SubclassedLinear(tvb_coupling.Linear):
    """TVB's couplings are dispatched by exact class: a subclass may compute otherwise."""


UNREGISTERED_COUPLINGS = [
    cls for cls in tvb_classes(tvb_coupling, tvb_coupling.Coupling) if cls not in engine_couplings()
]


@pytest.mark.parametrize(
    "coupling",
    [
        *UNREGISTERED_COUPLINGS,
        SubclassedLinear(a=np.array([0.1])),
        MultiCoupling(couplings=[Laplacian(), tvb_coupling.HyperbolicTangent()]),
    ],
    ids=lambda c: c.__name__ if inspect.isclass(c) else f"{type(c).__name__}-instance",
)
def test_couplings_the_engine_does_not_run_are_refused_naming_them(coupling):
    assert [name for name, _ in coupling_checks(coupling)] == ["refused_by_engine"]
    check_coupling(coupling)


UNREGISTERED_MONITORS = [
    cls
    for cls in tvb_classes(tvb_monitors, tvb_monitors.Monitor)
    if cls not in engine_monitors()
    and not inspect.isabstract(cls)
    and cls.__name__ not in NOT_CHECKED_MONITORS
]


@pytest.mark.parametrize("monitor_cls", UNREGISTERED_MONITORS, ids=lambda cls: cls.__name__)
def test_monitors_the_engine_does_not_run_are_refused_naming_them(monitor_cls):
    assert [name for name, _ in monitor_checks(monitor_cls)] == ["refused_by_engine"]
    check_monitor(monitor_cls)


# -- the checks can fail: deliberately broken couplings and monitors --------------------------


class SwappedHyperbolicTangent(tvb_coupling.HyperbolicTangent):
    """Registered below with its parameters in the wrong order (``midpoint`` for ``b``)."""


class IgnoredPost(Additive):
    """Adds an offset in ``post`` that the engine's reduction (``effective_weights``) ignores."""

    def post(self, gx):
        return super().post(gx) + 0.1


class SigmoidalWithOffset(tvb_coupling.Sigmoidal):
    """A Sigmoidal with one more parameter, registered below with Sigmoidal's reduction (which
    neither uses nor checks it): equal to TVB at ``offset = 0``."""

    offset = NArray(label="offset", default=np.array([0.0]), doc="Added to the coupling.")

    def post(self, gx):
        return super().post(gx) + self.offset


def example(cls, **parameters):
    return cls(**{name: np.array([value]) for name, value in parameters.items()})


@pytest.fixture
def declare():
    """Declare a coupling like another, with some fields changed, for one test."""
    declared = []

    def declare(cls, like, **changed):
        fields = vars(coupling_declaration(like)).copy()
        fields.pop("coupling")
        register_coupling(cls, **{**fields, **changed})
        declared.append(cls)

    yield declare
    for cls in declared:
        unregister_coupling(cls)


def test_check_coupling_catches_a_wrong_engine_reduction(declare):
    declare(SwappedHyperbolicTangent, tvb_coupling.HyperbolicTangent,
            parameters=("midpoint", "b", "sigma"))  # fmt: skip
    coupling = example(SwappedHyperbolicTangent, a=0.3, b=0.8, midpoint=0.1, sigma=0.2)
    match = r"check 'coupling_values\[delays\]' failed: SwappedHyperbolicTangent: the coupling"
    with pytest.raises(AssertionError, match=match):
        check_coupling(coupling)
    checks = dict(coupling_checks(coupling))
    with pytest.raises(AssertionError, match="differs from stock TVB"):
        checks["matches_stock[zero_delay]"]()


def test_check_coupling_catches_what_the_engine_does_not_reduce():
    with pytest.raises(AssertionError, match=r"'coupling_values\[delays\]' failed: IgnoredPost"):
        check_coupling(example(IgnoredPost, a=0.3))


def test_check_coupling_catches_an_unchecked_parameter(declare):
    declare(SigmoidalWithOffset, tvb_coupling.Sigmoidal)
    checks = dict(coupling_checks(example(SigmoidalWithOffset, sigma=0.5)))
    checks["coupling_values[delays]"]()  # offset 0: the reduction is right
    with pytest.raises(AssertionError, match=r"SigmoidalWithOffset.offset = nan was not refused"):
        checks["non_finite_parameters"]()


def test_the_refusal_check_fails_for_a_coupling_the_engine_runs():
    with pytest.raises(AssertionError, match="does not claim it, but it raised None"):
        check_coupling_refused(example(tvb_coupling.Linear, a=0.1))


def test_check_coupling_rejects_what_is_not_a_coupling():
    with pytest.raises(TypeError, match="expects a TVB Coupling instance or class, but got 3"):
        check_coupling(3)


class ShiftedTemporalAverage(tvb_monitors.TemporalAverage):
    """Registered below with an engine monitor whose times are one step late."""


class EngineShiftedTemporalAverage(EngineTemporalAverage):
    def consume_means(self, steps, ends, means):  # what consume and the summed run both call
        times, data = super().consume_means(steps, ends, means)
        return times + self.dt, data


class PerStepOnlyTemporalAverage(tvb_monitors.TemporalAverage):
    """Registered below with an engine monitor whose block means bypass its ``consume``."""


class EnginePerStepOnlyTemporalAverage(EngineTemporalAverage):
    def consume(self, steps, obs):  # a change the engine's summed path never sees
        times, data = super().consume(steps, obs)
        return times, 2.0 * data


class ChunkedSubSample(tvb_monitors.SubSample):
    """Registered below with an engine monitor that counts steps from each chunk's start."""


class EngineChunkedSubSample(EngineRaw):
    def consume(self, steps, obs):
        keep = slice(self.istep - 1, None, self.istep)
        return steps[keep] * self.dt, obs[keep][:, self.voi]


class MixedMembersRaw(tvb_monitors.RawVoi):
    """Registered below with an engine monitor that averages the batch members."""


class EngineMixedMembersRaw(EngineRaw):
    def consume(self, steps, obs):
        times, data = super().consume(steps, obs)
        return times, np.broadcast_to(data.mean(axis=-1, keepdims=True), data.shape)


@pytest.mark.parametrize(
    ("monitor", "engine_cls", "check_name", "match"),
    [
        (ShiftedTemporalAverage(period=0.25), EngineShiftedTemporalAverage, "matches_stock",
         "ShiftedTemporalAverage: the sample times of output 0 differ from stock TVB"),
        (ChunkedSubSample(period=0.25), EngineChunkedSubSample, "matches_stock",
         "ChunkedSubSample: the sample times of output 0 differ"),  # in the continued run
        (ChunkedSubSample(period=0.25), EngineChunkedSubSample, "engine_monitor_contract",
         "EngineChunkedSubSample gives other times cut into chunks"),
        (MixedMembersRaw(), EngineMixedMembersRaw, "engine_monitor_contract",
         "EngineMixedMembersRaw gives other samples batch member 0 alone"),
        (PerStepOnlyTemporalAverage(period=0.25), EnginePerStepOnlyTemporalAverage,
         "engine_monitor_contract", "EnginePerStepOnlyTemporalAverage gives other samples from "
         r"the block sums of chunks \(consume_means\)"),
    ],
    ids=["late_times", "chunk_dependent-stock", "chunk_dependent-contract", "mixes_members",
         "means_bypass_consume"],
)  # fmt: skip
def test_monitor_checks_catch_a_wrong_engine_monitor(
    monkeypatch, monitor, engine_cls, check_name, match
):
    monkeypatch.setitem(monitor_registry._ENGINE_MONITORS, type(monitor), engine_cls)
    checks = dict(monitor_checks(monitor))
    with pytest.raises(AssertionError, match=match):
        checks[check_name]()


def test_check_monitor_names_the_failing_check(monkeypatch):
    monitor = ShiftedTemporalAverage(period=0.25)
    monkeypatch.setitem(
        monitor_registry._ENGINE_MONITORS, type(monitor), EngineShiftedTemporalAverage
    )
    with pytest.raises(AssertionError, match="check 'matches_stock' failed: ShiftedTemporal"):
        check_monitor(monitor)


def test_check_monitor_rejects_what_is_not_a_monitor():
    with pytest.raises(TypeError, match="expects a TVB Monitor instance or class, but got 'Raw'"):
        check_monitor("Raw")
