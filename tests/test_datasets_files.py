"""A dataset of subjects from files (tvb_ngnmm.datasets.read_dataset): read back, discovered,
weighted by named steps, checked before returning, and its FC, group averages and baselines."""

import numpy as np
import pytest
import scipy.io

from tvb_ngnmm.analysis import functional_connectivity_dynamics
from tvb_ngnmm.datasets import Dataset, apply_weighting, gw, read_dataset
from tvb_ngnmm.datasets.baselines import baselines

N_REGION, N_TIME = 6, 40
SUBJECTS = ("sub-01", "sub-02", "sub-03")


def _arrays(seed):
    rng = np.random.default_rng(seed)
    counts = rng.uniform(0.0, 10.0, (N_REGION, N_REGION))
    lengths = rng.uniform(5.0, 90.0, (N_REGION, N_REGION))
    bold = rng.standard_normal((N_TIME, N_REGION))
    return counts, lengths, bold


def _save(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".npy":
        np.save(path, array)
    elif path.suffix == ".csv":
        np.savetxt(path, array, delimiter=",", fmt="%.17g")
    else:
        scipy.io.savemat(path, {"x": array})


def _write(tmp_path, ext=".npy", subjects=SUBJECTS, change=None):
    """Three kinds of file per subject under ``tmp_path/<subject>/``; the arrays written."""
    written = {}
    for k, name in enumerate(subjects):
        counts, lengths, bold = _arrays(k)
        arrays = {"sc": counts, "len": lengths, "bold": bold}
        if change:
            change(name, arrays)
        for kind, array in arrays.items():
            _save(tmp_path / name / f"{kind}{ext}", array)
        written[name] = arrays
    return written


def _symmetric(name, arrays):
    """Symmetric matrices, to be read as they are."""
    arrays.update(sc=arrays["sc"] + arrays["sc"].T, len=arrays["len"] + arrays["len"].T)


def _patterns(tmp_path, ext=".npy"):
    return tuple(str(tmp_path / "{subject}" / f"{kind}{ext}") for kind in ("sc", "len", "bold"))


def _read(tmp_path, ext=".npy", **kwargs):
    kwargs.setdefault("repetition_time", 2000.0)
    return read_dataset(*_patterns(tmp_path, ext), **kwargs)


@pytest.mark.parametrize("ext", [".npy", ".csv", ".mat"])
def test_read_back_equal(tmp_path, ext):
    """Each format reads back the arrays written, subjects found from the pattern, sorted."""
    written = _write(tmp_path, ext, change=_symmetric)
    data = _read(tmp_path, ext, weighting=())
    assert isinstance(data, Dataset)
    assert data.subjects == SUBJECTS
    assert data.repetition_time == 2000.0
    for name in SUBJECTS:
        np.testing.assert_array_equal(data.weights[name], written[name]["sc"])
        np.testing.assert_array_equal(data.lengths[name], written[name]["len"])
        np.testing.assert_array_equal(data.bold[name], written[name]["bold"])
        assert data.files[name]["bold"] == tmp_path / name / f"bold{ext}"


def test_default_weighting_symmetrizes_weights_and_lengths(tmp_path):
    """By default the weights and the lengths are averaged over both directions, diagonal 0."""
    written = _write(tmp_path)
    data = _read(tmp_path)
    for name in SUBJECTS:
        for kind, key in (("weights", "sc"), ("lengths", "len")):
            expected = (written[name][key] + written[name][key].T) / 2
            np.fill_diagonal(expected, 0.0)
            np.testing.assert_allclose(getattr(data, kind)[name], expected, rtol=1e-15)


def test_subjects_given_and_tables(tmp_path):
    """``subjects`` selects; a dict {subject: path} stands for a pattern."""
    written = _write(tmp_path)
    assert _read(tmp_path, subjects=["sub-03", "sub-01"]).subjects == ("sub-03", "sub-01")
    tables = [
        {name: tmp_path / name / f"{kind}.npy" for name in ("sub-02", "sub-01")}
        for kind in ("sc", "len", "bold")
    ]
    data = read_dataset(*tables, repetition_time=720.0)
    assert data.subjects == ("sub-01", "sub-02")
    np.testing.assert_array_equal(data.bold["sub-02"], written["sub-02"]["bold"])


def test_bold_region_time_layout(tmp_path):
    """A (region, time) series is found by its region count, or said by ``bold_layout``."""
    written = _write(tmp_path, change=lambda name, arrays: arrays.update(bold=arrays["bold"].T))
    for layout in ("auto", "region_time"):
        data = _read(tmp_path, bold_layout=layout)
        np.testing.assert_array_equal(data.bold["sub-02"], written["sub-02"]["bold"].T)
    with pytest.raises(ValueError, match=r"'bold' parameter \(file .*sub-01.*shape \(6, 40\)"):
        _read(tmp_path, bold_layout="time_region")


@pytest.mark.parametrize(
    "steps",
    [
        ("symmetrize", "zero_diagonal", "sqrt", "unit_eigenvalue"),
        ("symmetrize", "log1p", "max"),
        ("symmetrize", "row"),
        ("zero_diagonal", "sqrt", "symmetrize"),
    ],
)
def test_weighting_steps_against_numpy(tmp_path, steps):
    """Each named step, in the order given, as NumPy computes it."""
    written = _write(tmp_path)
    data = _read(tmp_path, weighting=steps)
    for name in SUBJECTS:
        w = written[name]["sc"].copy()
        for step in steps:
            if step == "symmetrize":
                w = (w + w.T) / 2
            elif step == "zero_diagonal":
                w = w - np.diag(np.diag(w))
            elif step == "log1p":
                w = np.log(1.0 + w)
            elif step == "sqrt":
                w = w**0.5
            elif step == "unit_eigenvalue":
                w = w / np.max(np.linalg.eigvals(w).real)
            elif step == "row":
                w = w / w.sum(axis=1, keepdims=True)
            elif step == "max":
                w = w / w.max()
        np.testing.assert_allclose(data.weights[name], w, rtol=1e-12)
    assert data.weighting == steps


def test_fc_group_and_baselines(tmp_path):
    """FC is np.corrcoef of the regions; group FC the Fisher-z mean; baselines as called."""
    written = _write(tmp_path)
    data = _read(tmp_path)
    fcs = [np.corrcoef(written[name]["bold"].T) for name in SUBJECTS]
    for name, fc in zip(SUBJECTS, fcs, strict=True):
        np.testing.assert_allclose(data.fc(name), fc, rtol=1e-12, atol=1e-14)
    z = np.mean([np.arctanh(fc - np.eye(N_REGION)) for fc in fcs], axis=0)
    np.testing.assert_allclose(data.group_fc(), np.tanh(z) + np.eye(N_REGION), atol=1e-12)
    mean = np.mean([data.weights[name] for name in SUBJECTS], axis=0)
    np.testing.assert_allclose(data.group_weights(), mean)
    expected = baselines(mean, fcs, names=SUBJECTS)
    table = data.baselines()
    assert list(table["subject"].values) == list(SUBJECTS)
    for var in expected.data_vars:
        np.testing.assert_allclose(table[var].values, expected[var].values, rtol=1e-12)
    with pytest.raises(ValueError, match="'subject' parameter.*'sub-09'"):
        data.fc("sub-09")


def test_gw_subjects_from_files(tmp_path):
    """The bundled subjects written to files read back as a Dataset with gw's group FC and
    baselines."""
    for name in gw.SUBJECTS:
        files = gw.subject(name)
        _save(tmp_path / name / "sc.npy", files.streamline_counts())
        _save(tmp_path / name / "len.npy", files.tract_lengths())
        _save(tmp_path / name / "bold.npy", files.bold_series())  # (region, time)
    data = _read(tmp_path)
    assert data.subjects == gw.SUBJECTS
    assert data.bold["NAP_001"].shape == (355, gw.N_REGIONS)
    np.testing.assert_allclose(data.group_fc(), gw.group_fc().values, rtol=1e-12)
    np.testing.assert_allclose(
        data.group_weights(), gw.group_connectivity().weights, rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(data.group_lengths(), gw.group_connectivity().tract_lengths)


# -- bad input: each refused before anything is returned, naming the file or parameter --------


def test_missing_file_names_subject_and_kind(tmp_path):
    """A subject without one of its files."""
    _write(tmp_path)
    (tmp_path / "sub-02" / "len.npy").unlink()
    with pytest.raises(ValueError, match=r"'lengths' parameter.*subject 'sub-02'"):
        _read(tmp_path)
    with pytest.raises(ValueError, match=r"'weights' parameter.*none for subject 'sub-07'"):
        _read(tmp_path, subjects=["sub-01", "sub-07"])


def test_no_file_or_bad_pattern(tmp_path):
    """A pattern matching no file; a pattern without exactly one placeholder."""
    with pytest.raises(ValueError, match=r"'weights' parameter.*no file"):
        _read(tmp_path)
    with pytest.raises(ValueError, match=r"'lengths' parameter.*exactly one '\{subject\}'"):
        read_dataset("{subject}/a.npy", "len.npy", "{subject}/b.npy", repetition_time=1.0)


def test_different_sizes_name_both_files(tmp_path):
    """Matrices of different sizes across subjects."""
    rng = np.random.default_rng(5)

    def smaller(name, arrays):
        if name == "sub-03":
            arrays.update(sc=rng.uniform(0, 1, (5, 5)), len=rng.uniform(1, 2, (5, 5)))

    _write(tmp_path, change=smaller)
    with pytest.raises(
        ValueError, match=r"file '.*sub-03.sc\.npy'.*\(6, 6\) in '.*sub-01.sc\.npy'.*shape \(5, 5\)"
    ):
        _read(tmp_path)


def test_lengths_other_size_than_weights(tmp_path):
    """Tract lengths of another size than the weights."""
    _write(tmp_path, change=lambda name, arrays: arrays.update(len=np.ones((4, 4))))
    with pytest.raises(ValueError, match=r"'lengths' parameter \(file .*sub-01.len.*\(4, 4\)"):
        _read(tmp_path)


def test_asymmetric_refused_unless_symmetrized(tmp_path):
    """Asymmetric matrices are refused when the weighting does not symmetrise."""
    _write(tmp_path)
    with pytest.raises(ValueError, match=r"'weights' parameter \(file .*sub-01.sc.*symmetric"):
        _read(tmp_path, weighting=("zero_diagonal",))
    _read(tmp_path, weighting=("symmetrize",))


def test_negative_and_non_finite_refused(tmp_path):
    """Negative structural matrices; non-finite matrices and BOLD series."""

    def negative(name, arrays):
        if name == "sub-02":
            arrays["sc"][1, 2] = -1.0

    _write(tmp_path, change=negative)
    with pytest.raises(ValueError, match=r"file .*sub-02.sc\.npy.*>= 0, but got -1\.0 at"):
        _read(tmp_path)

    def nan_bold(name, arrays):
        arrays["bold"][3, 1] = np.nan

    _write(tmp_path, change=nan_bold)
    with pytest.raises(ValueError, match=r"'bold' parameter \(file .*sub-01.bold.*finite.*nan"):
        _read(tmp_path)

    def inf_lengths(name, arrays):
        arrays["len"][0, 4] = np.inf

    _write(tmp_path, change=inf_lengths)
    with pytest.raises(ValueError, match=r"'lengths' parameter \(file .*sub-01.len.*inf"):
        _read(tmp_path)


def test_bold_region_count_and_length(tmp_path):
    """A BOLD series over another number of regions; fewer than 2 samples; square."""
    _write(tmp_path, change=lambda name, arrays: arrays.update(bold=np.ones((30, 7))))
    with pytest.raises(ValueError, match=r"'bold' parameter \(file .*matrices' 6 regions"):
        _read(tmp_path)
    _write(tmp_path, change=lambda name, arrays: arrays.update(bold=np.ones((1, 6))))
    with pytest.raises(ValueError, match=r"'bold' parameter \(file .*at least 2 samples.*1 samp"):
        _read(tmp_path)
    _write(tmp_path, change=lambda name, arrays: arrays.update(bold=np.ones((6, 6))))
    with pytest.raises(ValueError, match=r"'bold' parameter \(file .*ambiguous"):
        _read(tmp_path)
    _read(tmp_path, bold_layout="time_region")


def test_bad_options(tmp_path):
    """Missing repetition time; unknown weighting step; a bare string for a sequence; unknown
    layout or key."""
    _write(tmp_path)
    with pytest.raises(ValueError, match=r"'repetition_time' parameter.*ms > 0.*got None"):
        _read(tmp_path, repetition_time=None)
    with pytest.raises(ValueError, match=r"'repetition_time' parameter.*got -2\.0"):
        _read(tmp_path, repetition_time=-2.0)
    with pytest.raises(ValueError, match=r"'weighting' parameter.*'sqrt'.*got 'cbrt'"):
        _read(tmp_path, weighting=("symmetrize", "cbrt"))
    with pytest.raises(ValueError, match=r"'weighting' parameter.*tuple of steps.*got 'sqrt'"):
        _read(tmp_path, weighting="sqrt")
    with pytest.raises(ValueError, match=r"'subjects' parameter.*sequence.*got the string"):
        _read(tmp_path, subjects="sub-01")
    with pytest.raises(ValueError, match=r"'bold_layout' parameter.*got 'rows'"):
        _read(tmp_path, bold_layout="rows")
    with pytest.raises(ValueError, match=r"'keys' parameter.*got 'sc'"):
        _read(tmp_path, keys={"sc": "x"})


def test_apply_weighting_unit_eigenvalue_needs_symmetric():
    """'unit_eigenvalue' on an asymmetric matrix is refused."""
    w = np.arange(9.0).reshape(3, 3)
    with pytest.raises(ValueError, match=r"'weights' parameter \(file 'w.npy'\).*symmetric"):
        apply_weighting(w, ("unit_eigenvalue",), "w.npy")
    expected = (w + w.T) / 2 / np.max(np.linalg.eigvals((w + w.T) / 2).real)
    np.testing.assert_allclose(apply_weighting(w, ("symmetrize", "unit_eigenvalue")), expected)


def test_fcd_and_connectivity(tmp_path):
    """FCD sampled at the repetition time, as the analysis function gives it; a window longer
    than the series names the subject and file; TVB Connectivity of a subject and the group."""
    written = _write(tmp_path)
    data = _read(tmp_path, repetition_time=500.0)
    fcd, centres = data.fcd("sub-02", window_ms=5000.0, step_ms=1000.0)
    expected, expected_centres = functional_connectivity_dynamics(
        written["sub-02"]["bold"], 500.0, 5000.0, 1000.0
    )
    np.testing.assert_array_equal(fcd, expected)
    np.testing.assert_array_equal(centres, expected_centres)
    assert len(centres) == (N_TIME - 10) // 2 + 1  # 10-sample windows every 2 samples
    with pytest.raises(ValueError, match=r"'window_ms' parameter.*subject 'sub-01', file '.*bold"):
        data.fcd("sub-01", window_ms=N_TIME * 500.0 + 500.0, step_ms=1000.0)
    conn = data.connectivity("sub-03", conduction_speed=5.0)
    np.testing.assert_array_equal(conn.weights, data.weights["sub-03"])
    np.testing.assert_array_equal(conn.tract_lengths, data.lengths["sub-03"])
    np.testing.assert_allclose(conn.delays, data.lengths["sub-03"] / 5.0)
    group = data.connectivity()
    np.testing.assert_allclose(group.weights, data.group_weights())
    np.testing.assert_allclose(group.tract_lengths, data.group_lengths())


def test_group_weighting_after_the_mean_and_subset(tmp_path):
    """The group's weights are the weighting steps applied to the subjects' mean structure
    (√ of the mean, not the mean of √); a subset keeps its subjects' arrays and refuses an
    unknown, repeated or empty choice."""
    written = _write(tmp_path)
    steps = ("symmetrize", "zero_diagonal", "sqrt", "unit_eigenvalue")
    data = _read(tmp_path, weighting=steps)
    mean = np.mean([(w["sc"] + w["sc"].T) / 2 for w in written.values()], axis=0)
    mean = np.sqrt(mean - np.diag(np.diag(mean)))
    expected = mean / np.max(np.linalg.eigvals(mean).real)
    np.testing.assert_allclose(data.group_weights(), expected, rtol=1e-12, atol=1e-15)
    part = data.subset(["sub-03", "sub-01"])
    assert part.subjects == ("sub-03", "sub-01")
    np.testing.assert_array_equal(part.bold["sub-01"], data.bold["sub-01"])
    np.testing.assert_allclose(part.group_fc(), fisher_mean([data.fc("sub-03"), data.fc("sub-01")]))
    for bad, match in [
        (["sub-01", "sub-01"], "each given once"),
        ([], "non-empty"),
        ("sub-01", "non-empty"),
        (["sub-99"], "'subjects' parameter.*sub-99"),
    ]:
        with pytest.raises(ValueError, match=match):
            data.subset(bad)


def fisher_mean(fcs):
    z = np.mean([np.arctanh(fc - np.eye(len(fc))) for fc in fcs], axis=0)
    return np.tanh(z) + np.eye(len(z))


def test_gw_dataset_is_the_bundled_connectome():
    """gw.dataset(): the group's weights and lengths are sqrt_connectivity's, its FC
    group_fc's, and a TR is required."""
    data = gw.dataset(repetition_time=2000.0)
    conn = gw.sqrt_connectivity(9.2)
    np.testing.assert_allclose(data.group_weights(), conn.weights, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(data.group_lengths(), conn.tract_lengths, rtol=1e-12)
    np.testing.assert_allclose(data.group_fc(), gw.group_fc().values, rtol=1e-12)
    with pytest.raises(ValueError, match="'repetition_time' parameter"):
        gw.dataset(repetition_time=None)
