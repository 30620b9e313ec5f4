"""The coordinate frame of a connectome's centres: axis codes and origin, and the way to RAS."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_AXES = {"R": (0, 1), "L": (0, -1), "A": (1, 1), "P": (1, -1), "S": (2, 1), "I": (2, -1)}


@dataclass(frozen=True)
class CoordinateFrame:
    """The frame of a connectome's centres.

    Attributes
    ----------
    axes : str
        Three axis codes (nibabel's convention), e.g. ``'RAS'`` or ``'ALS'``.
    origin : tuple of float
        Native coordinates (mm) of the point taken as origin when converting to RAS.
    description : str
        Where the frame comes from.
    """

    axes: str
    origin: tuple[float, float, float] = (0.0, 0.0, 0.0)
    description: str = ""

    @property
    def left_right_axis(self) -> tuple[int, int]:
        """``(axis, sign)``: the native axis along which coordinates grow to the right (+1)
        or to the left (−1)."""
        for axis, code in enumerate(self.axes):
            if code in "RL":
                return axis, 1 if code == "R" else -1
        raise ValueError(f"Frame {self.axes!r} has no left–right axis.")

    @property
    def right_handed(self) -> bool:
        """Whether the native axes form a right-handed frame (as RAS does)."""
        return bool(np.linalg.det(self.to_ras_matrix()) > 0)

    def to_ras_matrix(self) -> np.ndarray:
        """``M`` such that ``ras = (native − origin) @ M.T``."""
        matrix = np.zeros((3, 3))
        for axis, code in enumerate(self.axes):
            ras_axis, sign = _AXES[code]
            matrix[ras_axis, axis] = sign
        return matrix

    def to_ras(self, coordinates: np.ndarray) -> np.ndarray:
        """Native coordinates ``(n, 3)`` in RAS axes about ``origin`` (mm)."""
        return (np.asarray(coordinates, dtype=float) - self.origin) @ self.to_ras_matrix().T


def record_frame(connectivity, frame: CoordinateFrame):
    """Set ``connectivity.coordinate_frame`` to ``frame`` so that it survives ``copy.deepcopy``.

    TVB's ``HasTraits.__deepcopy__`` copies the declared traits only, so a frame set as a
    plain attribute was lost on a deep copy (which simulators, lesion studies and sweeps make).
    The connectivity gets its own ``__deepcopy__`` (``copy.deepcopy`` looks it up on the
    object): TVB's copy, then the frame recorded on it. Returns ``connectivity``.
    """
    connectivity.coordinate_frame = frame
    connectivity.__deepcopy__ = _DeepCopyKeepingFrame(connectivity)
    return connectivity


class _DeepCopyKeepingFrame:
    """A connectivity's ``__deepcopy__``: TVB's deep copy, then the frame (picklable)."""

    def __init__(self, connectivity):
        self.connectivity = connectivity

    def __call__(self, memo=None):
        original = self.connectivity
        copied = type(original).__deepcopy__(original, {} if memo is None else memo)
        frame = getattr(original, "coordinate_frame", None)
        return copied if frame is None else record_frame(copied, frame)
