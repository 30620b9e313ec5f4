"""Shared machinery of the plugin's neural mass models: parameter domains and their checks."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from tvb.simulator.models.base import Model


@dataclass(frozen=True)
class Interval:
    """The set of values a model parameter may take.

    Parameters
    ----------
    lo, hi : float
        Bounds of the interval (may be infinite).
    lo_open, hi_open : bool
        Whether the bound itself is excluded.
    """

    lo: float = -math.inf
    hi: float = math.inf
    lo_open: bool = False
    hi_open: bool = False

    def __post_init__(self):
        if math.isnan(self.lo) or math.isnan(self.hi) or self.lo > self.hi:
            raise ValueError(
                "Invalid value for the 'lo' and 'hi' parameters of Interval. Allowed are bounds "
                f"with lo <= hi (not NaN), but got lo = {self.lo!r}, hi = {self.hi!r} instead."
            )

    def contains(self, values: np.ndarray) -> np.ndarray:
        """Element-wise membership (non-finite values are never members).

        Parameters
        ----------
        values : array_like
            The values to test.
        """
        values = np.asarray(values, dtype=float)
        above = values > self.lo if self.lo_open else values >= self.lo
        below = values < self.hi if self.hi_open else values <= self.hi
        return np.isfinite(values) & above & below

    def describe(self) -> str:
        """A human-readable statement of the interval, e.g. ``'> 0'``."""
        parts = []
        if math.isfinite(self.lo):
            parts.append(f"{'>' if self.lo_open else '>='} {self.lo:g}")
        if math.isfinite(self.hi):
            parts.append(f"{'<' if self.hi_open else '<='} {self.hi:g}")
        return " and ".join(parts) + " (finite)" if parts else "any finite number"


POSITIVE = Interval(lo=0.0, lo_open=True)
NON_NEGATIVE = Interval(lo=0.0)
REAL = Interval()


def _format_given(value: np.ndarray) -> str:
    value = np.asarray(value)
    if value.size == 1:
        return repr(float(value.ravel()[0]))
    bad = value.ravel()
    return f"an array of {value.size} values ({np.array2string(bad, threshold=6)})"


class AbstractNextGenModel(Model):
    """Base of the plugin's next-generation neural mass models.

    Subclasses declare ``parameter_domains``, a mapping from each parameter name to the
    :class:`Interval` its values must lie in. :meth:`configure` checks every parameter against
    its domain (TVB itself does not) and, once the simulator knows the network, that parameter
    arrays hold one value or one value per region.

    Parameters
    ----------
    **kwargs
        Values of the declared attributes (parameters, ranges, variables of interest), as for
        any TVB model.
    """

    parameter_domains: ClassVar[dict[str, Interval]] = {}

    def validate_parameters(self) -> None:
        """Raise ``ValueError`` for any parameter outside its documented domain."""
        for param in self.parameter_domains:
            self.check_parameter(param, getattr(self, param))

    def check_parameter(self, param: str, value, context: str = "") -> None:
        """Raise ``ValueError`` if ``value`` is not a valid value of ``param``.

        The check :meth:`configure` applies to each parameter, for a value that need not be
        set on the model (e.g. one member of a batch); ``context`` is added after the model's
        name in the message, e.g. ``" (batch member 3)"``. Parameters without a declared
        domain are not checked.

        Parameters
        ----------
        param : str
            The parameter's name.
        value : float or array_like
            The value(s) to check.
        context : str
            Text added after the model's name in the message.
        """
        domain = self.parameter_domains.get(param)
        if domain is None:
            return
        name = f"{type(self).__name__}{context}"
        value = np.asarray(value, dtype=float)
        if value.size == 0:
            raise ValueError(
                f"Invalid value for the {param!r} parameter of {name}. Allowed values are "
                f"{domain.describe()}, but got an empty array instead."
            )
        bad = ~domain.contains(value)
        if bad.any():
            raise ValueError(
                f"Invalid value for the {param!r} parameter of {name}. Allowed values are "
                f"{domain.describe()}, but got {_format_given(value[bad])} instead."
            )

    def configure(self) -> None:
        """Check the parameters, then configure as TVB does."""
        self.validate_parameters()
        super().configure()

    def _spatialize_model_parameters(self, sim) -> None:
        n_node = sim.number_of_nodes
        for param in self.parameter_domains:
            size = np.asarray(getattr(self, param)).size
            if size not in (1, n_node):
                raise ValueError(
                    f"Invalid shape for the {param!r} parameter of {type(self).__name__}. "
                    f"Allowed are one value or one per node ({n_node}), but got {size} values."
                )
        super()._spatialize_model_parameters(sim)

    def parameter_values(self) -> dict[str, np.ndarray]:
        """The current parameter values, in the order of ``parameter_names``."""
        return {name: np.asarray(getattr(self, name)) for name in self.parameter_names}
