"""``run_batch``: B parameter sets at once, equal to B separate runs; per-member blow-up; noise
seeds, checks of the swept values, Ctrl-C."""

import signal
import threading

import numpy as np
import pytest
from test_engine_agreement import make_sim
from tvb.simulator import integrators, monitors, noise

from tvb_ngnmm.backend import NumbaBackend
from tvb_ngnmm.engine.batch import (
    GROUP_RING_BYTES,
    MAX_GROUP_SIZE,
    default_group_size,
    run_batch,
)
from tvb_ngnmm.engine.continuation import unchanged
from tvb_ngnmm.models import NextGenEI


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
        with unchanged(sim):
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
        with unchanged(sim):
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


@pytest.mark.parametrize("expected", [0, 7])
def test_samples_beyond_the_expected_count_are_kept(monkeypatch, expected):
    # The output is allocated for the samples TVB's monitors give (one per multiple of istep);
    # a monitor that gave more must lose none of them, whichever group wrote them.
    from tvb_ngnmm.engine import batch

    sim = make_sim("NextGenEI", mons=[monitors.TemporalAverage(period=0.2)], length=4.0)
    I_e = np.linspace(10.0, 15.0, 5)
    (reference,) = run_batch(sim, {"I_e": I_e}, n_jobs=2, group_size=2, chunk_steps=30)
    assert len(reference.time) == batch.expected_samples(sim.monitors[0], 0, 400) == 20
    monkeypatch.setattr(batch, "expected_samples", lambda *args: expected)
    (result,) = run_batch(sim, {"I_e": I_e}, n_jobs=2, group_size=2, chunk_steps=30)
    np.testing.assert_array_equal(result.time.values, reference.time.values)
    np.testing.assert_array_equal(result.values, reference.values)


@pytest.mark.parametrize(
    "monitor",
    [
        monitors.Raw(),
        monitors.SubSample(period=0.03),
        monitors.TemporalAverage(period=0.07),
        monitors.Bold(period=0.5),
    ],  # fmt: skip
    ids=lambda m: type(m).__name__,
)
def test_the_expected_sample_count_is_what_each_monitor_gives(monitor):
    sim = make_sim("NextGenEI", mons=[monitor], length=1.13)
    sim.current_step = 11  # a continued run: not at a multiple of the period
    from tvb_ngnmm.engine.batch import expected_samples

    (result,) = run_batch(sim, {"I_e": np.array([14.0, 15.0])}, n_jobs=1)
    assert len(result.time) == expected_samples(sim.monitors[0], 11, 113) > 0
    assert np.isfinite(result.values).all()


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
        (
            {"I_e": np.array([1.0, np.nan])},
            r"'I_e' parameter of NextGenEI \(batch member 1\)\. Allowed values are any finite "
            "number, but got nan instead",
        ),
    ],
)
def test_bad_batch_parameters(parameters, match):
    sim = make_sim("NextGenEI", length=1.0)
    with pytest.raises(ValueError, match=match):
        run_batch(sim, parameters)


def _noisy_sim(length=5.0):
    integrator = integrators.HeunStochastic(
        dt=0.01, noise=noise.Additive(nsig=np.array([1e-3]), noise_seed=7)
    )
    return make_sim("NextGenEI", integrator=integrator, length=length)


def test_without_a_seed_a_stochastic_batch_reproduces_and_its_members_equal_run_sim():
    sim = _noisy_sim()
    I_e = np.array([14.0, 15.0, 16.0])
    (one,) = run_batch(sim, {"I_e": I_e}, n_jobs=2, group_size=1)
    (two,) = run_batch(sim, {"I_e": I_e}, n_jobs=1)
    np.testing.assert_array_equal(one.values, two.values)  # identical calls, identical output
    for b in range(3):  # member b is run_sim of the simulator with member b's parameters
        sim.model.I_e = np.array([I_e[b]])
        with unchanged(sim):
            ((t, y),) = NumbaBackend().run_sim(sim)
        np.testing.assert_allclose(one.values[b], y[..., 0], rtol=1e-12, atol=1e-15)
    # and run_sim itself draws the simulator's stream as sim.run() does
    ((_, stock),) = sim.run()
    np.testing.assert_allclose(y, stock, rtol=1e-5, atol=1e-5 * np.abs(stock).max())


def test_without_a_seed_members_with_the_same_parameters_are_flagged():
    sim = _noisy_sim(length=1.0)
    with pytest.warns(RuntimeWarning, match=r"2 members \(the first: member 0\) have the same "):
        (result,) = run_batch(sim, {"I_e": np.array([15.0, 14.0, 15.0])}, n_jobs=1)
    np.testing.assert_array_equal(result.values[0], result.values[2])
    (seeded,) = run_batch(sim, {"I_e": np.array([15.0, 14.0, 15.0])}, n_jobs=1, seed=5)
    assert not np.array_equal(seeded.values[0], seeded.values[2])


@pytest.mark.parametrize("seed", [-1, 1.5, np.nan, "7", np.random.default_rng(0)])
def test_bad_batch_seed(seed):
    sim = _noisy_sim(length=1.0)
    with pytest.raises(ValueError, match="'seed' parameter. Allowed values are None, a non-neg"):
        run_batch(sim, {"I_e": np.ones(2)}, seed=seed)


@pytest.mark.parametrize(
    ("parameters", "match"),
    [
        (
            {"tau_e": np.array([8.0, -1.0])},
            r"'tau_e' parameter of NextGenEI \(batch member 1\)\. Allowed values are > 0 "
            r"\(finite\), but got -1\.0 instead",
        ),
        (
            {"I_e": np.ones(2), "Delta_i": np.array([[0.5] * 5, [0.5, 0.5, -2.0, 0.5, 0.5]])},
            r"'Delta_i' parameter of NextGenEI \(batch member 1\)\. Allowed values are >= 0 "
            r"\(finite\), but got -2\.0 instead",
        ),
        (
            {"a": np.array([0.1, np.inf])},
            r"'a' parameter of Linear \(batch member 1\)\. Allowed values are finite numbers, "
            "but got inf instead",
        ),
        ({}, "Allowed is a dict of one or more swept parameters .*'I_e'.*, but got {} instead"),
        ({"I_e": np.zeros(0)}, r"'I_e': the design is empty\. Allowed are one or more members"),
        ({"I_e": np.zeros((0, 5))}, r"'I_e': the design is empty"),
    ],
)
def test_swept_values_are_checked_as_configure_checks_them(parameters, match):
    sim = make_sim("NextGenEI", length=1.0)
    with pytest.raises(ValueError, match=match):
        run_batch(sim, parameters)
    with pytest.raises(ValueError, match="'tau_e' parameter of NextGenEI. Allowed values are > 0"):
        NextGenEI(tau_e=np.array([-1.0])).configure()  # the same check, the same words


def test_swept_values_of_tvbs_own_model_must_be_finite():
    sim = make_sim("MontbrioPazoRoxin", length=1.0)
    with pytest.raises(ValueError, match=r"'eta' parameter of MontbrioPazoRoxin \(batch member 2"):
        run_batch(sim, {"eta": np.array([-4.6, -5.0, np.nan])})


#: Ctrl-C needs POSIX signals, and a Python that turns SIGINT into KeyboardInterrupt (a process
#: started in the background by a shell without job control ignores SIGINT from the start).
CTRL_C = pytest.mark.skipif(
    not hasattr(signal, "pthread_kill")
    or signal.getsignal(signal.SIGINT) is not signal.default_int_handler,
    reason="needs POSIX signals and SIGINT raising KeyboardInterrupt (not ignored)",
)


def _interrupt_main_after(seconds: float) -> threading.Timer:
    """SIGINT to the main thread after ``seconds``, as Ctrl-C sends it."""
    main = threading.main_thread().ident
    timer = threading.Timer(seconds, signal.pthread_kill, (main, signal.SIGINT))
    timer.start()
    return timer


@CTRL_C
def test_ctrl_c_stops_a_batch_and_keeps_what_was_computed():
    sim = make_sim("NextGenEI", mons=[monitors.TemporalAverage(period=1.0)], length=1.0)
    I_e = np.array([13.0, 14.0, 15.0, 16.0])
    run_batch(sim, {"I_e": I_e}, n_jobs=1, group_size=2)  # compiled before the clock starts
    length = 100_000.0  # 10^7 steps: far longer than the test waits
    timer = _interrupt_main_after(0.5)
    with pytest.warns(
        RuntimeWarning,
        match=r"interrupted: of 4 members, 0 were computed to the "
        r"end \(100000 ms\), 2 in part \(to [\d.]+-[\d.]+ ms\) and 2 not at all",
    ):
        (result,) = run_batch(sim, {"I_e": I_e}, length, n_jobs=1, group_size=2)
    timer.join()
    # one thread: the first group ran until the interrupt, the second was never started
    until = result.computed_until.values
    assert 0.0 < until[0] == until[1] < length and until[2] == until[3] == 0.0
    n_done = int(np.sum(result.time.values <= until[0]))
    assert len(result.time) == n_done
    assert np.isfinite(result.values[:2]).all() and np.isnan(result.values[2:]).all()
    # what was kept is what an uninterrupted run of that length gives
    (short,) = run_batch(sim, {"I_e": I_e[:2]}, until[0] - 0.005, n_jobs=1)  # ceil: same steps
    np.testing.assert_array_equal(result.values[:2], short.values)


@CTRL_C
def test_ctrl_c_stops_run_sim_and_keeps_what_was_computed():
    sim = make_sim("NextGenEI", mons=[monitors.TemporalAverage(period=1.0)], length=1.0)
    NumbaBackend().run_sim(sim)  # compiled before the clock starts
    timer = _interrupt_main_after(0.5)
    with pytest.warns(RuntimeWarning, match=r"interrupted after \d+ of 10000000 steps"):
        ((t, y),) = NumbaBackend(progress=False).run_sim(sim, simulation_length=100_000.0)
    timer.join()
    assert 0 < len(t) < 100_000 and np.isfinite(y).all()


def test_default_group_size_keeps_a_groups_history_ring_within_its_budget():
    assert default_group_size(1, 90, 3021) == 4  # EI-90: 1.15 MB of ring per member
    assert default_group_size(1, 90, 10) == MAX_GROUP_SIZE  # short delays
    assert default_group_size(2, 1000, 3000) == 1  # one member already exceeds the budget
    for n_channel, n_node, horizon in [(1, 90, 3021), (2, 76, 800), (1, 68, 4000)]:
        size = default_group_size(n_channel, n_node, horizon)
        assert size * 4 * n_channel * n_node * horizon <= GROUP_RING_BYTES
        assert (size + 1) * 4 * n_channel * n_node * horizon > GROUP_RING_BYTES or (
            size == MAX_GROUP_SIZE
        )
