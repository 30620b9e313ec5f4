"""The fast engine against stock TVB: deterministic runs, noise, stimuli, monitors.

Every comparison runs the engine first (the simulator put back after it, as ``run_sim``
advances it like ``sim.run()``) and then stock ``sim.run()`` on the same configured simulator,
so both start from the same history. The
engine keeps the coupling variables in float32 like TVB's history and differs from TVB only in
the order of floating-point sums over connections (TVB's ``Linear``/``Difference`` sum in
float32, about 1e-7 of the coupling's magnitude per step). Over the short runs here the
difference stays below ``RTOL`` relative to each value plus ``RTOL`` times the largest value of
the output (values crossing zero have no meaningful relative error).
"""

import numpy as np
import pytest
from tvb.datatypes import equations as tvb_equations
from tvb.datatypes import patterns
from tvb.datatypes.connectivity import Connectivity
from tvb.simulator import coupling as tvb_coupling
from tvb.simulator import integrators, monitors, noise
from tvb.simulator.models import MontbrioPazoRoxin
from tvb.simulator.simulator import Simulator

from tvb_ngnmm.backend import NumbaBackend
from tvb_ngnmm.coupling import Additive, Laplacian, MultiCoupling
from tvb_ngnmm.engine.continuation import unchanged
from tvb_ngnmm.models import MPRSynaptic, NextGenEI, montbrio_pazo_roxin_equations

RTOL = 1e-5


def small_connectivity(n=5, seed=0, delays=True, speed=5.0):
    """A random dense network; tract lengths 5–40 mm (delays 1–8 ms) or zero."""
    rng = np.random.default_rng(seed)
    weights = rng.uniform(0.2, 1.0, (n, n)) * (rng.uniform(size=(n, n)) < 0.8)
    np.fill_diagonal(weights, 0.0)
    lengths = rng.uniform(5.0, 40.0, (n, n)) if delays else np.zeros((n, n))
    return Connectivity(
        weights=weights,
        tract_lengths=lengths,
        region_labels=np.array([f"region{i}" for i in range(n)]),
        centres=rng.uniform(-50, 50, (n, 3)),
        speed=np.array([speed]),
    )


def make_model(name):
    """A model in a regime that moves but does not blow up over tens of ms."""
    if name == "NextGenEI":
        return NextGenEI(I_e=np.array([15.0]))
    if name == "MPRSynaptic":
        return MPRSynaptic(eta=np.array([-4.0]), J=np.array([14.0]))
    return MontbrioPazoRoxin(
        tau=np.array([1.0]), Delta=np.array([0.7]), eta=np.array([-4.6]), J=np.array([14.5])
    )


def make_sim(model="NextGenEI", coupling=None, integrator=None, delays=True, n=5,
             mons=None, stimulus=None, length=20.0, connectivity=None):  # fmt: skip
    """A configured stock simulator."""
    model = make_model(model) if isinstance(model, str) else model
    sim = Simulator(
        model=model,
        connectivity=connectivity or small_connectivity(n, delays=delays),
        coupling=coupling or tvb_coupling.Linear(a=np.array([0.3])),
        integrator=integrator or integrators.HeunDeterministic(dt=0.01),
        monitors=mons or [monitors.Raw()],
        stimulus=stimulus,
        simulation_length=length,
    )
    return sim.configure()


def assert_same_as_stock(sim, rtol=RTOL, chunk_steps=None, **kwargs):
    """Run the engine, then stock TVB; times identical, data close."""
    with unchanged(sim):
        fast = NumbaBackend(chunk_steps=chunk_steps).run_sim(sim, **kwargs)
    stock = sim.run()
    assert len(fast) == len(stock)
    for (t, y), (t_ref, y_ref) in zip(fast, stock, strict=True):
        assert y.shape == y_ref.shape
        np.testing.assert_array_equal(t, t_ref)
        np.testing.assert_allclose(y, y_ref, rtol=rtol, atol=rtol * np.abs(y_ref).max())
    return fast, stock


def coupling_for(model, name):
    """Each coupling, built for the model's number of coupling variables."""
    if name == "Linear":
        return tvb_coupling.Linear(a=np.array([0.3]), b=np.array([0.01]))
    if name == "Difference":
        return tvb_coupling.Difference(a=np.array([0.3]))
    if name == "Laplacian":
        return Laplacian(a=np.array([0.4]), normalize="rw")
    return Additive(a=np.array([0.3]), normalize="row")


MODELS = ("NextGenEI", "MPRSynaptic", "MontbrioPazoRoxin")
SCHEMES = (integrators.EulerDeterministic, integrators.HeunDeterministic)


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.__name__)
@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("delays", [True, False], ids=["delays", "zero_delay"])
def test_models_and_integrators_match_stock(model, scheme, delays):
    sim = make_sim(model, integrator=scheme(dt=0.01), delays=delays, length=15.0)
    assert_same_as_stock(sim)


@pytest.mark.parametrize("name", ["Linear", "Difference", "Laplacian", "Additive"])
@pytest.mark.parametrize("model", MODELS)
def test_couplings_match_stock(model, name):
    sim = make_sim(model, coupling=coupling_for(model, name), length=10.0)
    assert_same_as_stock(sim)


def test_multi_coupling_matches_stock():
    coupling = MultiCoupling(
        couplings=[Laplacian(a=np.array([0.2])), Additive(a=np.array([0.5]), normalize="max")]
    )
    sim = make_sim("MontbrioPazoRoxin", coupling=coupling, length=10.0)
    assert_same_as_stock(sim)
    model = NextGenEI(I_e=np.array([15.0]))
    model.cvar = np.array([2, 2], dtype=np.int32)  # diffusive on E, additive on I
    sim = make_sim(model, coupling=MultiCoupling(couplings=[Laplacian(a=np.array([0.5])),
                                                            Additive(a=np.array([0.2]))]),
                   length=10.0)  # fmt: skip
    assert_same_as_stock(sim)


def test_per_region_parameters_and_gains():
    n = 5
    model = NextGenEI(I_e=np.linspace(12.0, 17.0, n), tau_si=np.linspace(4.0, 6.0, n))
    coupling = Laplacian(a=np.linspace(0.1, 0.6, n), normalize="sym")
    sim = make_sim(model, coupling=coupling, n=n, length=15.0)
    assert_same_as_stock(sim)


def test_stimulus_matches_stock():
    conn = small_connectivity(5)
    temporal = tvb_equations.PulseTrain(parameters={"onset": 3.0, "T": 4.0, "tau": 1.0, "amp": 2.0})
    stimulus = patterns.StimuliRegion(
        temporal=temporal, connectivity=conn, weight=np.array([1.0, 0.0, 0.5, 0.0, 0.0])
    )
    sim = make_sim("MPRSynaptic", connectivity=conn, stimulus=stimulus, length=15.0)
    fast, stock = assert_same_as_stock(sim)
    # the stimulus changed something: stimulated region differs from an unstimulated run
    plain = NumbaBackend().run_sim(
        make_sim("MPRSynaptic", connectivity=small_connectivity(5), length=15.0)
    )
    assert not np.allclose(fast[0][1][:, :, 0], plain[0][1][:, :, 0])


@pytest.mark.parametrize(
    "nsig",
    [[0.001, 0.01, 0.001, 0.001, 0.01, 0.001], [0.0, 0.01, 0.0, 0.0, 0.02, 0.0]],
    ids=["all_noisy", "some_noiseless"],  # TVB draws for all; the engine computes the noisy
)
@pytest.mark.parametrize("scheme", [integrators.EulerStochastic, integrators.HeunStochastic])
def test_stochastic_with_the_simulators_noise_stream_matches_stock(scheme, nsig):
    nsig = np.array(nsig)
    integrator = scheme(dt=0.01, noise=noise.Additive(nsig=nsig, noise_seed=42))
    sim = make_sim("NextGenEI", integrator=integrator, length=10.0)
    assert_same_as_stock(sim)


@pytest.mark.parametrize("chunk_steps", [77, 3])  # 3: many chunks inside one averaging window
def test_monitors_several_at_once_match_stock(chunk_steps):
    mons = [
        monitors.Raw(),
        monitors.SubSample(period=0.5),
        monitors.TemporalAverage(period=1.0),
        monitors.TemporalAverage(period=0.3, variables_of_interest=np.array([1])),
    ]
    sim = make_sim("NextGenEI", mons=mons, length=12.0)
    assert_same_as_stock(sim, chunk_steps=chunk_steps)  # chunks that split averaging windows


def test_result_does_not_depend_on_how_the_run_is_cut_into_chunks():
    sim = make_sim("NextGenEI", n=9, length=30.0)
    with unchanged(sim):
        ((t, whole),) = NumbaBackend(progress=False).run_sim(sim)
    ((t_cut, cut),) = NumbaBackend(progress=False, chunk_steps=37).run_sim(sim)
    np.testing.assert_array_equal(t, t_cut)
    np.testing.assert_array_equal(whole, cut)  # the same operations in the same order


def test_a_noisy_runs_first_chunks_are_shorter_and_change_nothing():
    from tvb_ngnmm.engine.runner import chunk_length, count_chunks

    for n_steps, chunk, k_block in [(100_000, 8_500, 25), (20_000, 16_384, 1), (700, 512, 512)]:
        lengths, done = [], 0
        while done < n_steps:
            lengths.append(chunk_length(done, n_steps, chunk, k_block, ramp=True))
            done += lengths[-1]
        assert sum(lengths) == n_steps
        assert count_chunks(n_steps, chunk, k_block, True) == len(lengths)
        assert lengths[0] == max(k_block, chunk // 8 // k_block * k_block)
        assert all(n % k_block == 0 for n in lengths[:-1]) and max(lengths) <= chunk
        assert all(n <= sum(lengths[:k]) for k, n in enumerate(lengths) if k > 0)
    integrator = integrators.HeunStochastic(dt=0.01, noise=noise.Additive(nsig=np.array([1e-3])))
    sim = make_sim("NextGenEI", integrator=integrator, length=50.0)  # 5,000 steps: 3 chunks
    with unchanged(sim):
        ((t, ramped),) = NumbaBackend(progress=False).run_sim(sim)
    ((t_one, one),) = NumbaBackend(progress=False, chunk_steps=5_000).run_sim(sim)
    np.testing.assert_array_equal(t, t_one)
    np.testing.assert_array_equal(ramped, one)


def test_bold_matches_stock():
    """Bold with a short HRF (ring of 50 interim samples) so the ring wraps in 400 ms."""
    bold = monitors.Bold(period=20.0, hrf_length=200.0)
    sim = make_sim(
        "MPRSynaptic",
        integrator=integrators.HeunDeterministic(dt=0.1),
        mons=[bold, monitors.TemporalAverage(period=4.0)],
        length=400.0,
        n=4,
    )
    fast, stock = assert_same_as_stock(sim, chunk_steps=333)
    assert fast[0][1].shape[0] == 20 and np.ptp(stock[0][1]) > 0


def test_mpr_equations_equal_tvb_dfun():
    rng = np.random.default_rng(5)
    model = make_model("MontbrioPazoRoxin")
    model.cv = np.array([0.3])
    model.configure()
    state = rng.uniform(-1, 1, (2, 7, 1))
    state[0] = np.abs(state[0])
    coupling = rng.uniform(-1, 1, (2, 7, 1))
    expected = model.dfun(state, coupling)
    params = [getattr(model, n) for n in ("tau", "Delta", "eta", "J", "I", "cr", "cv")]
    got = montbrio_pazo_roxin_equations(*state, *coupling, *params)
    np.testing.assert_allclose(np.array(got), expected, rtol=1e-14)


def test_seeded_noise_enters_only_the_noisy_variables_with_tvbs_amplitude():
    """Euler–Maruyama, one step: two seeds differ only where nsig > 0, by sqrt(2 nsig dt) N(0,2)."""
    model = NextGenEI(I_e=np.array([15.0]))
    model.variables_of_interest = ("r_e", "v_e", "s_e", "r_i", "v_i", "s_i")
    nsig = np.array([0.0, 0.5, 0.0, 0.0, 0.0, 0.0])
    dt = 0.01
    integrator = integrators.EulerStochastic(dt=dt, noise=noise.Additive(nsig=nsig))
    sim = make_sim(model, integrator=integrator, n=40, length=dt)
    with unchanged(sim):
        ((_, one),) = NumbaBackend().run_sim(sim, seed=1)
    ((_, two),) = NumbaBackend().run_sim(sim, seed=2)
    diff = (one - two)[0, :, :, 0]
    assert np.all(diff[[0, 2, 3, 4, 5]] == 0.0)
    expected_sd = np.sqrt(2 * 0.5 * dt) * np.sqrt(2.0)
    assert 0.7 * expected_sd < diff[1].std() < 1.3 * expected_sd
