"""``run_batch``: B parameter sets at once, equal to B separate runs; per-member blow-up."""

import numpy as np
import pytest
from test_engine_agreement import make_sim
from tvb.simulator import integrators, monitors, noise

from tvb_ngnmm.backend import NumbaBackend
from tvb_ngnmm.engine.batch import run_batch


def test_members_equal_separate_runs_and_are_labelled():
    sim = make_sim("NextGenEI", mons=[monitors.TemporalAverage(period=0.5)], length=10.0)
    I_e = np.array([10.0, 13.0, 15.0])
    a = np.array([0.1, 0.3, 0.6])
    (result,) = run_batch(sim, {"I_e": I_e, "a": a}, n_jobs=2)
    assert result.dims == ("member", "time", "state_variable", "region")
    assert list(result.state_variable.values) == ["r_e", "r_i"]
    np.testing.assert_array_equal(result.I_e.values, I_e)
    assert not result.blown_up.any()
    for b in range(3):
        sim.model.I_e = np.array([I_e[b]])
        sim.coupling.a = np.array([a[b]])
        ((t, y),) = NumbaBackend().run_sim(sim)
        np.testing.assert_array_equal(result.time.values, t)
        np.testing.assert_allclose(result.values[b], y[..., 0], rtol=1e-12, atol=1e-15)


def test_members_without_delays_equal_separate_runs():
    # no delays: the coupling comes from the dense matrix-vector product, batched over members
    sim = make_sim("NextGenEI", delays=False, n=9, length=5.0)
    I_e = np.array([10.0, 12.0, 15.0])
    (result,) = run_batch(sim, {"I_e": I_e}, n_jobs=1)
    for b in range(3):
        sim.model.I_e = np.array([I_e[b]])
        ((_, y),) = NumbaBackend().run_sim(sim)
        np.testing.assert_array_equal(result.values[b], y[..., 0])


def test_per_region_parameter_arrays():
    sim = make_sim("NextGenEI", length=5.0)
    values = np.array([np.linspace(10, 15, 5), np.full(5, 12.0)])
    (result,) = run_batch(sim, {"I_e": values}, n_jobs=1)
    assert result.I_e.dims == ("member", "region")
    sim.model.I_e = values[0]
    ((t, y),) = NumbaBackend().run_sim(sim)
    np.testing.assert_allclose(result.values[0], y[..., 0], rtol=1e-12, atol=1e-15)


def test_a_blown_up_member_is_flagged_and_the_others_go_on():
    sim = make_sim("NextGenEI", length=5.0)
    (result,) = run_batch(sim, {"I_e": np.array([15.0, 1e7, 14.0])}, n_jobs=2)
    assert result.blown_up.values.tolist() == [False, True, False]
    assert 0 < float(result.blow_up_time[1]) < 5.0
    assert str(result.blow_up_region.values[1]).startswith("region")
    assert np.isfinite(result.values[[0, 2]]).all()


def test_a_group_that_blew_up_entirely_still_returns_every_sample():
    sim = make_sim("NextGenEI", length=5.0)
    (result,) = run_batch(
        sim, {"I_e": np.array([15.0, 1e7, 14.0])}, n_jobs=2, group_size=1, chunk_steps=50
    )
    (alone,) = run_batch(sim, {"I_e": np.array([15.0])}, n_jobs=1)
    np.testing.assert_array_equal(result.time.values, alone.time.values)
    assert result.blown_up.values.tolist() == [False, True, False]
    assert np.isnan(result.values[1, -1]).all()  # not computed after the whole group blew up
    np.testing.assert_array_equal(result.values[0], alone.values[0])
    assert np.isfinite(result.values[[0, 2]]).all()


def test_stochastic_members_have_their_own_noise_independent_of_threads():
    integrator = integrators.HeunStochastic(dt=0.01, noise=noise.Additive(nsig=np.array([1e-4])))
    sim = make_sim("NextGenEI", integrator=integrator, length=5.0)
    same = np.full(4, 15.0)
    (one,) = run_batch(sim, {"I_e": same}, n_jobs=1, seed=3)
    (two,) = run_batch(sim, {"I_e": same}, n_jobs=2, seed=3)
    np.testing.assert_array_equal(one.values, two.values)
    assert not np.allclose(one.values[0], one.values[1])  # different noise per member


@pytest.mark.parametrize("stochastic", [False, True])
def test_grouping_of_members_does_not_change_their_results(stochastic):
    integrator = None
    if stochastic:
        integrator = integrators.HeunStochastic(
            dt=0.01, noise=noise.Additive(nsig=np.array([1e-4]))
        )
    sim = make_sim("NextGenEI", integrator=integrator, length=3.0)
    I_e = np.linspace(10.0, 15.0, 5)
    (whole,) = run_batch(sim, {"I_e": I_e}, n_jobs=1, seed=4, group_size=8)
    (split,) = run_batch(sim, {"I_e": I_e}, n_jobs=2, seed=4, group_size=2)
    np.testing.assert_array_equal(whole.values, split.values)
    np.testing.assert_array_equal(whole.I_e.values, split.I_e.values)


def test_bad_group_size():
    sim = make_sim("NextGenEI", length=1.0)
    with pytest.raises(ValueError, match="'group_size'.*>= 1, but got 0"):
        run_batch(sim, {"I_e": np.ones(2)}, group_size=0)


@pytest.mark.parametrize(
    ("parameters", "match"),
    [
        ({"I_q": np.ones(2)}, "Allowed names are .*'I_e'.* but got 'I_q'"),
        ({"I_e": np.ones((2, 3))}, r"shape \(B,\) or \(B, 5\), but got shape \(2, 3\)"),
        ({"I_e": np.ones(2), "a": np.ones(3)}, r"same number of members B, but got \[2, 3\]"),
        ({"I_e": np.array([1.0, np.nan])}, "Allowed are finite arrays"),
    ],
)
def test_bad_batch_parameters(parameters, match):
    sim = make_sim("NextGenEI", length=1.0)
    with pytest.raises(ValueError, match=match):
        run_batch(sim, parameters)
