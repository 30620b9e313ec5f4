"""Couplings: the graph Laplacian, weight normalisation, and the TVB coupling classes.

Coupling values are checked against a direct loop over regions written here from the
equations (SPEC §3), and whole simulations against TVB's own couplings.
"""

import copy
import pickle

import numpy as np
import pytest
from tvb.datatypes.connectivity import Connectivity
from tvb.simulator import coupling as tvb_coupling
from tvb.simulator import integrators, monitors
from tvb.simulator.models import MontbrioPazoRoxin
from tvb.simulator.simulator import Simulator

from tvb_ngnmm.connectomes import load_aal90
from tvb_ngnmm.coupling import Additive, Laplacian, MultiCoupling, laplacian, normalize_weights
from tvb_ngnmm.models import NextGenEI

EI_STATE = ("r_e", "v_e", "s_e", "r_i", "v_i", "s_i")
EI_LOW = np.array([0.0, -2.0, 0.0, 0.0, -2.0, 0.0])
EI_HIGH = np.array([0.1, 1.0, 0.1, 0.1, 1.0, 0.1])


# ---------------------------------------------------------------------------------------------
# Helpers: networks, simulators and the reference computation
# ---------------------------------------------------------------------------------------------


def random_weights(n, seed, density=0.6):
    """Weights in multiples of 1/4 (exact in float32, as TVB stores them); no empty row/column."""
    rng = np.random.default_rng(seed)
    weights = rng.integers(1, 5, (n, n)) / 4.0 * (rng.uniform(size=(n, n)) < density)
    ring = np.roll(np.eye(n), 1, axis=1) * 0.5  # ensures every row and column has a weight
    return np.maximum(weights, ring)


def network(n=7, seed=0, max_delay=12, dt=0.1, speed=1.0):
    """A random network whose delays are exactly the integer steps in ``delays`` (dt = 0.1)."""
    rng = np.random.default_rng(seed + 100)
    delays = rng.integers(1, max_delay + 1, (n, n)) if max_delay else np.zeros((n, n), int)
    np.fill_diagonal(delays, 0)
    conn = Connectivity(
        weights=random_weights(n, seed),
        tract_lengths=delays * dt * speed,
        speed=np.array([speed]),
        centres=np.zeros((n, 3)),
        region_labels=np.array([f"R{i}" for i in range(n)]),
    )
    conn.configure()
    return conn, delays


def simulator(conn, coupling, model, dt=0.1, integrator=None, seed=1, initial_conditions=None):
    """A configured stock TVB simulator; random initial history unless one is given."""
    integrator = integrator or integrators.HeunDeterministic(dt=dt)
    sim = Simulator(
        connectivity=conn,
        coupling=coupling,
        model=model,
        integrator=integrator,
        monitors=[monitors.Raw()],
    )
    sim.configure()
    if initial_conditions is None:
        rng = np.random.default_rng(seed)
        initial_conditions = rng.uniform(0.0, 0.2, sim.good_history_shape)
    sim.initial_conditions = initial_conditions
    sim.configure()
    return sim


def reference_coupling(buffer, step, delays, w_hat, kappa, gain):
    """C_i = a_i (sum_j W^_ij x_j(t - d_ij) - kappa_i x_i(t)), looping over regions.

    ``buffer`` is TVB's history ring buffer (n_time, n_cvar, n_node, n_mode): the state at
    ``step - 1 - d`` is in slot ``(step - 1 - d) % n_time``.
    """
    buffer = np.asarray(buffer, dtype=float)
    n_time, n_node = buffer.shape[0], w_hat.shape[0]
    now = buffer[(step - 1) % n_time]
    out = np.zeros_like(now)
    for i in range(n_node):
        for j in range(n_node):
            if w_hat[i, j] != 0.0:
                out[:, i] += w_hat[i, j] * buffer[(step - 1 - delays[i, j]) % n_time, :, j]
        out[:, i] -= kappa[i] * now[:, i]
        out[:, i] *= gain[i]
    return out


def expected_weights(kind, normalize, w):
    """Effective weights and self-weights written directly from SPEC §3."""
    n = w.shape[0]
    rows, cols = w.sum(axis=1), w.sum(axis=0)
    if kind == "laplacian":
        if normalize == "none":
            return w, rows
        if normalize == "rw":
            return w / rows[:, None], np.ones(n)
        return w / np.sqrt(np.outer(rows, rows)), np.ones(n)
    scaled = {
        "none": w,
        "row": w / rows[:, None],
        "column": w / cols[None, :],
        "max": w / w.max(),
        "total": w / w.sum(),
    }[normalize]
    return scaled, np.zeros(n)


def ei_model(**params):
    values = {name: np.array([float(value)]) for name, value in params.items()}
    return NextGenEI(variables_of_interest=EI_STATE, **values)


def ei_initial_conditions(shape, seed):
    rng = np.random.default_rng(seed)
    u = rng.uniform(size=shape)
    return EI_LOW[None, :, None, None] + (EI_HIGH - EI_LOW)[None, :, None, None] * u


def run_raw(sim, length):
    ((_, data),) = sim.run(simulation_length=length)
    return data


# ---------------------------------------------------------------------------------------------
# laplacian()
# ---------------------------------------------------------------------------------------------

W3 = np.array([[0.0, 1.0, 3.0], [2.0, 0.0, 0.0], [1.0, 1.0, 0.0]])  # row sums 4, 2, 2


def test_laplacian_none_by_hand():
    expected = np.array([[4.0, -1.0, -3.0], [-2.0, 2.0, 0.0], [-1.0, -1.0, 2.0]])
    np.testing.assert_array_equal(laplacian(W3), expected)


def test_laplacian_rw_by_hand():
    expected = np.array([[1.0, -0.25, -0.75], [-1.0, 1.0, 0.0], [-0.5, -0.5, 1.0]])
    np.testing.assert_allclose(laplacian(W3, "rw"), expected, rtol=1e-15)


def test_laplacian_sym_by_hand():
    s = 1 / np.sqrt(8.0)  # 1 / sqrt(d_i d_j) for d = (4, 2): 1/sqrt(8)
    expected = np.array(
        [[1.0, -1.0 * s, -3.0 * s], [-2.0 * s, 1.0, 0.0], [-1.0 * s, -1.0 / 2.0, 1.0]]
    )
    np.testing.assert_allclose(laplacian(W3, "sym"), expected, rtol=1e-15)


@pytest.mark.parametrize("normalize", ["none", "rw"])
def test_laplacian_rows_sum_to_zero(normalize):
    w = np.random.default_rng(3).uniform(0, 2, (9, 9))
    np.testing.assert_allclose(laplacian(w, normalize).sum(axis=1), 0.0, atol=1e-13)


def test_laplacian_sym_is_symmetric_for_symmetric_weights():
    w = np.random.default_rng(4).uniform(0, 2, (8, 8))
    w = w + w.T
    lap = laplacian(w, "sym")
    np.testing.assert_allclose(lap, lap.T, rtol=1e-14)
    eigenvalues = np.linalg.eigvalsh(lap)
    # Spectrum of the normalised Laplacian of a connected graph: 0 once, the rest in (0, 2].
    assert abs(eigenvalues[0]) < 1e-12
    assert eigenvalues[1] > 0 and eigenvalues[-1] <= 2 + 1e-12


def test_laplacian_rw_and_sym_have_equal_eigenvalues():
    # I - D^-1 W = D^-1/2 (I - D^-1/2 W D^-1/2) D^1/2: similar matrices, even for asymmetric W.
    w = random_weights(8, seed=5)
    rw = np.sort_complex(np.linalg.eigvals(laplacian(w, "rw")))
    sym = np.sort_complex(np.linalg.eigvals(laplacian(w, "sym")))
    np.testing.assert_allclose(rw, sym, atol=1e-12)


def test_laplacian_accepts_any_array_like_and_does_not_modify_input():
    w = W3.copy()
    laplacian(w.tolist(), "rw")
    laplacian(w, "sym")
    np.testing.assert_array_equal(w, W3)


@pytest.mark.parametrize(
    ("weights", "normalize", "match"),
    [
        (
            W3,
            "row",
            r"'normalize' parameter\. Allowed values are 'none', 'rw', 'sym', but got 'row'",
        ),
        (np.ones((2, 3)), "none", r"'weights' parameter\. Allowed is a square .* shape \(2, 3\)"),
        (np.ones(3), "none", r"'weights' parameter\. Allowed is a square .* shape \(3,\)"),
        (W3 * np.array([1.0, np.nan, 1.0]), "none", r"'weights'.*finite.*\(0, 1\)"),
        (W3 - 2.0 * np.eye(3), "none", r"'weights'.*>= 0.*negative weights at .*\(0, 0\)"),
        ([["a", "b"], ["c", "d"]], "none", r"'weights' parameter\. Allowed values are a square"),
    ],
)
def test_laplacian_rejects_bad_input(weights, normalize, match):
    with pytest.raises(ValueError, match=match):
        laplacian(weights, normalize)


@pytest.mark.parametrize("normalize", ["rw", "sym"])
def test_laplacian_names_rows_with_zero_sum(normalize):
    w = W3.copy()
    w[1] = 0.0
    w[2] = 0.0
    with pytest.raises(ValueError, match=r"'weights'.*rows \[1, 2\] \(2 in all\) sum to zero"):
        laplacian(w, normalize)
    np.testing.assert_array_equal(laplacian(w, "none")[1:], 0.0)  # fine without normalisation


# ---------------------------------------------------------------------------------------------
# normalize_weights()
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("normalize", "expected"),
    [
        ("none", W3),
        ("row", [[0, 0.25, 0.75], [1, 0, 0], [0.5, 0.5, 0]]),
        ("column", [[0, 0.5, 1], [2 / 3, 0, 0], [1 / 3, 0.5, 0]]),
        ("max", W3 / 3.0),
        ("total", W3 / 8.0),
    ],
)
def test_normalize_weights_by_hand(normalize, expected):
    np.testing.assert_allclose(normalize_weights(W3, normalize), expected, rtol=1e-15)


def test_normalize_weights_leaves_empty_rows_and_columns_zero():
    w = W3.copy()
    w[1] = 0.0
    np.testing.assert_array_equal(normalize_weights(w, "row")[1], 0.0)
    w = W3.copy()
    w[:, 2] = 0.0
    np.testing.assert_array_equal(normalize_weights(w, "column")[:, 2], 0.0)
    np.testing.assert_array_equal(normalize_weights(np.zeros((3, 3)), "max"), 0.0)


@pytest.mark.parametrize("normalize", ["row", "column", "max", "total"])
def test_normalize_weights_with_subnormal_totals_stays_finite(normalize):
    tiny = 5e-324  # the smallest subnormal: 1 / tiny overflows to inf
    w = np.array([[0.0, tiny], [tiny, 0.0]])
    out = normalize_weights(w, normalize)
    assert np.all(np.isfinite(out))
    expected = 1.0 if normalize != "total" else 0.5
    np.testing.assert_array_equal(out, expected * (w > 0))


def test_normalize_weights_none_accepts_signed_weights():
    np.testing.assert_array_equal(normalize_weights(-W3, "none"), -W3)


@pytest.mark.parametrize(
    ("weights", "normalize", "match"),
    [
        (W3, "rw", r"'normalize' parameter\. Allowed values are 'none', 'row', 'column', 'max'"),
        (-W3, "row", r"'weights' parameter\. Allowed values are >= 0, but got negative"),
        (W3 + np.inf, "none", r"'weights' parameter\. Allowed values are finite"),
        (np.ones((3, 2)), "max", r"'weights'.*square"),
    ],
)
def test_normalize_weights_rejects_bad_input(weights, normalize, match):
    with pytest.raises(ValueError, match=match):
        normalize_weights(weights, normalize)


# ---------------------------------------------------------------------------------------------
# The coupling classes against the reference loop
# ---------------------------------------------------------------------------------------------

CASES = [("laplacian", n) for n in ("none", "rw", "sym")] + [
    ("additive", n) for n in ("none", "row", "column", "max", "total")
]


def make_coupling(kind, normalize, a):
    cls = Laplacian if kind == "laplacian" else Additive
    return cls(a=np.asarray(a, dtype=float), normalize=normalize)


@pytest.mark.parametrize(("kind", "normalize"), CASES)
def test_coupling_equals_reference_with_delays(kind, normalize):
    conn, delays = network(n=7, seed=11)
    gain = 0.7
    sim = simulator(conn, make_coupling(kind, normalize, [gain]), ei_model())
    np.testing.assert_array_equal(conn.idelays, delays)  # delays are the intended steps
    w_hat, kappa = expected_weights(kind, normalize, conn.weights)
    for step in (5, 13, 40):
        expected = reference_coupling(
            sim.history.buffer, step, delays, w_hat, kappa, np.full(7, gain)
        )
        got = sim.coupling(step, sim.history)
        assert got.shape == (1, 7, 1) and got.dtype == np.float64
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("kind", "normalize"), [("laplacian", "sym"), ("additive", "column")])
def test_per_region_gain_scales_rows(kind, normalize):
    conn, _ = network(n=6, seed=12)
    gains = np.random.default_rng(13).uniform(0.1, 3.0, 6)
    scalar = simulator(conn, make_coupling(kind, normalize, [1.0]), ei_model(), seed=2)
    regional = simulator(conn, make_coupling(kind, normalize, gains), ei_model(), seed=2)
    for step in (3, 17):
        expected = gains[None, :, None] * scalar.coupling(step, scalar.history)
        got = regional.coupling(step, regional.history)
        np.testing.assert_allclose(got, expected, rtol=1e-13)


def test_laplacian_without_delays_is_minus_a_laplacian_times_state():
    conn, _ = network(n=6, seed=14, max_delay=0)
    sim = simulator(conn, Laplacian(a=np.array([2.5]), normalize="sym"), ei_model())
    state = np.asarray(sim.history.buffer[(10 - 1) % sim.history.n_time, 0, :, 0], dtype=float)
    expected = -2.5 * laplacian(conn.weights, "sym") @ state
    np.testing.assert_allclose(sim.coupling(10, sim.history)[0, :, 0], expected, rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# Whole simulations against TVB's own couplings
# ---------------------------------------------------------------------------------------------


def test_laplacian_none_reproduces_tvb_difference_with_delays():
    rng = np.random.default_rng(21)
    n = 6
    lengths = rng.uniform(20.0, 60.0, (n, n))  # mm; at 5 mm/ms delays of 4-12 ms = 400-1200 steps
    conn = Connectivity(
        weights=random_weights(n, seed=21),
        tract_lengths=(lengths + lengths.T) / 2,
        speed=np.array([5.0]),
        centres=np.zeros((n, 3)),
        region_labels=np.array([f"R{i}" for i in range(n)]),
    )
    conn.configure()
    dt = 0.01
    model = dict(I_e=15.0)
    probe = simulator(conn, Laplacian(), ei_model(**model), dt=dt)
    initial = ei_initial_conditions(probe.good_history_shape, seed=22)
    runs = []
    for coupling in (Laplacian(a=np.array([2.0])), tvb_coupling.Difference(a=np.array([2.0]))):
        sim = simulator(conn, coupling, ei_model(**model), dt=dt, initial_conditions=initial)
        runs.append(run_raw(sim, 30.0))
    ours, tvb = runs
    # TVB's Difference sums a W_ij (x_j - x_i) in float32; Laplacian sums W_ij x_j - k_i x_i in
    # float64. Both read the same float32 history, so the trajectories differ only by float32
    # rounding of the coupling sum (~1e-7 of each variable's scale; 4e-7 absolute measured).
    scale = np.abs(tvb).max(axis=(0, 2, 3), keepdims=True)
    assert np.all(np.abs(ours - tvb) <= 1e-6 * scale)
    assert np.ptp(tvb[:, 0]) > 0.1  # the run is not trivially at rest


def test_additive_on_row_normalised_aal90_is_rw_laplacian_plus_local_shift():
    # With row sums 1: eps sum_j W_ij s_j = eps (sum_j W_ij s_j - s_i) + eps s_i, so Linear(eps)
    # equals Laplacian('rw', eps) with J_ee -> J_ee + eps, J_ie -> J_ie + eps.
    # Euler, because TVB evaluates the coupling once per step (at its start): with Heun the
    # corrector would see the shifted local term at the predicted state but the coupling's
    # -eps s_i at the start of the step, an O(dt) difference between the two (not a coupling
    # error). With Euler both read the same state; only float32 history rounding remains,
    # measured ~3e-7 of each variable's scale over 30 ms; 1e-5 allows for its growth.
    eps, dt, length = 9.0, 0.01, 30.0
    conn = load_aal90(normalize="row", tract_lengths=False)
    raw = load_aal90(normalize="none", tract_lengths=False)
    initial = ei_initial_conditions((1, 6, 90, 1), seed=31)

    def run(connectivity, coupling, shift):
        model = ei_model(I_e=15.0, J_ee=5.0 + shift, J_ie=13.0 + shift)
        euler = integrators.EulerDeterministic(dt=dt)
        sim = simulator(connectivity, coupling, model, integrator=euler, initial_conditions=initial)
        return run_raw(sim, length)

    linear = run(conn, tvb_coupling.Linear(a=np.array([eps])), 0.0)
    diffusive = run(conn, Laplacian(a=np.array([eps]), normalize="rw"), eps)
    additive = run(raw, Additive(a=np.array([eps]), normalize="row"), 0.0)
    scale = np.abs(linear).max(axis=(0, 2, 3), keepdims=True)
    assert np.all(np.abs(diffusive - linear) <= 1e-5 * scale)
    assert np.all(np.abs(additive - linear) <= 1e-5 * scale)
    assert np.ptp(linear[:, 0]) > 0.5  # the network oscillates (PING), the check is not idle


# ---------------------------------------------------------------------------------------------
# MultiCoupling
# ---------------------------------------------------------------------------------------------


def test_multicoupling_on_montbrio_pazo_roxin():
    conn, delays = network(n=7, seed=41)
    lap = Laplacian(a=np.array([1.5]), normalize="rw")
    add = Additive(a=np.linspace(0.5, 2.0, 7), normalize="max")
    sim = simulator(conn, MultiCoupling(couplings=[lap, add]), MontbrioPazoRoxin())
    assert list(sim.model.cvar) == [0, 1]  # r, V
    w_rw, k_rw = expected_weights("laplacian", "rw", conn.weights)
    w_max, k_max = expected_weights("additive", "max", conn.weights)
    for step in (4, 29):
        buffer = np.asarray(sim.history.buffer)
        got = sim.coupling(step, sim.history)
        on_r = reference_coupling(buffer[:, :1], step, delays, w_rw, k_rw, np.full(7, 1.5))
        on_v = reference_coupling(buffer[:, 1:], step, delays, w_max, k_max, np.linspace(0.5, 2, 7))
        np.testing.assert_allclose(got, np.concatenate([on_r, on_v]), rtol=1e-12, atol=1e-12)
    assert run_raw(sim, 2.0).shape == (20, 2, 7, 1)  # and it runs in TVB's simulator


def test_multicoupling_accepts_tvb_sparse_couplings():
    conn, _ = network(n=5, seed=42)
    multi = MultiCoupling(
        couplings=[tvb_coupling.Linear(a=np.array([0.3])), tvb_coupling.Difference()]
    )
    ours = MultiCoupling(couplings=[Additive(a=np.array([0.3])), Laplacian(a=np.array([0.1]))])
    sim_tvb = simulator(conn, multi, MontbrioPazoRoxin(), seed=3)
    sim_ours = simulator(conn, ours, MontbrioPazoRoxin(), seed=3)
    for step in (2, 9):
        expected = sim_ours.coupling(step, sim_ours.history)
        np.testing.assert_allclose(sim_tvb.coupling(step, sim_tvb.history), expected, rtol=1e-5)


@pytest.mark.parametrize("count", [1, 3])
def test_multicoupling_needs_one_coupling_per_cvar(count):
    conn, _ = network(n=5, seed=43)
    multi = MultiCoupling(couplings=[Additive() for _ in range(count)])
    sim = simulator(conn, multi, MontbrioPazoRoxin())
    match = rf"'couplings' parameter of MultiCoupling.*\(2\), but got {count} couplings"
    with pytest.raises(ValueError, match=match):
        sim.coupling(3, sim.history)


def test_multicoupling_rejects_empty_list_and_configures_members():
    with pytest.raises(ValueError, match=r"'couplings' parameter.*got an empty list"):
        MultiCoupling().configure()
    with pytest.raises(ValueError, match=r"'a' parameter of Laplacian"):
        MultiCoupling(couplings=[Laplacian(a=np.array([np.nan]))]).configure()


# ---------------------------------------------------------------------------------------------
# Trait validation, weight validation, caching, copying
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "value", "match"),
    [
        (Laplacian, "row", r"'normalize' parameter of Laplacian\. Allowed values are 'none', 'rw'"),
        (Additive, "rw", r"'normalize' parameter of Additive\. Allowed values are 'none', 'row'"),
        (Additive, None, r"'normalize' parameter of Additive.*but got None"),
    ],
)
def test_normalize_trait_rejects_unknown_values(cls, value, match):
    with pytest.raises(ValueError, match=match):
        cls(normalize=value)
    coupling = cls()
    with pytest.raises(ValueError, match=match):
        coupling.normalize = value


@pytest.mark.parametrize(
    ("a", "match"),
    [
        (np.array([np.nan]), r"'a' parameter of Laplacian\. Allowed values are finite.*nan"),
        (np.array([1.0, np.inf]), r"'a' parameter of Laplacian.*inf"),
        (np.array([]), r"'a' parameter of Laplacian.*an empty array"),
    ],
)
def test_gain_must_be_finite(a, match):
    with pytest.raises(ValueError, match=match):
        Laplacian(a=a).configure()


def test_gain_must_have_one_value_or_one_per_region():
    conn, _ = network(n=5, seed=51)
    sim = simulator(conn, Additive(a=np.ones(3)), ei_model())
    with pytest.raises(ValueError, match=r"'a' parameter of Additive.*one per region \(5\).* 3"):
        sim.coupling(2, sim.history)


@pytest.mark.parametrize(
    ("coupling", "change", "match"),
    [
        (Laplacian(), "negative", r"Laplacian.*'weights'.*>= 0.*negative weights at .*\(0, 1\)"),
        (Additive(normalize="row"), "negative", r"Additive.*'weights'.*negative"),
        (Laplacian(normalize="rw"), "empty row", r"Laplacian.*'weights'.*rows \[2\]"),
        (Laplacian(normalize="sym"), "empty row", r"'weights'.*rows \[2\] \(1 in all\)"),
    ],
)
def test_invalid_weights_are_reported_at_first_call(coupling, change, match):
    conn, _ = network(n=5, seed=52)
    if change == "negative":
        conn.weights[0, 1] = -1.0
    else:
        conn.weights[2] = 0.0
    sim = simulator(conn, coupling, ei_model())
    with pytest.raises(ValueError, match=match):
        sim.coupling(2, sim.history)


class CountingLaplacian(Laplacian):
    calls = 0

    def effective_weights(self, weights):
        type(self).calls += 1
        return super().effective_weights(weights)


def test_normalised_weights_are_computed_once_per_history():
    conn, _ = network(n=5, seed=53)
    coupling = CountingLaplacian(normalize="rw")
    sim = simulator(conn, coupling, ei_model())
    run_raw(sim, 5.0)  # 50 steps
    assert CountingLaplacian.calls == 1
    coupling.normalize = "sym"  # a changed trait is honoured
    sim.coupling(3, sim.history)
    assert CountingLaplacian.calls == 2
    other, _ = network(n=6, seed=54)  # a new simulation (new history) gets its own weights
    sim2 = simulator(other, coupling, ei_model())
    w_hat, kappa = expected_weights("laplacian", "sym", other.weights)
    expected = reference_coupling(sim2.history.buffer, 3, other.idelays, w_hat, kappa, np.ones(6))
    np.testing.assert_allclose(sim2.coupling(3, sim2.history), expected, rtol=1e-12, atol=1e-12)
    assert CountingLaplacian.calls == 3


def test_couplings_can_be_copied_and_pickled_after_use():
    conn, _ = network(n=5, seed=55)
    coupling = Additive(a=np.array([0.4]), normalize="total")
    sim = simulator(conn, coupling, ei_model())
    expected = sim.coupling(3, sim.history)
    for clone in (pickle.loads(pickle.dumps(coupling)), copy.deepcopy(coupling)):
        assert clone.normalize == "total" and clone.a[0] == 0.4
        np.testing.assert_array_equal(clone(3, sim.history), expected)


def test_str_shows_the_parameters():
    assert str(Laplacian(a=np.array([9.0]), normalize="rw")) == "Laplacian(a=9.0, normalize='rw')"
    multi = MultiCoupling(couplings=[Additive(a=np.ones(4)), Laplacian()])
    expected = "MultiCoupling(Additive(a=<4 values>, normalize='none'), Laplacian(a=1.0, " + (
        "normalize='none'))"
    )
    assert str(multi) == expected
