"""Regional heterogeneity: a parameter as ``base + Σ_k c_k · map_k`` in sweeps and fits; the
per-region values equal NumPy's, a sweep over maps equals ``run_batch`` with those values (a
zero coefficient the homogeneous run), a fit reports them; bad maps are refused."""

import functools

import numpy as np
import pytest
from dask_cluster import local_cluster
from test_cli_fit import SIMULATOR
from test_engine_agreement import make_sim
from tvb.simulator import monitors

from tvb_ngnmm.analysis import functional_connectivity
from tvb_ngnmm.cli.config import ConfigError, parse_config
from tvb_ngnmm.engine.batch import run_batch
from tvb_ngnmm.engine.spec import extract
from tvb_ngnmm.explore import FCCorrelation, check_fit, grid, points
from tvb_ngnmm.explore import fit as seeded_fit
from tvb_ngnmm.explore import sweep as seeded_sweep
from tvb_ngnmm.explore.heterogeneity import checked_maps, expanded, regional_values

distributed = pytest.importorskip("distributed")
# compared with run_batch on the simulator configured here: runs start from its own history
sweep = functools.partial(seeded_sweep, history_seed=None)
fit = functools.partial(seeded_fit, history_seed=None)
N = 5
MYELIN = np.linspace(0.0, 1.0, N)
GRADIENT = np.array([1.0, -1.0, 0.5, 2.0, 0.0])
MAPS = {"I_e": {"myelin": MYELIN, "gradient": GRADIENT}}
UNREACHABLE = "tcp://127.0.0.1:1"  # the checks refuse before any connection


@pytest.fixture(scope="module")
def sim():
    return make_sim("NextGenEI", n=N, mons=[monitors.TemporalAverage(period=0.5)], length=20.0)


@pytest.fixture(scope="module")
def client():
    with local_cluster(1) as (_, client):
        yield client


def test_regional_values_equal_numpy(sim):
    """The per-region values of each point are base + Σ_k c_k · map_k."""
    spec = extract(sim)
    values = {"I_e.base": np.array([10.0, 12.0]), "I_e.myelin": np.array([0.0, 3.0]),
              "I_e.gradient": np.array([-1.5, 0.25])}  # fmt: skip
    got = regional_values(spec, checked_maps(spec, MAPS), values)["I_e"]
    for k in range(2):
        expected = (values["I_e.base"][k] + values["I_e.myelin"][k] * MYELIN
                    + values["I_e.gradient"][k] * GRADIENT)  # fmt: skip
        np.testing.assert_allclose(got[k], expected, rtol=1e-15)


def test_missing_base_is_the_simulators_value_and_missing_coefficient_zero(sim):
    """Without a swept base, the simulator's own (per-region) value; a coefficient not swept
    adds nothing."""
    spec = extract(sim)
    got = regional_values(spec, checked_maps(spec, MAPS), {"I_e.myelin": np.array([2.0])})
    own = sim.model.I_e * np.ones(N)
    np.testing.assert_allclose(got["I_e"][0], own + 2.0 * MYELIN, rtol=1e-15)


def test_a_design_without_coefficients_runs_the_simulators_values(sim):
    """A design sweeping other parameters only: the heterogeneous parameter is the simulator's
    value at every point (one row per point)."""
    spec = extract(sim)
    run, recorded = expanded(spec, checked_maps(spec, MAPS), grid({"a": [0.1, 0.2, 0.3]}))
    assert run.values["I_e"].shape == (3, N)
    np.testing.assert_array_equal(run.values["I_e"], np.tile(spec.params[
        spec.parameter_names.index("I_e")], (3, 1)))  # fmt: skip
    assert set(recorded.names) == {"a", "I_e"}


def test_sweep_over_maps_equals_run_batch_with_the_regional_values(sim, client, tmp_path):
    """A sweep of coefficients equals run_batch with the per-region values; the point with
    zero coefficients equals the homogeneous run with its base; the store records both."""
    design = grid({"I_e.base": [10.0, 12.0], "I_e.myelin": [0.0, 4.0]})
    ds = sweep(sim, design, ["mean_rate", "fc"], tmp_path / "s.zarr", client=client,
               progress=False, maps={"I_e": {"myelin": MYELIN}})  # fmt: skip
    base, coefficient = design.values["I_e.base"], design.values["I_e.myelin"]
    regional = base[:, None] + coefficient[:, None] * MYELIN
    (reference,) = run_batch(sim, {"I_e": regional}, progress=False)
    (homogeneous,) = run_batch(sim, {"I_e": base[coefficient == 0]}, progress=False)
    np.testing.assert_allclose(ds["I_e"].values, regional, rtol=1e-15)
    np.testing.assert_array_equal(ds["I_e.myelin"].values, coefficient)
    rates = reference.mean("time").values * 1000.0
    np.testing.assert_allclose(ds.mean_rate_r_e.values, rates[:, 0], rtol=1e-12)
    for k in range(design.n_point):
        fc = functional_connectivity(reference.isel(member=k, state_variable=0).values)
        np.testing.assert_allclose(ds.fc.values[k], fc, rtol=1e-12)
    zero = np.flatnonzero(coefficient == 0)
    np.testing.assert_allclose(ds.mean_rate_r_e.values[zero],
                               homogeneous.mean("time").values[:, 0] * 1000.0,
                               rtol=1e-12)  # fmt: skip
    assert not np.allclose(rates[0, 0], rates[1, 0])  # the map changes the run


def test_fit_reports_coefficients_and_regional_values(sim, client):
    """The fitted coefficients are in the history and best_parameters; best_regional holds
    base + c · map of the best evaluation."""
    (out,) = run_batch(sim, {"I_e": [12.0 + 3.0 * MYELIN]}, progress=False)
    target = functional_connectivity(out.isel(member=0, state_variable=0).values)
    maps = {"I_e": {"myelin": MYELIN}}
    result = fit(sim, FCCorrelation(target), {"I_e.base": (10.0, 14.0), "I_e.myelin": (0.0, 6.0)},
                 method="grid", budget=9, client=client, progress=False, maps=maps,
                 options={"points_per_axis": 3})  # fmt: skip
    best = result.best_parameters
    assert set(best) == {"I_e.base", "I_e.myelin"}
    assert "I_e.myelin" in result.history.coords
    expected = best["I_e.base"] + best["I_e.myelin"] * MYELIN
    np.testing.assert_allclose(result.best_regional["I_e"], expected, rtol=1e-15)
    assert best == {"I_e.base": 12.0, "I_e.myelin": 3.0}  # the target is a grid point


@pytest.mark.parametrize(
    ("maps", "match"),
    [
        ([MYELIN], r"'maps' parameter\. Allowed is None or a dict"),
        ({"nope": {"m": MYELIN}}, r"Allowed parameters are the model's .* but got 'nope'"),
        ({"I_e": MYELIN}, r"for 'I_e' is a dict of one or more"),
        ({"I_e": {"base": MYELIN}}, r"identifiers other than 'base', but got 'base'"),
        ({"I_e": {"2x": MYELIN}}, r"identifiers other than 'base', but got '2x'"),
        ({"I_e": {"m": MYELIN[:3]}}, r"map I_e\.m is one value per region \(shape \(5,\)\), but got shape \(3,\)"),  # noqa: E501
        ({"I_e": {"m": [0, 1, np.nan, 0, 0]}}, r"map I_e\.m are finite numbers, but got nan at region 2"),  # noqa: E501
        ({"I_e": {"m": ["a"] * N}}, r"map I_e\.m is an array of numbers"),
    ],
)  # fmt: skip
def test_bad_maps_are_refused(sim, tmp_path, maps, match):
    """Maps that are not per-region finite arrays of a model parameter, under identifiers."""
    with pytest.raises(ValueError, match=match):
        sweep(sim, points({"I_e.base": [10.0]}), ["mean_rate"], tmp_path / "s.zarr",
              client=UNREACHABLE, maps=maps)  # fmt: skip
    assert not (tmp_path / "s.zarr").exists()


@pytest.mark.parametrize(
    ("design", "match"),
    [
        ({"I_e": [10.0]}, r"heterogeneous parameter 'I_e' are its names \['I_e.base', 'I_e.m'\], but got 'I_e' itself"),  # noqa: E501
        ({"I_e.other": [1.0]}, r"Allowed names of the heterogeneous parameter 'I_e' are .*but got 'I_e.other' instead \(no map 'other'\)"),  # noqa: E501
    ],
)  # fmt: skip
def test_design_names_of_maps_are_checked(sim, tmp_path, design, match):
    """A heterogeneous parameter swept by its own name, or a coefficient of no map."""
    with pytest.raises(ValueError, match=match):
        sweep(sim, points(design), ["mean_rate"], tmp_path / "s.zarr", client=UNREACHABLE,
              maps={"I_e": {"m": MYELIN}})  # fmt: skip


def test_regional_values_outside_the_domain_are_refused(sim, tmp_path):
    """Per-region values are checked as swept values: a time constant <= 0 in one region, in a
    sweep and anywhere in a fit's box (here only where one coefficient is low and the other
    high, which neither all-low nor all-high corner reaches)."""
    maps = {"tau_e": {"m": MYELIN, "g": -MYELIN}}
    with pytest.raises(ValueError, match=r"tau_e"):
        sweep(sim, points({"tau_e.base": [1.0], "tau_e.m": [-2.0]}), ["mean_rate"],
              tmp_path / "s.zarr", client=UNREACHABLE, maps=maps)  # fmt: skip
    target = np.corrcoef(np.random.default_rng(0).standard_normal((N, 50)))
    with pytest.raises(ValueError, match=r"tau_e"):
        check_fit(sim, FCCorrelation(target), {"tau_e.m": (-0.9, 0.0), "tau_e.g": (0.0, 0.9),
                                               "tau_e.base": (1.0, 2.0)}, maps=maps)  # fmt: skip
    check_fit(sim, FCCorrelation(target), {"tau_e.m": (-0.4, 0.0), "tau_e.g": (0.0, 0.4),
                                           "tau_e.base": (1.0, 2.0)}, maps=maps)  # fmt: skip


@pytest.fixture(scope="module")
def config_folder(tmp_path_factory):
    """A 6-region network, a target FC and a map in files."""
    path = tmp_path_factory.mktemp("maps_config")
    rng = np.random.default_rng(3)
    weights = rng.uniform(0.2, 1.0, (6, 6))
    np.fill_diagonal(weights, 0.0)
    np.save(path / "weights.npy", weights)
    np.save(path / "lengths.npy", rng.uniform(10.0, 40.0, (6, 6)))
    np.save(path / "target.npy", np.corrcoef(rng.standard_normal((6, 40))))
    np.save(path / "myelin.npy", np.linspace(0.0, 1.0, 6))
    return path


FIT_MAPS = """
[fit]
parameters = { "I_e.base" = [8.0, 16.0], "I_e.myelin" = [-2.0, 2.0] }
objective = { kind = "fc_correlation", target_fc = "target.npy" }
method = "grid"
budget = 9
maps = { I_e = { myelin = "myelin.npy", gradient = [1, 0, 0, 0, 0, 2] } }
"""


def test_config_maps_of_a_fit_and_a_sweep(config_folder):
    """[fit].maps and [sweep].maps, as .npy files or lists, reach the fit's problem and the
    sweep's arguments; the parameters may name the coefficients."""
    problem = parse_config(SIMULATOR + FIT_MAPS, base=config_folder,
                           require_fit=True).fit_arguments()["problem"]  # fmt: skip
    np.testing.assert_array_equal(problem.maps["I_e"]["myelin"], np.linspace(0.0, 1.0, 6))
    np.testing.assert_array_equal(problem.maps["I_e"]["gradient"], [1, 0, 0, 0, 0, 2])
    assert set(problem.bounds) == {"I_e.base", "I_e.myelin"}
    sweep_section = (
        '\n[sweep]\ndesign = "grid"\nparameters = { "I_e.myelin" = [0.0, 1.0] }\n'
        'measures = ["mean_rate"]\nmaps = { I_e = { myelin = "myelin.npy" } }\n'
    )
    arguments = parse_config(SIMULATOR + sweep_section, base=config_folder).sweep_arguments()
    np.testing.assert_array_equal(arguments["maps"]["I_e"]["myelin"], np.linspace(0.0, 1.0, 6))


@pytest.mark.parametrize(
    ("old", "new", "match"),
    [
        ('"myelin.npy"', '"none.npy"', r"\[fit\].maps.I_e.myelin\. Allowed is a list of numbers or a .npy file"),  # noqa: E501
        ("[1, 0, 0, 0, 0, 2]", "[1, 0, 2]", r"\[fit\].maps: .*map I_e.gradient is one value per region \(shape \(6,\)\), but got shape \(3,\)"),  # noqa: E501
        ("maps = { I_e = {", "maps = { I_x = {", r"\[fit\].maps: .*Allowed parameters are the model's .*but got 'I_x'"),  # noqa: E501
        ("maps = { I_e = {", "maps = { I_e = 3, J = {", r"\[fit\].maps\. Allowed is a table \{parameter"),  # noqa: E501
        ('"I_e.myelin" = [-2.0, 2.0]', '"I_e.other" = [-2.0, 2.0]', r"\[fit\].parameters: .*'I_e.other'.*no map 'other'"),  # noqa: E501
    ],
)  # fmt: skip
def test_bad_config_maps_are_refused_naming_the_key(config_folder, old, new, match):
    """Maps that cannot be read, of another length, of no model parameter, or a coefficient of
    no map, refused naming the key."""
    text = SIMULATOR + FIT_MAPS
    assert old in text
    with pytest.raises(ConfigError, match=match):
        parse_config(text.replace(old, new, 1), base=config_folder, require_fit=True)
