r"""A model's equations in the engine's form: the source of its loop over nodes.

The engine advances all nodes of all batch members with one function per model,
``model_dfun(_x, _C, _p, _out)``: ``_out[v, m] = f_v(_x[:, m], _C[:, m])`` with the parameters
``_p[:, m]``, one loop over ``m`` that LLVM vectorises. :func:`engine_model` writes that loop
from the model's declaration (:mod:`tvb_ngnmm.models._registry`), naming every state variable,
coupling term and parameter as the model names them:

- a model registered with ``equations`` calls that function (compiled and inlined);
- any other model with ``state_variable_dfuns`` (TVB's ``Linear``, a user's own class) has its
  expressions written into the loop, as TVB's own code generators do
  (``tvb/simulator/backend/templates/nb-dfuns.py.mako``), with the parameters read from ``_p``
  at run time, never written in as constants.

Coupling terms are named by the model's ``coupling_terms`` (``c_0, c_1, …`` when it has none);
coupling term ``k`` reads row ``min(k, n_cvar - 1)`` of the coupling. The local coupling terms
``lc_0, lc_1, …`` are 0 in ``model_dfun`` (region simulations). For surface simulations the
module also has ``model_dfun_lc(_x, _C, _L, _p, _out)``, the same loop with ``lc_k`` read from
row ``k`` of ``_L``, and ``local_source(_x, _p, _out)``, which writes row ``k`` of ``_out``:
the expression of the state that the local coupling matrix multiplies to give ``lc_k`` (the
model's declared ``local_coupling``). :mod:`._cache` compiles the loops, and the kernels call
them.
"""

from __future__ import annotations

import ast
import inspect
import keyword
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from tvb.basic.neotraits.api import NArray

from ..models import declaration_of
from ..models.mixed import MixedModel
from ..models.tvb_models import NOT_ON_ENGINE
from .errors import UnsupportedSimulationError

#: Functions and constants an expression of ``state_variable_dfuns`` may use (from ``math``).
MATH_NAMES = (
    "pi", "e", "exp", "expm1", "log", "log1p", "log10", "sqrt", "sin", "cos", "tan", "asin",
    "acos", "atan", "atan2", "sinh", "cosh", "tanh", "fabs", "floor", "ceil", "erf", "pow",
)  # fmt: skip
BUILTIN_NAMES = ("abs", "min", "max")
_NODES = (
    ast.Expression, ast.BinOp, ast.UnaryOp, ast.Compare, ast.BoolOp, ast.IfExp, ast.Call,
    ast.Name, ast.Constant, ast.Load, ast.operator, ast.unaryop, ast.cmpop, ast.boolop,
)  # fmt: skip


@dataclass(frozen=True)
class EngineModel:
    """A model as the engine runs it.

    Attributes
    ----------
    name : str
        The model class's name.
    parameters : tuple of str
        The parameters the equations read, in the order of the kernel's parameter rows.
    cvar_counts : tuple of int
        Numbers of coupling variables the engine accepts for this model.
    source : str
        Source of ``model_dfun`` (see the module docstring).
    equations : callable or None
        The registered engine-form equations the source calls, or None (expressions inlined).
    functions : tuple of (str, callable)
        Further equations functions the source calls by name (a :class:`MixedModel`'s models).
    local_terms : tuple of str or None
        The sources of the local coupling terms ``lc_0, lc_1, …`` (the declaration's
        ``local_coupling``): ``()`` if the model ignores local coupling, None if it does not
        say (the source then has no ``model_dfun_lc`` nor ``local_source``).
    """

    name: str
    parameters: tuple[str, ...]
    cvar_counts: tuple[int, ...]
    source: str
    equations: Callable | None = None
    functions: tuple[tuple[str, Callable], ...] = ()
    local_terms: tuple[str, ...] | None = None


#: The default of ``declaration`` below: looked up in the registry.
_LOOK_UP = object()


def _declaration(model, declaration):
    """``declaration``, or the registry's declaration of the model's class if not given (the
    functions building one kernel look it up once and hand it down)."""
    return declaration_of(type(model)) if declaration is _LOOK_UP else declaration


def coupling_term_names(model, declaration=_LOOK_UP) -> tuple[str, ...]:
    """The model's ``coupling_terms``, or ``c_0, c_1, …``: one per coupling variable, or as many
    as the most coupling variables its declaration accepts (``cvar_counts``; TVB's ``Hopfield``
    has one or two, by its ``dynamic`` flag, and its equations read both terms)."""
    names = getattr(model, "coupling_terms", None)
    if names:
        return tuple(names)
    declaration = _declaration(model, declaration)
    n_terms = len(model.cvar)
    if declaration is not None and declaration.cvar_counts:
        n_terms = max(n_terms, *declaration.cvar_counts)
    return tuple(f"c_{k}" for k in range(n_terms))


def _header(model, coupling, doc, local: bool | str = False) -> list[str]:
    name = "model_dfun(_x, _C, _p, _out)"
    if local:
        name = f"model_dfun_{'lcu' if local == 'uniform' else 'lc'}(_x, _C, _L, _p, _out)"
    lines = [
        "@jit(nogil=True)",
        f"def {name}:",
        f'    """{type(model).__name__}: {doc}."""',
        "    _n_cvar = _C.shape[0]",
    ]
    return lines + [
        f"    _row_{k} = min({k}, _n_cvar - 1)  # {name}" for k, name in enumerate(coupling)
    ]


def _loop(model, coupling, bindings, body, doc, local: bool | str = False) -> str:
    """``model_dfun`` (``model_dfun_lc`` with ``local``) binding each name used (``bindings``:
    name -> source) then ``body``.

    With ``local='uniform'``, ``model_dfun_lcu``: the same with every node's parameters those of
    node 0 (``_p`` has one column), read once before the loop: a surface's parameters are
    mostly the same at every vertex, and reading a row of each per vertex and stage would move
    more memory than the state itself.
    """
    lines = _header(model, coupling, doc, local)
    uniform = local == "uniform"
    hoisted = [(n, v.replace("_m]", "0]")) for n, v in bindings if uniform and v.startswith("_p[")]
    lines += [f"    {name} = {value}" for name, value in hoisted]
    lines.append("    for _m in range(_x.shape[1]):")
    lines += [f"        {name} = {value}" for name, value in bindings
              if not (uniform and value.startswith("_p["))]  # fmt: skip
    lines += [f"        {line}" for line in body]
    return "\n".join(lines) + "\n"


def _bindings(model, used: set[str], coupling, parameters, slots=None, first_row=0, n_local=0):
    """Source of each used name: a state, a coupling row, a local coupling or a parameter.

    ``slots[v]``: the row of ``_x`` holding state variable ``v`` (default ``v``); the
    parameters are read from rows ``first_row, first_row + 1, …`` of ``_p``; local coupling
    terms ``lc_k`` with ``k < n_local`` from row ``k`` of ``_L``, the others are 0.
    """
    slots = range(len(model.state_variables)) if slots is None else slots
    out = [(n, f"_x[{s}, _m]") for s, n in zip(slots, model.state_variables, strict=True)
           if n in used]  # fmt: skip
    out += [(n, f"_C[_row_{k}, _m]") for k, n in enumerate(coupling) if n in used]
    out += [(n, f"_L[{n[3:]}, _m]" if int(n[3:]) < n_local else "0.0")
            for n in sorted(used) if _is_local_coupling(n)]  # fmt: skip
    out += [(n, f"_p[{first_row + j}, _m]") for j, n in enumerate(parameters)]
    return out


def _is_local_coupling(name: str) -> bool:
    return name.startswith("lc_") and name[3:].isdigit()


def parameter_names(model) -> tuple[str, ...]:
    """The model's ``parameter_names``, or (most of TVB's models declare none) its ``NArray``
    traits, as TVB's own ``_spatialize_model_parameters`` treats them."""
    names = getattr(model, "parameter_names", None)
    if names:
        return tuple(names)
    cls = type(model)
    return tuple(n for n in cls.declarative_attrs if isinstance(getattr(cls, n), NArray))


def kernel_parameter_names(model, declaration=_LOOK_UP) -> tuple[str, ...]:
    """:func:`parameter_names`, each whole-model coefficient vector the model declares
    (``register_model(..., coefficients=("P_e",))``) written out as ``P_e_0, P_e_1, …``."""
    declaration = _declaration(model, declaration)
    vectors = declaration.coefficients if declaration is not None else ()
    out = []
    for name in parameter_names(model):
        if name in vectors:
            out += [f"{name}_{k}" for k in range(np.size(getattr(model, name)))]
        else:
            out.append(name)
    return tuple(out)


def parameter_value(model, name: str):
    """The value of kernel parameter ``name``: an attribute, or an element ``P_e_3`` of a
    declared coefficient vector (one value for the whole network)."""
    if hasattr(model, name):
        return getattr(model, name)
    base, _, index = name.rpartition("_")
    return np.ravel(getattr(model, base))[int(index)]


def _allowed(model, coupling, declaration) -> dict[str, str]:
    """Every name the model's equations may use, with what it is."""
    kinds = {name: "parameter" for name in kernel_parameter_names(model, declaration)}
    kinds.update({name: "coupling term" for name in coupling})
    kinds.update({name: "state variable" for name in model.state_variables})
    return kinds


def _bad_name(model, where: str, given: list[str], allowed: dict[str, str], extra=()) -> Exception:
    listed = ", ".join([*(repr(n) for n in allowed), "'lc_0', 'lc_1', …", *map(repr, extra)])
    return UnsupportedSimulationError(
        f"Invalid names in {where} of {type(model).__name__}: allowed are its state variables, "
        f"coupling terms and parameters ({listed}), but got {', '.join(map(repr, given))}."
    )


def _function_part(model, declaration, call: str, slots=None, first_row=0, prefix="", n_local=0):
    """(parameters, bindings, body) of a model whose declared equations are the function
    ``call`` (its arguments bound to local names starting with ``prefix``; ``n_local`` local
    coupling terms read from ``_L``)."""
    equations = declaration.equations
    coupling = coupling_term_names(model, declaration)
    allowed = _allowed(model, coupling, declaration)
    args = list(inspect.signature(equations).parameters)
    unknown = [a for a in args if a not in allowed and not _is_local_coupling(a)]
    if unknown:
        raise _bad_name(model, f"the arguments of {equations.__name__}", unknown, allowed)
    parameters = tuple(
        n
        for n in kernel_parameter_names(model, declaration)
        if n in args and allowed[n] == "parameter"
    )
    bindings = _bindings(model, set(args), coupling, parameters, slots, first_row, n_local)
    bindings = [(prefix + name, value) for name, value in bindings]
    slots = range(len(model.state_variables)) if slots is None else slots
    body = [f"_d = {call}({', '.join(prefix + a for a in args)})"]
    pairs = enumerate(zip(slots, model.state_variables, strict=True))
    body += [f"_out[{s}, _m] = _d[{v}]  # {n}" for v, (s, n) in pairs]
    return parameters, bindings, body


def _from_function(model, declaration) -> EngineModel:
    parameters, bindings, body = _function_part(model, declaration, "equations")
    coupling = coupling_term_names(model, declaration)
    equations = declaration.equations
    doc = f"calls {equations.__name__}"
    source = _loop(model, coupling, bindings, body, doc)
    local = declaration.local_coupling
    if local is not None:
        local_bindings = _function_part(model, declaration, "equations", n_local=len(local))[1]
        for kind in (True, "uniform"):
            source += "\n\n" + _loop(model, coupling, local_bindings, body, doc, local=kind)
        source += "\n\n" + _local_source(model, local, parameters)
    return EngineModel(type(model).__name__, parameters, (), source, equations, local_terms=local)


def _local_source(model, sources: tuple[str, ...], parameters: tuple[str, ...]) -> str:
    """``local_source(_x, _p, _out)``: ``_out[k, m]`` is the ``k``-th of ``sources``
    (expressions of the state variables and of ``parameters``) at node ``m``."""
    allowed = {name: "parameter" for name in parameters}
    allowed.update({name: "state variable" for name in model.state_variables})
    used = set()
    for k, expression in enumerate(sources):
        where = f"the local_coupling[{k}]"
        used |= expression_names(model, "", expression, allowed, (), where=where)
    lines = [
        "@jit(nogil=True)",
        "def local_source(_x, _p, _out):",
        f'    """{type(model).__name__}: what its local coupling terms multiply."""',
    ]
    if not sources:
        return "\n".join([*lines, "    return None"]) + "\n"
    lines.append("    for _m in range(_x.shape[1]):")
    lines += [f"        {name} = {value}" for name, value in _bindings(model, used, (), parameters)]
    lines += [f"        _out[{k}, _m] = {' '.join(e.split())}" for k, e in enumerate(sources)]
    return "\n".join(lines) + "\n"


def expression_names(model, variable: str, expression: str, allowed, coupling,
                     where: str | None = None) -> set[str]:  # fmt: skip
    """The names ``expression`` uses; raise naming the model if any is not allowed (``where``:
    what the expression is, by default the ``state_variable_dfuns`` of ``variable``)."""
    where = where or f"the state_variable_dfuns[{variable!r}]"
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as error:
        raise UnsupportedSimulationError(
            f"Invalid value for {where} of {type(model).__name__}: allowed are Python "
            f"expressions, but got {expression!r} ({error.msg})."
        ) from None
    for node in ast.walk(tree):
        if not isinstance(node, _NODES) or (
            isinstance(node, ast.Call) and (node.keywords or not isinstance(node.func, ast.Name))
        ):
            raise UnsupportedSimulationError(
                f"Invalid value for {where} of {type(model).__name__}: allowed are arithmetic, "
                f"comparisons and calls of {', '.join(MATH_NAMES + BUILTIN_NAMES)}, but got "
                f"{ast.unparse(node)!r} in {expression!r}."
            )
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    known = set(allowed) | set(MATH_NAMES) | set(BUILTIN_NAMES)
    unknown = sorted(n for n in names if n not in known and not _is_local_coupling(n))
    if unknown:
        raise _bad_name(model, where, unknown, allowed, ("math: " + ", ".join(MATH_NAMES),))
    return names


def expression_text(expression):
    """An expression of ``state_variable_dfuns`` as a string.

    TVB's storage of a simulation (``JsonFinal``) reads every value of a ``Final`` dict back as a
    NumPy array, and writes it into the class's shared default: after a simulation with the
    model has been saved and reloaded (the GUI does), its expressions are 0-d string arrays.
    """
    if isinstance(expression, np.ndarray) and expression.ndim == 0 and expression.dtype.kind == "U":
        return str(expression.item())
    return expression


def _expression_part(model, declaration, slots=None, first_row=0, n_local=0):
    """(parameters, bindings, body) of a model written in ``state_variable_dfuns``."""
    coupling = coupling_term_names(model, declaration)
    allowed = _allowed(model, coupling, declaration)
    dfuns = {name: expression_text(value) for name, value in model.state_variable_dfuns.items()}
    missing = [v for v in model.state_variables if v not in dfuns]
    if missing:
        raise UnsupportedSimulationError(
            f"Invalid value for the state_variable_dfuns of {type(model).__name__}: allowed is "
            f"one expression per state variable ({', '.join(model.state_variables)}), but "
            f"{', '.join(map(repr, missing))} have none."
        )
    used = set()
    for variable in model.state_variables:
        used |= expression_names(model, variable, dfuns[variable], allowed, coupling)
    bad = sorted(n for n in allowed if n.startswith("_") or keyword.iskeyword(n))
    if bad:
        raise _bad_name(model, "the names", bad, {n: k for n, k in allowed.items() if n not in bad})
    parameters = tuple(
        n
        for n in kernel_parameter_names(model, declaration)
        if n in used and allowed[n] == "parameter"
    )
    bindings = _bindings(model, used, coupling, parameters, slots, first_row, n_local)
    slots = range(len(model.state_variables)) if slots is None else slots
    body = [
        f"_out[{s}, _m] = {' '.join(dfuns[name].split())}  # {name}"
        for s, name in zip(slots, model.state_variables, strict=True)
    ]
    return parameters, bindings, body


def _from_expressions(model, declaration) -> EngineModel:
    parameters, bindings, body = _expression_part(model, declaration)
    coupling = coupling_term_names(model, declaration)
    source = _loop(model, coupling, bindings, body, "state_variable_dfuns")
    local = None if declaration is None else declaration.local_coupling
    if local is not None:
        local_bindings = _expression_part(model, declaration, n_local=len(local))[1]
        for kind in (True, "uniform"):
            source += "\n\n" + _loop(model, coupling, local_bindings, body,
                                      "state_variable_dfuns", local=kind)  # fmt: skip
        source += "\n\n" + _local_source(model, local, parameters)
    return EngineModel(type(model).__name__, parameters, (), source, local_terms=local)


def _cvar_counts(model, declaration) -> tuple[int, ...]:
    counts = declaration.cvar_counts if declaration is not None else None
    return counts or (len(coupling_term_names(model, declaration)),)


def _part(model, declaration, index: int, slots, first_row: int):
    """(parameters, bindings, body, function or None) of one model of a mixed network."""
    if declaration is not None and declaration.equations is not None:
        call = f"equations_{index}"
        found = _function_part(model, declaration, call, slots, first_row, f"_{index}_")
        return (*found, (call, declaration.equations))
    if getattr(model, "state_variable_dfuns", None):
        return (*_expression_part(model, declaration, slots, first_row), None)
    raise _no_engine_form(model)


def _from_mixed(mixed) -> EngineModel:
    """One loop over nodes branching on each node's group (parameter row 0)."""
    declarations = {group: declaration_of(type(m)) for group, m in mixed.models.items()}
    n_terms = max(len(coupling_term_names(m, declarations[g])) for g, m in mixed.models.items())
    lines = _header(mixed, tuple(f"term {k}" for k in range(n_terms)), "one model per group")
    lines += ["    for _m in range(_x.shape[1]):", "        _group = _p[0, _m]"]
    parameters, functions, first_row = ["group"], [], 1
    for index, (group, model) in enumerate(mixed.models.items()):
        counts = _cvar_counts(model, declarations[group])
        if mixed.n_channel not in counts:
            raise UnsupportedSimulationError(
                f"Invalid value for the 'coupling_variables' of group {group!r} of the "
                f"MixedModel: {type(model).__name__} reads "
                f"{' or '.join(map(str, counts))} coupling channels, but got {mixed.n_channel}."
            )
        slots = mixed.slots_of(group)
        names, bindings, body, function = _part(model, declarations[group], index, slots,
                                                first_row)  # fmt: skip
        parameters += [f"{group}.{name}" for name in names]
        first_row += len(names)
        if function is not None:
            functions.append(function)
        unused = [s for s in range(mixed.nvar) if s not in set(slots)]
        branch = "if" if index == 0 else "elif"
        lines.append(f"        {branch} _group == {float(index)!r}:  # {group}")
        lines += [f"            {name} = {value}" for name, value in bindings]
        lines += [f"            {line}" for line in body]
        lines += [f"            _out[{s}, _m] = 0.0  # unused slot" for s in unused]
    kinds = "_".join(type(m).__name__ for m in mixed.models.values())
    return EngineModel(f"MixedModel_{kinds}", tuple(parameters), (mixed.n_channel,),
                       "\n".join(lines) + "\n", None, tuple(functions))  # fmt: skip


def _no_engine_form(model) -> UnsupportedSimulationError:
    name = type(model).__name__
    why = NOT_ON_ENGINE.get(name) if model.__module__.startswith("tvb.") else None
    return UnsupportedSimulationError(
        f"Invalid value for the 'model' of the simulator: the fast engine runs models "
        f"registered with engine equations (register_model(..., equations=...)) or that "
        f"declare state_variable_dfuns, but got {name!r}, which has neither"
        + (f": {why}." if why else ".")
        + " tvb_ngnmm.engine.support_matrix() lists the registered models."
    )


def engine_model(model) -> EngineModel:
    """The engine's form of ``model`` (a TVB ``Model`` instance).

    Raises
    ------
    UnsupportedSimulationError
        If the model has neither registered engine equations nor ``state_variable_dfuns``, or
        if those name something the model does not define.
    """
    if isinstance(model, MixedModel):
        return _from_mixed(model)
    declaration = declaration_of(type(model))  # once: handed to every step below
    if declaration is not None and declaration.equations is not None:
        found = _from_function(model, declaration)
    elif getattr(model, "state_variable_dfuns", None):
        found = _from_expressions(model, declaration)
    else:
        raise _no_engine_form(model)
    counts = _cvar_counts(model, declaration)
    return EngineModel(found.name, found.parameters, counts, found.source, found.equations,
                       local_terms=found.local_terms)  # fmt: skip
