"""The ``[dataset]`` section of a configuration: empirical subjects, read once and split.

With ``[dataset]``, a configuration's simulator runs on the training group's connectome
(:meth:`Dataset.connectivity(None, conduction_speed) <tvb_ngnmm.datasets.Dataset.connectivity>`
of the training subjects: the weighting applied to their mean structure), a fit's objective
takes its targets from the training subjects
(:meth:`~tvb_ngnmm.explore.objectives.AbstractObjective.with_data`), and a regional map may be
computed from their data by name (:data:`DATASET_MAPS`). The held-out subjects (``test``) are
left for the validation that follows the fit. With ``folds = k`` instead of ``test``, every
subject trains the configuration's simulator and objective, and ``tvb-ngnmm fit`` cross-validates
(:func:`~tvb_ngnmm.explore.cross_validate` over :func:`~tvb_ngnmm.datasets.kfold`'s ``k`` folds,
shuffled by ``fold_seed``, default 0).

Every error of reading or splitting the dataset is a :class:`~.keys.ConfigError` naming the
key of ``[dataset]`` it comes from (the file, where there is one, named in the message).
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..datasets import BUNDLED, Dataset, check_split, kfold, load, read_dataset
from ..datasets.files import BOLD_LAYOUTS
from ..explore.objectives import ARRAY_KEYS, OBJECTIVES, Combined
from .keys import ConfigError, Key, _invalid, _positive

#: Keys of ``[dataset]`` that describe files (refused with a bundled ``name``).
FILE_KEYS = ("weights", "lengths", "bold", "table", "bold_layout", "keys", "labels", "min_volumes")
#: The validation's labels of the training and the test group (no test subject's name).
GROUP_TARGETS = ("train", "test")
#: Regional maps computed from the training subjects' data, by name (``[fit].maps``).
DATASET_MAPS = ("sc_strength",)
#: The keys of an objective term holding an empirical target (taken from a dataset instead).
TARGET_KEYS = (*ARRAY_KEYS, "target_dt")


def dataset_schema() -> dict:
    """The keys of ``[dataset]``."""
    return {
        "name": Key("str", choices=BUNDLED),
        "weights": Key("any"), "lengths": Key("any"), "bold": Key("any"), "table": Key("str"),
        "repetition_time": Key("number", check=_positive, allowed="numbers > 0 (ms)"),
        "weighting": Key("list"), "subjects": Key("list"),
        "bold_layout": Key("str", choices=BOLD_LAYOUTS), "keys": Key("table"),
        "labels": Key("any"),
        "min_volumes": Key("int", check=lambda v: v >= 2, allowed="integers >= 2"),
        "test": Key("list"),
        "folds": Key("int", check=lambda v: v >= 2, allowed="integers >= 2"),
        "fold_seed": Key("int", check=lambda v: v >= 0, allowed="integers >= 0"),
    }  # fmt: skip


@dataclass(frozen=True)
class DatasetSection:
    """A configuration's dataset, read once, and its held-out split.

    Attributes
    ----------
    dataset : tvb_ngnmm.datasets.Dataset
        Every subject read (``[dataset].subjects``, or all).
    split : dict or None
        ``{'train': names, 'test': names}`` (:func:`~tvb_ngnmm.datasets.check_split`), or None
        without ``[dataset].test`` (every subject trains).
    train : tvb_ngnmm.datasets.Dataset
        The training subjects' dataset.
    folds : list of dict or None
        With ``[dataset].folds``: :func:`~tvb_ngnmm.datasets.kfold`'s splits (every subject
        then trains the configuration's simulator and objective).
    """

    dataset: Dataset
    split: dict | None
    train: Dataset
    folds: list | None = None

    def connectivity(self, conduction_speed: float):
        """The training group's ``Connectivity`` (``conduction_speed`` in mm/ms)."""
        return self.train.connectivity(None, conduction_speed)


def read_dataset_section(table: dict, base: Path) -> DatasetSection:
    """The checked ``[dataset]`` table read (files relative to ``base``) and split."""
    given = [k for k in ("name", "weights", "table") if table[k] is not None]
    if len(given) != 1:
        raise _invalid("[dataset]", "is exactly one of 'name' (a bundled dataset: "
                       f"{', '.join(map(repr, BUNDLED))}), 'weights' with 'lengths' and 'bold' "
                       "(files) or 'table' (a CSV/TSV table of paths)", given)  # fmt: skip
    if table["repetition_time"] is None and table["table"] is None:
        raise ConfigError("[dataset].repetition_time", "Missing key [dataset].repetition_time. "
                          "Required (ms; the files do not record it) unless [dataset].table "
                          "has a repetition_time column, but it was not given.")  # fmt: skip
    for key, value in (("subjects", table["subjects"]), ("test", table["test"]),
                       ("weighting", table["weighting"])):  # fmt: skip
        if value is not None and not all(isinstance(v, str) for v in value):
            raise _invalid(f"[dataset].{key}", "is a list of names (strings)", value)
    try:
        dataset = _read(table, base)
    except ConfigError:
        raise
    except (ValueError, OSError, KeyError) as err:
        key = _dataset_key(str(err))
        raise ConfigError(key, f"{key}: {err}") from None
    if table["folds"] is not None or table["fold_seed"] is not None:
        return DatasetSection(dataset, None, dataset, _folds(table, dataset))
    if table["test"] is None:
        return DatasetSection(dataset, None, dataset)
    try:
        split = check_split(dataset, table["test"])
    except ValueError as err:
        raise ConfigError("[dataset].test", f"[dataset].test: {err}") from None
    clash = [name for name in split["test"] if name in GROUP_TARGETS]
    if clash:
        raise _invalid("[dataset].test", "are subjects named other than "
                       f"{', '.join(map(repr, GROUP_TARGETS))} (the validation's labels of the "
                       "training and test groups)", clash)  # fmt: skip
    return DatasetSection(dataset, split, dataset.subset(split["train"]))


def _folds(table: dict, dataset: Dataset) -> list:
    """The splits of ``[dataset].folds`` (not with ``test``)."""
    if table["test"] is not None:
        raise _invalid("[dataset].folds", "is given without [dataset].test (k folds hold out "
                       "every subject once)", table["folds"])  # fmt: skip
    if table["folds"] is None:
        raise _invalid("[dataset].fold_seed", "is given with [dataset].folds",
                       table["fold_seed"])  # fmt: skip
    try:
        return kfold(dataset, table["folds"], table["fold_seed"] or 0)
    except ValueError as err:
        raise ConfigError("[dataset].folds", f"[dataset].folds: {err}") from None


def _read(table: dict, base: Path) -> Dataset:
    """The dataset of ``[dataset]``: bundled, or files (patterns, dicts or a table of paths)
    under ``base``."""
    options = {"repetition_time": table["repetition_time"], "subjects": table["subjects"]}
    if table["weighting"] is not None:
        options["weighting"] = tuple(table["weighting"])
    if table["name"] is not None:
        for key in FILE_KEYS:
            if table[key] is not None:
                raise _invalid(f"[dataset].{key}", "only with files ('weights' or 'table', not "
                               "'name': the bundled dataset says where its files are)",
                               table[key])  # fmt: skip
        return load(table["name"], **options)
    for kind in ("weights", "lengths", "bold", "table", "labels"):
        if table[kind] is not None:
            options[kind] = _paths(table[kind], f"[dataset].{kind}", base)
    for key in ("bold_layout", "keys", "min_volumes"):
        if table[key] is not None:
            options[key] = table[key]
    return read_dataset(**options)


def _paths(value, key: str, base: Path):
    """Paths relative to ``base``: a pattern (``{subject}``, ``{session}``), a table
    ``{subject = 'path'}`` (for BOLD also ``{subject = {session = 'path'}}``); ``labels`` may
    also be a list of names, left as it is."""
    if isinstance(value, str):
        return str(base / value)
    if key.endswith("labels") and isinstance(value, list) and all(isinstance(v, str)
                                                                   for v in value):  # fmt: skip
        return value
    if isinstance(value, dict) and value:
        try:
            return {name: _paths(path, key, base) for name, path in value.items()}
        except ConfigError:
            pass
    allowed = ("is a list of names or the path of a text file (relative to the config file's "
               "folder)") if key.endswith("labels") else (
               "is a path pattern with one '{subject}' or a table {subject = 'path'} (relative "
               "to the config file's folder)")  # fmt: skip
    raise _invalid(key, allowed, value)


#: The key of ``[dataset]`` for each parameter the dataset readers name.
_PARAMETER_KEYS = {"weights": "weights", "lengths": "lengths", "bold": "bold",
                   "table": "table", "repetition_time": "repetition_time",
                   "weighting": "weighting", "subjects": "subjects", "subject": "subjects",
                   "name": "name", "bold_layout": "bold_layout", "keys": "keys",
                   "labels": "labels", "min_volumes": "min_volumes"}  # fmt: skip


def _dataset_key(message: str) -> str:
    """The key of ``[dataset]`` a reader's error is about (its parameter), else the section."""
    named = re.search(r"the '(\w+)' parameter", message)
    if named and named[1] in _PARAMETER_KEYS:
        return f"[dataset].{_PARAMETER_KEYS[named[1]]}"
    return "[dataset]"


def check_connectome_keys(table) -> None:
    """With ``[dataset]``, ``[connectome]`` gives only ``conduction_speed``."""
    if not isinstance(table, dict):
        return  # refused by the schema
    for key, value in table.items():
        if key != "conduction_speed":
            raise _invalid(f"[connectome].{key}", "with [dataset] is only 'conduction_speed' "
                           "in [connectome] (the connectome is the training subjects' group, "
                           "weighted by [dataset].weighting)", value)  # fmt: skip


def objective_terms(table) -> list:
    """``[(term table, key)]`` of ``[fit].objective`` (one table, or each of its ``terms``);
    empty if it is neither (refused later, with the objective's own message)."""
    if not isinstance(table, dict):
        return []
    if "terms" not in table:
        return [(table, "[fit].objective")]
    terms = table["terms"] if isinstance(table["terms"], list) else []
    return [(term, f"[fit].objective.terms[{k}]") for k, term in enumerate(terms)
            if isinstance(term, dict)]  # fmt: skip


def with_placeholder_targets(table: dict, section: DatasetSection) -> dict:
    """``[fit].objective`` with every term's empirical target filled in (an FC the training
    group's, an FCD a placeholder), which :func:`dataset_objective` then sets to the training
    subjects' data; a target given in the configuration is refused, naming it."""
    group_fc = None
    table = {**table, "terms": [dict(t) for t in table["terms"]]} if "terms" in table else (
        dict(table))  # fmt: skip
    for term, key in objective_terms(table):
        given = [k for k in TARGET_KEYS if k in term]
        if given:
            raise _invalid(f"{key}.{given[0]}", "with [dataset] is no target (the targets are "
                           "the training subjects' data)", term[given[0]])  # fmt: skip
        cls = OBJECTIVES.get(term.get("kind"))
        accepted = inspect.signature(cls).parameters if cls is not None else {}
        if "target_fc" in accepted:
            group_fc = section.train.group_fc() if group_fc is None else group_fc
            term["target_fc"] = group_fc
        elif "target_fcd" in accepted:
            term["target_fcd"] = np.zeros(1)
    return table


def dataset_objective(objective, section: DatasetSection, keys: list):
    """The objective with its targets the training subjects' (group FC, pooled FCD); ``keys``
    name its terms in the configuration (:func:`objective_terms`), for the errors."""
    terms = []
    for (term, weight), key in zip(objective.terms(), keys, strict=True):
        try:
            terms.append((term.with_data(section.train), weight))
        except ValueError as err:
            raise ConfigError(key, f"{key}: {err}") from None
    if objective.terms() == [(objective, 1.0)]:  # a single objective, not a weighted sum
        return terms[0][0]
    return Combined(terms)


def dataset_map(name: str, section: DatasetSection | None, key: str) -> np.ndarray:
    """A regional map of :data:`DATASET_MAPS` from the training subjects.

    ``'sc_strength'``: each region's strength in the training group's connectome (the row sums
    of its weights, as the simulator runs them), z-scored (mean 0, standard deviation 1 over the
    regions), so that a parameter's ``base`` is its mean over the regions.
    """
    if section is None:
        raise _invalid(key, f"map names {', '.join(map(repr, DATASET_MAPS))} only with "
                       "[dataset] (they are computed from its training subjects)",
                       name)  # fmt: skip
    if section.folds is not None:
        raise _invalid(key, "is a map of numbers or a .npy file with [dataset].folds (a map "
                       "of the data would be computed from every fold's test subjects too)",
                       name)  # fmt: skip
    strength = section.train.group_weights().sum(axis=1)
    spread = float(strength.std())
    if not spread > 0:
        raise _invalid(key, "is a map that varies across regions", f"{name!r}, the same "
                       f"strength {float(strength[0]):g} in every region")  # fmt: skip
    return (strength - strength.mean()) / spread
