r"""Jacobians of a model's vector field, from its one definition (``dfun``).

The next-generation models are polynomial in their state and in the coupling input, written
with arithmetic only. Their derivatives are therefore obtained exactly (to rounding) by
*complex-step differentiation* of the model's own ``dfun``:

.. math::

    \frac{\partial f}{\partial x_k}(x) = \frac{\operatorname{Im} f(x + i h e_k)}{h},
    \qquad h = 10^{-30},

which, unlike finite differences, has no subtraction error, so the Jacobian is exact to machine
precision and is never retyped: it follows any change of the equations. All directions are
evaluated in one vectorised ``dfun`` call (the node axis carries the directions). The same holds
for TVB's ``MontbrioPazoRoxin``, whose ``dfun`` is also plain arithmetic.

:class:`VectorField` wraps a model with scalar parameters as ``f(x, C)`` for the analysis
(fixed points, continuation, Floquet, MSF), with parameters that can be overridden by name.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from tvb.basic.neotraits.api import NArray

from ..models import AbstractNextGenModel

__all__ = ["VectorField", "coupling_jacobian", "jacobian"]

_STEP = 1e-30


def _parameter_names(model) -> list[str]:
    """The names of the model's array parameters (its ``NArray`` traits)."""
    cls = type(model)
    return [name for name in cls.declarative_attrs if isinstance(getattr(cls, name), NArray)]


class VectorField:
    r"""A model's vector field :math:`f(x, C)` with one value per parameter.

    Parameters
    ----------
    model : tvb.simulator.models.base.Model
        The model (e.g. :class:`~tvb_ngnmm.models.NextGenEI`). Its parameters must have one
        value each (the analysis is of one node, or of a network of identical nodes).
    **overrides : float
        Parameter values replacing the model's, by name (e.g. ``I_e=15.0``).

    Attributes
    ----------
    n_var : int
        Number of state variables.
    cvar : numpy.ndarray of int
        Indices of the coupling variables (``model.cvar``).
    parameters : dict
        Parameter name → value (float).
    """

    def __init__(self, model, **overrides: float):
        self.model_cls = type(model)
        self.state_variables = tuple(model.state_variables)
        self.n_var = len(self.state_variables)
        self.cvar = np.asarray(model.cvar, dtype=int)
        names = _parameter_names(model)
        params = {}
        for name in names:
            value = np.asarray(getattr(model, name), dtype=float).ravel()
            if value.size != 1:
                raise ValueError(
                    f"Invalid value for the {name!r} parameter of {self.model_cls.__name__}: the "
                    f"analysis needs one value per parameter, but got {value.size} values."
                )
            params[name] = float(value[0])
        for name, value in overrides.items():
            if name not in params:
                raise ValueError(
                    f"Invalid value for the parameter name. Allowed values are {sorted(params)}, "
                    f"but got {name!r} instead."
                )
            params[name] = value
        self.parameters = params
        self._names = names
        self._parameter_names = list(getattr(model, "parameter_names", names))
        self._cached = None
        # The plugin's models evaluate one state of shape (n_var,) directly (fast for ODE solvers).
        self._scalar_path = isinstance(model, AbstractNextGenModel)

    def with_parameters(self, **overrides: float) -> VectorField:
        """A copy with some parameters replaced (values may be complex, for complex steps).

        Parameters
        ----------
        **overrides : float or complex
            Parameter values replacing the current ones, by name.
        """
        new = object.__new__(VectorField)
        new.__dict__.update(self.__dict__)
        new.parameters = {**self.parameters, **overrides}
        new._cached = None
        for name in overrides:
            if name not in self.parameters:
                raise ValueError(
                    f"Invalid value for the parameter name. Allowed values are "
                    f"{sorted(self.parameters)}, but got {name!r} instead."
                )
        return new

    def __call__(self, state: np.ndarray, coupling: np.ndarray | float = 0.0) -> np.ndarray:
        """Evaluate :math:`f(x, C)`.

        Parameters
        ----------
        state : numpy.ndarray, shape (n_var,) or (n_var, m)
            States (one per column).
        coupling : float or numpy.ndarray, shape (n_cvar,) or (n_cvar, m)
            Long-range input per coupling variable.

        Returns
        -------
        numpy.ndarray
            Time derivatives (per ms), shaped like ``state``.
        """
        state = np.asarray(state)
        k = len(self.cvar)
        if state.ndim == 1 and self._scalar_path:
            c = np.broadcast_to(np.asarray(coupling), (k,))
            return np.asarray(self.model_cls.dfun(self._namespace(scalar=True), state, c))
        x = state.reshape(self.n_var, -1)
        m = x.shape[1]
        c = np.asarray(coupling)
        c = c.reshape(-1, 1) if c.ndim == 1 else c.reshape(c.shape[0] if c.ndim else 1, -1)
        c = np.broadcast_to(c, (k, m))
        out = self.model_cls.dfun(self._namespace(), x[:, :, None], c[:, :, None])
        return np.asarray(out)[:, :, 0].reshape(state.shape)

    def _namespace(self, scalar: bool = False) -> SimpleNamespace:
        """The parameters as attributes, the way ``dfun`` reads them from the model."""
        if self._cached is None:
            self._cached = {
                flag: SimpleNamespace(
                    parameter_names=self._parameter_names,
                    **{k: (v if flag else np.asarray([v])) for k, v in self.parameters.items()},
                )
                for flag in (False, True)
            }
        return self._cached[scalar]

    def jacobian(self, state: np.ndarray, coupling: np.ndarray | float = 0.0) -> np.ndarray:
        """Jacobian :math:`\\partial f / \\partial x`, shape ``(..., n_var, n_var)`` (per ms).

        Parameters
        ----------
        state : numpy.ndarray, shape (..., n_var)
            States, the state variables on the last axis.
        coupling : float or numpy.ndarray, shape (..., n_cvar)
            Long-range input per coupling variable, broadcast against the states.
        """
        x, c, batch = self._batch(state, coupling)
        n = self.n_var
        xs = np.repeat(x[:, :, None].astype(complex), n, axis=2)  # (n_var, m, n_dir)
        xs[np.arange(n), :, np.arange(n)] += 1j * _STEP
        cs = np.repeat(c[:, :, None].astype(complex), n, axis=2)
        f = self(xs.reshape(n, -1), cs.reshape(len(self.cvar), -1)).reshape(n, -1, n)
        return np.moveaxis(f.imag / _STEP, 1, 0).reshape(*batch, n, n)

    def coupling_jacobian(
        self, state: np.ndarray, coupling: np.ndarray | float = 0.0
    ) -> np.ndarray:
        """Derivative :math:`\\partial f / \\partial C`, shape ``(..., n_var, n_cvar)``.

        Parameters
        ----------
        state : numpy.ndarray, shape (..., n_var)
            States, the state variables on the last axis.
        coupling : float or numpy.ndarray, shape (..., n_cvar)
            Long-range input per coupling variable, broadcast against the states.
        """
        x, c, batch = self._batch(state, coupling)
        k = len(self.cvar)
        xs = np.repeat(x[:, :, None].astype(complex), k, axis=2)
        cs = np.repeat(c[:, :, None].astype(complex), k, axis=2)
        cs[np.arange(k), :, np.arange(k)] += 1j * _STEP
        f = self(xs.reshape(self.n_var, -1), cs.reshape(k, -1)).reshape(self.n_var, -1, k)
        return np.moveaxis(f.imag / _STEP, 1, 0).reshape(*batch, self.n_var, k)

    def parameter_derivative(
        self, name: str, state: np.ndarray, coupling: np.ndarray | float = 0.0
    ) -> np.ndarray:
        """Derivative :math:`\\partial f / \\partial p` for the parameter ``name``.

        Parameters
        ----------
        name : str
            The parameter's name.
        state : numpy.ndarray, shape (..., n_var)
            States, the state variables on the last axis.
        coupling : float or numpy.ndarray, shape (..., n_cvar)
            Long-range input per coupling variable, broadcast against the states.
        """
        shifted = self.with_parameters(**{name: self.parameters[name] + 1j * _STEP})
        return np.asarray(shifted(np.asarray(state, dtype=complex), coupling)).imag / _STEP

    def _batch(self, state, coupling):
        state = np.asarray(state, dtype=float)
        if state.shape[-1:] != (self.n_var,):
            raise ValueError(
                f"Invalid shape for the 'state' parameter. Allowed shapes end in "
                f"({self.n_var},) (the state variables {self.state_variables}), but got "
                f"{state.shape} instead."
            )
        batch = state.shape[:-1]
        x = state.reshape(-1, self.n_var).T
        c = np.broadcast_to(np.asarray(coupling, dtype=float), (*batch, len(self.cvar)))
        return x, np.asarray(c).reshape(-1, len(self.cvar)).T, batch


def jacobian(model, state: np.ndarray, coupling: np.ndarray | float = 0.0) -> np.ndarray:
    """Jacobian of a model's vector field with respect to its state.

    Parameters
    ----------
    model : tvb.simulator.models.base.Model
        The model, with one value per parameter.
    state : numpy.ndarray, shape (..., n_var)
        State(s) at which to evaluate, in the model's units (rates in kHz).
    coupling : float or numpy.ndarray, shape (..., n_cvar)
        Long-range input per coupling variable.

    Returns
    -------
    numpy.ndarray, shape (..., n_var, n_var)
        :math:`J_{ij} = \\partial f_i / \\partial x_j` in 1/ms.
    """
    return VectorField(model).jacobian(state, coupling)


def coupling_jacobian(model, state: np.ndarray, coupling: np.ndarray | float = 0.0) -> np.ndarray:
    """Derivative of a model's vector field with respect to its coupling inputs.

    Parameters
    ----------
    model : tvb.simulator.models.base.Model
        The model, with one value per parameter.
    state : numpy.ndarray, shape (..., n_var)
        State(s) at which to evaluate.
    coupling : float or numpy.ndarray, shape (..., n_cvar)
        Long-range input per coupling variable.

    Returns
    -------
    numpy.ndarray, shape (..., n_var, n_cvar)
        :math:`\\partial f_i / \\partial C_k` in 1/ms per unit of input.
    """
    return VectorField(model).coupling_jacobian(state, coupling)
