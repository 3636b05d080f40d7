"""A sign-in token goes only to the origin (scheme, host, port) of its issuer profile.

Real servers on loopback record every request they get: "home" is the profile's issuer,
"away" is another host (127.0.0.2), "next door" the same host on another port. Package
links and redirects that lead away are refused before any request is made, unless the
profile lists that site as a download host; then it is fetched without the token."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reviewer_app.services import sync
from reviewer_app.store.context import AppContext
from reviewer_app.sync.adapters import make_adapter
from reviewer_app.sync.adapters.base import IssuerAdapter, PackageRef
from reviewer_app.sync.client import InsecureURL, IssuerRefused
from reviewer_app.sync.downloads import fetch_package
from reviewer_app.sync.secrets import KeyringTokenStore, Tokens

from support import AppServer

TOKEN = "the-access-token-of-home"
DATA = os.urandom(96 * 1024)
SHA = hashlib.sha256(DATA).hexdigest()


@dataclass
class Site:
    url: str = ""
    seen: list[dict[str, str]] = field(default_factory=list)

    def app(self) -> Starlette:
        async def package(request: Request) -> Response:
            self.seen.append(dict(request.headers))
            return Response(DATA, media_type="application/zip")

        async def go(request: Request) -> Response:  # a redirect to ?to=
            self.seen.append(dict(request.headers))
            return Response(status_code=int(request.query_params.get("status", "302")),
                            headers={"Location": request.query_params["to"]})

        return Starlette(routes=[Route("/pkg.zip", package), Route("/go", go)])


@pytest.fixture
def sites() -> Iterator[dict[str, Site]]:
    found = {name: Site() for name in ("home", "away", "next_door")}
    with AppServer(found["home"].app()) as home, \
            AppServer(found["away"].app(), host="127.0.0.2") as away, \
            AppServer(found["next_door"].app()) as next_door:
        for name, server in (("home", home), ("away", away), ("next_door", next_door)):
            found[name].url = server.url
        yield found


def _adapter(ctx: AppContext, base_url: str, **settings) -> IssuerAdapter:
    sync.add_profile(ctx, "home", "reference", base_url, "rev-ana", settings=settings)
    KeyringTokenStore().save("home", Tokens(TOKEN, "the-refresh-token-of-home"))
    return make_adapter(sync.get_profile(ctx, "home"), KeyringTokenStore())


def _fetch(adapter: IssuerAdapter, href: str, folder: Path) -> Path:
    return fetch_package(adapter, PackageRef(href, len(DATA), SHA), folder, "S-1", tries=1)


def _carries_token(headers: dict[str, str]) -> bool:
    return "authorization" in headers or "cookie" in headers or any(TOKEN in v for v in headers.values())


def test_the_issuers_own_links_and_redirects_get_the_token(app: AppContext, sites, tmp_path: Path):
    home = sites["home"]
    with _adapter(app, home.url) as adapter:
        got = _fetch(adapter, "/go?to=/pkg.zip", tmp_path)  # a redirect on the same site
    assert got.read_bytes() == DATA
    assert [h.get("authorization") for h in home.seen] == [f"Bearer {TOKEN}"] * 2


@pytest.mark.parametrize("elsewhere", ["away", "next_door"])
@pytest.mark.parametrize("how", ["link", "redirect", "redirect 307"])
def test_a_link_or_redirect_to_another_host_or_port_is_refused_and_gets_nothing(
        app: AppContext, sites, tmp_path: Path, elsewhere: str, how: str):
    home, other = sites["home"], sites[elsewhere]
    href = f"{other.url}/pkg.zip" if how == "link" else \
        f"/go?status={how.split()[-1] if ' ' in how else 302}&to={quote(other.url + '/pkg.zip')}"
    with _adapter(app, home.url) as adapter, pytest.raises(IssuerRefused) as refused:
        _fetch(adapter, href, tmp_path / "dl")
    assert other.url.removeprefix("http://") in refused.value.message
    assert "--download-host" in refused.value.message
    assert other.seen == []  # never asked, so never saw the token
    assert all(h.get("authorization") == f"Bearer {TOKEN}" for h in home.seen)
    assert list((tmp_path / "dl").iterdir()) == []  # not even an empty part file


def test_an_allowed_download_host_gets_the_package_without_the_token(app: AppContext, sites,
                                                                      tmp_path: Path):
    home, away = sites["home"], sites["away"]
    with _adapter(app, home.url, download_hosts=[away.url]) as adapter:
        assert _fetch(adapter, f"{away.url}/pkg.zip", tmp_path / "a").read_bytes() == DATA
        redirected = f"/go?to={quote(away.url + '/go?status=303&to=/pkg.zip')}"
        assert _fetch(adapter, redirected, tmp_path / "b").read_bytes() == DATA
    assert len(away.seen) == 3 and not any(_carries_token(h) for h in away.seen)
    assert [h.get("authorization") for h in home.seen] == [f"Bearer {TOKEN}"]


def test_an_authorized_call_to_another_origin_is_never_made(app: AppContext, sites):
    away = sites["away"]
    with _adapter(app, sites["home"].url) as adapter:
        with pytest.raises(IssuerRefused):
            adapter.authorized("GET", f"{away.url}/pkg.zip")
        with pytest.raises(IssuerRefused):
            adapter.authorized("POST", f"{away.url}/go", json={"decisions": []})
    assert away.seen == []


def test_plain_http_elsewhere_is_refused_unless_the_profile_allows_it(app: AppContext, sites,
                                                                      tmp_path: Path):
    home, away = sites["home"], sites["away"]
    with pytest.raises(InsecureURL):  # a download host over plain http to another machine
        sync.add_profile(app, "plain", "reference", home.url, "rev-ana",
                            settings={"download_hosts": ["http://downloads.example.org"]})
    allowed = sync.add_profile(app, "plain", "reference", home.url, "rev-ana", allow_http=True,
                                  settings={"download_hosts": ["http://downloads.example.org:80/"]})
    assert allowed.settings["download_hosts"] == ["http://downloads.example.org"]
    with pytest.raises(InsecureURL):  # and it cannot stay once plain http is no longer allowed
        sync.update_profile(app, "plain", allow_http=False)
    with pytest.raises(InsecureURL):  # a page is not a site
        sync.update_profile(app, "plain", settings={"download_hosts": ["https://x.example/p"]})

    with _adapter(app, home.url, download_hosts=[away.url]) as adapter:
        for href in ("http://downloads.example.org/pkg.zip",  # refused before any DNS lookup
                     f"{away.url}/go?to={quote('http://downloads.example.org/pkg.zip')}"):
            with pytest.raises(IssuerRefused, match="http://downloads.example.org"):
                _fetch(adapter, href, tmp_path)
    # An https issuer's link to the same host over plain http is another origin: refused
    # before connecting (nothing listens on port 9; a try would be a connection error).
    KeyringTokenStore().save("tls", Tokens(TOKEN))
    sync.add_profile(app, "tls", "reference", "https://127.0.0.1:9", "rev-ana")
    with make_adapter(sync.get_profile(app, "tls"), KeyringTokenStore()) as adapter, \
            pytest.raises(IssuerRefused, match="leads to http://127.0.0.1:9"):
        _fetch(adapter, "http://127.0.0.1:9/pkg.zip", tmp_path)


class LinksElsewhere:
    """ASGI middleware around the reference issuer: its assignment list names package links
    on another site (``base``), as an issuer using a download server would."""

    def __init__(self, app, base: str) -> None:
        self.app, self.base = app, base

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] != "/api/v1/assignments":
            await self.app(scope, receive, send)
            return
        start: dict = {}
        chunks: list[bytes] = []

        async def hold(message: dict) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            if start["status"] == 200:
                page = json.loads(body)
                for item in page["items"]:
                    if item.get("package"):
                        item["package"]["href"] = f"{self.base}/pkg/{item['submission_id']}.zip"
                body = json.dumps(page).encode()
            headers = [(k, v) for k, v in start["headers"] if k != b"content-length"]
            await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, hold)


def test_a_sync_refuses_a_package_elsewhere_until_the_lead_allows_that_site(
        app: AppContext, tmp_path: Path, demo_packages):
    """End to end: the reference issuer lists a package whose link is on 127.0.0.2. The sync
    reports it and sends nothing there; once the profile allows that site, the next sync
    downloads it (no token sent there) and imports it."""
    from reviewer_app.sync.reference_issuer.app import create_app
    from reviewer_app.sync.reference_issuer.store import IssuerStore

    from support import FAST, PASSWORD, USER

    package = demo_packages[0].read_bytes()
    seen: list[dict[str, str]] = []

    async def serve(request: Request) -> Response:
        seen.append(dict(request.headers))
        return Response(package, media_type="application/zip")

    store = IssuerStore(tmp_path / "issuer")
    store.add_user(USER, PASSWORD)
    info = store.add_package(package, USER)
    downloads = Starlette(routes=[Route("/pkg/{name}", serve)])
    try:
        with AppServer(downloads, host="127.0.0.2") as away, \
                AppServer(LinksElsewhere(create_app(store), away.url)) as issuer:
            sync.add_profile(app, "ref", "reference", issuer.url, USER)
            sync.login(app, "ref", PASSWORD)
            label = f"{info['submission_id']} attempt {info['attempt']}"
            first = sync.sync_now(app, settings=FAST)
            assert first.imported == [] and len(first.problems) == 1
            assert first.problems[0].startswith(f"{label}: A package link") and away.url in first.problems[0]
            assert seen == []
            profile = sync.get_profile(app, "ref")
            sync.update_profile(app, "ref", settings={**profile.settings, "download_hosts": [away.url]})
            second = sync.sync_now(app, settings=FAST)
            assert (second.imported, second.problems) == ([f"{label}: imported"], [])
            token = KeyringTokenStore().load("ref").access_token
            assert len(seen) == 1 and not _carries_token(seen[0])
            assert not any(token in value for value in seen[0].values())
    finally:
        store.close()
