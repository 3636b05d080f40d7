"""One writer per data folder.

The window and every command that writes take ``reviewer.lock`` in the data folder (an
OS file lock through filelock: it is let go when the process ends, however it ends) and
then record who they are in ``reviewer.owner.json`` (process id, host, what it is, since
when). A second one is refused with :class:`FolderBusy`, which names the holder. The
record is removed on a clean release, so a record found by the next owner means the last
session ended uncleanly (killed, or the machine stopped): the database is checked then.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from reviewer_app.errors import UserError

log = logging.getLogger(__name__)

LOCK_NAME = "reviewer.lock"
OWNER_NAME = "reviewer.owner.json"


@dataclass(frozen=True)
class Holder:
    pid: int
    host: str
    what: str
    since: str

    def describe(self) -> str:
        here = "" if self.host == socket.gethostname() else f" on {self.host}"
        return f"{self.what} (process {self.pid}{here}, since {self.since})"


class FolderBusy(UserError):
    """Another process writes to this data folder."""

    def __init__(self, folder: Path, holder: Holder | None) -> None:
        who = holder.describe() if holder else "another Reviewer window or command"
        super().__init__(f"The data folder {folder} is in use by {who}. Close it or wait "
                         "for it to finish, then try again; commands that only read "
                         "(list, show, export) work meanwhile.")
        self.holder = holder


def read_holder(folder: Path) -> Holder | None:
    try:
        data = json.loads((folder / OWNER_NAME).read_text(encoding="utf-8"))
        return Holder(int(data["pid"]), str(data["host"]), str(data["what"]), str(data["since"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


class WriterLock:
    """The right to write to one data folder, held until :meth:`release` or the process ends."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = FileLock(folder / LOCK_NAME, timeout=0)
        self.unclean = False  # the last holder did not release it

    def acquire(self, what: str) -> WriterLock:
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            raise FolderBusy(self.folder, read_holder(self.folder)) from None
        owner = self.folder / OWNER_NAME
        self.unclean = owner.exists()
        if self.unclean:
            last = read_holder(self.folder)
            log.warning("The last session on %s (%s) ended without closing; the database is "
                        "checked.", self.folder, last.describe() if last else "unknown")
        me = Holder(os.getpid(), socket.gethostname(), what,
                    datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M"))
        try:
            tmp = owner.with_suffix(".tmp")
            tmp.write_text(json.dumps(asdict(me)), encoding="utf-8")
            tmp.replace(owner)
        except OSError as exc:  # a full disk: the lock alone still keeps others out
            log.warning("cannot record the data folder's owner: %s", exc)
        return self

    @property
    def held(self) -> bool:
        return self._lock.is_locked

    def release(self) -> None:
        if self._lock.is_locked:
            (self.folder / OWNER_NAME).unlink(missing_ok=True)
            self._lock.release()
