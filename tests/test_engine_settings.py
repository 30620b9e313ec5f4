"""Settings the engine checks before the first step, and what a blow-up message advises."""

import re

import numpy as np
import pytest
from test_engine_agreement import make_sim, small_connectivity
from tvb.datatypes import equations as tvb_equations
from tvb.datatypes import patterns
from tvb.simulator import integrators, monitors, noise

from tvb_ngnmm.backend import NumbaBackend
from tvb_ngnmm.coupling import Additive, Laplacian
from tvb_ngnmm.engine.batch import run_batch
from tvb_ngnmm.engine.continuation import unchanged
from tvb_ngnmm.engine.errors import SimulationBlowUpError
from tvb_ngnmm.models import NextGenEI


def run(sim, **kwargs):
    return NumbaBackend(progress=False).run_sim(sim, **kwargs)


@pytest.mark.parametrize(
    ("monitor", "given"),
    [(monitors.TemporalAverage(period=0.05), "0.05"), (monitors.SubSample(period=0.06), "0.06")],
)
def test_a_monitor_period_below_dt_is_an_error(monitor, given):
    # stock TVB: period < dt / 2 gives istep 0 and a ZeroDivisionError at the first sample,
    # dt / 2 <= period < dt silently samples every step
    sim = make_sim(integrator=integrators.HeunDeterministic(dt=0.1), mons=[monitor], length=1.0)
    name = type(monitor).__name__
    match = (
        f"Invalid value for the 'period' parameter of the {name} monitor. Allowed values are "
        f">= dt = 0.1 ms, but got {given} instead."
    )
    with pytest.raises(ValueError, match=match.replace(".", r"\.").replace("(", r"\(")):
        run(sim)
    with pytest.raises(ValueError, match=f"'period' parameter of the {name} monitor"):
        run_batch(sim, {"I_e": np.ones(2)})


def test_a_period_that_is_not_a_multiple_of_dt_runs_as_in_tvb_with_a_warning():
    mons = [monitors.TemporalAverage(period=0.25)]
    sim = make_sim(integrator=integrators.HeunDeterministic(dt=0.1), mons=mons, length=2.0)
    with pytest.warns(RuntimeWarning, match=r"\(0\.25 ms\) is not a multiple of dt = 0\.1 ms: "
                      r"as in TVB, it samples every 2 steps, i\.e\. every 0\.2 ms"):  # fmt: skip
        with unchanged(sim):
            ((t, _),) = run(sim)
    ((t_stock, _),) = sim.run()
    np.testing.assert_array_equal(t, t_stock)


def test_dt_or_period_changed_after_configure_is_an_error():
    sim = make_sim(mons=[monitors.TemporalAverage(period=0.5)], length=1.0)
    sim.monitors[0].period = 0.8
    with pytest.raises(ValueError, match="configured for 0.5 ms, but got 0.8 ms now. Call sim.co"):
        run(sim)
    sim = make_sim(length=1.0)
    sim.integrator.dt = 0.02
    with pytest.raises(ValueError, match="Raw monitor was configured with dt = 0.01 ms, but got"):
        run(sim)
    sim.integrator.dt = -0.01
    with pytest.raises(ValueError, match="'dt' parameter of the integrator. Allowed values are "
                       "finite numbers > 0 \\(ms\\), but got -0.01 instead"):  # fmt: skip
        run(sim)


def test_parameters_changed_after_configure_are_checked_again_and_used():
    sim = make_sim(length=1.0)
    sim.model.tau_e = np.array([-1.0])
    match = (
        r"'tau_e' parameter of NextGenEI \(changed after configure\(\)\)\. Allowed values are "
        r"> 0 \(finite\), but got -1\.0 instead"
    )
    with pytest.raises(ValueError, match=match):
        run(sim)
    with pytest.raises(ValueError, match=match):
        run_batch(sim, {"I_e": np.ones(2)})
    sim.model.tau_e = np.array([9.0])  # a valid change is used, as sim.run() uses it
    with unchanged(sim):
        ((_, changed),) = run(sim)
    ((_, stock),) = sim.run()
    np.testing.assert_allclose(changed, stock, rtol=1e-5, atol=1e-5 * np.abs(stock).max())


def test_tvbs_own_model_parameters_must_be_finite():
    sim = make_sim("MontbrioPazoRoxin", length=1.0)
    sim.model.J = np.array([np.inf])
    with pytest.raises(ValueError, match="'J' parameter of MontbrioPazoRoxin. Allowed values are"
                       " finite numbers, but got inf instead"):  # fmt: skip
        run(sim)


def _set(obj, name, index, value):
    array = np.array(getattr(obj, name), dtype=float)
    array[index] = value
    setattr(obj, name, array)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda s: _set(s.connectivity, "weights", (1, 2), np.nan),
         r"'weights' of the connectivity\. Allowed values are finite numbers, but got nan at "
         r"index \(1, 2\) instead"),
        (lambda s: _set(s.connectivity, "tract_lengths", (0, 3), np.inf),
         r"'tract_lengths' of the connectivity\. Allowed values are finite numbers >= 0 \(mm\), "
         r"but got inf at index \(0, 3\)"),
        (lambda s: _set(s.connectivity, "tract_lengths", (0, 3), -5.0),
         r"'tract_lengths' .* >= 0 \(mm\), but got -5\.0 at index \(0, 3\)"),
        (lambda s: setattr(s.coupling, "a", np.array([np.nan])),
         r"'a' parameter \(coupling gain\) of Linear\. Allowed values are finite numbers, but "
         r"got nan instead"),
        (lambda s: setattr(s.current_state, "flat", np.nan),
         r"initial conditions \(the simulator's current state, state variable, region\)\. "
         r"Allowed values are finite numbers, but got nan at index \(0, 0\) \(30 of 30"),
        (lambda s: _set(s.history, "buffer", (0, 0, 2, 0), np.inf),
         r"initial history \(sim\.history: coupling variable, region, slot\)\. Allowed values "
         r"are finite numbers, but got inf at index \(0, 2, 0\)"),
    ],
)  # fmt: skip
def test_non_finite_inputs_are_named_before_the_first_step(change, match):
    sim = make_sim(length=1.0)
    change(sim)
    with pytest.raises(ValueError, match=match):
        run(sim)


@pytest.mark.parametrize(
    ("coupling", "given"),
    [
        (Laplacian(a=np.array([0.5])), "inf"),
        (Additive(a=np.linspace(0.1, 0.5, 5)), "inf at index 4"),
    ],
)
def test_non_finite_gain_of_the_packages_couplings(coupling, given):
    sim = make_sim(coupling=coupling, length=1.0)
    _set(sim.coupling, "a", -1, np.inf)  # after configure(), which checked it
    name = type(coupling).__name__
    with pytest.raises(ValueError, match=f"'a' parameter \\(coupling gain\\) of {name}\\. "
                       f"Allowed values are finite numbers, but got {given} instead"):  # fmt: skip
        run(sim)


@pytest.mark.parametrize(
    ("nsig", "given"),
    [(np.array([np.nan]), "nan"), (np.array([-1e-3]), "-0.001")],
)
def test_noise_amplitude_must_be_finite_and_non_negative(nsig, given):
    integrator = integrators.HeunStochastic(dt=0.01, noise=noise.Additive(nsig=np.array([1e-3])))
    sim = make_sim(integrator=integrator, length=1.0)
    sim.integrator.noise.nsig = nsig
    with pytest.raises(ValueError, match=f"'nsig' parameter of the Additive noise. Allowed values"
                       f" are finite numbers >= 0, but got {given} instead"):  # fmt: skip
        run(sim)


@pytest.mark.parametrize("seed", [-3, 2.5, np.nan, "1"])
def test_bad_seed_of_run_sim(seed):
    integrator = integrators.HeunStochastic(dt=0.01, noise=noise.Additive(nsig=np.array([1e-3])))
    sim = make_sim(integrator=integrator, length=1.0)
    with pytest.raises(ValueError, match=r"'seed' parameter\. Allowed values are None, a non-neg"
                       r"ative integer or a numpy\.random\.Generator, but got "):  # fmt: skip
        run(sim, seed=seed)


def _stimulated(temporal, weight=(1.0, 0.0, 0.5, 0.0, 0.0)):
    conn = small_connectivity(5)
    stimulus = patterns.StimuliRegion(temporal=temporal, connectivity=conn, weight=np.array(weight))
    return make_sim("MPRSynaptic", connectivity=conn, stimulus=stimulus, length=5.0)


def test_stimulus_with_a_non_finite_pattern_or_parameter():
    pulses = {"onset": 1.0, "T": 2.0, "tau": 0.5, "amp": 2.0}
    sim = _stimulated(tvb_equations.PulseTrain(parameters=pulses), (1.0, 0.0, np.nan, 0.0, 0.0))
    match = r"'spatial_pattern' \(region weights\) of the stimulus\. Allowed values are finite"
    with pytest.raises(ValueError, match=match + r" numbers, but got nan at index \(2, 0\)"):
        run(sim)
    sim = _stimulated(tvb_equations.PulseTrain(parameters={**pulses, "amp": np.inf}))
    with pytest.raises(ValueError, match="'amp' parameter of the stimulus's PulseTrain. Allowed "
                       "values are finite numbers, but got inf instead"):  # fmt: skip
        run(sim)


@pytest.mark.parametrize("weight", [np.ones(7), np.ones(3), np.ones((5, 2))])
def test_stimulus_weights_not_one_per_region(weight):
    """Issue 24: a weight of the wrong length failed in NumPy's broadcasting ("shape
    mismatch: value array of shape (50,1,7) ...")."""
    pulses = {"onset": 1.0, "T": 2.0, "tau": 0.5, "amp": 2.0}
    sim = _stimulated(tvb_equations.PulseTrain(parameters=pulses), weight)
    match = (
        r"Invalid value for the 'weight' parameter of the stimulus \(StimuliRegion\)\. Allowed "
        rf"is one weight per region, shape \(5,\), but got shape {re.escape(str(weight.shape))}"
    )
    with pytest.raises(ValueError, match=match):
        run(sim)


def test_stimulus_values_that_become_non_finite_are_named_before_that_step():
    # finite parameters, but a * t overflows from t = 1.8 ms of the pattern on
    sim = _stimulated(tvb_equations.Linear(parameters={"a": 1e308, "b": 0.0}))
    with np.errstate(all="ignore"), pytest.raises(
        ValueError, match=r"Invalid value for the stimulus\. .* but got inf at t = 1.8 ms of its "
        r"temporal pattern instead \(before that step was taken\)"
    ):  # fmt: skip
        run(sim)


def test_a_blow_up_at_the_first_step_names_the_extreme_input_and_not_the_time_step():
    sim = make_sim(NextGenEI(I_e=np.array([1e300])), length=1.0)
    with np.errstate(over="ignore"), pytest.raises(SimulationBlowUpError) as err:
        run(sim)
    message = str(err.value)
    assert "blew up at its first step" in message and "t = 0.01 ms (step 1)" in message
    assert "'I_e' = 1e+300" in message and "a smaller time step is unlikely to help" in message
    assert "Reduce the time step" not in message


def test_a_blow_up_after_several_steps_advises_a_smaller_time_step():
    sim = make_sim(integrator=integrators.EulerDeterministic(dt=0.5), length=100.0)
    with pytest.raises(SimulationBlowUpError, match=r"after growing over several steps\. Reduce "
                       r"the time step \(dt = 0\.5 ms\) or check the parameters"):  # fmt: skip
        run(sim)
