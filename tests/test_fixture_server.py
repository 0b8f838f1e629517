"""FixtureServer: WordPress-like paths, host rewriting, validators, mutations, faults, the log."""

from __future__ import annotations

import http.client
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from k360scrape import fixture_server
from k360scrape.fixture_server import Delay, FixtureRequestHandler, FixtureServer, Status

FREITAG = "/programm/tag/freitag/"
PDF = "/wp-content/uploads/2022/12/Faktenquiz-Thueringen.pdf"
SITE_HOST_URL = re.compile(r"https?://(?:www\.)?kommune360\.de", re.IGNORECASE)


@pytest.fixture
def client(site_server: FixtureServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site_server.origin, follow_redirects=False) as http:
        yield http


def _connection(server: FixtureServer) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)


# --------------------------------------------------------------------------- serving


def test_binds_to_loopback_only(site_server: FixtureServer) -> None:
    assert site_server.origin == f"http://127.0.0.1:{site_server.port}"
    assert site_server.url("robots.txt") == site_server.origin + "/robots.txt"


def test_serves_a_directory_index(client: httpx.Client, fixture_site: Path) -> None:
    response = client.get(FREITAG)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert int(response.headers["content-length"]) == len(response.content)
    assert '<h1 class="archive-title">Freitag</h1>' in response.text
    assert response.headers["server"] == "k360-fixture"


def test_serves_binary_files_unchanged(client: httpx.Client, fixture_site: Path) -> None:
    response = client.get(PDF)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content == (fixture_site / "www.kommune360.de" / PDF.lstrip("/")).read_bytes()


def test_serves_umlaut_paths_raw_and_percent_encoded(client: httpx.Client) -> None:
    encoded = client.get("/wp-content/uploads/2019/04/%C3%9Cbersicht-F%C3%B6rderung.pdf")
    lower = client.get("/wp-content/uploads/2019/04/%c3%9cbersicht-F%c3%b6rderung.pdf")
    raw = client.get("/wp-content/uploads/2020/02/Präventionsketten-Überblick.pdf")
    assert [encoded.status_code, lower.status_code, raw.status_code] == [200, 200, 200]


def test_a_directory_without_slash_redirects_like_wordpress(client: httpx.Client) -> None:
    response = client.get("/programm/tag/freitag?x=1")
    assert response.status_code == 301
    assert response.headers["location"] == client.base_url.join(FREITAG + "?x=1")


@pytest.mark.parametrize("path", ["/nope/", "/nope", "/robots.txt/", "/programm/tag/samstag/"])
def test_unknown_paths_get_a_404_page(client: httpx.Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "Seite nicht gefunden" in response.text


def test_no_path_escapes_the_root(site_server: FixtureServer) -> None:
    # http.client sends the target as written; httpx would normalise the dot segments away.
    connection = _connection(site_server)
    for target in ("/../site/www.kommune360.de/robots.txt", "/%2e%2e/SYNTHETIC.md"):
        connection.request("GET", target)
        response = connection.getresponse()
        response.read()
        assert response.status == 404, target
    connection.close()


def test_head_sends_headers_without_a_body(client: httpx.Client) -> None:
    response = client.head(FREITAG)
    assert response.status_code == 200
    assert int(response.headers["content-length"]) > 0
    assert response.content == b""


# --------------------------------------------------------------------------- host rewriting


def test_both_site_hosts_are_rewritten_in_html(
    client: httpx.Client, site_server: FixtureServer
) -> None:
    text = client.get(FREITAG).text
    assert SITE_HOST_URL.search(text) is None
    assert f'href="{site_server.origin}/programm/event/lasst-uns-spielen-das-spiel/"' in text
    podcast = client.get("/programm/event/inspiration-fuer-die-ohren-der-kommunen-podcast/").text
    assert f'href="{site_server.origin}/podcast/"' in podcast  # was the bare host
    assert "(kommune360.de)" in podcast  # text without a scheme stays


def test_robots_txt_and_sitemaps_are_rewritten(
    client: httpx.Client, site_server: FixtureServer
) -> None:
    robots = client.get("/robots.txt")
    assert robots.headers["content-type"] == "text/plain; charset=utf-8"
    assert f"Sitemap: {site_server.origin}/wp-sitemap.xml" in robots.text
    sitemap = client.get("/wp-sitemap.xml")
    assert sitemap.headers["content-type"] == "application/xml; charset=utf-8"
    assert SITE_HOST_URL.search(sitemap.text) is None


# --------------------------------------------------------------------------- validators


def test_every_response_has_a_strong_etag_and_last_modified(client: httpx.Client) -> None:
    for path in (FREITAG, PDF, "/robots.txt", "/nope/", "/programm/tag/freitag"):
        response = client.get(path)
        assert re.fullmatch(r'"[0-9a-f]{32}"', response.headers["etag"]), path
        assert response.headers["last-modified"].endswith(" GMT")
        assert client.get(path).headers["etag"] == response.headers["etag"]  # deterministic


def test_etags_differ_between_files(client: httpx.Client) -> None:
    paths = (FREITAG, "/programm/tag/freitag/page/2/", PDF, "/robots.txt")
    assert len({client.get(path).headers["etag"] for path in paths}) == len(paths)


def test_a_404_is_never_revalidated_to_304(client: httpx.Client) -> None:
    etag = client.get("/nope/").headers["etag"]
    assert client.get("/nope/", headers={"If-None-Match": etag}).status_code == 404


def test_if_none_match_gives_304(client: httpx.Client) -> None:
    etag = client.get(FREITAG).headers["etag"]
    for value in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = client.get(FREITAG, headers={"If-None-Match": value})
        assert response.status_code == 304, value
        assert response.content == b""
        assert response.headers["etag"] == etag
    assert client.get(FREITAG, headers={"If-None-Match": '"other"'}).status_code == 200


def test_if_modified_since_gives_304(client: httpx.Client) -> None:
    last_modified = client.get(PDF).headers["last-modified"]
    assert client.get(PDF, headers={"If-Modified-Since": last_modified}).status_code == 304
    older = "Mon, 01 Jan 2018 00:00:00 GMT"
    assert client.get(PDF, headers={"If-Modified-Since": older}).status_code == 200
    assert client.get(PDF, headers={"If-Modified-Since": "not a date"}).status_code == 200


def test_if_none_match_wins_over_if_modified_since(client: httpx.Client) -> None:
    last_modified = client.get(PDF).headers["last-modified"]
    headers = {"If-None-Match": '"stale"', "If-Modified-Since": last_modified}
    assert client.get(PDF, headers=headers).status_code == 200


def test_keep_alive_framing_survives_every_kind_of_response(site_server: FixtureServer) -> None:
    # One connection for 200, 301, 404, 304 and HEAD: any framing error breaks the next read.
    connection = _connection(site_server)
    etag = ""
    for method, target, headers in [
        ("GET", FREITAG, {}),
        ("GET", "/programm/tag/freitag", {}),
        ("GET", "/nope/", {}),
        ("GET", FREITAG, {"If-None-Match": "ETAG"}),
        ("HEAD", PDF, {}),
        ("GET", PDF, {}),
    ]:
        sent = {key: value.replace("ETAG", etag) for key, value in headers.items()}
        connection.request(method, target, headers=sent)
        response = connection.getresponse()
        response.read()
        etag = etag or response.getheader("ETag", "")
    assert response.status == 200
    connection.close()
    assert [r.status for r in site_server.requests] == [200, 301, 404, 304, 200, 200]


# --------------------------------------------------------------------------- mutations


def test_set_page_changes_body_etag_and_last_modified(
    client: httpx.Client, site_server: FixtureServer
) -> None:
    before = client.get(FREITAG)
    site_server.set_page(FREITAG, '<a href="https://kommune360.de/x/">neu</a>')
    after = client.get(FREITAG)
    assert after.text == f'<a href="{site_server.origin}/x/">neu</a>'
    assert after.headers["etag"] != before.headers["etag"]
    assert _date(after.headers["last-modified"]) > _date(before.headers["last-modified"])
    revalidated = client.get(FREITAG, headers={"If-None-Match": before.headers["etag"]})
    assert revalidated.status_code == 200


def test_reset_restores_the_original_with_a_newer_date(
    client: httpx.Client, site_server: FixtureServer
) -> None:
    original = client.get(FREITAG)
    site_server.set_page(FREITAG, b"changed")
    changed = client.get(FREITAG)
    site_server.reset()
    restored = client.get(FREITAG)
    assert restored.content == original.content
    assert restored.headers["etag"] == original.headers["etag"]
    assert _date(restored.headers["last-modified"]) > _date(changed.headers["last-modified"])


def test_delete_page_and_new_pages(client: httpx.Client, site_server: FixtureServer) -> None:
    site_server.delete_page(FREITAG)
    assert client.get(FREITAG).status_code == 404
    assert client.get("/programm/tag/freitag").status_code == 404  # no redirect to a 404
    site_server.set_page("/programm/tag/samstag/", "<h1>Samstag</h1>")
    assert client.get("/programm/tag/samstag/").text == "<h1>Samstag</h1>"
    assert client.get("/programm/tag/samstag").status_code == 301
    site_server.reset()
    assert client.get(FREITAG).status_code == 200
    assert client.get("/programm/tag/samstag/").status_code == 404


def test_set_page_needs_a_url_path(site_server: FixtureServer) -> None:
    with pytest.raises(ValueError, match="URL path"):
        site_server.set_page("programm/tag/freitag/", "x")


def _date(value: str) -> float:
    from email.utils import parsedate_to_datetime

    return parsedate_to_datetime(value).timestamp()


# --------------------------------------------------------------------------- request log


def test_the_request_log_records_every_request(
    client: httpx.Client, site_server: FixtureServer
) -> None:
    client.get("/robots.txt", headers={"User-Agent": "k360scrape-test"})
    client.head(FREITAG)
    client.get("/nope/?q=1")
    records = site_server.requests
    assert [(r.method, r.path, r.status) for r in records] == [
        ("GET", "/robots.txt", 200),
        ("HEAD", FREITAG, 200),
        ("GET", "/nope/?q=1", 404),
    ]
    assert records[0].headers["user-agent"] == "k360scrape-test"
    assert records[0].started <= records[1].started <= records[2].started <= time.monotonic()
    site_server.clear_log()
    assert site_server.requests == []


def test_every_accepted_socket_has_tcp_nodelay(
    client: httpx.Client, site_server: FixtureServer
) -> None:
    for _ in range(3):
        client.get(FREITAG)  # keep-alive: later requests reuse the accepted socket
    with httpx.Client() as other:
        other.get(site_server.url(PDF))
    records = site_server.requests
    assert len(records) == 4
    assert all(record.nodelay for record in records)


def test_the_log_is_safe_under_concurrent_clients(site_server: FixtureServer) -> None:
    def fetch() -> None:
        with httpx.Client() as http:
            for _ in range(10):
                assert http.get(site_server.url(FREITAG)).status_code == 200

    threads = [threading.Thread(target=fetch) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(site_server.requests) == 50


# --------------------------------------------------------------------------- faults


def test_status_fault_answers_n_times_then_passes_through(
    client: httpx.Client, site_server: FixtureServer
) -> None:
    fault = Status(503, {"Retry-After": "7"}, times=2)
    site_server.add_fault("/robots.txt", fault)
    responses = [client.get("/robots.txt") for _ in range(3)]
    assert [r.status_code for r in responses] == [503, 503, 200]
    assert responses[0].headers["retry-after"] == "7"
    assert fault.used == 2
    assert client.get(FREITAG).status_code == 200  # other paths untouched


def test_status_fault_matches_a_glob_and_can_last_forever(
    client: httpx.Client, site_server: FixtureServer
) -> None:
    site_server.add_fault("/wp-content/*.pdf", Status(404, times=None))
    assert [client.get(PDF).status_code for _ in range(3)] == [404, 404, 404]
    site_server.clear_faults()
    assert client.get(PDF).status_code == 200


def test_delay_fault_delays_then_serves(client: httpx.Client, site_server: FixtureServer) -> None:
    site_server.add_fault(FREITAG, Delay(0.2))
    started = time.monotonic()
    response = client.get(FREITAG)
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.2  # a lower bound only: never flaky


def test_a_custom_fault_gets_the_handler(client: httpx.Client, site_server: FixtureServer) -> None:
    seen: list[str] = []

    def teapot(request: FixtureRequestHandler) -> bool:
        seen.append(request.path)
        request.send_bytes(418, b"tea", content_type="text/plain")
        return True

    site_server.add_fault("/programm/*", teapot)
    assert client.get(FREITAG + "?a=b").text == "tea"
    assert seen == [FREITAG + "?a=b"]
    assert site_server.requests[-1].status == 418


# --------------------------------------------------------------------------- bounds and quiet


def test_requests_beyond_the_budget_get_503(fixture_site: Path) -> None:
    with FixtureServer(fixture_site, max_requests=2) as server, httpx.Client() as http:
        statuses = [http.get(server.url("/robots.txt")).status_code for _ in range(4)]
    assert statuses == [200, 200, 503, 503]


def test_the_server_stops_itself_after_max_seconds(fixture_site: Path) -> None:
    server = FixtureServer(fixture_site, max_seconds=0.2).start()
    port = server.port
    assert server.wait_stopped(timeout=10)
    assert not server.running
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    server.stop()  # stopping twice is fine


def test_stop_closes_idle_keep_alive_connections(fixture_site: Path) -> None:
    server = FixtureServer(fixture_site).start()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    connection.request("GET", "/robots.txt")
    connection.getresponse().read()
    server.stop()
    assert connection.sock is not None
    assert connection.sock.recv(1) == b""  # the server closed its end
    connection.close()


def test_no_output_per_request_or_on_client_disconnects(
    site_server: FixtureServer, capfd: pytest.CaptureFixture[str]
) -> None:
    with httpx.Client() as http:
        http.get(site_server.url(FREITAG))
        http.get(site_server.url("/nope/"))
    raw = socket.create_connection(("127.0.0.1", site_server.port))
    raw.sendall(b"GET " + FREITAG.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    raw.close()  # hang up before reading the response
    time.sleep(0.1)
    httpd = site_server._httpd
    assert httpd is not None
    for error in (BrokenPipeError(), ConnectionResetError(), TimeoutError()):
        try:
            raise error
        except OSError:
            httpd.handle_error(None, ("127.0.0.1", 0))
    captured = capfd.readouterr()
    assert captured.out == ""
    assert captured.err == ""


def test_command_line_entry_prints_the_origin(
    fixture_site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--root", str(fixture_site), "--port", "0", "--max-seconds", "0.3"]
    assert fixture_server.main(argv) == 0
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+\n", capsys.readouterr().out)
