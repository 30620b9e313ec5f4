r"""TVB's own region models that the engine runs, registered with their engine form.

One module per family of ``tvb.simulator.models``, named as TVB names its files; each
transcribes the classes' ``dfun`` into engine-form equations (arguments named as the model
names its state variables, coupling terms ``c_0, c_1, …`` and parameters) and registers them
with :func:`~tvb_ngnmm.models.register_model`. The package does not redefine TVB's models:
registering them lets the engine run existing TVB scripts unchanged, and the common conformance
suite (``tests/test_common.py``) checks each against stock ``sim.run()``, deterministic and with
replayed noise. :data:`NOT_ON_ENGINE` names the stock models the engine refuses, and why.
"""

from .infinite_theta import montbrio_pazo_roxin_equations

#: TVB's region models the engine does not run, with what they need that it lacks.
NOT_ON_ENGINE: dict[str, str] = {}

__all__ = ["NOT_ON_ENGINE", "montbrio_pazo_roxin_equations"]
