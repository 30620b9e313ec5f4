"""The support matrix (tvb_ngnmm.engine.support): the tables of the documentation's support page
(docs/reference/support.md) are what it returns, and it agrees with what the engine actually runs
and refuses."""

import difflib
import inspect
import re
from pathlib import Path

import numpy as np
import pytest
import tvb.simulator.models as tvb_models
from tvb.simulator import coupling as tvb_coupling
from tvb.simulator import integrators, monitors
from tvb.simulator.noise import Additive
from tvb.simulator.simulator import Simulator

import tvb_ngnmm.engine as engine
from tvb_ngnmm.backend import NumbaBackend
from tvb_ngnmm.engine import support
from tvb_ngnmm.engine.equations import engine_model
from tvb_ngnmm.engine.errors import UnsupportedSimulationError
from tvb_ngnmm.engine.spec import extract
from tvb_ngnmm.engine.support import __main__ as command
from tvb_ngnmm.engine.support import readme as tables
from tvb_ngnmm.models import MPRSynaptic, register_model, registered_models, unregister_model
from tvb_ngnmm.testing import build_simulator, tiny_connectivity
from tvb_ngnmm.testing.couplings import engine_runs_coupling, example_coupling

# The page of the documentation that holds the tables (they were the README's before the site).
README = Path(__file__).resolve().parents[1] / "docs" / "reference" / "support.md"


@pytest.fixture(scope="module")
def matrix():
    return support.support_matrix()


@pytest.fixture(scope="module")
def readme():
    return README.read_text(encoding="utf-8")


def test_the_readme_tables_are_what_the_support_matrix_returns(readme, matrix):
    """Every table of the matrix is marked in the support page, and each is as generated (run
    ``python -m tvb_ngnmm.engine.support --write-readme docs/reference/support.md`` after a
    change)."""
    assert sorted(tables.marked_tables(readme)) == sorted(tables.TABLES)
    updated = tables.update_readme(readme, matrix)
    diff = "\n".join(difflib.unified_diff(readme.splitlines(), updated.splitlines(), lineterm=""))
    assert updated == readme, f"README tables differ from support_matrix():\n{diff}"


@pytest.mark.parametrize(
    ("edit", "replacement"),
    [
        ("| `EulerStochastic` | Euler |", "| `EulerStochastic` | Heun |"),  # a generated cell
        ("| `Raw` | `tvb.simulator.monitors` | `EngineRaw` | regions |\n", ""),  # a row dropped
        ("| `Linear` | `tvb.simulator.coupling` |", "| `Linear2` | `tvb.simulator.coupling` |"),
        ("| `NextGenEI` | `ei` | `r_e,", "| `NextGenEI` | `ei` | `r_E,"),
    ],
)
def test_an_edited_readme_table_is_found_and_rewritten(readme, matrix, edit, replacement):
    """A README whose table differs from the matrix fails the check above, and rewriting it
    gives the README back."""
    assert edit in readme
    edited = readme.replace(edit, replacement, 1)
    assert tables.update_readme(edited, matrix) == readme


def test_the_kept_columns_are_the_readmes(readme, matrix):
    """Measured figures and notes (the kept columns) are carried over by the row's name; a
    row of a model the README does not have yet gets empty kept cells."""
    edited = readme.replace("| `JansenRit` | `jansen_rit` |", "| `JansenRit2` | `jansen_rit` |")
    updated = tables.update_readme(edited, matrix)
    row = next(line for line in updated.splitlines() if line.startswith("| `JansenRit` |"))
    assert row.endswith("| runs | | | | |")
    note = "`'V + W'`, `'V - W'` observed too"
    assert note in readme
    changed = readme.replace(note, "another note")
    assert tables.update_readme(changed, matrix) == changed


def test_the_command_checks_and_rewrites_a_readme(tmp_path, readme, capsys):
    """``--check`` exits 1 on a differing table (naming the fix); ``--write-readme`` rewrites
    it in place, leaving no temporary file."""
    path = tmp_path / "README.md"
    path.write_text(readme.replace("| Heun | none |", "| Heun | white |"), encoding="utf-8")
    assert command.main(["--check", str(path)]) == 1
    assert "--write-readme" in capsys.readouterr().err
    assert command.main(["--write-readme", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == readme
    assert command.main(["--check", str(path)]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["README.md"]


def test_an_unknown_table_name_is_an_error(matrix):
    text = "<!-- support-matrix:models2 -->\n<!-- /support-matrix:models2 -->\n"
    with pytest.raises(ValueError, match="'name' parameter. Allowed values are 'models', .*"
                       "but got 'models2' instead"):  # fmt: skip
        tables.update_readme(text, matrix)


def test_every_registered_model_the_engine_runs_is_listed(matrix):
    """The conformance suite runs every registered model (tests/test_common.py); each is in the
    matrix, with the state variables, coupling variables and coupling-variable counts the
    engine reads from an instance."""
    listed = {row.name: row for row in matrix.models}
    assert {d.name for d in registered_models()} == set(listed)
    for declaration in registered_models():
        model, row = declaration.model(), listed[declaration.name]
        assert row.state_variables == tuple(model.state_variables)
        assert row.coupling_variables == tuple(model.state_variables[i] for i in model.cvar)
        assert row.cvar_counts == engine_model(model).cvar_counts
        assert row.modes == model.number_of_modes == 1


def test_a_model_the_engine_refuses_is_not_listed_as_running(matrix):
    """TVB's models with several modes per node are refused by the engine, and listed among
    the refused models only, with the reason."""
    running = {row.name for row in matrix.models}
    refused = {row.name: row.reason for row in matrix.refused_models}
    assert refused and not running & set(refused)
    for name in refused:
        sim = Simulator(model=getattr(tvb_models, name)(), connectivity=tiny_connectivity(),
                        integrator=integrators.HeunDeterministic(dt=0.01),
                        monitors=[monitors.Raw()]).configure()  # fmt: skip
        with pytest.raises(UnsupportedSimulationError, match="number_of_modes"):
            extract(sim)
    assert "one mode per node" in refused["ReducedSetFitzHughNagumo"]


def test_an_unregistered_model_is_refused_pointing_to_the_matrix():
    """A model class with neither engine equations nor ``state_variable_dfuns``: the error
    says where the registered models are listed."""

    class NoEquations(tvb_models.Generic2dOscillator):  # a subclass is not registered
        pass

    sim = build_simulator(NoEquations(), integrators.HeunDeterministic(dt=0.01))
    match = r"'NoEquations', which has neither\. tvb_ngnmm\.engine\.support_matrix\(\) lists"
    with pytest.raises(UnsupportedSimulationError, match=match):
        extract(sim)


def test_a_model_registered_later_is_listed():
    """The matrix is read from the registry when called: a model registered in a script is
    listed, and no longer once unregistered."""

    class ScriptModel(MPRSynaptic):
        pass

    register_model(ScriptModel, equations=None, cvar_counts=(1, 2))
    try:
        assert "ScriptModel" in support.model_names()
    finally:
        unregister_model(ScriptModel)
    assert "ScriptModel" not in support.model_names()


def _tvb_integrators() -> list[type]:
    return [
        cls
        for cls in vars(integrators).values()
        if inspect.isclass(cls) and issubclass(cls, integrators.Integrator)
        and not inspect.isabstract(cls) and cls.__module__ == integrators.__name__
    ]  # fmt: skip


def _integrator(cls: type):
    if issubclass(cls, integrators.IntegratorStochastic):
        return cls(dt=0.01, noise=Additive(nsig=np.array([1e-3])))
    return cls(dt=0.01)


def test_the_listed_integrators_are_exactly_those_the_engine_accepts(matrix):
    """Every concrete TVB integrator is tried on a tiny network: ``extract`` accepts the listed
    ones, and refuses the others with a message listing exactly the matrix's integrators."""
    listed = [row.name for row in matrix.integrators]
    accepted = []
    for cls in _tvb_integrators():
        sim = build_simulator(MPRSynaptic(), _integrator(cls))
        try:
            extract(sim)
        except UnsupportedSimulationError as error:
            given = re.search(r"supports (.*), but got", str(error)).group(1)
            assert given == ", ".join(map(repr, listed)), str(error)
            assert f"but got {cls.__name__!r}" in str(error)
        else:
            accepted.append(cls.__name__)
    assert sorted(accepted) == sorted(listed)
    assert {row.stochastic for row in matrix.integrators} == {False, True}


def test_an_unlisted_integrator_is_refused_naming_the_listed_ones():
    sim = build_simulator(MPRSynaptic(), integrators.RungeKutta4thOrderDeterministic(dt=0.01))
    names = ", ".join(map(repr, support.integrator_names()))
    with pytest.raises(UnsupportedSimulationError, match=f"'integrator' .*supports {names}, "
                       "but got 'RungeKutta4thOrderDeterministic' instead"):  # fmt: skip
        NumbaBackend(progress=False).run_sim(sim, simulation_length=0.1)


def test_an_unlisted_monitor_is_refused_naming_exactly_the_listed_ones(matrix):
    sim = build_simulator(MPRSynaptic(), integrators.HeunDeterministic(dt=0.01),
                          monitors=[monitors.GlobalAverage()])  # fmt: skip
    names = ", ".join(repr(row.name) for row in matrix.monitors)
    with pytest.raises(UnsupportedSimulationError, match=f"'monitor' .*supports {names}, "
                       "but got 'GlobalAverage' instead"):  # fmt: skip
        extract(sim)
    assert {"Raw", "TemporalAverage", "BalloonWindkesselBold"} <= {r.name for r in matrix.monitors}


def test_every_listed_coupling_runs_on_the_engine(matrix):
    """Each listed coupling, with the conformance checks' example parameters, is one the
    engine's dispatch claims; the linear ones reduce to one linear form."""
    import tvb_ngnmm.coupling as package_couplings
    from tvb_ngnmm.coupling.linear_form import linear_form

    ring = np.ones((2, 2)) - np.eye(2)
    for row in matrix.couplings:
        cls = getattr(package_couplings, row.name, None) or getattr(tvb_coupling, row.name)
        coupling = example_coupling(cls)
        assert engine_runs_coupling(coupling), row.name
        if row.name != "MultiCoupling":
            assert (linear_form(coupling, ring) is not None) == row.linear, row.name
        assert row.gain == (hasattr(coupling, "a") or row.name == "MultiCoupling"), row.name


class SquaredSine(tvb_coupling.SparseCoupling):
    """A user's coupling with a nonlinear pre function the engine does not know."""

    def pre(self, x_i, x_j):
        return np.sin(x_j - x_i) ** 2

    def post(self, gx):
        return gx


def test_an_unlisted_coupling_is_refused_naming_the_listed_ones(matrix):
    """The coupling the engine refuses is not listed; its error names the listed couplings."""
    sim = build_simulator(MPRSynaptic(), integrators.HeunDeterministic(dt=0.01),
                          coupling=SquaredSine())  # fmt: skip
    with pytest.raises(UnsupportedSimulationError, match="but got 'SquaredSine'") as error:
        extract(sim)
    named = re.search(r"supports (.*), but got", str(error.value)).group(1)
    assert sorted(named.split(", ")) == sorted(repr(row.name) for row in matrix.couplings)


def test_the_docstrings_point_to_the_matrix_instead_of_listing():
    """The engine's and NumbaBackend's docstrings name no components by hand."""
    for doc in (engine.__doc__, NumbaBackend.__doc__):
        assert "support_matrix" in doc
        assert "MontbrioPazoRoxin" not in doc and "TemporalAverage" not in doc
    assert engine.support_matrix is support.support_matrix


def test_the_summary_names_every_component(matrix):
    summary = matrix.summary()
    for rows in (matrix.models, matrix.couplings, matrix.monitors, matrix.integrators):
        assert all(row.name in summary for row in rows)
    assert f"{len(matrix.models)} models: " in summary
