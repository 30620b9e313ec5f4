"""What is at a scheduler address: a Dask scheduler, or something to name in an error.

Dask's client waits without limit for the handshake of whatever accepts its connection (a
silent service hangs it; one that sends a banner makes it read the banner as a message length,
and fail allocating exabytes). :func:`check_scheduler` asks the address for its identity within
a deadline first, and says what it found when that is not a scheduler.
"""

from __future__ import annotations

import asyncio
import socket
import time

__all__ = ["SchedulerCheckError", "check_scheduler"]


class SchedulerCheckError(ValueError):
    """No Dask scheduler answered at the address; the message says what was found there."""


def check_scheduler(address: str, timeout: float) -> None:
    """Return if a Dask scheduler answers at ``address`` within ``timeout`` seconds.

    Parameters
    ----------
    address : str
        ``'tcp://host:port'`` (or another scheme of Dask's).
    timeout : float
        Seconds for the whole check (connection, handshake and identity).

    Raises
    ------
    SchedulerCheckError
        Naming what was found: an address that is not one, nothing listening, a service that
        stays silent or does not speak Dask's protocol, or a Dask server that is not a scheduler.
    """
    # deferred: optional extra 'explore'
    from distributed.comm.addressing import parse_address, parse_host_port  # noqa: PLC0415

    deadline = time.monotonic() + timeout
    try:
        scheme, location = parse_address(address)
        host, port = parse_host_port(location) if scheme in ("tcp", "tls") else (None, None)
    except (ValueError, TypeError) as err:
        raise SchedulerCheckError(f"it is not an address ({err})") from None
    if host is not None:  # a plain connection first: nothing there is told apart from silence
        try:
            socket.create_connection((host, port), timeout=timeout).close()
        except OSError as err:
            raise SchedulerCheckError(f"nothing is reachable there ({_reason(err)})") from None
    left = max(deadline - time.monotonic(), 0.0)
    try:
        identity = asyncio.run(asyncio.wait_for(_identity(address, left), left))
    except TimeoutError:
        raise SchedulerCheckError(
            f"a service there accepted the connection but gave no Dask handshake within "
            f"{timeout:g} s (it is not a Dask scheduler, or one too busy to answer)"
        ) from None
    except OSError as err:
        raise SchedulerCheckError(f"no Dask scheduler answered there ({_reason(err)})") from None
    except Exception as err:  # whatever the bytes it sent made of Dask's protocol
        raise SchedulerCheckError(
            f"a service there does not speak Dask's protocol (what it sent is not a Dask "
            f"message: {type(err).__name__})"
        ) from None
    kind = identity.get("type") if isinstance(identity, dict) else None
    if kind != "Scheduler":
        raise SchedulerCheckError(f"a Dask {kind or 'server'} is there, not a scheduler")


async def _identity(address: str, timeout: float):
    """The ``identity`` message of the Dask server at ``address``."""
    # deferred: optional extra 'explore'
    from distributed.comm import connect  # noqa: PLC0415

    comm = await connect(address, timeout=timeout)
    try:
        await comm.write({"op": "identity", "reply": True})
        return await comm.read()
    finally:
        comm.abort()


def _reason(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text}" if text else type(err).__name__
