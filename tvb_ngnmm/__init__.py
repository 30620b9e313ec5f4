"""tvb_ngnmm: next-generation neural mass models for The Virtual Brain.

Exact mean-field models of quadratic integrate-and-fire populations (Montbrió–Pazó–Roxin),
excitatory–inhibitory pairs that make PING gamma, Laplacian couplings, and the microscopic
spiking network they are exact for.
"""

__version__ = "0.1.0"
