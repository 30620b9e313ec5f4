r"""Networks whose regions run different node models: :class:`MixedModel`.

A thalamus of :class:`~tvb_ngnmm.models.MPRSynaptic` nodes under a
:class:`~tvb_ngnmm.models.NextGenEI` cortex, or a ``Generic2dOscillator`` pacemaker in an E–I
network, is one TVB ``Model`` whose regions are assigned to groups, each group running its own
model instance::

    mixed = MixedModel(
        models={"cortex": NextGenEI(I_e=5.0), "thalamus": MPRSynaptic()},
        regions=["thalamus" if "Thal" in label else "cortex" for label in labels],
        coupling_variables={"cortex": ["s_e"], "thalamus": ["s"]},
    )

**Coupling.** The network has as many coupling channels as each model lists coupling variables
(the same number for every group). Channel ``c`` carries, from every region, the ``c``-th listed
variable of that region's model, through the connectome and its delays as usual; each model reads
channel ``k`` as its coupling term ``k`` (its ``coupling_terms``, or ``c_0, c_1, …``; with fewer
channels than terms, the last channel feeds the remaining terms, as for a single model).

**State.** Each region holds ``nvar = max(n_var of the models)`` values, in *slots*: a model's
coupling variables take slots ``0, 1, …`` in channel order, its other state variables follow in
the model's order (or as ``layout`` says). A slot is named by the variables it holds, joined by
``|`` (``'s_e|s'``, ``'r_e|r'``, or one name where they agree); a region's slots beyond its own
model's variables stay at 0 (their derivative is 0; give them no noise, see :meth:`nsig`).
Boundaries (e.g. rates ``>= 0``) are per slot, so the models sharing a slot must agree on them.
A stimulus enters the slots of every model's stimulated variables (``stvar``); its spatial
pattern chooses the regions. Each model's ``cvar`` is set to its coupling variables.

**Parameters** stay on the sub-models: one value, one per region of the group, or one per region
of the network (the group's regions are used). The engine runs the network with each model's
equations (:mod:`tvb_ngnmm.engine.equations`); TVB's own simulator runs it with each model's
``dfun`` on its regions, which the engine's tests use as the independent reference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from tvb.basic.neotraits.api import NArray
from tvb.simulator.models.base import Model

from .._util import format_choices
from ._registry import declaration_of


def _invalid(what: str, allowed: str, given: str) -> ValueError:
    return ValueError(
        f"Invalid value for the {what!r} parameter of MixedModel. Allowed {allowed}, "
        f"but got {given} instead."
    )


def _check_models(models) -> dict:
    if not isinstance(models, Mapping) or not models:
        raise _invalid("models", "is a dict of one or more group names to Model instances",
                       repr(models))  # fmt: skip
    for name, model in models.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise _invalid("models", "group names are identifiers such as 'cortex'", repr(name))
        if not isinstance(model, Model):
            raise _invalid("models", "values are TVB Model instances (e.g. NextGenEI())",
                           f"{type(model).__name__} for group {name!r}")  # fmt: skip
        if isinstance(model, MixedModel):
            raise _invalid("models", "values are single node models", f"a MixedModel for {name!r}")
        if model.number_of_modes != 1 or getattr(model, "non_integrated_variables", None):
            raise _invalid("models", "are models with one mode and integrated state variables",
                           f"{type(model).__name__} for group {name!r}")  # fmt: skip
    groups = {}
    for name, model in models.items():  # each group sets its model's cvar: one object each
        if id(model) in groups:
            raise _invalid("models", "values are distinct Model instances, one per group "
                           "(copy.deepcopy(model) for another group)",
                           f"the same {type(model).__name__} for groups {groups[id(model)]!r} "
                           f"and {name!r}")  # fmt: skip
        groups[id(model)] = name
    return dict(models)


def _check_regions(regions, groups: tuple[str, ...]) -> np.ndarray:
    if isinstance(regions, str) or not isinstance(regions, Sequence | np.ndarray):
        raise _invalid("regions", "is a sequence of group names, one per region", repr(regions))
    names = [str(r) if isinstance(r, str | np.str_) else r for r in regions]
    if not names:
        raise _invalid("regions", "is one group name per region", "an empty sequence")
    for index, name in enumerate(names):
        if name not in groups:
            raise _invalid("regions", f"are the group names ({format_choices(groups)})",
                           f"{name!r} at region {index}")  # fmt: skip
    unused = [g for g in groups if g not in names]
    if unused:
        raise _invalid("regions", "names every group at least once",
                       f"no region for {format_choices(unused)}")  # fmt: skip
    return np.array([groups.index(n) for n in names], dtype=np.int64)


def _check_coupling_variables(coupling_variables, models: dict) -> dict:
    if not isinstance(coupling_variables, Mapping) or set(coupling_variables) != set(models):
        given = list(coupling_variables) if isinstance(coupling_variables, Mapping) else None
        raise _invalid("coupling_variables", f"is a dict with one entry per group "
                       f"({format_choices(tuple(models))})",
                       repr(given if given is not None else coupling_variables))  # fmt: skip
    out = {}
    for group, names in coupling_variables.items():
        model = models[group]
        names = [names] if isinstance(names, str) else list(names)
        states = tuple(model.state_variables)
        bad = [n for n in names if n not in states]
        if not names or bad:
            raise _invalid(
                "coupling_variables",
                f"for group {group!r} are one or more state variables of "
                f"{type(model).__name__} ({format_choices(states)})",
                repr(bad[0]) if bad else "none",
            )
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise _invalid(
                "coupling_variables",
                f"for group {group!r} are distinct state variables of {type(model).__name__} "
                "(each coupling channel its own variable)",
                f"{names!r}, which repeats {format_choices(tuple(repeated))}",
            )
        out[group] = tuple(names)
    counts = {group: len(names) for group, names in out.items()}
    if len(set(counts.values())) > 1:
        raise _invalid("coupling_variables", "is the same number of coupling variables for "
                       "every group (one per coupling channel)", str(counts))  # fmt: skip
    return out


def _check_layout(layout, models: dict, coupling: dict) -> dict:
    layout = dict(layout or {})
    unknown = [g for g in layout if g not in models]
    if unknown:
        raise _invalid("layout", f"keys are group names ({format_choices(tuple(models))})",
                       repr(unknown[0]))  # fmt: skip
    out = {}
    for group, model in models.items():
        states = tuple(model.state_variables)
        first = coupling[group]
        order = tuple(layout.get(group, first + tuple(v for v in states if v not in first)))
        if sorted(order) != sorted(states) or order[: len(first)] != first:
            raise _invalid(
                "layout",
                f"for group {group!r} is every state variable of {type(model).__name__} once, "
                f"its coupling variables {first} first",
                repr(order),
            )
        out[group] = order
    return out


def _slot_names(layout: dict, n_slot: int) -> tuple[str, ...]:
    names = []
    for slot in range(n_slot):
        held = []
        for order in layout.values():
            if slot < len(order) and order[slot] not in held:
                held.append(order[slot])
        names.append("|".join(held))
    return tuple(names)


def _bounds(model, variable: str):
    bounds = getattr(model, "state_variable_boundaries", None) or {}
    if variable not in bounds:
        return None
    low, high = (np.nan if b is None else float(b) for b in np.asarray(bounds[variable]).ravel())
    inf = np.finfo("double").max  # TVB's configure() writes unbounded sides as the largest double
    return (-np.inf if np.isnan(low) or low <= -inf else low,
            np.inf if np.isnan(high) or high >= inf else high)  # fmt: skip


def _slot_boundaries(models: dict, layout: dict, slots: tuple[str, ...]) -> dict | None:
    out = {}
    for slot, name in enumerate(slots):
        seen = {}
        for group, order in layout.items():
            if slot < len(order):
                seen[group] = _bounds(models[group], order[slot])
        found = set(seen.values())
        if len(found) > 1:
            described = ", ".join(f"{g}.{layout[g][slot]}: {b or 'unbounded'}"
                                  for g, b in seen.items())  # fmt: skip
            raise _invalid(
                "layout",
                "are slots whose variables share their boundaries (reorder with 'layout' so that "
                "a bounded variable shares its slot with variables bounded alike, or with none)",
                f"slot {slot} ({name!r}) with {described}",
            )
        (bound,) = found
        if bound is not None:
            out[name] = np.array(bound, dtype=float)
    return out or None


class MixedModel(Model):
    """A network of regions running different node models (see the module docstring).

    Parameters
    ----------
    models : dict of str to Model
        The groups: a name (an identifier) per model instance.
    regions : sequence of str
        The group of each region, in the connectivity's order.
    coupling_variables : dict of str to sequence of str
        Per group, the state variables sent on the coupling channels (same number per group).
    layout : dict of str to sequence of str, optional
        Per group, the order of its state variables in the slots (coupling variables first).
    variables_of_interest : sequence of str, optional
        Slot names to observe; by default the slots holding each model's own variables of
        interest.
    **kwargs
        Values of other declared attributes of a TVB model, as for any TVB model.

    Notes
    -----
    Each group's model keeps its own parameters and their domains; the traits TVB lists below
    are the mixed model's own.
    """

    number_of_modes = 1

    def __init__(self, models, regions, coupling_variables, layout=None,
                 variables_of_interest=None, **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        self.models = _check_models(models)
        self.groups = tuple(self.models)
        self.group_of_region = _check_regions(regions, self.groups)
        self.coupling_variables = _check_coupling_variables(coupling_variables, self.models)
        for group, model in self.models.items():  # each model reads the channels it is sent
            states = tuple(model.state_variables)
            model.cvar = np.array([states.index(v) for v in self.coupling_variables[group]],
                                  dtype=np.int32)  # fmt: skip
        self.layout = _check_layout(layout, self.models, self.coupling_variables)
        n_slot = max(len(order) for order in self.layout.values())
        self.state_variables = _slot_names(self.layout, n_slot)
        self._nvar = n_slot
        self.n_channel = len(next(iter(self.coupling_variables.values())))
        self.cvar = np.arange(self.n_channel, dtype=np.int32)
        self.stvar = self._stimulated_slots()
        self.state_variable_boundaries = _slot_boundaries(
            self.models, self.layout, self.state_variables
        )
        self.state_variable_range = self._slot_ranges()
        self.variables_of_interest = self._check_observed(variables_of_interest)

    # --- the layout -------------------------------------------------------------------------

    @property
    def n_region(self) -> int:
        """Number of regions the assignment covers."""
        return len(self.group_of_region)

    def regions_of(self, group: str) -> np.ndarray:
        """Indices of the regions of ``group``.

        Parameters
        ----------
        group : str
            The group's name.
        """
        return np.flatnonzero(self.group_of_region == self.groups.index(group))

    def slots_of(self, group: str) -> np.ndarray:
        """Slot of each state variable of ``group``'s model, in the model's own order.

        Parameters
        ----------
        group : str
            The group's name.
        """
        order = self.layout[group]
        return np.array([order.index(v) for v in self.models[group].state_variables])

    def slot(self, group: str, variable: str) -> int:
        """The slot holding ``variable`` of ``group``'s model.

        Parameters
        ----------
        group : str
            The group's name.
        variable : str
            A state variable of the group's model.
        """
        order = self.layout[group]
        if variable not in order:
            raise _invalid("variable", f"are state variables of {group!r} "
                           f"({format_choices(order)})", repr(variable))  # fmt: skip
        return order.index(variable)

    def _stimulated_slots(self) -> np.ndarray:
        slots = set()
        for group, model in self.models.items():
            own = model.cvar if getattr(model, "stvar", None) is None else model.stvar
            states = tuple(model.state_variables)
            slots.update(self.slot(group, states[int(i)]) for i in np.ravel(own))
        return np.array(sorted(slots), dtype=np.int32)

    def _slot_ranges(self) -> dict:
        ranges = {}
        for slot, name in enumerate(self.state_variables):
            lows, highs = [], []
            for group, order in self.layout.items():
                if slot < len(order):
                    low, high = self.models[group].state_variable_range[order[slot]]
                    lows.append(low)
                    highs.append(high)
            ranges[name] = np.array([min(lows), max(highs)])
        return ranges

    def _check_observed(self, observed) -> tuple[str, ...]:
        if observed is None:
            wanted = []
            for group, model in self.models.items():
                for variable in model.variables_of_interest:
                    name = self.state_variables[self.slot(group, variable)]
                    if name not in wanted:
                        wanted.append(name)
            return tuple(wanted)
        observed = (observed,) if isinstance(observed, str) else tuple(observed)
        bad = [v for v in observed if v not in self.state_variables]
        if not observed or bad:
            raise _invalid("variables_of_interest",
                           f"are slot names ({format_choices(self.state_variables)})",
                           repr(bad[0]) if bad else "none")  # fmt: skip
        return observed

    def nsig(self, amplitudes: Mapping) -> np.ndarray:
        """Per-slot, per-region noise amplitudes ``(nvar, n_region, 1)`` for ``Additive(nsig=...)``.

        ``amplitudes`` maps group names to ``{variable: nsig}``; slots a region's model does not
        use, and variables not named, get no noise.

        Parameters
        ----------
        amplitudes : mapping
            ``{group: {variable: nsig}}``.
        """
        out = np.zeros((self.nvar, self.n_region, 1))
        for group, values in amplitudes.items():
            if group not in self.models:
                allowed = f"keys are group names ({format_choices(self.groups)})"
                raise _invalid("amplitudes", allowed, repr(group))
            for variable, value in dict(values).items():
                out[self.slot(group, variable), self.regions_of(group), 0] = float(value)
        return out

    # --- TVB's Model interface ----------------------------------------------------------------

    def configure(self) -> None:
        """Configure every sub-model, then this one as TVB does."""
        for model in self.models.values():
            model.configure()
        super().configure()

    def initial(self, dt, history_shape, rng=np.random):
        """Initial history drawn per region from its own model's ``state_variable_range``
        (unused slots 0).

        Parameters
        ----------
        dt : float
            Integration time step (ms); unused, as in TVB's ``Model.initial``.
        history_shape : tuple of int
            ``(n_time, n_slot, n_region, n_mode)``.
        rng : numpy.random.Generator or module
            The source of the uniform draws (default the ``numpy.random`` module, as in TVB).
        """
        n_time, _, _, n_mode = history_shape
        history = np.zeros(history_shape)
        for group, model in self.models.items():
            regions = self.regions_of(group)
            for variable, slot in zip(model.state_variables, self.slots_of(group), strict=True):
                low, high = model.state_variable_range[variable]
                block = (n_time, len(regions), n_mode)
                history[:, slot, regions] = rng.uniform(low=low, high=high, size=block)
        return history

    def _build_observer(self) -> None:
        index = [self.state_variables.index(v) for v in self.variables_of_interest]

        def observe(state):
            return state[index]

        self.observe = observe

    def _spatialize_model_parameters(self, sim) -> None:
        n_node = sim.number_of_nodes
        if n_node != self.n_region:
            raise _invalid("regions", f"is one group name per region of the connectivity "
                           f"({n_node})", f"{self.n_region} names")  # fmt: skip
        for group, model in self.models.items():
            regions = self.regions_of(group)
            for name, value in self.group_parameters(group).items():
                setattr(model, name, value[regions].reshape(-1, 1) if value.size > 1 else value)

    def group_parameters(self, group: str) -> dict[str, np.ndarray]:
        """The array parameters of ``group``'s model, one value or one per network region
        (coefficient vectors declared with ``register_model(..., coefficients=...)`` left out).

        Parameters
        ----------
        group : str
            The group's name.
        """
        model = self.models[group]
        regions = self.regions_of(group)
        declaration = declaration_of(type(model))
        vectors = declaration.coefficients if declaration is not None else ()
        out = {}
        for name in type(model).declarative_attrs:
            if not isinstance(getattr(type(model), name), NArray) or name in vectors:
                continue
            value = np.asarray(getattr(model, name))
            if value.size in (0, 1):
                out[name] = value
                continue
            flat = value.ravel()
            if flat.size == len(regions):
                full = np.zeros(self.n_region, dtype=flat.dtype)
                full[regions] = flat
            elif flat.size == self.n_region:
                full = flat.copy()
            else:
                raise _invalid(
                    f"{group}.{name}",
                    f"is one value, one per region of the group ({len(regions)}) or one per "
                    f"region ({self.n_region})",
                    f"{flat.size} values",
                )
            out[name] = full
        return out

    def dfun(self, state_variables, coupling, local_coupling=0.0):
        """Each group's model ``dfun`` on its regions; slots a model does not use stay at 0.

        Parameters
        ----------
        state_variables : numpy.ndarray
            The state ``(n_slot, n_region, n_mode)``.
        coupling : numpy.ndarray
            The coupling ``(n_channel, n_region, n_mode)``.
        local_coupling : float or numpy.ndarray
            The local coupling, passed on to each group's model for its regions.
        """
        out = np.zeros_like(state_variables)
        for group, model in self.models.items():
            regions = self.regions_of(group)
            slots = self.slots_of(group)
            own = state_variables[slots][:, regions]
            lc = local_coupling[regions] if np.ndim(local_coupling) else local_coupling
            derivative = model.dfun(own, coupling[:, regions], lc)
            out[np.ix_(slots, regions)] = derivative
        return out
