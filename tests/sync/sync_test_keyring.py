"""Keyring backends for the tests only (never used by the app on its own).

* ``MemoryKeyring``: in memory, for tests in this process; it also remembers every secret
  ever stored (``history``), so a test can search the app's files for each of them.
* ``FileTestKeyring``: a JSON file named by ``$REVIEWER_TEST_KEYRING_FILE``, so that a
  subprocess (``python -m reviewer_app sync``) and the test share the same "keyring". Selected
  in the subprocess with ``PYTHON_KEYRING_BACKEND=sync_test_keyring.FileTestKeyring``. It is a
  plain-text file on purpose (a test double); the app refuses plain-text keyrings of its own
  accord only for the known ones (``keyrings.alt``), and this one lives outside the data folder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from jaraco.classes import properties
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

ENV = "REVIEWER_TEST_KEYRING_FILE"


class MemoryKeyring(KeyringBackend):
    @properties.classproperty
    def priority(cls) -> float:  # noqa: N805 - never chosen by keyring's own detection
        raise RuntimeError("set explicitly by the tests")

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}
        self.history: list[str] = []

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password
        self.history.append(password)

    def delete_password(self, service: str, username: str) -> None:
        if self.items.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")


class FileTestKeyring(KeyringBackend):
    @properties.classproperty
    def priority(cls) -> float:  # noqa: N805 - viable only where a test asked for it
        if ENV not in os.environ:
            raise RuntimeError(f"{ENV} is not set")
        return 1

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        super().__init__()
        self._path = Path(path) if path else None

    @property
    def path(self) -> Path:
        return self._path or Path(os.environ[ENV])

    def _load(self) -> dict[str, str]:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}

    def _save(self, data: dict[str, str]) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(self.path)

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}\x00{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}\x00{username}"] = password
        self._save(data)

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if data.pop(f"{service}\x00{username}", None) is None:
            raise PasswordDeleteError("not found")
        self._save(data)
