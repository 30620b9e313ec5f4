r"""The model's variables of interest as the engine observes them.

TVB's monitors record ``model.observe(state)``: one row per variable of interest, each the
Python expression it names evaluated with the state variables as local names and ``numpy`` in
scope (``Model._build_observer``). Most are a state variable itself; some stock models observe
an expression by default (``Epileptor`` and ``EpileptorRestingState``: ``'x2 - x1'``, the LFP
proxy of epilepsy studies) or offer one (``Generic2dOscillator``: ``'V + W'``, ``'V - W'``;
``WilsonCowan``: ``'E + I'``, ``'E - I'``).

The compiled kernel records state variables (:attr:`Observation.recorded`), at every step or
summed over a monitor's blocks of steps; :meth:`Observation.evaluate` turns them into the
variables of interest, evaluating each expression with NumPy as TVB does. An expression is
allowed arithmetic of the state variables with numbers and NumPy's elementwise functions
(``numpy.exp``, ``numpy.pi``, ...), so that its value at a region and step depends on that
region's state at that step only. Per step, the values are TVB's (the same operations on the
same float64 state). A monitor that averages over blocks of steps (``TemporalAverage``, the
BOLD monitors, the sensor projections) needs the mean of each variable of interest: an
expression *linear* in the state (a sum of state variables times constants, such as
``'x2 - x1'``) commutes with that mean, so the kernel sums the state variables and the
expression is evaluated on the sums (:attr:`Observation.linear`); any other expression is
evaluated at every step before the monitor averages it (:func:`.runner.summed_monitor`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

import numpy as np

from .errors import UnsupportedSimulationError

#: The names an expression sees besides the state variables (as in TVB's observer).
_NAMESPACE = {"numpy": np, "__builtins__": {}}
_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.FloorDiv, ast.Mod)
_NODES = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Constant, ast.Load,
          ast.UAdd, ast.USub, *_OPERATORS)  # fmt: skip


@dataclass(frozen=True)
class Observation:
    """How the variables of interest are formed from the state variables the kernel records.

    Attributes
    ----------
    names : tuple of str
        The variables of interest, as the model names them.
    state_variables : tuple of str
        The model's state variables.
    recorded : numpy.ndarray
        ``(n_recorded,)`` int64: the state variables the kernel records, by index. When every
        variable of interest is a state variable, one per variable of interest, in their order
        (:attr:`plain`); else each state variable an expression or variable uses, once.
    forms : tuple
        Per variable of interest, the row of ``recorded`` it is, or its compiled expression.
    linear : bool
        Every variable of interest is linear in the state (commutes with sums over steps).
    """

    names: tuple[str, ...]
    state_variables: tuple[str, ...]
    recorded: np.ndarray
    forms: tuple
    linear: bool

    @property
    def plain(self) -> bool:
        """Every variable of interest is a recorded state variable, in order: no evaluation."""
        return self.forms == tuple(range(len(self.names)))

    def subset(self, voi) -> Observation:
        """The observation of the variables of interest ``voi`` (indices), in that order."""
        return observation_of(self.state_variables, [self.names[int(v)] for v in voi])

    def evaluate(self, values: np.ndarray) -> np.ndarray:
        """The variables of interest from the recorded state variables.

        Parameters
        ----------
        values : numpy.ndarray
            ``(n_row, n_recorded, ...)``: the recorded state variables at steps, or (when
            :attr:`linear`) summed over blocks of steps.

        Returns
        -------
        numpy.ndarray
            ``(n_row, n_voi, ...)`` (``values`` itself when :attr:`plain`).
        """
        if self.plain:
            return values
        local = {self.state_variables[i]: values[:, k] for k, i in enumerate(self.recorded)}
        out = np.empty((values.shape[0], len(self.names), *values.shape[2:]))
        for j, form in enumerate(self.forms):
            if isinstance(form, int):
                out[:, j] = values[:, form]
            else:  # the model's own expression, as TVB's observer evaluates it
                out[:, j] = eval(form, _NAMESPACE, local)
        return out


def observation_of(state_variables, names, owner: str = "the model") -> Observation:
    """The :class:`Observation` of the variables of interest ``names``.

    Raises
    ------
    ValueError
        An expression that is not valid Python or names something other than the state
        variables and ``numpy``.
    UnsupportedSimulationError
        An expression that is not arithmetic of the state variables, numbers and NumPy's
        elementwise functions.
    """
    state_variables, names = tuple(state_variables), tuple(str(n) for n in names)
    if all(n in state_variables for n in names):
        recorded = np.array([state_variables.index(n) for n in names], dtype=np.int64)
        return Observation(names, state_variables, recorded, tuple(range(len(names))), True)
    trees = {n: _parse(n, state_variables, owner) for n in names if n not in state_variables}
    used = set()
    for name in names:
        tree = trees.get(name)
        used |= {name} if tree is None else _state_names(tree, state_variables)
    recorded = np.array(sorted(state_variables.index(n) for n in used), dtype=np.int64)
    rows = {state_variables[i]: k for k, i in enumerate(recorded)}
    forms = tuple(
        rows[n] if n in rows and n not in trees else compile(trees[n], n, "eval") for n in names
    )
    linear = all(_is_linear(tree.body, state_variables) for tree in trees.values())
    return Observation(names, state_variables, recorded, forms, linear)


def check_observation(observation: Observation, state: np.ndarray, owner: str) -> None:
    """Evaluate every expression at ``state`` ``(n_var, n_node)``; raise ``ValueError`` naming
    the one that fails or does not give one value per region."""
    local = {observation.state_variables[i]: state[i][np.newaxis] for i in observation.recorded}
    for name, form in zip(observation.names, observation.forms, strict=True):
        if isinstance(form, int):
            continue
        try:
            with np.errstate(all="ignore"):
                shape = np.shape(eval(form, _NAMESPACE, local))
            problem = None if shape == (1, state.shape[1]) else f"gives shape {shape[1:]}"
        except Exception as error:  # any failure of the model's expression
            problem = f"fails: {type(error).__name__}: {error}"
        if problem is not None:
            raise ValueError(
                f"Invalid value for the 'variables_of_interest' parameter of {owner}. Allowed "
                "are expressions giving one value per region (shape "
                f"({state.shape[1]},)) at the initial state, but got {name!r}, which "
                f"{problem}, instead."
            )


def _allowed(state_variables) -> str:
    names = ", ".join(map(repr, state_variables))
    return (
        f"its state variables ({names}) and expressions of them with numbers, arithmetic and "
        "NumPy's elementwise functions and constants (e.g. 'numpy.exp', 'numpy.pi')"
    )


def _parse(expression: str, state_variables, owner: str) -> ast.Expression:
    """The expression's tree; raise naming what it may use unless it is allowed."""
    start = f"Invalid value for the 'variables_of_interest' parameter of {owner}. Allowed are "
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as error:
        raise ValueError(
            f"{start}{_allowed(state_variables)}, but got {expression!r} ({error.msg}) instead."
        ) from None
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    for node in ast.walk(tree):
        bad = _unsupported_node(node, id(node) in called)
        if bad is not None:
            raise UnsupportedSimulationError(
                f"{start}{_allowed(state_variables)}, but got {expression!r} (the engine does "
                f"not evaluate {bad}) instead."
            )
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    unknown = sorted(names - set(state_variables) - {"numpy"})
    if unknown:
        raise ValueError(
            f"{start}{_allowed(state_variables)}, but got {expression!r} (unknown name "
            f"{', '.join(map(repr, unknown))}) instead."
        )
    return tree


def _unsupported_node(node, called: bool) -> str | None:
    """What the engine does not evaluate in ``node`` (``called``: the function of a call), or
    None."""
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Attribute) or node.keywords:
            return f"{ast.unparse(node)!r} (calls of NumPy's elementwise functions only)"
        return None
    if isinstance(node, ast.Attribute):
        name = _numpy_attribute(node)
        value = None if name is None else getattr(np, name, None)
        if called and not isinstance(value, np.ufunc):
            return f"{ast.unparse(node)!r} (not one of NumPy's elementwise functions)"
        if not called and not isinstance(value, float):
            return f"{ast.unparse(node)!r} (not one of NumPy's float constants)"
        return None
    if isinstance(node, ast.Constant) and not isinstance(node.value, int | float):
        return repr(ast.unparse(node))
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return repr(ast.unparse(node))
    if not isinstance(node, _NODES):
        return repr(ast.unparse(node)) if hasattr(node, "lineno") else type(node).__name__
    return None


def _numpy_attribute(node) -> str | None:
    """``'exp'`` for ``numpy.exp``; None for anything else."""
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "numpy"
    ):
        return node.attr
    return None


def _state_names(tree, state_variables) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in state_variables}


def _is_linear(node, state) -> bool:
    """Whether ``node`` is a sum of the state variables ``state`` times constants (no constant
    term)."""
    if isinstance(node, ast.Name):
        return node.id in state
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, ast.UAdd | ast.USub) and _is_linear(node.operand, state)
    if not isinstance(node, ast.BinOp):
        return False
    left, right = node.left, node.right
    if isinstance(node.op, ast.Add | ast.Sub):
        return _is_linear(left, state) and _is_linear(right, state)
    constant_left, constant_right = not _state_names(left, state), not _state_names(right, state)
    if isinstance(node.op, ast.Div):
        return constant_right and _is_linear(left, state)
    if isinstance(node.op, ast.Mult):
        return (constant_right and _is_linear(left, state)) or (
            constant_left and _is_linear(right, state)
        )
    return False
