r"""TVB's own region models that the engine runs, registered with their engine form.

One module per family of ``tvb.simulator.models``, named as TVB names its files; each
transcribes the classes' ``dfun`` into engine-form equations (arguments named as the model
names its state variables, coupling terms ``c_0, c_1, …`` and parameters) and registers them
with :func:`~tvb_ngnmm.models.register_model`. The package does not redefine TVB's models:
registering them lets the engine run existing TVB scripts unchanged, and the common conformance
suite (``tests/test_common.py``) checks each against stock ``sim.run()``, deterministic and with
replayed noise. :data:`NOT_ON_ENGINE` names the stock models the engine refuses, and why;
:data:`FIRST_REGION_IN_TVB` the parameters the engine reads per region where stock TVB reads the
first region's; :data:`DEFINED_STATE_RANGES` where a model's dfun is defined when its own
``state_variable_range`` reaches beyond.

The modules are imported when needed, not with the package: importing TVB's model modules
compiles their Numba functions (about 6 s for all of them, 2 s for ``epileptorcodim3`` alone),
which every process importing ``tvb_ngnmm.models`` (each Dask worker among them) would pay.
:func:`~tvb_ngnmm.models.declaration_of` loads the family of a TVB class it does not know yet
(:func:`load_family`), and :func:`~tvb_ngnmm.models.registered_models` loads them all
(:func:`load_all`). The next-generation family (``infinite_theta``) is cheap and loaded with the
package.
"""

import importlib
import pkgutil

from .._registry import register_family_loaders
from .infinite_theta import montbrio_pazo_roxin_equations

#: TVB model modules whose classes are registered in a module of another name here.
_FAMILY_OF = {"epileptor_rs": "epileptor", "wong_wang_exc_inh": "wong_wang", "linear": "hopfield"}


def families() -> tuple[str, ...]:
    """Names of the modules here, one per family of TVB models."""
    return tuple(sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.ispkg))


def load_family(tvb_module: str) -> bool:
    """Import (and so register) the family of TVB's module ``tvb.simulator.models.<tvb_module>``;
    False if there is none here."""
    name = _FAMILY_OF.get(tvb_module, tvb_module)
    if name not in families():
        return False
    importlib.import_module(f"{__name__}.{name}")
    return True


def load_all() -> None:
    """Import every family (registering every TVB model the engine runs)."""
    for name in families():
        importlib.import_module(f"{__name__}.{name}")


register_family_loaders(load_family, load_all)


_MODES = "{} modes per node (number_of_modes = 3): the engine runs one mode per node"

#: TVB's region models the engine does not run, with what they need that it lacks.
NOT_ON_ENGINE: dict[str, str] = {
    "ReducedSetFitzHughNagumo": _MODES.format("three"),
    "ReducedSetHindmarshRose": _MODES.format("three"),
}


def _arc_points(*points: str) -> tuple[str, ...]:
    """The parameters ``mu1_<point>, mu2_<point>, nu_<point>`` of each point."""
    return tuple(f"{name}_{point}" for point in points for name in ("mu1", "mu2", "nu"))


#: Parameters that stock TVB reads at the first region only (it derives its unit vectors from
#: ``value[0]`` in ``update_derived_parameters``) and the engine reads per region: with
#: per-region values, the engine follows each region's and stock TVB the first region's.
FIRST_REGION_IN_TVB: dict[str, tuple[str, ...]] = {
    "EpileptorCodim3": _arc_points("start", "stop"),
    "EpileptorCodim3SlowMod": _arc_points("Ain", "Aend", "Bin", "Bend"),
}

#: Ranges of state variables where stock TVB's dfun is defined, for models whose own
#: ``state_variable_range``, or that range widened by half its width each side (as the common
#: suite's equation check widens it), reaches states where it is not: KIonEx's extracellular
#: potassium ``K_o = 4.8 - 3 DKi + Kg`` enters a logarithm, and its ranges (``DKi`` in [-10, 0],
#: ``Kg`` in [-20, -5]) reach ``K_o < 0``; the Zerlaut models' rates ``E, I`` in [0.001, 0.25]
#: kHz, widened, reach negative rates (below their boundary 0), where the variance of the
#: membrane potential can be negative and its square root NaN. These keep ``K_o`` above 4.8 mM
#: and the rates above 5 Hz even widened.
_ZERLAUT_RATES = {"E": (0.05, 0.14), "I": (0.05, 0.14)}
DEFINED_STATE_RANGES: dict[str, dict[str, tuple[float, float]]] = {
    "KIonEx": {"DKi": (-8.0, -4.0), "Kg": (-4.0, 0.0)},
    "ZerlautAdaptationFirstOrder": _ZERLAUT_RATES,
    "ZerlautAdaptationSecondOrder": _ZERLAUT_RATES,
}

__all__ = [
    "DEFINED_STATE_RANGES",
    "FIRST_REGION_IN_TVB",
    "NOT_ON_ENGINE",
    "families",
    "load_all",
    "load_family",
    "montbrio_pazo_roxin_equations",
]
