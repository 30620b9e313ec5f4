"""The benchmark workloads as configured TVB simulators (each described in its docstring)."""

from __future__ import annotations

import numpy as np
from tvb.datatypes.connectivity import Connectivity
from tvb.simulator import coupling, integrators, monitors, noise
from tvb.simulator.models import MontbrioPazoRoxin
from tvb.simulator.simulator import Simulator

from tvb_ngnmm.connectomes import load_aal90
from tvb_ngnmm.models import NextGenEI


def mpr76(length: float = 1000.0) -> Simulator:
    """MPR-76: TVB's MontbrioPazoRoxin on tvb-data's 76 regions, 2 mm/ms, HeunStochastic.

    Parameters
    ----------
    length : float
        Simulation length (ms).
    """
    conn = Connectivity.from_file()
    weights = np.array(conn.weights, dtype=float)
    np.fill_diagonal(weights, 0.0)
    conn.weights = weights / weights.max()
    conn.speed = np.array([2.0])
    conn.configure()
    sim = Simulator(
        model=MontbrioPazoRoxin(
            tau=np.array([1.0]), Delta=np.array([0.7]), eta=np.array([-4.6]), J=np.array([14.5])
        ),
        connectivity=conn,
        coupling=coupling.Linear(a=np.array([0.095])),
        integrator=integrators.HeunStochastic(
            dt=0.01, noise=noise.Additive(nsig=np.array([0.01, 0.02]))
        ),
        monitors=[monitors.TemporalAverage(period=1.0)],
        simulation_length=length,
    )
    return sim.configure()


def ei90(length: float = 1000.0, I_e: float = 15.0, a: float = 9.0, mons=None) -> Simulator:
    """EI-90: NextGenEI on AAL90 (row sums 1), Linear(a=9) on s_e, 5 mm/ms, HeunDeterministic.

    Parameters
    ----------
    length : float
        Simulation length (ms).
    I_e : float
        External current into E (``NextGenEI``'s ``I_e``).
    a : float
        Gain of the ``Linear`` coupling.
    mons : list of tvb.simulator.monitors.Monitor, optional
        The monitors; default ``TemporalAverage(period=0.1)``.
    """
    sim = Simulator(
        model=NextGenEI(I_e=np.array([I_e])),
        connectivity=load_aal90(normalize="row", conduction_speed=5.0),
        coupling=coupling.Linear(a=np.array([a])),
        integrator=integrators.HeunDeterministic(dt=0.01),
        monitors=mons or [monitors.TemporalAverage(period=0.1)],
        simulation_length=length,
    )
    return sim.configure()


def scale1000(length: float = 100.0, n: int = 1000, seed: int = 0) -> Simulator:
    """SCALE-1000: NextGenEI on a random 1000-region network, 5 % density, HeunStochastic.

    Parameters
    ----------
    length : float
        Simulation length (ms).
    n : int
        Number of regions.
    seed : int
        Seed of the random network (weights, tract lengths, centres).
    """
    rng = np.random.default_rng(seed)
    mask = rng.uniform(size=(n, n)) < 0.05
    np.fill_diagonal(mask, False)
    weights = rng.uniform(0.0, 1.0, (n, n)) * mask
    weights /= np.maximum(weights.sum(axis=1, keepdims=True), 1e-12)
    lengths = rng.uniform(10.0, 100.0, (n, n))
    conn = Connectivity(
        weights=weights,
        tract_lengths=lengths,
        region_labels=np.array([f"r{i}" for i in range(n)]),
        centres=rng.uniform(-60, 60, (n, 3)),
        speed=np.array([5.0]),
    )
    conn.configure()
    sim = Simulator(
        model=NextGenEI(I_e=np.array([15.0])),
        connectivity=conn,
        coupling=coupling.Linear(a=np.array([9.0])),
        integrator=integrators.HeunStochastic(
            dt=0.01, noise=noise.Additive(nsig=np.array([0.0, 1e-4, 0.0, 0.0, 1e-4, 0.0]))
        ),
        monitors=[monitors.TemporalAverage(period=1.0)],
        simulation_length=length,
    )
    return sim.configure()


def tvb76(diagonal: bool = False) -> Connectivity:
    """The default 76 regions of tvb-data with its tract lengths and speed (3 mm/ms), configured.

    The diagonal (self-connections at zero delay) is zeroed unless ``diagonal``, as in MPR-76.

    Parameters
    ----------
    diagonal : bool
        Keep the self-connections.
    """
    conn = Connectivity.from_file()
    if not diagonal:
        weights = np.array(conn.weights, dtype=float)
        np.fill_diagonal(weights, 0.0)
        conn.weights = weights
    conn.configure()
    return conn


def jr76(length: float = 10000.0, diagonal: bool = False) -> Simulator:
    """JR-76: TVB's JansenRit with SigmoidalJansenRit on tvb76, HeunStochastic(dt=0.1).

    Parameters
    ----------
    length : float
        Simulation length (ms).
    diagonal : bool
        Keep the self-connections (see :func:`tvb76`).
    """
    from tvb.simulator.models import JansenRit

    sim = Simulator(
        model=JansenRit(),
        connectivity=tvb76(diagonal),
        coupling=coupling.SigmoidalJansenRit(a=np.array([10.0])),
        integrator=integrators.HeunStochastic(
            dt=0.1, noise=noise.Additive(nsig=np.array([0.0, 0.0, 0.0, 0.0, 1e-3, 0.0]))
        ),
        monitors=[monitors.TemporalAverage(period=1.0)],
        simulation_length=length,
    )
    return sim.configure()


def g2d76(length: float = 10000.0, diagonal: bool = False) -> Simulator:
    """G2D-76: TVB's Generic2dOscillator with Linear(a=0.0152) on tvb76, HeunStochastic(dt=0.1).

    Parameters
    ----------
    length : float
        Simulation length (ms).
    diagonal : bool
        Keep the self-connections (see :func:`tvb76`).
    """
    from tvb.simulator.models import Generic2dOscillator

    sim = Simulator(
        model=Generic2dOscillator(),
        connectivity=tvb76(diagonal),
        coupling=coupling.Linear(a=np.array([0.0152])),
        integrator=integrators.HeunStochastic(
            dt=0.1, noise=noise.Additive(nsig=np.array([1e-4, 1e-4]))
        ),
        monitors=[monitors.TemporalAverage(period=1.0)],
        simulation_length=length,
    )
    return sim.configure()


def real94(length: float = 20000.0, variant: str = "as is") -> Simulator:
    """REAL-94: NextGenEI on the five gw subjects' group tractography (short tracts included).

    √ of the symmetrised streamline counts scaled to a largest eigenvalue of 1, group tract
    lengths, 9.2 mm/ms; ``J_ei = J_ie = 5``, ``I_e = 2.2``, ``Linear(a=7.99)``,
    ``HeunStochastic(dt=0.1)`` with noise 0.048 on ``v_e`` and ``v_i``, Balloon-Windkessel BOLD
    (TR 2 s) as the only monitor. ``variant``: ``"as is"``; ``"long delays"``, every connected
    pair's tract lengthened to a delay of at least 20 steps; ``"no coupling"``, weights zeroed
    (the floor: the model, the noise and the monitor).

    Parameters
    ----------
    length : float
        Simulation length (ms).
    variant : {'as is', 'long delays', 'no coupling'}
        The variant, as above.
    """
    from tvb_ngnmm.datasets import gw
    from tvb_ngnmm.monitors import BalloonWindkesselBold

    conn = gw.sqrt_connectivity(conduction_speed=9.2)
    dt = 0.1
    if variant == "long delays":
        lengths = np.array(conn.tract_lengths)
        connected = np.array(conn.weights) > 0
        lengths[connected] = np.maximum(lengths[connected], 20.5 * dt * 9.2)
        conn.tract_lengths = lengths
    elif variant == "no coupling":
        conn.weights = np.zeros_like(conn.weights)
    elif variant != "as is":
        raise ValueError(f"Unknown REAL-94 variant {variant!r}.")
    conn.configure()
    nsig = np.array([0.0, 0.048, 0.0, 0.0, 0.048, 0.0])
    sim = Simulator(
        model=NextGenEI(I_e=np.array([2.2]), J_ei=np.array([5.0]), J_ie=np.array([5.0])),
        connectivity=conn,
        coupling=coupling.Linear(a=np.array([7.99])),
        integrator=integrators.HeunStochastic(dt=dt, noise=noise.Additive(nsig=nsig)),
        monitors=[BalloonWindkesselBold(period=2000.0)],
        simulation_length=length,
    )
    return sim.configure()


#: FIT-94's bounds, and its start (notebook 06's defaults, where its full sweep's best point is).
FIT94_BOUNDS = {"a": (5.5, 8.5), "I_e": (2.2, 3.0), "noise_amplitude": (0.02, 0.08),
                "conduction_speed": (3.0, 12.0)}  # fmt: skip
FIT94_START = {"a": 7.0, "I_e": 2.6, "noise_amplitude": 0.03, "conduction_speed": 5.0}


def fit94(length: float = 200000.0) -> dict:
    """FIT-94: notebook 06's fit, as ``fit``'s arguments (``sim``, ``objective``, ``bounds``,
    ``options``, ``simulation_length``).

    ``NextGenEI(I_e=2.6, J_ei=5, J_ie=5)`` on the gw group tractography at 5 mm/ms
    (:func:`~tvb_ngnmm.datasets.gw.sqrt_connectivity`), ``Linear(a=7)``,
    ``HeunStochastic(dt=0.1)`` with noise 0.03 on ``v_e`` and ``v_i``, Balloon-Windkessel BOLD
    (TR 2 s) as the only monitor; the objective the correlation with the group FC after a
    20 s transient; CMA-ES over ``a``, ``I_e``, the noise amplitude and the conduction speed
    (populations of 6, ``sigma0`` 0.25), ``length`` ms per evaluation (200 s).

    Parameters
    ----------
    length : float
        Simulation length of each evaluation (ms).
    """
    from tvb_ngnmm.datasets import gw
    from tvb_ngnmm.explore import FCCorrelation
    from tvb_ngnmm.monitors import BalloonWindkesselBold

    nsig = np.array([0.0, 0.03, 0.0, 0.0, 0.03, 0.0])
    sim = Simulator(
        model=NextGenEI(I_e=np.array([2.6]), J_ei=np.array([5.0]), J_ie=np.array([5.0])),
        connectivity=gw.sqrt_connectivity(5.0),
        coupling=coupling.Linear(a=np.array([7.0])),
        integrator=integrators.HeunStochastic(dt=0.1, noise=noise.Additive(nsig=nsig)),
        monitors=[BalloonWindkesselBold(period=2000.0)],
    ).configure()
    return {"sim": sim, "objective": FCCorrelation(gw.group_fc().values, transient=20000.0),
            "bounds": dict(FIT94_BOUNDS), "simulation_length": length,
            "options": {"popsize": 6, "sigma0": 0.25, "x0": dict(FIT94_START)}}  # fmt: skip
