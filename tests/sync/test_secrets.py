"""Tokens live in the OS keyring only: no keyring means a plain refusal, never a file; TLS
is always verified; plain http only to this machine unless a host is allowed."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from keyring.backends.chainer import ChainerBackend

from reviewer_app.errors import UserError
from reviewer_app.services import sync
from reviewer_app.store.context import AppContext
from reviewer_app.sync.client import InsecureURL, IssuerRefused, check_url
from reviewer_app.sync.reference_issuer.app import create_app
from reviewer_app.sync.reference_issuer.server import IssuerServer
from reviewer_app.sync.reference_issuer.store import IssuerStore
from reviewer_app.sync.secrets import KeyringTokenStore, NoKeyring, Tokens

from support import PASSWORD, ROOT, USER, AppServer, cli_env
from sync_test_keyring import MemoryKeyring


class PlainFileKeyring(MemoryKeyring):
    """Stands for keyrings.alt's plain-text file keyring."""


PlainFileKeyring.__module__ = "keyrings.alt.file"


def test_no_keyring_is_a_plain_refusal_and_nothing_is_stored(app: AppContext, issuer: IssuerServer,
                                                             tmp_path: Path):
    keyring.set_keyring(keyring.backends.fail.Keyring())
    store = KeyringTokenStore()
    with pytest.raises(NoKeyring) as refused:
        store.save("ref", Tokens("secret-access", "secret-refresh"))
    message = refused.value.message
    assert "No secure system keyring" in message and "GNOME Keyring" in message
    assert "never stores tokens anywhere else" in message
    with pytest.raises(NoKeyring):
        store.load("ref")
    sync.add_profile(app, "ref", "reference", issuer.url, USER)
    with pytest.raises(NoKeyring):
        sync.login(app, "ref", PASSWORD)
    assert issuer.stats["sign_ins"] == 0  # refused before asking the issuer for tokens
    assert not any("token" in p.name.lower() for p in tmp_path.rglob("*"))


@pytest.mark.parametrize("backend", [PlainFileKeyring(), ChainerBackend()])
def test_plain_text_or_empty_keyrings_are_refused(backend, monkeypatch):
    if isinstance(backend, ChainerBackend):
        monkeypatch.setattr(ChainerBackend, "backends", [PlainFileKeyring()])
    with pytest.raises(NoKeyring):
        KeyringTokenStore(backend).save("ref", Tokens("a", "b"))


def test_tokens_never_show_in_a_repr():
    text = repr(Tokens("access-XYZ", "refresh-XYZ", 12.0))
    assert "XYZ" not in text and "12.0" in text


@pytest.mark.parametrize("url, allowed", [
    ("https://issuer.example.org", True),
    ("http://127.0.0.1:8765", True),
    ("http://localhost:8765", True),
    ("http://[::1]:8765", True),
    ("http://issuer.example.org", False),
    ("http://10.0.0.5:8765", False),
    ("ftp://issuer.example.org", False),
    ("https://user:pw@issuer.example.org", False),
    ("issuer.example.org", False),
])
def test_plain_http_only_to_this_machine(url: str, allowed: bool):
    if allowed:
        check_url(url)
    else:
        with pytest.raises(InsecureURL):
            check_url(url)


def test_a_host_can_be_allowed_plain_http_explicitly(app: AppContext):
    with pytest.raises(UserError, match="Plain http to issuer.lan"):
        sync.add_profile(app, "lan", "reference", "http://issuer.lan:8765", USER)
    profile = sync.add_profile(app, "lan", "reference", "http://issuer.lan:8765", USER, allow_http=True)
    assert profile.allow_http and profile.base_url == "http://issuer.lan:8765"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_tls_certificates_are_always_verified(app: AppContext, tmp_path: Path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=60)
    store = IssuerStore(tmp_path / "issuer")
    store.add_user(USER, PASSWORD)
    with AppServer(create_app(store), ssl_keyfile=str(key), ssl_certfile=str(cert)) as server:
        url = server.url.replace("http://", "https://")
        sync.add_profile(app, "tls", "reference", url, USER)
        with pytest.raises(IssuerRefused, match="TLS certificate of 127.0.0.1 could not be verified"):
            sync.login(app, "tls", PASSWORD)
    store.close()


SECRET_SERVICE_SCRIPT = r"""
import json, sys
from pathlib import Path
import keyring
from reviewer_app.config import resolve_paths
from reviewer_app.store.context import AppContext
from reviewer_app.services import sync
from reviewer_app.sync.secrets import KeyringTokenStore
from support import bulk_decisions, assign_on_issuer
url, user, password, data = sys.argv[1:5]
with AppContext.open(resolve_paths(data_dir=data)) as ctx:
    sync.add_profile(ctx, "ref", "reference", url, user)
    sync.login(ctx, "ref", password)
    stored = KeyringTokenStore().load("ref")
    keys = bulk_decisions(ctx, 3)
    Path(data, "keys.json").write_text(json.dumps(keys))
    print(json.dumps({"backend": type(keyring.get_keyring()).__module__,
                      "has_tokens": bool(stored and stored.access_token and stored.refresh_token)}))
"""
SYNC_SCRIPT = r"""
import json, sys
from reviewer_app.config import resolve_paths
from reviewer_app.store.context import AppContext
from reviewer_app.services import sync
with AppContext.open(resolve_paths(data_dir=sys.argv[1])) as ctx:
    report = sync.sync_now(ctx)
    sync.logout(ctx, "ref")
    print(json.dumps({"accepted": report.accepted, "signed_in": sync.signed_in(ctx, "ref")}))
"""


@pytest.mark.skipif(not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")),
                    reason="needs a Secret Service: apt-get install gnome-keyring dbus")
@pytest.mark.slow  # a real D-Bus and gnome-keyring
def test_the_real_secret_service_keeps_the_tokens(issuer: IssuerServer, tmp_path: Path):
    data, home = tmp_path / "data", tmp_path / "home"
    home.mkdir()
    # A private home: gnome-keyring keeps its (encrypted) login keyring there, not in ours.
    env = {**cli_env(None), "HOME": str(home), "XDG_DATA_HOME": str(home / ".local" / "share"),
           "XDG_CONFIG_HOME": str(home / ".config"), "XDG_CACHE_HOME": str(home / ".cache")}
    env.pop("PYTHON_KEYRING_BACKEND", None)
    env.pop("XDG_RUNTIME_DIR", None)

    def in_session(script: str, *args: str) -> dict:
        command = (f"echo -n unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null; "
                   f"exec {sys.executable} -c \"$SCRIPT\" " + " ".join(f"'{a}'" for a in args))
        result = subprocess.run(["dbus-run-session", "--", "sh", "-c", command], capture_output=True,
                                text=True, timeout=120, cwd=ROOT, env={**env, "SCRIPT": script})
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1])

    first = in_session(SECRET_SERVICE_SCRIPT, issuer.url, USER, PASSWORD, str(data))
    assert first == {"backend": "keyring.backends.SecretService", "has_tokens": True}
    from support import assign_on_issuer

    assign_on_issuer(issuer, json.loads((data / "keys.json").read_text()))
    # Another process (and D-Bus session) finds the tokens in the keyring, syncs, signs out.
    second = in_session(SYNC_SCRIPT, str(data))
    assert second == {"accepted": 3, "signed_in": False}
    assert issuer.store.decision_count() == 3
