"""The coordinate frame of a connectome's centres: axis codes and origin, and the way to RAS."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tvb.datatypes.connectivity import Connectivity

_AXES = {"R": (0, 1), "L": (0, -1), "A": (1, 1), "P": (1, -1), "S": (2, 1), "I": (2, -1)}


@dataclass(frozen=True)
class CoordinateFrame:
    """The frame of a connectome's centres.

    Parameters
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
        """Native coordinates ``(n, 3)`` in RAS axes about ``origin`` (mm).

        Parameters
        ----------
        coordinates : numpy.ndarray, shape (n, 3)
            Native coordinates (mm).
        """
        return (np.asarray(coordinates, dtype=float) - self.origin) @ self.to_ras_matrix().T


def keep_frames_in_deep_copies() -> None:
    """Make ``copy.deepcopy`` of a TVB ``Connectivity`` keep its ``coordinate_frame``.

    TVB's deep copy builds a new object from the declared traits alone, so the frame that the
    loaders record (a plain attribute) was lost in every deep copy (a deep-copied simulator, a
    lesion study, a sweep's recipe). ``Connectivity.__deepcopy__`` is wrapped once, on import
    of this module: TVB's copy, then the frame, if the original has one; nothing else changes
    (shallow copies and pickles keep every attribute already).
    """
    if getattr(Connectivity.__deepcopy__, "_keeps_frame", False):
        return
    tvb_deepcopy = Connectivity.__deepcopy__

    def __deepcopy__(self, memodict=None):
        copied = tvb_deepcopy(self, {} if memodict is None else memodict)
        frame = self.__dict__.get("coordinate_frame")
        if frame is not None:
            copied.coordinate_frame = frame
        return copied

    __deepcopy__._keeps_frame = True
    Connectivity.__deepcopy__ = __deepcopy__


keep_frames_in_deep_copies()
