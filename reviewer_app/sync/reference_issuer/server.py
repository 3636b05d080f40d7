"""Running the reference issuer: uvicorn on a real socket, in the foreground
(``reviewer-app issuer-serve``) or on a background thread (tests, benchmarks).

The socket is bound before uvicorn starts, so ``port=0`` picks a free port and ``url``
tells which.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn

from reviewer_app.sync.reference_issuer.app import create_app
from reviewer_app.sync.reference_issuer.badges import DEFAULT_NAME, BadgeIssuer
from reviewer_app.sync.reference_issuer.faults import FaultConfig, FaultState, QuietInjectedDrops
from reviewer_app.sync.reference_issuer.signing_key import load_or_create_key
from reviewer_app.sync.reference_issuer.store import ACCESS_TTL, IssuerStore

log = logging.getLogger(__name__)


@dataclass
class IssuerConfig:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 0
    faults: FaultConfig = field(default_factory=FaultConfig)
    users: list[tuple[str, str]] = field(default_factory=list)
    packages: list[tuple[Path, str]] = field(default_factory=list)  # (zip, assigned user)
    access_ttl: float = ACCESS_TTL
    admin_key: str | None = None
    #: The issuing organisation's name and web address in the badges; the address
    #: defaults to the server's own URL.
    issuer_name: str = DEFAULT_NAME
    public_url: str | None = None


class IssuerServer:
    def __init__(self, config: IssuerConfig) -> None:
        self.config = config
        key = load_or_create_key(config.data_dir)  # no keyring: refused before anything is made
        self.store = IssuerStore(config.data_dir, access_ttl=config.access_ttl)
        for username, password in config.users:
            self.store.add_user(username, password)
        for path, username in config.packages:
            self.store.add_package(Path(path).read_bytes(), username)
        self.faults = FaultState(config.faults)
        self.app = create_app(self.store, self.faults, admin_key=config.admin_key)
        family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((config.host, config.port))
        self.port = self.sock.getsockname()[1]
        self.store.badge_issuer = BadgeIssuer(key, config.issuer_name,
                                              (config.public_url or self.url).rstrip("/"))
        uv_config = uvicorn.Config(self.app, log_config=None, log_level="warning", access_log=False,
                                   lifespan="off", http="h11", ws="none", timeout_keep_alive=30,
                                   timeout_graceful_shutdown=2)
        self.server = uvicorn.Server(uv_config)
        self._thread: threading.Thread | None = None
        logging.getLogger("uvicorn.error").addFilter(QuietInjectedDrops())

    @property
    def url(self) -> str:
        host = self.config.host
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    @property
    def stats(self) -> dict[str, int]:
        return self.app.stats.snapshot()  # type: ignore[attr-defined]

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (Ctrl+C)."""
        try:
            self.server.run(sockets=[self.sock])
        finally:
            self.store.close()

    def start(self, timeout: float = 10.0) -> IssuerServer:
        """Serve on a background thread; returns once it accepts connections."""
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                        name="reference-issuer", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the reference issuer did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.sock.close()
        self.store.close()

    def __enter__(self) -> IssuerServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
