"""The run's scratch folder: where downloads wait to be read, and nothing stays after.

Files downloaded from a bucket (Currents files read ahead of the one being decoded, a
user export's archive) go to a folder of the run's own under the system's temporary
folder, named with the run's process id. It is removed when the run ends, however it
ends but SIGKILL; so each run first removes the folders of runs whose process is gone,
which a SIGKILL left behind, and the root folder once it is empty.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tap_braze_dau.errors import StorageError

#: The folder holding every run's scratch folder (one per user).
ROOT_NAME = "tap-braze-dau"


def scratch_root() -> Path:
    """Where the runs' scratch folders are: `<temp>/tap-braze-dau-<uid>`."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"{ROOT_NAME}-{uid}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_leftovers(root: Path) -> list[Path]:
    """Remove the scratch folders of runs that are gone; the folders removed."""
    removed: list[Path] = []
    if not root.is_dir():
        return removed
    for folder in root.iterdir():
        pid = folder.name.partition("-")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    _remove_if_empty(root)
    return removed


def _check_private(root: Path) -> None:
    """The root must be this user's own folder, closed to others: its name is known in
    advance, so another user of the machine could have made it (or a link by its name)
    to receive the downloads, which hold personal data."""
    info = root.lstat()
    own = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    if stat.S_ISDIR(info.st_mode) and own and not info.st_mode & 0o077:
        return
    msg = (
        f"the scratch folder {root} is not this user's private folder (a link, another "
        "user's, or open to others): remove it, or set TMPDIR to a folder of your own"
    )
    raise StorageError(msg)


def _remove_if_empty(root: Path) -> None:
    """The root goes too once no run has a folder in it: nothing of the tap stays."""
    with contextlib.suppress(OSError):  # not empty: another run's folder is in it
        root.rmdir()


@contextlib.contextmanager
def scratch_folder(root: Path | None = None) -> Iterator[Path]:
    """A fresh folder of this run's, removed on exit; leftovers of dead runs go first."""
    root = root or scratch_root()
    remove_leftovers(root)
    for last_try in (False, True):
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        _check_private(root)
        try:
            folder = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=root))
            break
        except FileNotFoundError:  # another run removed the empty root meanwhile
            if last_try:
                raise
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        _remove_if_empty(root)
