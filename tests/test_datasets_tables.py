"""A dataset from a table of paths, TVB zips, region labels and BOLD sessions
(tvb_ngnmm.datasets.read_dataset), the test-retest baseline, datasets.load; each bad input
refused before anything is returned, naming the file (and for a table its line and column)."""

import csv
import zipfile

import numpy as np
import pytest

from tvb_ngnmm._util import UndefinedMeasureWarning
from tvb_ngnmm.analysis import functional_connectivity_dynamics
from tvb_ngnmm.connectomes import make_connectivity, write_tvb_zip
from tvb_ngnmm.datasets import BUNDLED, gw, load, read_dataset

N_REGION, N_TIME = 5, 60
LABELS = ("lA", "lB", "lC", "rA", "rB")


def _matrices(seed):
    rng = np.random.default_rng(seed)
    counts = rng.uniform(1.0, 10.0, (N_REGION, N_REGION))
    lengths = rng.uniform(5.0, 90.0, (N_REGION, N_REGION))
    counts, lengths = counts + counts.T, lengths + lengths.T
    np.fill_diagonal(counts, 0.0)
    np.fill_diagonal(lengths, 0.0)
    return counts, lengths


def _bold(seed, n_time=N_TIME):
    return np.random.default_rng(100 + seed).standard_normal((n_time, N_REGION))


def _files(tmp_path, subjects=("s1", "s2", "s3")):
    """sc.npy, len.npy, bold.npy per subject; the arrays written."""
    written = {}
    for k, name in enumerate(subjects):
        (tmp_path / name).mkdir(parents=True, exist_ok=True)
        counts, lengths = _matrices(k)
        written[name] = {"sc": counts, "len": lengths, "bold": _bold(k)}
        for kind, array in written[name].items():
            np.save(tmp_path / name / f"{kind}.npy", array)
    return written


def _table(path, header, rows, delimiter=","):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _rows(subjects=("s1", "s2", "s3"), tr=None):
    return [
        [name, f"{name}/sc.npy", f"{name}/len.npy", f"{name}/bold.npy"] + ([tr] if tr else [])
        for name in subjects
    ]


HEADER = ["subject", "weights", "lengths", "bold"]


# -- a table of paths -----------------------------------------------------------------------------


@pytest.mark.parametrize("extension, delimiter", [(".csv", ","), (".tsv", "\t")])
def test_table_reads_the_files_it_names(tmp_path, extension, delimiter):
    """Table: relative paths resolve against the table's folder (not the working directory),
    an absolute path is kept, subjects come in the order of their rows, the TR from its column."""
    written = _files(tmp_path / "data")
    rows = _rows(("s3", "s1"), tr="720")
    rows[1][3] = str(tmp_path / "data" / "s1" / "bold.npy")  # absolute
    table = _table(
        tmp_path / "data" / f"subjects{extension}", [*HEADER, "repetition_time"], rows, delimiter
    )
    data = read_dataset(table=table)
    assert data.subjects == ("s3", "s1")
    assert data.repetition_time == 720.0
    for name in data.subjects:
        np.testing.assert_array_equal(data.weights[name], written[name]["sc"])
        np.testing.assert_array_equal(data.lengths[name], written[name]["len"])
        np.testing.assert_array_equal(data.bold[name], written[name]["bold"])
        assert data.sessions[name] == ("1",)
    assert data.files["s3"]["weights"] == tmp_path / "data" / "s3" / "sc.npy"
    assert read_dataset(table=table, repetition_time=720.0, subjects=["s1"]).subjects == ("s1",)


def test_table_repetition_time_from_argument_or_column(tmp_path):
    """Missing TR: neither a column nor an argument is refused, naming the table; an argument
    that disagrees with the column, or rows that disagree, are refused."""
    _files(tmp_path)
    plain = _table(tmp_path / "plain.csv", HEADER, _rows())
    assert read_dataset(table=plain, repetition_time=2000.0).repetition_time == 2000.0
    with pytest.raises(
        ValueError,
        match=r"'repetition_time' parameter.*table '.*plain\.csv' has "
        r"no column 'repetition_time'.*got None",
    ):
        read_dataset(table=plain)
    rows = _rows(tr="2000")
    with_tr = _table(tmp_path / "tr.csv", [*HEADER, "repetition_time"], rows)
    assert read_dataset(table=with_tr, repetition_time=2000).repetition_time == 2000.0
    with pytest.raises(
        ValueError, match=r"'repetition_time' parameter.*table's 2000\.0 ms.*got 720"
    ):
        read_dataset(table=with_tr, repetition_time=720.0)
    rows[2][4] = "1000"
    _table(tmp_path / "tr.csv", [*HEADER, "repetition_time"], rows)
    with pytest.raises(
        ValueError,
        match=r"'table' parameter \(file '.*tr\.csv', line 4, column "
        r"'repetition_time'\).*one repetition time.*2000\.0 ms at line 2.*1000",
    ):
        read_dataset(table=with_tr)
    rows[2][4] = "-5"
    _table(tmp_path / "tr.csv", [*HEADER, "repetition_time"], rows)
    with pytest.raises(ValueError, match=r"line 4, column 'repetition_time'.*ms > 0.*'-5'"):
        read_dataset(table=with_tr)


@pytest.mark.parametrize(
    "header, change, match",
    [
        (
            [*HEADER, "age"],
            lambda rows: [r + ["30"] for r in rows],
            r"line 1, column 'age'\).*'subject', 'weights'.*unknown column 'age'",
        ),
        (
            ["subject", "weights", "lengths"],
            lambda rows: [r[:3] for r in rows],
            r"line 1\).*with 'subject', 'weights', 'bold'.*no column 'bold'",
        ),
        (
            HEADER,
            lambda rows: rows[:1] + [["s2", "s2/sc.npy", "s2/len.npy", ""]],
            r"line 3, column 'bold'\).*a cell in every row.*empty cell",
        ),
        (
            HEADER,
            lambda rows: rows[:1] + [["s2", "s2/sc.npy", "", "s2/bold.npy"]],
            r"line 3, column 'lengths'\).*not a TVB connectivity zip.*empty cell",
        ),
        (
            HEADER,
            lambda rows: rows + [rows[0]],
            r"line 5, column 'subject'\).*one row per subject and session.*second row for subject "
            r"'s1'",
        ),
        (
            HEADER,
            lambda rows: rows + [r + ["x"] for r in rows[:1]],
            r"line 5\).*one cell per column.*5 cells for 4 columns",
        ),
        (HEADER, lambda rows: [], r"at least one row below the header"),
        ([*HEADER, "bold"], lambda rows: [r + ["x"] for r in rows], r"column 'bold'\).*once"),
    ],
)
def test_bad_tables(tmp_path, header, change, match):
    """Bad table: an unknown column, a missing column, a missing cell, a duplicate row, a row
    with more cells than columns, no row, a repeated column; each naming the file and line."""
    _files(tmp_path)
    table = _table(tmp_path / "t.csv", header, change(_rows()))
    with pytest.raises(ValueError, match=r"'table' parameter \(file '.*t\.csv'.*" + match):
        read_dataset(table=table, repetition_time=1.0)


def test_table_sessions_and_disagreeing_structure(tmp_path):
    """Table sessions: one row per (subject, session), rows in order; a duplicate (subject,
    session) and a subject whose rows name different weights are refused."""
    written = _files(tmp_path)
    np.save(tmp_path / "s1" / "bold2.npy", _bold(7))
    rows = [[*row, "a"] for row in _rows(("s1", "s2"))] + [
        ["s1", "s1/sc.npy", "s1/len.npy", "s1/bold2.npy", "b"]
    ]
    table = _table(tmp_path / "t.tsv", [*HEADER, "session"], rows, "\t")
    data = read_dataset(table=table, repetition_time=1.0)
    assert data.sessions == {"s1": ("a", "b"), "s2": ("a",)}
    np.testing.assert_array_equal(data.session_bold["s1", "b"], _bold(7))
    np.testing.assert_array_equal(data.bold["s1"], written["s1"]["bold"])
    _table(table, [*HEADER, "session"], rows + [rows[0]], "\t")
    with pytest.raises(
        ValueError,
        match=r"line 5, column 'session'\).*second row for \(subject, "
        r"session\) = \('s1', 'a'\)",
    ):
        read_dataset(table=table, repetition_time=1.0)
    rows[2][1] = "s2/sc.npy"
    _table(table, [*HEADER, "session"], rows, "\t")
    with pytest.raises(
        ValueError,
        match=r"line 4, column 'weights'\).*subject 's1''s line 2 "
        r"\('.*s1.sc\.npy'\).*s2.sc\.npy",
    ):
        read_dataset(table=table, repetition_time=1.0)


def test_table_argument_errors(tmp_path):
    """A table with patterns too, of another extension, missing, or naming an unknown subject."""
    _files(tmp_path)
    table = _table(tmp_path / "t.csv", HEADER, _rows())
    with pytest.raises(ValueError, match=r"'weights' parameter.*None when a 'table'.*got 'a'"):
        read_dataset("a", table=table, repetition_time=1.0)
    with pytest.raises(
        ValueError,
        match=r"'table' parameter \(file '.*t\.xlsx'\).*'\.csv', "
        r"'\.tsv'.*got '\.xlsx'",
    ):
        read_dataset(table=tmp_path / "t.xlsx", repetition_time=1.0)
    with pytest.raises(FileNotFoundError, match=r"Table '.*none\.csv' does not exist"):
        read_dataset(table=tmp_path / "none.csv", repetition_time=1.0)
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(ValueError, match=r"'table' parameter.*a file, but got '.*folder\.csv' "):
        read_dataset(table=tmp_path / "folder.csv", repetition_time=1.0)
    with pytest.raises(ValueError, match=r"'subjects' parameter.*table '.*t\.csv'.*got 's9'"):
        read_dataset(table=table, repetition_time=1.0, subjects=["s1", "s9"])
    with pytest.raises(ValueError, match=r"'table' parameter.*\.csv or \.tsv.*got 3"):
        read_dataset(table=3, repetition_time=1.0)


# -- TVB connectivity zips and region labels ------------------------------------------------------


def _zip(path, seed, labels=LABELS, order=None):
    """A TVB zip of subject ``seed``'s matrices, regions permuted by ``order``; what it holds."""
    counts, lengths = _matrices(seed)
    centres = np.random.default_rng(seed).uniform(-50, 50, (N_REGION, 3))
    order = np.arange(N_REGION) if order is None else np.asarray(order)
    conn = make_connectivity(
        counts[np.ix_(order, order)],
        lengths[np.ix_(order, order)],
        centres=centres[order],
        region_labels=np.array(labels)[order],
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_tvb_zip(conn, path)
    return conn


def test_tvb_zip_gives_weights_lengths_labels_and_centres(tmp_path):
    """TVB zip: weights and tract lengths from one file (lengths None), labels and centres kept
    and used by connectivity(); the group's centres are the subjects' mean."""
    conns = {name: _zip(tmp_path / name / "conn.zip", k) for k, name in enumerate(("a", "b"))}
    for name in conns:
        np.save(tmp_path / name / "bold.npy", _bold(0))
    data = read_dataset(
        str(tmp_path / "{subject}" / "conn.zip"),
        None,
        str(tmp_path / "{subject}" / "bold.npy"),
        repetition_time=2000.0,
    )
    assert data.labels == LABELS
    for name, conn in conns.items():
        np.testing.assert_allclose(data.weights[name], conn.weights, rtol=1e-15)
        np.testing.assert_allclose(data.lengths[name], conn.tract_lengths, rtol=1e-15)
        np.testing.assert_allclose(data.centres[name], conn.centres, rtol=1e-8)
        assert data.files[name]["lengths"] == tmp_path / name / "conn.zip"
        made = data.connectivity(name, conduction_speed=4.0)
        assert tuple(made.region_labels) == LABELS
        np.testing.assert_allclose(made.centres, conn.centres, rtol=1e-8)
    group = data.connectivity()
    np.testing.assert_allclose(group.centres, (conns["a"].centres + conns["b"].centres) / 2)
    assert tuple(group.region_labels) == LABELS
    table = _table(
        tmp_path / "t.csv",
        ["subject", "weights", "bold"],
        [[name, f"{name}/conn.zip", f"{name}/bold.npy"] for name in conns],
    )
    from_table = read_dataset(table=table, repetition_time=2000.0)
    np.testing.assert_array_equal(from_table.weights["b"], data.weights["b"])
    assert from_table.labels == LABELS


def test_zips_with_another_region_order_or_labels_refused(tmp_path):
    """Region order: zips whose labels come in another order, or are other labels, or differ
    from labels=, are refused naming both files and the first differing position."""
    _zip(tmp_path / "a" / "conn.zip", 0)
    _zip(tmp_path / "b" / "conn.zip", 1, order=[0, 2, 1, 3, 4])
    for name in "ab":
        np.save(tmp_path / name / "bold.npy", _bold(0))
    patterns = (
        str(tmp_path / "{subject}" / "conn.zip"),
        None,
        str(tmp_path / "{subject}" / "bold.npy"),
    )
    with pytest.raises(
        ValueError,
        match=r"'weights' parameter \(file '.*b.conn\.zip'\)\. Allowed "
        r"values are the region order of '.*a.conn\.zip' \(subject 'a'\), but got "
        r"'lC' at position 1 where .* has 'lB'",
    ):
        read_dataset(*patterns, repetition_time=1.0)
    _zip(tmp_path / "b" / "conn.zip", 1, labels=("lA", "lB", "lC", "rA", "rX"))
    with pytest.raises(
        ValueError,
        match=r"b.conn\.zip'\)\. Allowed values are the region labels "
        r"of .*'rX' at position 4",
    ):
        read_dataset(*patterns, repetition_time=1.0)
    other = ("lA", "lB", "lC", "rB", "rA")
    with pytest.raises(
        ValueError,
        match=r"a.conn\.zip'\)\. Allowed values are the region order "
        r"of the 'labels' parameter, but got 'rA' at position 3",
    ):
        read_dataset(*patterns, repetition_time=1.0, labels=other)


def test_zip_and_lengths_pairing_and_zip_content_checked(tmp_path):
    """lengths None where weights are not zips, a lengths file beside a zip, and an asymmetric
    or negative zip (without 'symmetrize') are refused naming the file."""
    _files(tmp_path)
    with pytest.raises(
        ValueError,
        match=r"'lengths' parameter.*None only where the weights are "
        r"TVB zips; '.*s1.sc\.npy' is not.*subject 's1'",
    ):
        read_dataset(
            str(tmp_path / "{subject}/sc.npy"),
            None,
            str(tmp_path / "{subject}/bold.npy"),
            repetition_time=1.0,
        )
    _zip(tmp_path / "s1" / "conn.zip", 0)
    with pytest.raises(
        ValueError,
        match=r"'lengths' parameter \(file '.*s1.len\.npy'\).*None "
        r"where the weights are a TVB connectivity zip",
    ):
        read_dataset(
            {"s1": tmp_path / "s1/conn.zip"},
            {"s1": tmp_path / "s1/len.npy"},
            {"s1": tmp_path / "s1/bold.npy"},
            repetition_time=1.0,
        )
    bad = ({"s1": tmp_path / "s1/bad.zip"}, None, {"s1": tmp_path / "s1/bold.npy"})
    for value, match in ((99.0, r"symmetric.*\[0, 1\] = 99\.0"), (-2.0, r">= 0.*-2\.0")):
        _bad_zip(tmp_path / "s1" / "bad.zip", value)
        with pytest.raises(
            ValueError, match=r"'weights' parameter \(file '.*bad\.zip'\).*" + match
        ):
            read_dataset(*bad, repetition_time=1.0, weighting=())
    _bad_zip(tmp_path / "s1" / "bad.zip", 99.0)
    read_dataset(*bad, repetition_time=1.0)  # symmetrised by default


def _bad_zip(path, value):
    """A zip whose weights[0, 1] is ``value`` (the rest symmetric, non-negative)."""
    counts, lengths = _matrices(0)
    counts[0, 1] = value
    centres = "".join(f"{label} 0 0 {k}\n" for k, label in enumerate(LABELS))
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("weights.txt", "\n".join(" ".join(map(str, row)) for row in counts))
        archive.writestr("tract_lengths.txt", "\n".join(" ".join(map(str, r)) for r in lengths))
        archive.writestr("centres.txt", centres)


def test_labels_given_as_sequence_or_file(tmp_path):
    """labels=: a sequence, a text file or a one-column CSV, used by connectivity(); default
    node_000...; gw's dataset is labelled AAL2_00..."""
    _files(tmp_path)
    patterns = tuple(str(tmp_path / "{subject}" / f"{k}.npy") for k in ("sc", "len", "bold"))
    assert read_dataset(*patterns, 1.0).labels == tuple(f"node_{k:03d}" for k in range(N_REGION))
    (tmp_path / "labels.txt").write_text("\n".join(LABELS) + "\n\n")
    _table(tmp_path / "labels.csv", ["lA"], [[label] for label in LABELS[1:]])
    for labels in (LABELS, list(LABELS), tmp_path / "labels.txt", str(tmp_path / "labels.csv")):
        data = read_dataset(*patterns, 1.0, labels=labels)
        assert data.labels == LABELS
        assert tuple(data.connectivity("s2").region_labels) == LABELS
    assert gw.dataset(2000.0, subjects=["NAP_001"]).labels == gw.REGION_LABELS


@pytest.mark.parametrize(
    "labels, match",
    [
        (LABELS[:4], r"'labels' parameter\. Allowed values are 5 distinct.*got 4 labels"),
        (("a", "b", "a", "c", "d"), r"'labels' parameter.*got 'a' twice or more"),
        (("a", "b", "", "c", "d"), r"'labels' parameter.*empty label at position 2"),
        (
            "bad-two-columns",
            r"'labels' parameter \(file '.*labels\.csv'\).*one label per line.*"
            r"2 cells at line 1",
        ),
        ([1, 2, 3, 4, 5], r"'labels' parameter.*sequence of region names.*got \[1, 2"),
        ("missing", r"Labels file '.*nothing\.txt' does not exist"),
    ],
)
def test_bad_labels(tmp_path, labels, match):
    """labels=: the wrong number, a repeated or empty label, a two-column file, not strings,
    a missing file."""
    _files(tmp_path)
    if labels == "bad-two-columns":
        labels = _table(tmp_path / "labels.csv", ["a", "b"], [["c", "d"]])
    elif labels == "missing":
        labels = tmp_path / "nothing.txt"
    patterns = tuple(str(tmp_path / "{subject}" / f"{k}.npy") for k in ("sc", "len", "bold"))
    with pytest.raises((ValueError, FileNotFoundError), match=match):
        read_dataset(*patterns, 1.0, labels=labels)


# -- sessions and test-retest ---------------------------------------------------------------------


def _fisher(fcs):
    z = np.mean([np.arctanh(fc - np.eye(len(fc))) for fc in fcs], axis=0)
    return np.tanh(z) + np.eye(len(z))


def _upper_r(a, b):
    upper = np.triu_indices(len(a), 1)
    return np.corrcoef(a[upper], b[upper])[0, 1]


def _sessions(tmp_path, sessions=None):
    """Per subject its sessions' series, under <subject>/ses-<session>/bold.npy."""
    sessions = sessions or {"s1": ("2", "10"), "s2": ("1", "2"), "s3": ("1",)}
    _files(tmp_path, tuple(sessions))
    series = {}
    for k, (name, names) in enumerate(sessions.items()):
        for j, session in enumerate(names):
            folder = tmp_path / name / f"ses-{session}"
            folder.mkdir()
            series[name, session] = _bold(10 * k + j, N_TIME + j)
            np.save(folder / "bold.npy", series[name, session])
    return series


def test_session_placeholder_fc_fcd_and_test_retest(tmp_path):
    """Sessions: found by a {session} placeholder, ordered as numbers ('2' before '10'); a
    subject's FC is the Fisher-z mean of its sessions' FCs, its FCD the first session's unless
    named; test_retest is r of the first two sessions' FCs (np.corrcoef), NaN with one
    UndefinedMeasureWarning for a single session."""
    series = _sessions(tmp_path)
    data = read_dataset(
        str(tmp_path / "{subject}/sc.npy"),
        str(tmp_path / "{subject}/len.npy"),
        str(tmp_path / "{subject}/ses-{session}/bold.npy"),
        500.0,
    )
    assert data.sessions == {"s1": ("2", "10"), "s2": ("1", "2"), "s3": ("1",)}
    np.testing.assert_array_equal(data.bold["s1"], series["s1", "2"])
    assert data.session_files["s1", "10"] == tmp_path / "s1" / "ses-10" / "bold.npy"
    corr = {key: np.corrcoef(value.T) for key, value in series.items()}
    np.testing.assert_allclose(
        data.fc("s1"), _fisher([corr["s1", "2"], corr["s1", "10"]]), atol=1e-12
    )
    np.testing.assert_allclose(data.fc("s1", "10"), corr["s1", "10"], atol=1e-12)
    np.testing.assert_allclose(data.fc("s3"), corr["s3", "1"], atol=1e-12)
    subject_fcs = [
        _fisher([corr["s1", "2"], corr["s1", "10"]]),
        _fisher([corr["s2", "1"], corr["s2", "2"]]),
        corr["s3", "1"],
    ]
    np.testing.assert_allclose(data.group_fc(), _fisher(subject_fcs), atol=1e-12)
    for session, fcd_session in ((None, "2"), ("10", "10")):
        fcd, _ = data.fcd("s1", 4000.0, 500.0, session=session)
        expected, _ = functional_connectivity_dynamics(
            series["s1", fcd_session], 500.0, 4000.0, 500.0
        )
        np.testing.assert_array_equal(fcd, expected)
        assert len(fcd) == N_TIME - 8 + 1 + (fcd_session == "10")  # 60 and 61 volumes
    with pytest.raises(ValueError, match=r"'session' parameter of subject 's3'.*'1'.*got '2'"):
        data.fc("s3", "2")
    with pytest.warns(UndefinedMeasureWarning, match=r"one session: \['s3'\]") as caught:
        table = data.baselines()
    assert len(caught) == 1
    expected = [
        _upper_r(corr["s1", "2"], corr["s1", "10"]),
        _upper_r(corr["s2", "1"], corr["s2", "2"]),
    ]
    np.testing.assert_allclose(table["test_retest"].values[:2], expected, rtol=1e-12)
    assert np.isnan(table["test_retest"].values[2])
    part = data.subset(["s2", "s1"])
    assert part.sessions == {"s2": ("1", "2"), "s1": ("2", "10")}
    np.testing.assert_allclose(part.baselines()["test_retest"].values, expected[::-1], rtol=1e-12)


def test_single_session_has_no_test_retest_and_dict_sessions(tmp_path):
    """Without a second session baselines() has no test_retest (and no warning); a dict
    {subject: {session: path}} gives sessions too."""
    series = _sessions(tmp_path, {"s1": ("1",), "s2": ("1",)})
    patterns = tuple(str(tmp_path / "{subject}" / f"{k}.npy") for k in ("sc", "len"))
    bold = {
        name: {"x": tmp_path / name / "ses-1/bold.npy", "y": tmp_path / name / "bold.npy"}
        for name in ("s1", "s2")
    }
    data = read_dataset(*patterns, {name: b["x"] for name, b in bold.items()}, 1.0)
    assert "test_retest" not in data.baselines()
    data = read_dataset(*patterns, bold, 1.0)
    assert data.sessions["s2"] == ("x", "y")
    np.testing.assert_array_equal(data.bold["s2"], series["s2", "1"])
    assert "test_retest" in data.baselines()


def test_gw_halves_as_two_sessions_have_high_test_retest(tmp_path):
    """The bundled subjects' BOLD split in two halves, read as two sessions: test-retest r is
    r between the halves' FCs by np.corrcoef, and well above 0."""
    halves = {}
    for name in gw.SUBJECTS:
        files = gw.subject(name)
        series = files.bold_series().T  # (time, region)
        for session, part in (("1", series[:177]), ("2", series[177:])):
            (tmp_path / name / session).mkdir(parents=True)
            np.save(tmp_path / name / session / "bold.npy", part)
            halves[name, session] = part
        np.save(tmp_path / name / "sc.npy", files.streamline_counts())
        np.save(tmp_path / name / "len.npy", files.tract_lengths())
    data = read_dataset(
        str(tmp_path / "{subject}/sc.npy"),
        str(tmp_path / "{subject}/len.npy"),
        str(tmp_path / "{subject}/{session}/bold.npy"),
        2000.0,
    )
    retest = data.baselines()["test_retest"].values
    expected = [
        _upper_r(np.corrcoef(halves[name, "1"].T), np.corrcoef(halves[name, "2"].T))
        for name in gw.SUBJECTS
    ]
    np.testing.assert_allclose(retest, expected, rtol=1e-12)
    assert np.all(retest > 0.3)


def test_bad_sessions_and_bold(tmp_path):
    """Too short a BOLD series for min_volumes; NaN in a session's series; a {session} in a
    structure pattern or twice in the BOLD one; an unknown session asked of fcd."""
    _sessions(tmp_path, {"s1": ("1", "2"), "s2": ("1",)})
    sc, length = (str(tmp_path / "{subject}" / f"{k}.npy") for k in ("sc", "len"))
    bold = str(tmp_path / "{subject}/ses-{session}/bold.npy")
    assert read_dataset(sc, length, bold, 1.0, min_volumes=N_TIME).subjects == ("s1", "s2")
    with pytest.raises(
        ValueError,
        match=r"'bold' parameter \(file '.*s1.ses-1.bold\.npy'\)\. "
        r"Allowed values are at least 61 samples.*min_volumes.*got 60 sample",
    ):
        read_dataset(sc, length, bold, 1.0, min_volumes=N_TIME + 1)
    for bad in (1, 2.5, True, None):
        with pytest.raises(ValueError, match=r"'min_volumes' parameter.*integer >= 2.*got"):
            read_dataset(sc, length, bold, 1.0, min_volumes=bad)
    series = _bold(1, N_TIME + 1)
    series[4, 2] = np.nan
    np.save(tmp_path / "s1" / "ses-2" / "bold.npy", series)
    with pytest.raises(ValueError, match=r"'bold' parameter \(file '.*s1.ses-2.bold\.npy'\).*nan"):
        read_dataset(sc, length, bold, 1.0)
    with pytest.raises(ValueError, match=r"'weights' parameter.*no '\{session\}'.*got '.*ses-"):
        read_dataset(str(tmp_path / "{subject}/ses-{session}/bold.npy"), length, bold, 1.0)
    with pytest.raises(ValueError, match=r"'bold' parameter.*at most one '\{session\}'"):
        read_dataset(sc, length, bold.replace("ses-", "{session}"), 1.0)
    data = read_dataset(
        sc, length, {"s1": tmp_path / "s1/bold.npy", "s2": tmp_path / "s2/bold.npy"}, 1000.0
    )
    with pytest.raises(ValueError, match=r"'session' parameter of subject 's1'.*got 'b'"):
        data.fcd("s1", 5000.0, 1000.0, session="b")


# -- bundled datasets by name ---------------------------------------------------------------------


def test_load_bundled_by_name():
    """load('gw') is gw.dataset with the same options; an unknown name lists the known ones."""
    data = load("gw", 2000.0, subjects=["NAP_002", "NAP_001"], weighting=("symmetrize",))
    expected = gw.dataset(2000.0, subjects=["NAP_002", "NAP_001"], weighting=("symmetrize",))
    assert data.subjects == expected.subjects and data.weighting == ("symmetrize",)
    np.testing.assert_array_equal(data.group_fc(), expected.group_fc())
    assert load("gw", 720.0).subjects == gw.SUBJECTS
    assert BUNDLED == ("gw",)
    with pytest.raises(
        ValueError,
        match=r"'name' parameter\. Allowed values are 'gw', but got "
        r"'hcp' instead",
    ):
        load("hcp", 2000.0)
