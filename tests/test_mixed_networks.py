"""Networks whose regions run different models (``MixedModel``): engine against a reference.

Stock TVB has no such networks; :class:`MixedModel` gives TVB's simulator one (its ``dfun`` calls
each group's own model ``dfun`` on its regions, in NumPy), which is the independent reference:
the engine instead compiles one loop over nodes branching on each node's group, with each
model's engine equations. Both start from the same configured simulator (same history, same
noise stream); tolerances as in ``test_engine_agreement``.
"""

import numpy as np
import pytest
from test_engine_agreement import RTOL, assert_same_as_stock, small_connectivity
from tvb.simulator import coupling as tvb_coupling
from tvb.simulator import integrators, monitors, noise
from tvb.simulator.models import Generic2dOscillator, Linear
from tvb.simulator.simulator import Simulator

from tvb_ngnmm.backend import NumbaBackend
from tvb_ngnmm.engine import UnsupportedSimulationError
from tvb_ngnmm.engine.batch import run_batch
from tvb_ngnmm.models import MixedModel, MPRSynaptic, NextGenEI

THALAMUS = ["thalamus", "cortex", "cortex", "thalamus", "cortex", "cortex"]


def thalamocortical(**overrides):
    """NextGenEI cortex, MPRSynaptic thalamus, coupled through their synaptic activations."""
    settings = dict(
        models={"cortex": NextGenEI(I_e=np.array([6.0])),
                "thalamus": MPRSynaptic(eta=np.array([-4.0]), J=np.array([14.0]))},
        regions=THALAMUS,
        coupling_variables={"cortex": ["s_e"], "thalamus": ["s"]},
    )  # fmt: skip
    settings.update(overrides)
    return MixedModel(**settings)


def mixed_sim(model, integrator=None, coupling=None, length=20.0, mons=None, delays=True):
    n = model.n_region
    sim = Simulator(
        model=model,
        connectivity=small_connectivity(n, delays=delays),
        coupling=coupling or tvb_coupling.Linear(a=np.array([0.4])),
        integrator=integrator or integrators.HeunDeterministic(dt=0.01),
        monitors=mons or [monitors.Raw()],
        simulation_length=length,
    )
    return sim.configure()


def test_layout_names_slots_by_the_variables_they_hold():
    mixed = thalamocortical()
    assert mixed.state_variables == ("s_e|s", "r_e|r", "v_e|v", "r_i", "v_i", "s_i")
    assert list(mixed.cvar) == [0]
    assert mixed.slot("thalamus", "v") == 2
    assert list(mixed.regions_of("thalamus")) == [0, 3]
    assert set(mixed.state_variable_boundaries) == {"r_e|r", "r_i"}


@pytest.mark.parametrize("delays", [True, False], ids=["delays", "zero_delay"])
@pytest.mark.parametrize("scheme", [integrators.EulerDeterministic, integrators.HeunDeterministic])
def test_thalamocortical_network_matches_the_reference(scheme, delays):
    sim = mixed_sim(thalamocortical(), integrator=scheme(dt=0.01), delays=delays)
    fast, _ = assert_same_as_stock(sim)
    y = fast[0][1][:, :, :, 0]
    thalamus, cortex = [0, 3], [1, 2, 4, 5]
    assert np.all(y[:, 1, thalamus] == 0.0)  # 'r_i' is not a thalamic variable: stays 0
    assert np.ptp(y[:, 1, cortex]) > 1e-3  # and moves in the cortex
    assert np.ptp(y[:, 0, thalamus]) > 1e-3


def test_stochastic_network_with_per_group_noise_matches_the_reference():
    mixed = thalamocortical()
    nsig = mixed.nsig({"cortex": {"v_e": 0.01, "v_i": 0.01}, "thalamus": {"v": 0.02}})
    assert nsig[mixed.slot("cortex", "v_i"), 0, 0] == 0.0  # thalamic region: no 'v_i'
    integrator = integrators.HeunStochastic(dt=0.01, noise=noise.Additive(nsig=nsig, noise_seed=3))
    sim = mixed_sim(mixed, integrator=integrator)
    fast, _ = assert_same_as_stock(sim)
    assert np.all(fast[0][1][:, 1, [0, 3]] == 0.0)


def test_pacemaker_in_an_ei_network_with_two_channels_matches_the_reference():
    """A Generic2dOscillator drives NextGenEI regions; two channels: E and I inputs."""
    mixed = MixedModel(
        models={"cortex": NextGenEI(I_e=np.array([4.0])),
                "pacemaker": Generic2dOscillator(a=np.array([-0.5]))},
        regions=["pacemaker", "cortex", "cortex", "cortex", "cortex"],
        coupling_variables={"cortex": ["s_e", "s_i"], "pacemaker": ["V", "W"]},
        layout={"cortex": ["s_e", "s_i", "r_e", "v_e", "r_i", "v_i"]},
    )  # fmt: skip
    assert mixed.state_variables[:3] == ("s_e|V", "s_i|W", "r_e")
    sim = mixed_sim(mixed, coupling=tvb_coupling.Linear(a=np.array([0.05])), length=30.0)
    assert_same_as_stock(sim)


def test_a_model_given_by_its_state_variable_dfuns_runs_in_a_mixed_network():
    mixed = MixedModel(
        models={"cortex": NextGenEI(I_e=np.array([6.0])), "relay": Linear(gamma=np.array([-2.0]))},
        regions=["relay", "cortex", "cortex", "cortex"],
        coupling_variables={"cortex": ["s_e"], "relay": ["x"]},
    )
    assert_same_as_stock(mixed_sim(mixed))


def test_per_region_parameters_of_a_group_and_a_batch_over_them():
    mixed = thalamocortical(models={
        "cortex": NextGenEI(I_e=np.array([4.0, 5.0, 6.0, 7.0])),  # one per cortical region
        "thalamus": MPRSynaptic(eta=np.array([-4.0]), J=np.array([14.0])),
    })  # fmt: skip
    sim = mixed_sim(mixed, length=10.0)
    assert_same_as_stock(sim)
    batch = run_batch(mixed_sim(thalamocortical(), length=10.0),
                      {"cortex.I_e": [4.0, 8.0]}, seed=None, progress=False)  # fmt: skip
    data = batch[0] if isinstance(batch, list | tuple) else batch
    values = np.asarray(getattr(data, "values", data))
    assert not np.allclose(values[0], values[1])


def test_run_batch_refuses_to_sweep_the_group_assignment():
    """Sweeping 'group' ran nodes matching no group frozen or NaN, blown_up False."""
    sim = mixed_sim(thalamocortical(), length=10.0)
    with pytest.raises(ValueError, match=r"but got 'group' instead \('group' is the MixedModel"):
        run_batch(sim, {"group": [[0, 0, 1, 1, 1], [1, 1, 0, 0, 0]]}, progress=False)


def test_engine_output_differs_when_the_groups_are_swapped():
    """The reference must be able to tell the groups apart (the check is not vacuous)."""
    sim = mixed_sim(thalamocortical())
    ((_, y),) = NumbaBackend(progress=False).run_sim(sim)
    swapped = ["cortex" if g == "thalamus" else "thalamus" for g in THALAMUS]
    sim2 = mixed_sim(thalamocortical(regions=swapped))
    sim2.history.buffer[:] = sim.history.buffer
    ((_, y2),) = NumbaBackend(progress=False).run_sim(sim2)
    assert np.abs(y - y2).max() > 10 * RTOL * np.abs(y).max()


def test_bold_monitor_reads_the_slot_of_every_groups_rate_by_default():
    from tvb_ngnmm.monitors import BalloonWindkesselBold

    bold = BalloonWindkesselBold(period=50.0)
    sim = mixed_sim(thalamocortical(), mons=[bold], length=100.0)
    assert bold.resolved_variable == "r_e|r"
    ((t, y),) = NumbaBackend(progress=False).run_sim(sim)
    assert y.shape == (2, 1, 6, 1) and np.isfinite(y).all()


# --- bad input -------------------------------------------------------------------------------


def test_wrong_length_assignment_is_refused_naming_both_lengths():
    mixed = thalamocortical(regions=THALAMUS[:5])
    with pytest.raises(ValueError, match=r"'regions'.*one group name per region.*\(6\).*5 names"):
        mixed_sim_with_n(mixed, 6)


def mixed_sim_with_n(model, n):
    sim = Simulator(
        model=model,
        connectivity=small_connectivity(n),
        coupling=tvb_coupling.Linear(a=np.array([0.1])),
        integrator=integrators.HeunDeterministic(dt=0.01),
        monitors=[monitors.Raw()],
    )
    return sim.configure()


def test_unknown_group_in_the_assignment_is_refused():
    with pytest.raises(ValueError, match=r"'regions'.*'cortex', 'thalamus'.*'thal' at region 2"):
        thalamocortical(regions=["cortex", "thalamus", "thal"])
    with pytest.raises(ValueError, match=r"'regions'.*every group.*'thalamus'"):
        thalamocortical(regions=["cortex"] * 6)


def test_unknown_model_is_refused():
    with pytest.raises(ValueError, match=r"'models'.*TVB Model instances.*str for group 'cortex'"):
        thalamocortical(models={"cortex": "NextGenEI", "thalamus": MPRSynaptic()})


@pytest.mark.parametrize(
    ("coupling_variables", "message"),
    [
        ({"cortex": ["s_e"]}, r"one entry per group.*\['cortex'\]"),
        ({"cortex": ["s_x"], "thalamus": ["s"]}, r"'cortex'.*NextGenEI.*'r_e'.*'s_x'"),
        ({"cortex": ["s_e", "s_i"], "thalamus": ["s"]}, r"same number.*'cortex': 2, 'thalamus': 1"),
        (  # issue 24: a repeated variable blamed the 'layout', which was not passed
            {"cortex": ["s_e", "s_e"], "thalamus": ["s", "r"]},
            r"'coupling_variables' parameter of MixedModel\. Allowed for group 'cortex' are "
            r"distinct state variables of NextGenEI .*, but got \['s_e', 's_e'\], which repeats "
            r"'s_e' instead",
        ),
    ],
)
def test_coupling_variable_maps_that_do_not_match_the_models_are_refused(
    coupling_variables, message
):
    with pytest.raises(ValueError, match=message):
        thalamocortical(coupling_variables=coupling_variables)


def test_one_model_instance_for_two_groups_is_refused():
    """Issue 24 (probe): each group sets its model's cvar, so one instance shared by two groups
    took the last group's, and the error blamed the 'layout'."""
    model = MPRSynaptic()
    match = (
        r"'models' parameter of MixedModel\. Allowed values are distinct Model instances, one "
        r"per group .*, but got the same MPRSynaptic for groups 'cortex' and 'thalamus' instead"
    )
    with pytest.raises(ValueError, match=match):
        thalamocortical(models={"cortex": model, "thalamus": model},
                        coupling_variables={"cortex": ["s"], "thalamus": ["r"]})  # fmt: skip


def test_a_channel_count_a_model_cannot_read_is_refused_by_the_engine():
    mixed = MixedModel(
        models={"a": NextGenEI(), "b": MPRSynaptic()},
        regions=["a", "b", "a"],
        coupling_variables={"a": ["s_e", "r_e", "s_i"], "b": ["s", "r", "v"]},
    )
    sim = mixed_sim(mixed, length=1.0)
    with pytest.raises(
        UnsupportedSimulationError, match=r"group 'a'.*NextGenEI reads 1 or 2.*got 3"
    ):
        NumbaBackend(progress=False).run_sim(sim)


def test_slots_with_disagreeing_boundaries_are_refused_naming_them():
    """Boundaries are per slot: a rate >= 0 cannot share a slot with an unbounded variable."""
    with pytest.raises(ValueError, match=r"'layout'.*slot 1 \('v_e\|r'\).*unbounded.*0\.0"):
        thalamocortical(layout={"cortex": ["s_e", "v_e", "r_e", "r_i", "v_i", "s_i"]})


def test_a_group_parameter_of_the_wrong_length_is_refused():
    mixed = thalamocortical(models={"cortex": NextGenEI(I_e=np.array([1.0, 2.0, 3.0])),
                                    "thalamus": MPRSynaptic()})  # fmt: skip
    with pytest.raises(
        ValueError, match=r"'cortex.I_e'.*one per region of the group \(4\).*3 values"
    ):
        mixed_sim(mixed)
