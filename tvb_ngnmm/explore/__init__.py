"""Parameter sweeps and fits on Dask into labelled zarr stores.

``sweep(sim, design, measures, store)`` runs a design (:func:`grid`, :func:`points`,
:func:`sobol`) of a configured TVB simulator as engine batches inside Dask tasks (a local
cluster by default), reduces each point on the worker (:data:`MEASURES`) and writes the results
as they arrive to a zarr store that a second call resumes.

``fit(sim, objective, bounds, method)`` minimises an objective (:class:`FCCorrelation`,
:class:`FCDistance`, :class:`FCLevel`, :class:`FCDDistance`, :class:`SpectralPeak`, their
weighted sums) with grid refinement, CMA-ES or differential evolution, each generation a
sweep; it is ``run_fit(sim, check_fit(sim, objective, bounds, ...))``, the settings checked
once into a :class:`FitProblem`; ``FitResult.validate`` (:func:`validate_fit`) runs the best
parameters again with fresh noise, and on held-out subjects of a dataset beside the data's
floor and ceiling (:func:`validate_held_out`). ``fit_subjects(sim, objective, bounds, dataset)``
fits each subject of a dataset to its own connectome and data on one cluster, into one
resumable store (:class:`SubjectFits`, :func:`load_subject_fits`).
``cross_validate(sim, objective, bounds, dataset, folds=5)`` fits each fold's training
subjects (:func:`~tvb_ngnmm.datasets.kfold`) and validates each fit on the subjects it held
out, on one cluster into one resumable store (:func:`cross_validation_summary`,
:func:`plot_cross_validation`, :func:`load_cross_validation`). Needs the ``explore`` extra
(``pip install 'tvb-ngnmm[explore]'``: dask[distributed], zarr, cma).

``configure_seeded(sim, history_seed)`` configures a simulator with its random initial history
drawn from a seed (:mod:`.seeding`): what the command line and ``history_seed`` of sweeps and
fits use, so that runs give the same numbers every time.
"""

from ..seeding import configure_seeded
from .cross_validation import cross_validate, load_cross_validation
from .cross_validation_table import cross_validation_summary, plot_cross_validation
from .design import Design, grid, points, sobol
from .fit import FitResult, fit, run_fit
from .fit_problem import FitProblem, FitSettingError, check_fit
from .held_out import floor_and_ceiling, validate_held_out
from .objectives import (
    OBJECTIVES,
    AbstractObjective,
    Combined,
    FCCorrelation,
    FCDDistance,
    FCDistance,
    FCLevel,
    SpectralPeak,
    combine,
    objective_from_config,
)
from .reduce import MEASURES
from .store import SweepStore
from .subjects import SubjectFits, fit_subjects, load_subject_fits, subject_simulator
from .sweep import local_cluster, sweep
from .validation import plot_validation, validate_fit, validation_summary

__all__ = [
    "AbstractObjective",
    "Combined",
    "Design",
    "FCCorrelation",
    "FCDDistance",
    "FCDistance",
    "FCLevel",
    "FitProblem",
    "FitResult",
    "FitSettingError",
    "MEASURES",
    "OBJECTIVES",
    "SpectralPeak",
    "SubjectFits",
    "SweepStore",
    "check_fit",
    "combine",
    "configure_seeded",
    "cross_validate",
    "cross_validation_summary",
    "fit",
    "fit_subjects",
    "floor_and_ceiling",
    "grid",
    "load_cross_validation",
    "load_subject_fits",
    "local_cluster",
    "objective_from_config",
    "plot_cross_validation",
    "plot_validation",
    "points",
    "run_fit",
    "sobol",
    "subject_simulator",
    "sweep",
    "validate_fit",
    "validate_held_out",
    "validation_summary",
]
