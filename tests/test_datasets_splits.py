"""Held-out splits: a user's split completed (the training group the other subjects), k-fold
splits whose test groups partition the subjects, the same for the same seed; bad splits and
bad k refused naming the parameter."""

import numpy as np
import pytest

from tvb_ngnmm.datasets import check_split, kfold

SUBJECTS = ("s1", "s2", "s3", "s4", "s5")


def test_a_users_split_is_completed_in_the_subjects_order():
    """Test names alone train on the others (in the subjects' order); a full split is kept as
    given; a Dataset-like object's subjects are read."""
    assert check_split(SUBJECTS, ["s4", "s2"]) == {"train": ("s1", "s3", "s5"),
                                                   "test": ("s4", "s2")}  # fmt: skip
    assert check_split(SUBJECTS, {"test": ("s1",)})["train"] == ("s2", "s3", "s4", "s5")
    given = {"train": ["s3", "s1"], "test": ["s5"]}
    assert check_split(SUBJECTS, given) == {"train": ("s3", "s1"), "test": ("s5",)}

    class Data:
        subjects = SUBJECTS

    assert check_split(Data(), ["s1"])["train"] == SUBJECTS[1:]


@pytest.mark.parametrize("k", [2, 3, 5])
def test_kfold_partitions_the_subjects_deterministically(k):
    """Each subject is tested once; train and test are complementary; fold sizes differ by at
    most one; the same seed gives the same folds, the folds follow the seeded permutation."""
    folds = kfold(SUBJECTS, k, seed=3)
    assert len(folds) == k
    tested = [name for fold in folds for name in fold["test"]]
    assert sorted(tested) == sorted(SUBJECTS)
    for fold in folds:
        assert set(fold["train"]) | set(fold["test"]) == set(SUBJECTS)
        assert not set(fold["train"]) & set(fold["test"])
        assert fold == check_split(SUBJECTS, fold)
    sizes = [len(fold["test"]) for fold in folds]
    assert max(sizes) - min(sizes) <= 1
    assert kfold(SUBJECTS, k, seed=3) == folds
    order = np.random.default_rng(3).permutation(5)
    first = {SUBJECTS[i] for i in np.array_split(order, k)[0]}
    assert set(folds[0]["test"]) == first


def test_kfold_seeds_differ():
    """Another seed shuffles otherwise (for these seeds)."""
    assert kfold(SUBJECTS, 5, seed=0) != kfold(SUBJECTS, 5, seed=1)


@pytest.mark.parametrize(
    ("split", "match"),
    [
        ("s1", r"'split' parameter. Allowed values are test subjects as a sequence of names, "
         r"but got 's1' instead"),
        ({"train": ["s1"]}, r"'split'.*keys 'test' and optionally 'train'.*\['train'\]"),
        ({"test": ["s1"], "validate": ["s2"]}, r"'split'.*but got keys \['test', 'validate'\]"),
        (["s9"], r"'split'.*subjects among 's1', .*but got 's9' in test instead"),
        ({"train": ["s1", "x"], "test": ["s2"]}, r"'split'.*but got 'x' in train instead"),
        (["s1", "s1"], r"'split'.*test subjects each given once, but got \['s1'\] repeated"),
        ({"train": ["s2", "s2"], "test": ["s1"]}, r"'split'.*train subjects each given once"),
        ({"train": ["s1", "s2"], "test": ["s2"]}, r"'split'.*share no subject.*\['s2'\] in "
         r"both train and test"),
        ([], r"'split'.*at least one test subject, but got no test subject instead"),
        ({"train": [], "test": ["s1"]}, r"'split'.*at least one training subject, but got no "
         r"training subject"),
        (list(SUBJECTS), r"'split'.*at least one training subject.*no training subject"),
    ],
)  # fmt: skip
def test_bad_splits_are_refused(split, match):
    with pytest.raises(ValueError, match=match):
        check_split(SUBJECTS, split)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((SUBJECTS, 1), r"'k' parameter. Allowed values are integers from 2 to the number of "
         r"subjects \(5\), but got 1 instead"),
        ((SUBJECTS, 6), r"'k'.*\(5\), but got 6 instead"),
        ((SUBJECTS, 2.0), r"'k'.*but got 2.0 instead"),
        ((SUBJECTS, True), r"'k'.*but got True instead"),
        ((SUBJECTS, 2, -1), r"'seed' parameter. Allowed values are integers >= 0, but got -1"),
        ((SUBJECTS, 2, None), r"'seed'.*but got None instead"),
        (("s1", 2), r"'subjects' parameter. Allowed values are a Dataset or a non-empty"),
        ((("s1", "s1"), 2), r"'subjects'.*each given once, but got \['s1', 's1'\] instead"),
    ],
)  # fmt: skip
def test_bad_kfold_arguments_are_refused(args, match):
    with pytest.raises(ValueError, match=match):
        kfold(*args)
