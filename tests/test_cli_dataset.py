"""``tvb-ngnmm fit`` with ``[dataset]``: the bundled gw example fits the training subjects and
writes its validation beside the history; the simulator runs the training group's connectome,
the objective targets the training subjects' data, ``[fit].transient`` and the map
``'sc_strength'`` apply; every bad ``[dataset]``, ``[fit].transient``, ``[fit].maps`` and
``[fit].validation`` is a ``ConfigError`` naming the key."""

import contextlib
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from dask_cluster import local_cluster

from tvb_ngnmm import cli
from tvb_ngnmm.cli import _fit
from tvb_ngnmm.cli.config import ConfigError, parse_config, read_config
from tvb_ngnmm.connectomes import symmetrize
from tvb_ngnmm.datasets import gw

distributed = pytest.importorskip("distributed")

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "fit_gw.toml"
TRAIN, TEST = ("NAP_001", "NAP_002", "NAP_007"), ("NAP_009", "NAP_013")

#: A small configuration on files: 6 regions, 3 subjects (written by the ``files`` fixture).
FILES = """
[dataset]
weights = "data/{subject}/sc.npy"
lengths = "data/{subject}/len.npy"
bold = "data/{subject}/bold.npy"
repetition_time = 10.0
weighting = ["symmetrize", "zero_diagonal", "max"]
test = ["s3"]

[model]
name = "NextGenEI"
preset = "delicado2025_example"

[coupling]
name = "Linear"
parameters = { a = 1.0 }

[integrator]
name = "HeunStochastic"
dt = 0.05
nsig = [0.0, 0.01, 0.0, 0.0, 0.01, 0.0]
seed = 7

[[monitors]]
name = "TemporalAverage"
period = 1.0
variables = ["r_e"]

[run]
duration = 200.0

[fit]
parameters = { I_e = [8.0, 16.0] }
objective = { terms = [{ kind = "fc_correlation" }, { kind = "fc_level" }] }
transient = 50.0
method = "grid"
budget = 2
options = { points_per_axis = 2 }
validation = { realisations = 2, seed = 3 }
n_workers = 1
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Three subjects' structure and BOLD (6 regions, 40 volumes) in ``data/<subject>/``."""
    path = tmp_path_factory.mktemp("dataset_config")
    rng = np.random.default_rng(5)
    for name in ("s1", "s2", "s3"):
        folder = path / "data" / name
        folder.mkdir(parents=True)
        weights = rng.uniform(0.0, 1.0, (6, 6))
        np.save(folder / "sc.npy", weights + weights.T)
        lengths = rng.uniform(10.0, 50.0, (6, 6))
        np.save(folder / "len.npy", lengths + lengths.T)
        np.save(folder / "bold.npy", rng.normal(size=(40, 6)))
    (path / "fit.toml").write_text(FILES)
    return path


@pytest.fixture(scope="module")
def scheduler():
    with local_cluster(1) as (cluster, _):
        yield cluster.scheduler_address


def _fisher_mean_fc(names) -> np.ndarray:
    """The subjects' group FC by hand: tanh of the mean arctanh of each one's np.corrcoef."""
    z = [np.arctanh(np.corrcoef(gw.subject(n).bold_series()) - np.eye(94)) for n in names]
    return np.tanh(np.mean(z, axis=0)) + np.eye(94)


def _named_key(pattern: str) -> str:
    """The first key a pattern of a message names (its backslashes dropped)."""
    text = pattern.replace("\\", "")
    return re.search(r"\[[a-z]+\](\.[\w.\[\]]+)?", text)[0].rstrip(".")


def test_the_gw_example_fits_and_writes_its_validation(scheduler, tmp_path, capsys):
    """Case: ``tvb-ngnmm fit examples/fit_gw.toml`` (bundled dataset, test split, weighted
    objective, transient) runs end to end and writes the validation beside the history."""
    output = tmp_path / "out"
    argv = ["fit", str(EXAMPLE), "--scheduler", scheduler, "--output", str(output),
            "--no-progress"]  # fmt: skip
    assert cli.main(argv) == 0
    written = sorted(p.name for p in output.iterdir())
    assert {"fit_history.nc", "fit_validation.nc", "fit_validation.png"} <= set(written)
    with xr.open_dataset(output / "fit_validation.nc", engine="h5netcdf") as validation:
        assert validation.sizes["realisation"] == 2
        assert list(validation.target.values) == ["train", *TEST, "test"]
        assert list(validation.subjects.values) == [",".join(TRAIN), *TEST, ",".join(TEST)]
        for name in ("loss", "fc_correlation", "fc_mean", "loss_fcd_distance", "ceiling"):
            assert np.isfinite(validation[name].values).all()
        train = validation.sel(target="train")
        # the training target scores the fit's own objective: its terms' weighted sum
        by_terms = (train.loss_fc_correlation + 2.0 * train.loss_fc_level
                    + 0.5 * train.loss_fcd_distance)  # fmt: skip
        np.testing.assert_allclose(train.loss, by_terms, rtol=1e-12)
        assert "[dataset]" in validation.attrs["config"]
    with xr.open_dataset(output / "fit_history.nc", engine="h5netcdf") as history:
        assert history.sizes["evaluation"] == 4
        assert history.attrs["objective"].count("transient=1000.0") == 3
    assert (output / "fit_validation.png").stat().st_size > 10_000
    manifest = (output / "tvb-ngnmm-outputs.json").read_text()
    assert "fit_validation.nc" in manifest and "fit_validation.png" in manifest
    out = capsys.readouterr().out
    assert "4 evaluations (cma) and the validation in " in out
    assert "validation (2 fresh noise realisations):" in out
    assert re.search(r"\n  NAP_013: loss \S+ ± \S+, .*; data: floor_sc \S+, floor_log_sc "
                     r"\S+, ceiling \S+\n", out)  # fmt: skip


def test_the_gw_example_runs_the_training_groups_connectome_and_targets():
    """Case: with [dataset] and a test split, the connectome is the training group's (√ of the
    mean counts, largest eigenvalue 1, mean tract lengths) and every term targets the training
    subjects' data, not the held-out subjects'."""
    config = read_config(EXAMPLE, require_fit=True)
    assert config.dataset.split == {"train": TRAIN, "test": TEST}
    counts = symmetrize(np.mean([gw.subject(n).streamline_counts() for n in TRAIN], axis=0))
    np.fill_diagonal(counts, 0.0)
    weights = np.sqrt(counts) / np.linalg.eigvalsh(np.sqrt(counts)).max()
    conn = config.simulator.connectivity
    np.testing.assert_allclose(conn.weights, weights, rtol=1e-12, atol=1e-15)
    lengths = symmetrize(np.mean([gw.subject(n).tract_lengths() for n in TRAIN], axis=0))
    np.fill_diagonal(lengths, 0.0)
    np.testing.assert_allclose(conn.tract_lengths, lengths, rtol=1e-12)
    assert float(conn.speed[0]) == 9.2
    terms = [term for term, _ in config.fit_arguments()["problem"].objective.terms()]
    expected = _fisher_mean_fc(TRAIN)
    for term in terms[:2]:
        np.testing.assert_allclose(term.target_fc, expected, atol=1e-10)
    assert not np.allclose(terms[0].target_fc, _fisher_mean_fc(TEST), atol=1e-3)
    windows = (355 * 2000.0 - 6000.0) // 2000.0 + 1  # windows of 6 s every 2 s in 355 volumes
    assert terms[2].target_values.size == 3 * windows * (windows - 1) // 2
    assert config.validation == {"realisations": 2, "seed": 1}


@pytest.mark.parametrize(
    ("error", "status", "message"),
    [
        (RuntimeError("no workers left"), 1, "the validation failed: no workers left; the fit's "
         "outputs are in"),
        (KeyboardInterrupt(), 130, "interrupted during the validation; the fit's outputs are in"),
    ],
)  # fmt: skip
def test_files_dataset_fits_and_a_failed_validation_keeps_the_fit(files, scheduler, tmp_path,
                                                                  monkeypatch, capsys, error,
                                                                  status, message):  # fmt: skip
    """Case: a dataset of files fits; a validation that fails (or Ctrl-C) after the fit leaves
    the fit's outputs written and ends with exit status 1 (130) naming the reason."""

    def fails(*args, **kwargs):
        raise error

    monkeypatch.setattr(_fit, "validate", fails)
    output = tmp_path / "out"
    argv = ["fit", str(files / "fit.toml"), "--scheduler", scheduler, "--output", str(output),
            "--no-progress"]  # fmt: skip
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == status
    assert message in capsys.readouterr().err
    assert (output / "fit_history.nc").is_file() and (output / "best_parameters.toml").is_file()
    assert not (output / "fit_validation.nc").exists()
    best = tomllib.loads((output / "best_parameters.toml").read_text())["best"]
    assert best["I_e"] in (8.0, 16.0)


def test_without_a_split_the_validation_is_fresh_noise(files, scheduler, tmp_path, capsys):
    """Case: a dataset without ``test`` and ``validation`` given: the best parameters run with
    fresh noise on the training data only; the table is per realisation, with mean and SD."""
    (tmp_path / "fit.toml").write_text(FILES.replace('test = ["s3"]\n', ""))
    output = tmp_path / "out"
    argv = ["fit", str(tmp_path / "fit.toml"), "--scheduler", scheduler, "--output",
            str(output), "--no-progress"]  # fmt: skip
    (tmp_path / "data").symlink_to(files / "data")
    assert cli.main(argv) == 0
    with xr.open_dataset(output / "fit_validation.nc", engine="h5netcdf") as validation:
        assert dict(validation.sizes) == {"realisation": 2}
        values = validation.fc_correlation.values
        assert validation.fc_correlation.attrs["sd"] == pytest.approx(values.std(ddof=1))
        assert validation.attrs["seed"] == 3
        with xr.open_dataset(output / "fit_history.nc", engine="h5netcdf") as history:
            assert int(validation.attrs["fit_noise_seeds"]) == history.attrs["noise_seed"]
            assert 7 not in validation.noise_seed.values  # fresh: not the fit's stream
    assert (output / "fit_validation.png").is_file()
    out = capsys.readouterr().out
    assert re.search(
        r"realisations\):\n  loss \S+ ± \S+\n  fc_correlation \S+ ± \S+\n  fc_mean ", out
    )


def test_without_a_scheduler_the_fit_and_its_validation_share_a_local_cluster(
    files, tmp_path, monkeypatch
):
    """Case: no --scheduler: one local cluster (of [fit].n_workers) is started for the fit and
    its validation, and closed after."""
    started, seen = [], []
    original_cluster, original_validate = _fit.local_cluster, _fit.validate

    @contextlib.contextmanager
    def counted(n_workers):
        with original_cluster(n_workers) as client:
            started.append((n_workers, client))
            yield client

    def validate(config, result, client, progress):
        seen.append(client)
        return original_validate(config, result, client, progress)

    monkeypatch.setattr(_fit, "local_cluster", counted)
    monkeypatch.setattr(_fit, "validate", validate)
    output = tmp_path / "out"
    argv = ["fit", str(files / "fit.toml"), "--output", str(output), "--no-progress"]
    assert cli.main(argv) == 0
    assert len(started) == 1 and started[0][0] == 1 and seen == [started[0][1]]
    assert started[0][1].status == "closed"
    assert (output / "fit_validation.nc").is_file()


def test_files_dataset_connectome_targets_and_transient(files):
    """Case: a dataset of files (patterns relative to the config file): the weighting applied
    to the training subjects' mean structure, their group FC as the target; a term's own
    transient wins over [fit].transient."""
    text = FILES.replace('{ kind = "fc_level" }', '{ kind = "fc_level", transient = 20.0 }')
    config = parse_config(text, base=files, require_fit=True)
    sc = [np.load(files / "data" / n / "sc.npy") for n in ("s1", "s2")]
    mean = symmetrize(np.mean(sc, axis=0))
    np.fill_diagonal(mean, 0.0)
    np.testing.assert_allclose(config.simulator.connectivity.weights, mean / mean.max())
    bold = [np.load(files / "data" / n / "bold.npy") for n in ("s1", "s2")]
    z = np.mean([np.arctanh(np.corrcoef(b.T) - np.eye(6)) for b in bold], axis=0)
    terms = [term for term, _ in config.fit_arguments()["problem"].objective.terms()]
    np.testing.assert_allclose(terms[0].target_fc, np.tanh(z) + np.eye(6), atol=1e-12)
    assert [term.transient for term in terms] == [50.0, 20.0]


def test_sc_strength_map_is_the_z_scored_strength_of_the_connectome(files):
    """Case: ``maps = {I_e = {strength = 'sc_strength'}}``: each region's strength in the
    simulator's connectome (the training group's), z-scored."""
    text = FILES.replace("parameters = { I_e = [8.0, 16.0] }",
                         "parameters = { 'I_e.base' = [8.0, 16.0], 'I_e.strength' = [-1.0, 1.0] }"
                         "\nmaps = { I_e = { strength = 'sc_strength' } }").replace(
                             "budget = 2", "budget = 4")  # fmt: skip
    config = parse_config(text, base=files, require_fit=True)
    strength = config.simulator.connectivity.weights.sum(axis=1)
    got = config.fit_arguments()["problem"].maps["I_e"]["strength"]
    np.testing.assert_allclose(got, (strength - strength.mean()) / strength.std())


def test_validation_defaults(files):
    """Case: validation is on by default with a test split (5 realisations, seed 1), off
    without one; ``validation = true`` without a split asks for the fresh-noise one."""
    text = FILES.replace("validation = { realisations = 2, seed = 3 }\n", "")
    assert parse_config(text, base=files, require_fit=True).validation == {
        "realisations": 5, "seed": 1}  # fmt: skip
    no_split = text.replace('test = ["s3"]\n', "")
    config = parse_config(no_split, base=files, require_fit=True)
    assert config.validation is None and config.dataset.split is None
    assert len(config.dataset.train.subjects) == 3
    on = no_split.replace("n_workers = 1", "n_workers = 1\nvalidation = true")
    assert parse_config(on, base=files, require_fit=True).validation == {
        "realisations": 5, "seed": 1}  # fmt: skip


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'weights = "data/{subject}/sc.npy"',
            'weights = "data/sc.npy"',
            r"\[dataset\].weights: .*exactly one '\{subject\}'.*'.*data/sc.npy'",
        ),
        (
            'weights = "data/{subject}/sc.npy"',
            "weights = 3",
            r"\[dataset\].weights.*pattern.*but got 3",
        ),
        (
            'lengths = "data/{subject}/len.npy"\n',
            "",
            r"\[dataset\].lengths: .*TVB zips.*none for subject 's1'",
        ),
        ("repetition_time = 10.0\n", "", r"Missing key \[dataset\].repetition_time"),
        (
            "repetition_time = 10.0",
            "repetition_time = 0.0",
            r"\[dataset\].repetition_time.*> 0 \(ms\).*0.0",
        ),
        ('"max"]', '"cube"]', r"\[dataset\].weighting: .*'unit_eigenvalue'.*'cube'"),
        ('test = ["s3"]', 'test = ["s9"]', r"\[dataset\].test: .*'s1', 's2', 's3'.*'s9'"),
        ('test = ["s3"]', 'test = ["s1", "s2", "s3"]', r"\[dataset\].test: .*no training subject"),
        ('test = ["s3"]', 'test = "s3"', r"\[dataset\].test.*a list.*'s3'"),
        (
            'test = ["s3"]',
            'test = ["s3"]\nfolds = 2',
            r"\[dataset\].folds.*without \[dataset\].test.*but got 2",
        ),
        (
            'test = ["s3"]',
            "folds = 4",
            r"\[dataset\].folds: .*from 2 to the number of subjects \(3\).*4",
        ),
        ('test = ["s3"]', "folds = 1", r"\[dataset\].folds.*integers >= 2.*1"),
        ('test = ["s3"]', "fold_seed = 2", r"\[dataset\].fold_seed.*with \[dataset\].folds.*2"),
        (
            'test = ["s3"]',
            'test = ["s3"]\nname = "gw"',
            r"\[dataset\].*exactly one of 'name'.*'weights'.*\['name', 'weights'\]",
        ),
        (
            'test = ["s3"]',
            'test = ["s3"]\nsubjects = ["s1", "s4"]',
            r"\[dataset\].weights: .*subject 's4'",
        ),
        (
            "[model]",
            '[connectome]\nname = "aal90"\n\n[model]',
            r"\[connectome\].name.*only 'conduction_speed'.*'aal90'",
        ),
        ("[model]", '[connectome]\nnormalize = "row"\n\n[model]', r"\[connectome\].normalize"),
        (
            '{ kind = "fc_correlation" }',
            '{ kind = "fc_correlation", target_fc = "fc.npy" }',
            r"\[fit\].objective.terms\[0\].target_fc.*no target.*'fc.npy'",
        ),
        (
            "transient = 50.0",
            "transient = 199.5",
            r"\[fit\].transient: .*'transient'.*at most 198 ms, but got 199.5",
        ),
        ("transient = 50.0", "transient = -1.0", r"\[fit\].transient.*>= 0 \(ms\).*-1.0"),
        (
            "n_workers = 1",
            "n_workers = 1\nmaps = { I_e = { m = [1.0, 2.0] } }",
            r"\[fit\].maps.*I_e.m is one value per region \(shape \(6,\)\).*shape \(2,\)",
        ),
        (
            "n_workers = 1",
            "n_workers = 1\nmaps = { I_e = { m = [1.0, 2.0, nan, 1, 1, 1] } }",
            r"\[fit\].maps.*finite numbers.*nan at region 2",
        ),
        (
            "n_workers = 1",
            "n_workers = 1\nmaps = { I_e = { m = 'm.npy' } }",
            r"\[fit\].maps.I_e.m.*\.npy file.*'m.npy'",
        ),
        (
            "validation = { realisations = 2, seed = 3 }",
            "validation = 3",
            r"\[fit\].validation.*true, false or a table.*but got 3",
        ),
        (
            "realisations = 2,",
            "realisations = 1,",
            r"\[fit\].validation.realisations.*integers >= 2.*1",
        ),
    ],
)
def test_bad_dataset_configuration_is_refused_naming_the_key(files, old, new, message):
    assert old in FILES
    with pytest.raises(ConfigError, match=message) as error:
        parse_config(FILES.replace(old, new, 1), base=files, require_fit=True)
    assert error.value.key == _named_key(message)


def test_a_deterministic_fit_with_a_split_asks_to_turn_validation_off(files):
    """Case: validation (on by default with a test split) needs noise; the error says how to
    turn it off."""
    text = (FILES.replace('name = "HeunStochastic"', 'name = "HeunDeterministic"')
            .replace("nsig = [0.0, 0.01, 0.0, 0.0, 0.01, 0.0]\nseed = 7\n", "")
            .replace("validation = { realisations = 2, seed = 3 }\n", ""))  # fmt: skip
    with pytest.raises(ConfigError, match=r"\[fit\].validation.*stochastic integrator.*"
                       r"validation = false.*the default with \[dataset\].test"):  # fmt: skip
        parse_config(text, base=files, require_fit=True)
    off = text.replace("n_workers = 1", "n_workers = 1\nvalidation = false")
    assert parse_config(off, base=files, require_fit=True).validation is None


def test_a_bad_file_is_named_with_its_key(files, tmp_path):
    """Case: a negative weight in one subject's file: the key and the file in the message."""
    for name in ("s1", "s2", "s3"):
        (tmp_path / "data" / name).mkdir(parents=True)
        for kind in ("sc", "len", "bold"):
            array = np.load(files / "data" / name / f"{kind}.npy")
            if name == "s2" and kind == "sc":
                array[0, 1] = array[1, 0] = -1.0
            np.save(tmp_path / "data" / name / f"{kind}.npy", array)
    with pytest.raises(ConfigError, match=r"\[dataset\].weights: .*s2.sc\.npy.*>= 0"):
        parse_config(FILES, base=tmp_path, require_fit=True)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('name = "gw"', 'name = "hcp"', r"\[dataset\].name.*'gw'.*'hcp'"),
        ("repetition_time = 2000.0", "", r"Missing key \[dataset\].repetition_time"),
        (
            "repetition_time = 2000.0",
            "bold_layout = 'auto'\nrepetition_time = 2000.0",
            r"\[dataset\].bold_layout.*only with files",
        ),
        (
            'test = ["NAP_009", "NAP_013"]',
            'test = ["NAP_009", "NAP_999"]',
            r"\[dataset\].test: .*'NAP_013'.*'NAP_999'",
        ),
        (
            'test = ["NAP_009", "NAP_013"]',
            'test = ["NAP_009"]\nsubjects = ["NAP_009"]',
            r"\[dataset\].test: .*no training subject",
        ),
        (
            'test = ["NAP_009", "NAP_013"]',
            'subjects = ["NAP_001", "NAP_999"]',
            r"\[dataset\].subjects: .*'NAP_999'",
        ),
        (
            '{ kind = "fc_level", weight = 2.0 }',
            '{ kind = "fc_level", weight = 2.0, target_fc = "fc.npy" }',
            r"\[fit\].objective.terms\[1\].target_fc",
        ),
        (
            "step_ms = 2000.0, weight",
            "step_ms = 2000.0, target_series = 'b.npy', weight",
            r"\[fit\].objective.terms\[2\].target_series",
        ),
        ("transient = 1000.0", "transient = 12990.0", r"\[fit\].transient: .*'transient'"),
        (
            "window_ms = 6000.0",
            "window_ms = 4000.0",  # 2 volumes of 2 s: too few for the data
            r"\[fit\].objective.terms\[2\]: .*'window_ms'.*subject 'NAP_001', file '.*BOLD",
        ),
        (
            "\nseed = 0\n",
            "\nseed = 0\nmaps = { I_e = { strength = 'sc_strength' } }\n",
            r"\[fit\].parameters.*'I_e'",
        ),
    ],
)
def test_bad_gw_configuration_is_refused_naming_the_key(old, new, message):
    text = EXAMPLE.read_text()
    assert old in text
    with pytest.raises(ConfigError, match=message) as error:
        parse_config(text.replace(old, new, 1), base=EXAMPLE.parent, require_fit=True)
    assert error.value.key == _named_key(message)


def test_sc_strength_without_a_dataset_is_refused():
    """Case: the map name 'sc_strength' needs [dataset]."""
    text = (
        Path(EXAMPLE.parent / "fit_ei90.toml")
        .read_text()
        .replace("seed = 0\n", "seed = 0\nmaps = { I_e = { s = 'sc_strength' } }\n")
    )
    with pytest.raises(ConfigError, match=r"\[fit\].maps.I_e.s.*'sc_strength' only with "
                       r"\[dataset\]"):  # fmt: skip
        parse_config(text, base=EXAMPLE.parent, require_fit=True)


def test_a_bad_dataset_ends_the_command_with_one_line(tmp_path, capsys):
    (tmp_path / "fit.toml").write_text(EXAMPLE.read_text().replace('"gw"', '"hcp"'))
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["fit", str(tmp_path / "fit.toml")])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1
    assert "[dataset].name" in err and not (tmp_path / "fit_gw").exists()


def test_files_given_as_tables_and_a_test_subject_named_test(files):
    """Case: each kind of file as a table {subject = path} (relative to the config file); a
    held-out subject named 'test' (the label of the test group) is refused."""
    text = FILES
    names = {"a": "s1", "b": "s2", "test": "s3"}
    for kind, stem in (("weights", "sc"), ("lengths", "len"), ("bold", "bold")):
        table = ", ".join(f"{name} = 'data/{folder}/{stem}.npy'" for name, folder in names.items())
        text = text.replace(f'{kind} = "data/{{subject}}/{stem}.npy"', f"{kind} = {{ {table} }}")
    config = parse_config(text.replace('test = ["s3"]', 'test = ["b"]'), base=files,
                          require_fit=True)  # fmt: skip
    assert config.dataset.split == {"train": ("a", "test"), "test": ("b",)}
    assert config.dataset.dataset.files["test"]["bold"] == files / "data" / "s3" / "bold.npy"
    with pytest.raises(ConfigError, match=r"\[dataset\].test.*other than 'train', 'test'.*"
                       r"\['test'\]"):  # fmt: skip
        parse_config(text.replace('test = ["s3"]', 'test = ["test"]'), base=files,
                     require_fit=True)  # fmt: skip


def test_a_sweep_of_a_dataset_takes_the_named_map(files):
    """Case: [sweep].maps takes 'sc_strength' as [fit].maps does (the training connectome's
    z-scored strength), and the sweep runs the training group's connectome."""
    sweep = ("\n[sweep]\ndesign = 'grid'\nparameters = { 'I_e.s' = [-1.0, 1.0] }\n"
             "measures = ['mean_rate']\nmaps = { I_e = { s = 'sc_strength' } }\n")  # fmt: skip
    config = parse_config(FILES + sweep, base=files, require_sweep=True)
    strength = config.simulator.connectivity.weights.sum(axis=1)
    np.testing.assert_allclose(config.sweep_arguments()["maps"]["I_e"]["s"],
                               (strength - strength.mean()) / strength.std())  # fmt: skip
    assert config.simulator.connectivity.number_of_regions == 6


def test_a_table_of_paths_with_its_repetition_time_labels_and_min_volumes(files, tmp_path):
    """Case: [dataset].table (a CSV of paths, relative to the config file) whose
    repetition_time column stands for [dataset].repetition_time; region labels as a list;
    min_volumes above a subject's volumes refused naming the file."""
    rows = ["subject,weights,lengths,bold,repetition_time"]
    rows += [f"{n},{files}/data/{n}/sc.npy,{files}/data/{n}/len.npy,{files}/data/{n}/bold.npy,"
             "10" for n in ("s1", "s2", "s3")]  # fmt: skip
    (tmp_path / "paths.csv").write_text("\n".join(rows) + "\n")
    labels = [f"R{k}" for k in range(6)]
    text = FILES.replace(
        'weights = "data/{subject}/sc.npy"\nlengths = "data/{subject}/len.npy"\n'
        'bold = "data/{subject}/bold.npy"\nrepetition_time = 10.0\n',
        f'table = "paths.csv"\nlabels = {labels!r}\n',
    )
    assert "table =" in text
    config = parse_config(text, base=tmp_path, require_fit=True)
    assert config.dataset.dataset.repetition_time == 10.0
    assert list(config.simulator.connectivity.region_labels) == labels
    short = text.replace('test = ["s3"]', 'test = ["s3"]\nmin_volumes = 41')
    with pytest.raises(ConfigError, match=r"\[dataset\].bold: .*s1.bold\.npy.*41"):
        parse_config(short, base=tmp_path, require_fit=True)


def test_a_map_of_the_data_is_refused_with_folds(files):
    """Case: with [dataset].folds, a map computed from the data ('sc_strength') would hold the
    folds' test subjects: refused, naming the map's key."""
    text = FILES.replace('test = ["s3"]', "folds = 3").replace(
        "n_workers = 1", "n_workers = 1\nmaps = { I_e = { s = 'sc_strength' } }")  # fmt: skip
    with pytest.raises(ConfigError, match=r"\[fit\].maps.I_e.s.*\[dataset\].folds.*'sc_s") as error:
        parse_config(text, base=files, require_fit=True)
    assert error.value.key == "[fit].maps.I_e.s"


def test_folds_cross_validate(files, scheduler, tmp_path, capsys):
    """Case: ``[dataset].folds = 3`` (three subjects: each held out once): ``tvb-ngnmm fit``
    runs cross_validate and writes its table and figure; the table holds every subject once,
    each fold's best parameter within its bounds (CMA-ES: its options as given to each fold),
    the validation's realisations and seed."""
    text = FILES.replace('test = ["s3"]', "folds = 3").replace('method = "grid"', 'method = "cma"')
    (tmp_path / "fit.toml").write_text(text.replace("points_per_axis", "popsize"))
    (tmp_path / "data").symlink_to(files / "data")
    output = tmp_path / "out"
    argv = ["fit", str(tmp_path / "fit.toml"), "--scheduler", scheduler, "--output",
            str(output), "--no-progress"]  # fmt: skip
    assert cli.main(argv) == 0
    with xr.open_dataset(output / "fit_cross_validation.nc", engine="h5netcdf") as table:
        assert sorted(table.subject.values) == ["s1", "s2", "s3"]
        assert table.sizes["fold"] == 3 and table.sizes["realisation"] == 2
        assert ((table.best_parameters >= 8.0) & (table.best_parameters <= 16.0)).all()
        assert table.attrs["validation_seed"] == 3 and "folds = 3" in table.attrs["config"]
    assert (output / "fit_cross_validation.png").is_file()
    assert not (output / "fit_history.nc").exists()
    out = capsys.readouterr().out
    assert "3 folds, 6 evaluations (cma)" in out
    assert re.search(r"  subject \(n = 3\): loss [-\d.e]+ ± .*; data: floor_sc", out)


def test_folds_without_validation_are_refused(files, tmp_path, capsys):
    """Case: ``[fit].validation = false`` with folds: exit 2 naming the key, nothing written."""
    text = FILES.replace('test = ["s3"]', "folds = 3").replace(
        "validation = { realisations = 2, seed = 3 }", "validation = false")  # fmt: skip
    (tmp_path / "fit.toml").write_text(text)
    (tmp_path / "data").symlink_to(files / "data")
    output = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["fit", str(tmp_path / "fit.toml"), "--output", str(output)])
    assert exit_info.value.code == 2
    assert re.search(r"\[fit\].validation.*\[dataset\].folds.*got false", capsys.readouterr().err)
    assert not output.exists()
