"""Held-out splits of a dataset's subjects: a training group and a test group.

A split is a dict ``{'train': (names...), 'test': (names...)}``: the training subjects make
the target of a fit, the test subjects are held out to validate it
(:func:`tvb_ngnmm.explore.validate_held_out`). :func:`check_split` completes and checks a split
a user gives (both groups, or only the test subjects); :func:`kfold` makes ``k`` splits whose
test groups partition the subjects.

Examples
--------
>>> from tvb_ngnmm.datasets import check_split, gw, kfold
>>> data = gw.dataset(repetition_time=2000.0)
>>> check_split(data, ["NAP_009", "NAP_013"])  # the other three train
{'train': ('NAP_001', 'NAP_002', 'NAP_007'), 'test': ('NAP_009', 'NAP_013')}
>>> folds = kfold(data, k=5, seed=0)  # leave one subject out, in a seeded order
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .._util import format_choices

GROUPS = ("train", "test")


def _bad(name: str, allowed: str, given: str) -> ValueError:
    return ValueError(
        f"Invalid value for the {name!r} parameter. Allowed values are {allowed}, but got "
        f"{given} instead."
    )


def _subject_names(subjects) -> tuple[str, ...]:
    """The names of a Dataset's subjects, or of a sequence of names (distinct, >= 1)."""
    names = getattr(subjects, "subjects", subjects)
    if isinstance(names, str) or not isinstance(names, Sequence) or not names:
        raise _bad("subjects", "a Dataset or a non-empty sequence of subject names",
                   repr(subjects))  # fmt: skip
    names = tuple(str(name) for name in names)
    if len(set(names)) != len(names):
        raise _bad("subjects", "subject names each given once", repr(list(names)))
    return names


def _group(names: tuple[str, ...], group: str, given) -> tuple[str, ...]:
    """One group of a split: known subjects, each once."""
    if isinstance(given, str) or not isinstance(given, Sequence):
        raise _bad("split", f"{group} subjects as a sequence of names", repr(given))
    chosen = tuple(str(name) for name in given)
    for name in chosen:
        if name not in names:
            raise _bad("split", f"subjects among {format_choices(names)}",
                       f"{name!r} in {group}")  # fmt: skip
    repeated = sorted({name for name in chosen if chosen.count(name) > 1})
    if repeated:
        raise _bad("split", f"{group} subjects each given once", f"{repeated} repeated")
    return chosen


def check_split(subjects, split) -> dict[str, tuple[str, ...]]:
    """A held-out split of subjects, completed and checked.

    Parameters
    ----------
    subjects : Dataset or sequence of str
        The subjects to split (a :class:`~tvb_ngnmm.datasets.Dataset`'s, or names).
    split : dict or sequence of str
        ``{'train': [...], 'test': [...]}``, or ``{'test': [...]}`` or the test subjects' names
        alone: the training group is then every other subject, in the order of ``subjects``.

    Returns
    -------
    dict
        ``{'train': tuple of str, 'test': tuple of str}``, each in the order given.

    Raises
    ------
    ValueError
        Naming ``split``: not a dict or a sequence of names, keys other than ``'train'`` and
        ``'test'``, an unknown or repeated subject, a subject in both groups, no test subject
        or no training subject.
    """
    names = _subject_names(subjects)
    if isinstance(split, Mapping):
        unknown = sorted(str(key) for key in split if key not in GROUPS)
        if unknown or "test" not in split:
            raise _bad("split", "a dict with the keys 'test' and optionally 'train', or the "
                       "test subjects' names", f"keys {sorted(map(str, split))}")  # fmt: skip
        test = _group(names, "test", split["test"])
        train = _group(names, "train", split["train"]) if "train" in split else None
    else:
        test, train = _group(names, "test", split), None
    if not test:
        raise _bad("split", "splits holding out at least one test subject", "no test subject")
    if train is None:
        train = tuple(name for name in names if name not in test)
    both = [name for name in train if name in test]
    if both:
        raise _bad("split", "splits whose groups share no subject",
                   f"{both} in both train and test")  # fmt: skip
    if not train:
        raise _bad("split", "splits leaving at least one training subject",
                   f"no training subject (test {list(test)})")  # fmt: skip
    return {"train": train, "test": test}


def kfold(subjects, k: int, seed: int = 0) -> list[dict[str, tuple[str, ...]]]:
    """``k`` held-out splits whose test groups partition the subjects.

    The subjects are shuffled by ``np.random.default_rng(seed).permutation`` and cut into
    ``k`` folds of sizes differing by at most one (:func:`numpy.array_split`); split ``i``
    tests fold ``i`` and trains on the others. The same ``seed`` gives the same splits.

    Parameters
    ----------
    subjects : Dataset or sequence of str
        The subjects (a :class:`~tvb_ngnmm.datasets.Dataset`'s, or names).
    k : int
        The number of folds, from 2 to the number of subjects (``k = n`` leaves one out).
    seed : int
        Seed (>= 0) of the shuffle.

    Returns
    -------
    list of dict
        ``k`` splits ``{'train': tuple of str, 'test': tuple of str}``, each group in the order
        of ``subjects``.

    Raises
    ------
    ValueError
        Naming ``k`` (not an int, < 2 or more than the subjects), ``seed`` or ``subjects``.
    """
    names = _subject_names(subjects)
    if (isinstance(k, bool) or not isinstance(k, int | np.integer)
            or not 2 <= k <= len(names)):  # fmt: skip
        raise _bad("k", f"integers from 2 to the number of subjects ({len(names)})", repr(k))
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise _bad("seed", "integers >= 0", repr(seed))
    order = np.random.default_rng(int(seed)).permutation(len(names))
    splits = []
    for fold in np.array_split(order, int(k)):
        held = set(fold.tolist())
        splits.append({"train": tuple(n for i, n in enumerate(names) if i not in held),
                       "test": tuple(n for i, n in enumerate(names) if i in held)})  # fmt: skip
    return splits
