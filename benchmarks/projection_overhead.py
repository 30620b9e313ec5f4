"""What a sensor projection adds to EI-90 in the engine.

``python -m benchmarks.projection_overhead [--repeat 3] [--sensors 64]``: ``NumbaBackend().run_sim``
of EI-90 (1 s, ``TemporalAverage(period=0.1)``) with and without an added ``ForwardProjection``
(a random gain, one column per region, period 1 ms); the median of ``--repeat`` runs of each,
run in turn, after one warm-up run that compiles the kernel.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from tvb.simulator import monitors

from benchmarks.workloads import ei90
from tvb_ngnmm.backend import NumbaBackend
from tvb_ngnmm.monitors import ForwardProjection


def run_time(sim) -> float:
    """Wall-clock time (s) of one engine run of ``sim``."""
    start = time.perf_counter()
    NumbaBackend(progress=False).run_sim(sim)
    return time.perf_counter() - start


def median_times(sims, repeat: int) -> list[float]:
    """Median time (s) of ``repeat`` runs of each simulator, run in turn (shared load hits all)."""
    times = [[run_time(sim) for sim in sims] for _ in range(repeat)]
    return [statistics.median(column) for column in zip(*times, strict=True)]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sensors", type=int, default=64)
    args = parser.parse_args(argv)
    gain = np.random.default_rng(0).normal(size=(args.sensors, 90))
    plain = ei90()
    projected = ei90(
        mons=[monitors.TemporalAverage(period=0.1), ForwardProjection(gain=gain, period=1.0)]
    )
    NumbaBackend(progress=False).run_sim(plain, simulation_length=10.0)  # compile
    without, with_projection = median_times([plain, projected], args.repeat)
    print(f"EI-90, 1 s, median of {args.repeat}:")
    print(f"  TemporalAverage only:           {without:.3f} s")
    print(f"  + ForwardProjection ({args.sensors} x 90): {with_projection:.3f} s")
    print(f"  overhead: {100.0 * (with_projection / without - 1.0):+.1f} %")


if __name__ == "__main__":
    main()
