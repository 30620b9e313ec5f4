"""A dataset of subjects: structure, BOLD per session, FC, FCD, group averages and baselines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .._util import check_choice, format_choices
from ..analysis import functional_connectivity, functional_connectivity_dynamics
from ..connectomes import make_connectivity
from ._sources import DEFAULT_SESSION
from ._subject import fisher_z_mean
from .baselines import baselines as _baselines
from .baselines import retest_similarity
from .weighting import apply_weighting


@dataclass(frozen=True)
class Dataset:
    """Subjects' structure and BOLD series, read and checked by
    :func:`~tvb_ngnmm.datasets.read_dataset`.

    A subject has one structure and one or more BOLD sessions (test–retest scans). Its FC
    (:meth:`fc`) is the Fisher-z mean of its sessions' FCs; its FCD (:meth:`fcd`) is one
    session's, the first unless another is named (FCD matrices of different sessions do not
    average).

    Parameters
    ----------
    subjects : tuple of str
        The subjects' names, in the order of the dataset.
    weights, lengths : dict of str to ndarray
        Per subject, ``(n_region, n_region)``: the weights after the weighting steps, the tract
        lengths in mm (symmetrised and with a zero diagonal where the weighting says so).
    bold : dict of str to ndarray
        Per subject, the BOLD series ``(n_time, n_region)`` of its first session, as stored
        (any unit).
    repetition_time : float
        The BOLD sampling interval, in ms (one for the dataset).
    weighting : tuple of str
        The weighting steps applied (:func:`~tvb_ngnmm.datasets.apply_weighting`).
    files : dict of str to dict of str to Path
        Per subject, the file read for each kind (``'weights'``, ``'lengths'`` (the zip where
        the structure came from a TVB zip), ``'bold'`` (the first session's)).
    structure : dict of str to ndarray
        Per subject, the weights as read after the structural steps only (``'symmetrize'``,
        ``'zero_diagonal'``): what the group averages before its own weighting.
    labels : tuple of str
        The region labels, one per region (from ``labels=`` or the TVB zips; else ``node_000``,
        ...).
    sessions : dict of str to tuple of str
        Per subject, its sessions' names in order (``('1',)`` where the files name none).
    session_bold : dict of (str, str) to ndarray
        Per ``(subject, session)``, the BOLD series ``(n_time, n_region)``; the first session's
        is :attr:`bold`'s.
    session_files : dict of (str, str) to Path
        Per ``(subject, session)``, the BOLD file.
    centres : dict of str to ndarray
        Per subject whose structure came from a TVB zip, its region centres ``(n_region, 3)``
        in mm; the others have none.
    """

    subjects: tuple[str, ...]
    weights: dict[str, np.ndarray]
    lengths: dict[str, np.ndarray]
    bold: dict[str, np.ndarray]
    repetition_time: float
    weighting: tuple[str, ...]
    files: dict[str, dict[str, Path]]
    structure: dict[str, np.ndarray]
    labels: tuple[str, ...] | None = None
    sessions: dict[str, tuple[str, ...]] | None = None
    session_bold: dict[tuple[str, str], np.ndarray] | None = None
    session_files: dict[tuple[str, str], Path] | None = None
    centres: dict[str, np.ndarray] | None = None

    def __post_init__(self) -> None:
        """One session per subject and ``node_000``... labels where none are given."""
        single = {name: (DEFAULT_SESSION,) for name in self.subjects}
        defaults = {
            "labels": tuple(f"node_{k:03d}" for k in range(self.n_regions)),
            "sessions": single,
            "session_bold": {(name, DEFAULT_SESSION): self.bold[name] for name in self.subjects},
            "session_files": {
                (name, DEFAULT_SESSION): self.files[name]["bold"] for name in self.subjects
            },
            "centres": {},
        }
        for name, value in defaults.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, value)

    @property
    def n_regions(self) -> int:
        """The number of regions (the same for every subject)."""
        return self.weights[self.subjects[0]].shape[0]

    def _subject(self, subject: str) -> str:
        return check_choice("subject", subject, self.subjects)

    def _session(self, subject: str, session: str | None) -> tuple[str, str]:
        name = self._subject(subject)
        if session is None:
            return name, self.sessions[name][0]
        return name, check_choice("session", session, self.sessions[name], f"subject {name!r}")

    def fc(self, subject: str, session: str | None = None) -> np.ndarray:
        """One subject's FC, ``(n_region, n_region)``.

        Pearson r of its regions' BOLD series: of one ``session``, or (None) the Fisher-z mean
        of its sessions' FCs (with one session, that session's FC).

        Parameters
        ----------
        subject : str
            One of :attr:`subjects`.
        session : str, optional
            One of the subject's :attr:`sessions`; None averages them.
        """
        if session is not None:
            return functional_connectivity(self.session_bold[self._session(subject, session)])
        name = self._subject(subject)
        fcs = [functional_connectivity(self.session_bold[name, s]) for s in self.sessions[name]]
        return fcs[0] if len(fcs) == 1 else fisher_z_mean(fcs)

    def fcd(
        self, subject: str, window_ms: float, step_ms: float, session: str | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """One subject's FCD (:func:`tvb_ngnmm.analysis.functional_connectivity_dynamics`).

        Parameters
        ----------
        subject : str
            One of :attr:`subjects`.
        window_ms, step_ms : float
            Sliding window length and shift in ms (the series is sampled every
            :attr:`repetition_time` ms; a window needs 3 samples up to the whole series).
        session : str, optional
            One of the subject's :attr:`sessions`; default its first.

        Returns
        -------
        fcd : ndarray, shape (n_window, n_window)
            Correlations between the FCs of the windows.
        window_centres : ndarray, shape (n_window,)
            The windows' centres, in ms from the first volume.
        """
        key = self._session(subject, session)
        try:
            return functional_connectivity_dynamics(
                self.session_bold[key], self.repetition_time, window_ms, step_ms
            )
        except ValueError as err:
            where = f"subject {key[0]!r}, file '{self.session_files[key]}'"
            raise ValueError(f"{err} ({where})") from err

    def connectivity(self, subject: str | None = None, conduction_speed: float = 3.0):
        """A configured TVB ``Connectivity``: one subject's, or the group's (None).

        Weights :attr:`weights` (or :meth:`group_weights`), tract lengths :attr:`lengths` (or
        :meth:`group_lengths`, mm), ``conduction_speed`` in mm/ms, region labels :attr:`labels`;
        centres those of the subject's TVB zip (the group: the subjects' mean, if each has
        them), else zeros.

        Parameters
        ----------
        subject : str, optional
            One of :attr:`subjects`; None gives the group's connectivity.
        conduction_speed : float
            Conduction speed (mm/ms).
        """
        if subject is None:
            weights, lengths, title = self.group_weights(), self.group_lengths(), "group"
            known = [self.centres[name] for name in self.subjects if name in self.centres]
            centres = np.mean(known, axis=0) if len(known) == len(self.subjects) else None
        else:
            name = self._subject(subject)
            weights, lengths, title = self.weights[name], self.lengths[name], name
            centres = self.centres.get(name)
        conn = make_connectivity(
            weights,
            lengths,
            centres=centres,
            region_labels=self.labels,
            conduction_speed=conduction_speed,
        )
        conn.title = title
        return conn

    def group_weights(self) -> np.ndarray:
        """The group's weights, ``(n_region, n_region)``: the weighting steps applied to the
        subjects' mean :attr:`structure` (a consensus first, then scaled, as one subject is)."""
        mean = np.mean([self.structure[name] for name in self.subjects], axis=0)
        return apply_weighting(mean, self.weighting, "the group's mean weights")

    def subset(self, subjects: Sequence[str]) -> Dataset:
        """The dataset of some of its subjects (a training or a held-out group), in the order
        given; at least one, each once.

        Parameters
        ----------
        subjects : sequence of str
            The subjects kept, in the order given.

        Raises
        ------
        ValueError
            Naming ``subjects``: an unknown or repeated subject, or none.
        """
        if isinstance(subjects, str) or not isinstance(subjects, Sequence) or not subjects:
            raise ValueError(
                "Invalid value for the 'subjects' parameter. Allowed values are a non-empty "
                f"sequence of subject names among {format_choices(self.subjects)}, but got "
                f"{subjects!r} instead."
            )
        names = tuple(check_choice("subjects", str(name), self.subjects) for name in subjects)
        if len(set(names)) != len(names):
            raise ValueError(
                "Invalid value for the 'subjects' parameter. Allowed values are subject names "
                f"each given once, but got {list(names)!r} instead."
            )

        def pick(table: dict) -> dict:
            return {name: table[name] for name in names if name in table}

        def pick_sessions(table: dict) -> dict:
            return {key: table[key] for key in table if key[0] in names}

        return replace(
            self,
            subjects=names,
            weights=pick(self.weights),
            lengths=pick(self.lengths),
            bold=pick(self.bold),
            files=pick(self.files),
            structure=pick(self.structure),
            sessions=pick(self.sessions),
            session_bold=pick_sessions(self.session_bold),
            session_files=pick_sessions(self.session_files),
            centres=pick(self.centres),
        )

    def group_lengths(self) -> np.ndarray:
        """The subjects' mean tract lengths in mm (0 where a subject has none counts as 0)."""
        return np.mean([self.lengths[name] for name in self.subjects], axis=0)

    def group_fc(self) -> np.ndarray:
        """The group's FC: ``tanh`` of the subjects' mean ``arctanh`` FC (:meth:`fc`, each
        subject's own the mean over its sessions); diagonal 1."""
        return fisher_z_mean([self.fc(name) for name in self.subjects])

    def baselines(self):
        """The structural floor and the noise ceiling of the subjects' FC.

        :func:`tvb_ngnmm.datasets.baselines.baselines` with :meth:`group_weights` (which must be
        symmetric: keep ``'symmetrize'`` in the weighting) and each subject's :meth:`fc`; at
        least 2 subjects. Where any subject has 2 or more sessions, also ``test_retest``
        (:func:`~tvb_ngnmm.datasets.baselines.retest_similarity`: r between the FCs of each
        subject's first two sessions; NaN, with one ``UndefinedMeasureWarning``, for the
        subjects with one session).

        Returns
        -------
        xarray.Dataset
            Dim ``subject``; Pearson r (dimensionless), see those functions.
        """
        fcs = [self.fc(name) for name in self.subjects]
        table = _baselines(self.group_weights(), fcs, names=self.subjects)
        if any(len(self.sessions[name]) > 1 for name in self.subjects):
            pairs = [
                [self.fc(name, session) for session in self.sessions[name][:2]]
                for name in self.subjects
            ]
            table["test_retest"] = retest_similarity(pairs, names=self.subjects)
        return table
