"""Output folders of the command line: a command's files are replaced together or not at all.

:func:`replace_outputs` writes every file of a command under a temporary name in the folder
first; only when all are written are they renamed over the previous ones (the previous versions
set aside until every rename has succeeded, and put back otherwise). A failure (a full disk, a
write error, Ctrl-C) thus leaves the folder as it was: the temporaries are removed, the earlier
files untouched.

The folder's manifest, ``tvb-ngnmm-outputs.json``, lists the files each command wrote there. A
later run of the same command removes those of its earlier files it does not write again (an
earlier run's other monitors), so that the folder holds one run's outputs; files the package did
not write are never touched.
"""

from __future__ import annotations

import errno
import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path

__all__ = ["MANIFEST", "replace_outputs"]

#: The manifest of an output folder: ``{command: [file names]}``.
MANIFEST = "tvb-ngnmm-outputs.json"


def replace_outputs(folder: str | os.PathLike, command: str, files: list,
                    keep: Callable[[str], bool] | None = None) -> list[Path]:  # fmt: skip
    """Write ``files`` into ``folder`` as one change; remove the command's stale files.

    Parameters
    ----------
    folder : str or Path
        The output folder (created if missing; removed again on failure if it was created).
    command : str
        The command writing (``'run'``, ``'fit'``): its entry of the manifest.
    files : list of (str, callable)
        ``(name, writer)``: ``writer(path)`` writes the file ``name`` to ``path``.
    keep : callable, optional
        ``keep(name)``: whether a file of the command's previous outputs that is not written
        again stays (default: none stays).

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    OSError
        A file could not be written or renamed; the folder is left as it was.
    """
    folder = Path(folder)
    created = not folder.exists()
    temporaries = {}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        previous = read_manifest(folder)
        for name, _ in files:
            if (folder / name).exists() and not (folder / name).is_file():
                raise IsADirectoryError(errno.EISDIR, "not a file", str(folder / name))
        for name, writer in files:
            temporaries[name] = _temporary(folder, name)
            writer(temporaries[name])
        names = [name for name, _ in files]
        old = previous.get(command, [])
        kept = [n for n in old if n not in names and keep is not None and keep(n)]
        manifest = {**previous, command: sorted({*names, *kept})}
        temporaries[MANIFEST] = _temporary(folder, MANIFEST)
        temporaries[MANIFEST].write_text(json.dumps(manifest, indent=1) + "\n")
        _rename_all(folder, temporaries)
    except BaseException:
        for path in temporaries.values():
            path.unlink(missing_ok=True)
        if created and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
        raise
    for name in old:
        if name not in manifest[command] and (folder / name).is_file():
            (folder / name).unlink()
    return [folder / name for name in names]


def read_manifest(folder: Path) -> dict:
    """The folder's manifest ``{command: [names]}``; empty if absent or unreadable."""
    try:
        manifest = json.loads((Path(folder) / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(manifest, dict):
        return {}
    return {command: [n for n in names if _plain_name(n)] for command, names in manifest.items()
            if isinstance(names, list)}  # fmt: skip


def _plain_name(name) -> bool:
    """A file name of the folder itself (no path), as the package writes them."""
    return isinstance(name, str) and name not in ("", ".", "..") and Path(name).name == name


def _temporary(folder: Path, name: str) -> Path:
    """An empty file created exclusively in ``folder``, ending with ``name`` (for the writers
    that read the format from the ending)."""
    path = folder / f".{uuid.uuid4().hex}.part-{name}"
    with open(path, "x"):
        pass
    return path


def _rename_all(folder: Path, temporaries: dict) -> None:
    """Rename each temporary to its name; on failure put every earlier file back."""
    done = []  # (target, the earlier file set aside or None)
    try:
        for name, temporary in temporaries.items():
            target, aside = folder / name, None
            if target.exists():
                aside = folder / f".{uuid.uuid4().hex}.old-{name}"
                os.replace(target, aside)
            done.append((target, aside))
            os.replace(temporary, target)
    except BaseException:
        for target, aside in reversed(done):
            if aside is not None:
                os.replace(aside, target)
            else:
                target.unlink(missing_ok=True)
        raise
    for _, aside in done:
        if aside is not None:
            aside.unlink(missing_ok=True)
