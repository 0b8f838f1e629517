"""WARC archive: round trip, raw records and digests, crash recovery, threads."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import random
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from k360scrape.clock import FakeClock
from k360scrape.errors import StoreError
from k360scrape.models import FetchResult
from k360scrape.warc import (
    REVISIT_PROFILE,
    WarcWriter,
    base32,
    iter_exchanges,
    parse_warc_date,
    stored_headers,
    warc_date,
)

SOFTWARE = "k360scrape/0.1.0"
BASE = datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
REQUEST_HEADERS = (
    ("host", "www.kommune360.de"),
    ("accept", "*/*"),
    ("user-agent", "k360scrape/0.1.0 (+https://github.com/k360scrape/k360scrape)"),
)
PDF_BODY = b"%PDF-1.4\n" + bytes(range(256)) * 8 + b"\r\n\r\nWARC/1.1\r\n%%EOF\n"


def exchange(
    url: str,
    body: bytes = b"",
    *,
    status: int = 200,
    headers: tuple[tuple[str, str], ...] = (),
    final_url: str | None = None,
    seconds: float = 0,
    **extra: Any,
) -> FetchResult:
    return FetchResult(
        url=url,
        final_url=final_url or url,
        status=status,
        headers=headers,
        request_headers=REQUEST_HEADERS,
        body=body,
        fetched_at=BASE + timedelta(seconds=seconds),
        sha256=hashlib.sha256(body).hexdigest(),
        **extra,
    )


def html_headers(body: bytes, *more: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    return (
        ("content-type", "text/html; charset=UTF-8"),
        ("content-length", str(len(body))),
        *more,
    )


def sample() -> list[FetchResult]:
    """Exchanges whose headers the writer keeps as they are (nothing to normalise)."""
    page = "<html><body><h1>Freitag – Übersicht</h1></body></html>".encode()
    missing = b"<!DOCTYPE html><title>Nicht gefunden</title>"
    robots = b"User-agent: *\nDisallow: /wp-admin/\n"
    return [
        exchange(
            "https://www.kommune360.de/robots.txt",
            robots,
            headers=(("content-type", "text/plain"), ("content-length", str(len(robots)))),
            elapsed=0.015625,
        ),
        exchange(
            "https://www.kommune360.de/programm/tag/freitag/",
            page,
            headers=html_headers(
                page,
                ("set-cookie", "a=1; Path=/"),
                ("set-cookie", "b=2; Path=/"),
                ("x-titel", "Grüße aus Köln – „Kommune 360°“"),
                ("etag", '"abc"'),
            ),
            seconds=1.5,
            elapsed=0.2,
            attempts=2,
        ),
        exchange(
            "https://www.kommune360.de/wp-content/uploads/2022/12/Programm.pdf",
            PDF_BODY,
            headers=(
                ("content-type", "application/pdf"),
                ("content-length", str(len(PDF_BODY))),
                ("content-disposition", 'inline; filename="Präsentation Müller.pdf"'),
            ),
            seconds=2,
        ),
        exchange(
            "https://www.kommune360.de/gibt-es-nicht/",
            missing,
            status=404,
            headers=html_headers(missing),
            seconds=3,
        ),
        exchange(
            "http://kommune360.de/programm/tag/freitag",
            page,
            headers=html_headers(page),
            final_url="https://www.kommune360.de/programm/tag/freitag/page/2/",
            seconds=4.000001,
        ),
        exchange(
            "https://www.kommune360.de/programm/tag/freitag/",
            status=304,
            headers=(("etag", '"abc"'), ("date", "Wed, 04 Mar 2026 05:06:12 GMT")),
            seconds=5,
        ),
        exchange("https://www.kommune360.de/leer/", status=204, headers=(("content-length", "0"),)),
    ]


def write_all(path: Path, results: list[FetchResult], **kwargs: Any) -> Path:
    with WarcWriter(path, software=SOFTWARE, **kwargs) as writer:
        for item in results:
            writer.write(item)
    return path


def raw_records(path: Path) -> list[dict[str, Any]]:
    """Every record as warcio sees it, digests verified by warcio."""
    records = []
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh, check_digests="raise"):
            payload = record.content_stream().read()
            records.append(
                {
                    "type": record.rec_type,
                    "fields": dict(record.rec_headers.headers),
                    "http": record.http_headers,
                    "payload": payload,
                }
            )
    return records


def b32_sha256(data: bytes) -> str:
    return "sha256:" + base64.b32encode(hashlib.sha256(data).digest()).decode()


# --------------------------------------------------------------------------- round trip


def test_round_trip_is_exact(tmp_path: Path) -> None:
    written = sample()
    path = write_all(tmp_path / "a.warc.gz", written)
    read = list(iter_exchanges(path))
    assert len(read) == len(written)
    for before, after in zip(written, read, strict=True):
        for field in FetchResult.model_fields:
            assert getattr(after, field) == getattr(before, field), field
        assert after.fetched_at.tzinfo is not None
        assert after.fetched_at.microsecond == before.fetched_at.microsecond


def test_plain_uncompressed_warc_reads_the_same(tmp_path: Path) -> None:
    path = write_all(tmp_path / "a.warc.gz", sample())
    plain = tmp_path / "a.warc"
    plain.write_bytes(gzip.decompress(path.read_bytes()))
    assert list(iter_exchanges(plain)) == list(iter_exchanges(path))


def test_fetched_at_keeps_the_instant_for_other_time_zones(tmp_path: Path) -> None:
    cet = timezone(timedelta(hours=1))
    moment = datetime(2026, 3, 4, 6, 6, 7, 654321, tzinfo=cet)
    item = exchange("https://k.de/", b"x", headers=(("content-length", "1"),))
    item = item.model_copy(update={"fetched_at": moment})
    (back,) = iter_exchanges(write_all(tmp_path / "a.warc.gz", [item]))
    assert back.fetched_at == moment
    assert back.fetched_at.tzinfo == UTC
    assert back.fetched_at.hour == 5


# --------------------------------------------------------------------------- raw records


def test_raw_records_types_targets_dates_and_digests(tmp_path: Path) -> None:
    written = sample()
    records = raw_records(write_all(tmp_path / "a.warc.gz", written))
    assert records[0]["type"] == "warcinfo"
    pairs = [records[i : i + 2] for i in range(1, len(records), 2)]
    assert len(pairs) == len(written)
    for (request, response), item in zip(pairs, written, strict=True):
        expected_type = "revisit" if item.status == 304 else "response"
        assert (request["type"], response["type"]) == ("request", expected_type)
        for record in (request, response):
            assert record["fields"]["WARC-Target-URI"] == item.final_url
            assert record["fields"]["WARC-Date"] == warc_date(item.fetched_at)
            assert record["fields"]["WARC-Warcinfo-ID"] == records[0]["fields"]["WARC-Record-ID"]
        assert response["fields"]["WARC-Concurrent-To"] == request["fields"]["WARC-Record-ID"]
        assert request["fields"]["WARC-Concurrent-To"] == response["fields"]["WARC-Record-ID"]
        assert request["http"].protocol == "GET"
        assert request["http"].headers == list(REQUEST_HEADERS)
        assert int(response["http"].get_statuscode()) == item.status
        if expected_type == "response":
            assert response["fields"]["WARC-Payload-Digest"] == b32_sha256(item.body)
            assert response["payload"] == item.body
            assert "WARC-Block-Digest" in response["fields"]


def test_dates_have_microseconds() -> None:
    assert warc_date(BASE) == "2026-03-04T05:06:07.123456Z"
    assert warc_date(BASE.replace(microsecond=0)) == "2026-03-04T05:06:07.000000Z"
    assert warc_date(datetime(2026, 1, 1, 12)) == "2026-01-01T12:00:00.000000Z"  # naive = UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-04T05:06:07.123456Z", BASE),
        ("2026-03-04T05:06:07Z", BASE.replace(microsecond=0)),
        ("2026-03-04T05:06:07.1234567Z", BASE),
    ],
)
def test_parse_warc_date(text: str, expected: datetime) -> None:
    assert parse_warc_date(text) == expected
    assert parse_warc_date(text).tzinfo == UTC


def test_requested_url_is_kept_when_a_redirect_ended_elsewhere(tmp_path: Path) -> None:
    records = raw_records(write_all(tmp_path / "a.warc.gz", sample()))
    redirected = [r for r in records if "K360-Requested-URI" in r["fields"]]
    assert len(redirected) == 1
    fields = redirected[0]["fields"]
    assert fields["K360-Requested-URI"] == "http://kommune360.de/programm/tag/freitag"
    assert fields["WARC-Target-URI"].endswith("/page/2/")


def test_warcinfo_fields_in_a_fixed_order(tmp_path: Path) -> None:
    info = {"start-urls": '["https://www.kommune360.de/"]', "settings": {"delay": 1.0, "a": [1]}}
    path = write_all(tmp_path / "a.warc.gz", [], info=info, clock=FakeClock(BASE))
    (record,) = raw_records(path)
    assert record["fields"]["WARC-Date"] == "2026-03-04T05:06:07.123456Z"
    assert record["fields"]["WARC-Filename"] == "a.warc.gz"
    assert record["payload"].decode() == (
        f"software: {SOFTWARE}\r\n"
        "format: WARC File Format 1.1\r\n"
        "conformsTo: https://iipc.github.io/warc-specifications/specifications/warc-format/"
        "warc-1.1/\r\n"
        'settings: {"a": [1], "delay": 1.0}\r\n'
        'start-urls: ["https://www.kommune360.de/"]\r\n'
    )


# --------------------------------------------------------------------------- decoded bodies


def test_decoded_body_is_stored_self_consistently(tmp_path: Path) -> None:
    body = "<html>" + "ä" * 500 + "</html>"
    item = exchange(
        "https://k.de/",
        body.encode(),
        headers=(
            ("content-type", "text/html"),
            ("content-encoding", "gzip"),
            ("transfer-encoding", "chunked"),
            ("content-length", "57"),
        ),
    )
    path = write_all(tmp_path / "a.warc.gz", [item])
    response = raw_records(path)[2]
    assert response["http"].headers == [
        ("content-type", "text/html"),
        ("X-K360-Original-Content-Encoding", "gzip"),
        ("X-K360-Original-Transfer-Encoding", "chunked"),
        ("X-K360-Original-Content-Length", "57"),
        ("content-length", str(len(body.encode()))),
    ]
    # warcio's decoding reader leaves the body alone: nothing claims it is still encoded.
    assert response["payload"] == body.encode()
    (back,) = iter_exchanges(path)
    assert back.body == item.body
    assert back.headers == tuple(response["http"].headers)


def test_content_length_is_added_when_missing() -> None:
    assert stored_headers([("a", "1")], 3) == [("a", "1"), ("Content-Length", "3")]
    assert stored_headers([("Content-Length", "3")], 3) == [("Content-Length", "3")]
    assert stored_headers([("etag", "x")], None) == [("etag", "x")]  # revisit: no body


def test_header_value_with_a_line_break_is_refused(tmp_path: Path) -> None:
    item = exchange("https://k.de/", b"x", headers=(("x-evil", "a\r\nWARC-Type: forged"),))
    with WarcWriter(tmp_path / "a.warc.gz", software=SOFTWARE) as writer:
        with pytest.raises(StoreError, match="line break"):
            writer.write(item)
        writer.write(exchange("https://k.de/ok", b"ok", headers=(("content-length", "2"),)))
    assert [r.url for r in iter_exchanges(tmp_path / "a.warc.gz")] == ["https://k.de/ok"]


@pytest.mark.parametrize("size", [*range(11), 20, 31, 32, 33, 64])
def test_base32_is_base64s(size: int) -> None:
    data = random.Random(size).randbytes(size)
    assert base32(data) == base64.b32encode(data).decode("ascii")
    assert base32(b"\xff" * size) == base64.b32encode(b"\xff" * size).decode("ascii")


# --------------------------------------------------------------------------- deferred writes


def _without_ids(records: list[dict[str, Any]]) -> list[tuple[str, dict[str, str], bytes]]:
    """Records with their random ids taken out (uuid4: different in every file)."""
    random_fields = {"WARC-Record-ID", "WARC-Concurrent-To", "WARC-Refers-To", "WARC-Warcinfo-ID"}
    return [
        (
            r["type"],
            {k: v for k, v in r["fields"].items() if k not in random_fields},
            r["payload"],
        )
        for r in records
    ]


@pytest.mark.parametrize("build_now", [False, True])
def test_deferred_exchanges_are_archived_as_written_ones(tmp_path: Path, build_now: bool) -> None:
    written = raw_records(write_all(tmp_path / "w.warc.gz", sample()))
    path = tmp_path / "d.warc.gz"
    with WarcWriter(path, software=SOFTWARE) as writer:
        for item in sample():
            writer.defer(item, build_now=build_now)
        assert [r["type"] for r in raw_records(path)] == ["warcinfo"]  # nothing before drain
        writer.drain()
    deferred = raw_records(path)
    assert _without_ids(deferred)[1:] == _without_ids(written)[1:]  # after each warcinfo
    # The revisit, built at drain, refers to the capture drained just before it.
    (revisit,) = [r for r in deferred if r["type"] == "revisit"]
    first = next(
        r
        for r in deferred
        if r["type"] == "response" and r["fields"]["WARC-Target-URI"] == sample()[1].url
    )
    assert revisit["fields"]["WARC-Refers-To"] == first["fields"]["WARC-Record-ID"]


def test_a_record_built_ahead_fails_at_drain_not_at_defer(tmp_path: Path) -> None:
    bad = exchange("https://k.de/", b"x", headers=(("x-evil", "a\r\nWARC-Type: forged"),))
    path = tmp_path / "a.warc.gz"
    with WarcWriter(path, software=SOFTWARE) as writer:
        writer.defer(bad, build_now=True)  # on a crawl worker: must not raise there
        with pytest.raises(StoreError, match="line break"):
            writer.drain()
        writer.defer(exchange("https://k.de/ok", b"ok"), build_now=True)
        writer.drain()
    assert [r.url for r in iter_exchanges(path)] == ["https://k.de/ok"]


# --------------------------------------------------------------------------- revisits


def test_revisit_refers_to_the_earlier_capture(tmp_path: Path) -> None:
    records = raw_records(write_all(tmp_path / "a.warc.gz", sample()))
    (revisit,) = [r for r in records if r["type"] == "revisit"]
    first = next(
        r
        for r in records
        if r["type"] == "response"
        and r["fields"]["WARC-Target-URI"] == "https://www.kommune360.de/programm/tag/freitag/"
    )
    fields = revisit["fields"]
    assert fields["WARC-Profile"] == REVISIT_PROFILE
    assert fields["WARC-Refers-To"] == first["fields"]["WARC-Record-ID"]
    assert fields["WARC-Refers-To-Target-URI"] == first["fields"]["WARC-Target-URI"]
    assert fields["WARC-Refers-To-Date"] == first["fields"]["WARC-Date"]
    assert fields["WARC-Payload-Digest"] == first["fields"]["WARC-Payload-Digest"]
    assert revisit["payload"] == b""


def test_revisit_with_the_callers_reference(tmp_path: Path) -> None:
    item = exchange("https://k.de/p/", status=304, headers=(("etag", '"1"'),))
    earlier = datetime(2025, 12, 1, 8, 0, tzinfo=UTC)
    with WarcWriter(tmp_path / "a.warc.gz", software=SOFTWARE) as writer:
        writer.write(item, refers_to_uri="https://k.de/p/", refers_to_date=earlier)
    fields = raw_records(tmp_path / "a.warc.gz")[2]["fields"]
    assert fields["WARC-Refers-To-Target-URI"] == "https://k.de/p/"
    assert fields["WARC-Refers-To-Date"] == "2025-12-01T08:00:00.000000Z"
    assert "WARC-Refers-To" not in fields
    (back,) = iter_exchanges(tmp_path / "a.warc.gz")
    assert (back.status, back.body) == (304, b"")


def test_revisit_without_any_known_capture(tmp_path: Path) -> None:
    item = exchange("https://k.de/p/", status=304)
    fields = raw_records(write_all(tmp_path / "a.warc.gz", [item]))[2]["fields"]
    assert fields["WARC-Profile"] == REVISIT_PROFILE
    assert "WARC-Refers-To-Target-URI" not in fields


# --------------------------------------------------------------------------- integrity


def test_digest_mismatch_raises(tmp_path: Path) -> None:
    path = write_all(tmp_path / "a.warc.gz", sample())
    plain = gzip.decompress(path.read_bytes())
    tampered = tmp_path / "t.warc"
    tampered.write_bytes(plain.replace(b"Disallow: /wp-admin/", b"Disallow: /wp-adm1n/"))
    with pytest.raises(StoreError):
        list(iter_exchanges(tampered))


def test_payload_digest_is_checked_by_us_too(tmp_path: Path) -> None:
    path = write_all(tmp_path / "a.warc.gz", [exchange("https://k.de/", b"abc")])
    plain = gzip.decompress(path.read_bytes())
    wrong = b32_sha256(b"abd")
    plain = plain.replace(b32_sha256(b"abc").encode(), wrong.encode())
    tampered = tmp_path / "t.warc"
    tampered.write_bytes(plain)
    with pytest.raises(StoreError, match=r"(?i)payload.digest"):
        list(iter_exchanges(tampered))


def test_a_foreign_encoded_payload_is_refused(tmp_path: Path) -> None:
    # Another tool's WARC may keep the gzipped bytes from the wire; handing them on as if
    # decoded would be silently wrong.
    path = tmp_path / "foreign.warc.gz"
    body = gzip.compress(b"<html>hallo</html>")
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="1.1")
        http = StatusAndHeaders(
            "200 OK", [("Content-Encoding", "gzip"), ("Content-Length", str(len(body)))], "HTTP/1.1"
        )
        writer.write_record(
            writer.create_warc_record(
                "https://k.de/",
                "response",
                payload=io.BytesIO(body),
                length=len(body),
                http_headers=http,
            )
        )
    with pytest.raises(StoreError, match="not supported"):
        list(iter_exchanges(path))


def test_a_new_writer_never_overwrites(tmp_path: Path) -> None:
    path = write_all(tmp_path / "a.warc.gz", sample())
    before = path.read_bytes()
    with pytest.raises(StoreError, match="exists"):
        WarcWriter(path, software=SOFTWARE)
    assert path.read_bytes() == before


def test_write_after_close_raises(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path / "a.warc.gz", software=SOFTWARE)
    writer.close()
    writer.close()  # twice is fine
    with pytest.raises(StoreError, match="closed"):
        writer.write(exchange("https://k.de/"))


# --------------------------------------------------------------------------- crash recovery


def test_truncated_tail_is_detected_and_the_rest_readable(tmp_path: Path) -> None:
    written = sample()
    path = write_all(tmp_path / "a.warc.gz", written)
    path.write_bytes(path.read_bytes()[:-25])  # inside the last response record
    seen: list[FetchResult] = []
    with pytest.raises(StoreError, match="incomplete"):
        seen.extend(iter_exchanges(path))
    assert seen == written[:-1]
    assert list(iter_exchanges(path, allow_truncated=True)) == written[:-1]


def test_append_after_a_crash_continues_without_damage(tmp_path: Path) -> None:
    written = sample()
    path = write_all(tmp_path / "a.warc.gz", written)
    whole = path.read_bytes()
    cut = len(whole) - 25
    path.write_bytes(whole[:cut])

    more = [
        exchange("https://k.de/nach-dem-absturz/", b"neu", headers=(("content-length", "3"),)),
        exchange("https://www.kommune360.de/robots.txt", status=304, seconds=9),
    ]
    writer = WarcWriter(path, software=SOFTWARE, append=True, info={"resumed": "yes"})
    assert 0 < writer.dropped_bytes < 2000
    for item in more:
        writer.write(item)
    writer.close()

    after = path.read_bytes()
    kept = cut - writer.dropped_bytes
    assert after[:kept] == whole[:kept]  # what was there is untouched
    assert list(iter_exchanges(path)) == written[:-1] + more

    records = raw_records(path)
    assert [r["type"] for r in records].count("warcinfo") == 2
    revisit = records[-1]["fields"]
    robots = next(r for r in records if r["type"] == "response")
    assert revisit["WARC-Refers-To"] == robots["fields"]["WARC-Record-ID"]  # across sessions


@pytest.mark.parametrize("order", ["noise-last", "zeros-last"])
def test_append_after_a_crash_in_a_large_record(tmp_path: Path, order: str) -> None:
    # Members bigger than the scanner's 1 MiB steps, as compressed or as decompressed bytes.
    zeros = exchange("https://k.de/gross.pdf", b"%PDF-" + b"0" * 3_000_000)
    noise = exchange("https://k.de/rauschen", random.Random(1).randbytes(2_500_000))
    first, last = (zeros, noise) if order == "noise-last" else (noise, zeros)
    path = write_all(tmp_path / "a.warc.gz", [first, last])
    data = path.read_bytes()
    path.write_bytes(data[:-50])  # inside the last response
    writer = WarcWriter(path, software=SOFTWARE, append=True)
    writer.write(zeros)
    writer.close()
    assert writer.dropped_bytes > 0
    assert [r.url for r in iter_exchanges(path)] == [first.url, zeros.url]


def test_append_to_an_intact_file_drops_nothing(tmp_path: Path) -> None:
    path = write_all(tmp_path / "a.warc.gz", sample()[:2])
    before = path.read_bytes()
    writer = WarcWriter(path, software=SOFTWARE, append=True)
    writer.close()
    assert writer.dropped_bytes == 0
    assert path.read_bytes().startswith(before)


def test_append_to_a_missing_file_creates_it(tmp_path: Path) -> None:
    path = write_all(tmp_path / "new.warc.gz", sample()[:1], append=True)
    assert len(list(iter_exchanges(path))) == 1


def test_append_cuts_a_nul_filled_tail(tmp_path: Path) -> None:
    path = write_all(tmp_path / "a.warc.gz", sample()[:2])
    intact = path.read_bytes()
    path.write_bytes(intact + b"\x00" * 4096)
    writer = WarcWriter(path, software=SOFTWARE, append=True)
    writer.close()
    assert writer.dropped_bytes == 4096
    assert path.read_bytes().startswith(intact)


def test_append_refuses_damage_that_is_not_a_crash(tmp_path: Path) -> None:
    path = write_all(tmp_path / "a.warc.gz", sample())
    data = bytearray(path.read_bytes())
    data[400:420] = b"x" * 20  # inside the first request member
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="refusing"):
        WarcWriter(path, software=SOFTWARE, append=True)
    assert path.read_bytes() == bytes(data)


def test_append_refuses_a_plain_warc(tmp_path: Path) -> None:
    path = tmp_path / "a.warc"
    path.write_bytes(gzip.decompress(write_all(tmp_path / "a.warc.gz", sample()).read_bytes()))
    with pytest.raises(StoreError):
        WarcWriter(path, software=SOFTWARE, append=True)


def test_every_record_is_its_own_gzip_member(tmp_path: Path) -> None:
    path = write_all(tmp_path / "a.warc.gz", sample())
    offsets = []
    with path.open("rb") as fh:
        iterator = ArchiveIterator(fh)
        for _record in iterator:
            offsets.append(iterator.get_record_offset())
    data = path.read_bytes()
    assert all(data[o : o + 2] == b"\x1f\x8b" for o in offsets)
    for start, end in zip(offsets, [*offsets[1:], len(data)], strict=True):
        assert gzip.decompress(data[start:end]).startswith(b"WARC/1.1\r\n")


def test_a_failed_write_leaves_no_half_exchange(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.warc.gz"
    writer = WarcWriter(path, software=SOFTWARE)
    first, second = sample()[:2]
    writer.write(first)
    size = path.stat().st_size

    # The disk fills up while the exchange is flushed: part of it is already in the file.
    real = writer._file
    monkeypatch.setattr(writer, "_file", _FullDisk(real))
    with pytest.raises(StoreError, match="No space left"):
        writer.write(second)
    assert real.closed
    assert path.stat().st_size == size  # rolled back to the last whole exchange
    writer.write(second)
    writer.close()
    assert list(iter_exchanges(path)) == [first, second]


class _FullDisk(io.RawIOBase):
    """A WARC file whose flush writes half of what is buffered, then fails like a full disk."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._buffer = b""

    def write(self, data: Any) -> int:
        self._buffer += bytes(data)
        return len(data)

    def flush(self) -> None:
        if self._buffer:
            self._inner.write(self._buffer[: len(self._buffer) // 2])
            self._inner.flush()
            self._buffer = b""
            raise OSError(28, "No space left on device")

    def tell(self) -> int:
        return int(self._inner.tell())

    def close(self) -> None:
        self._inner.close()


def test_each_exchange_is_flushed_and_the_file_synced_once_on_close(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.warc.gz"
    synced: list[int] = []
    monkeypatch.setattr("k360scrape.warc.os.fsync", synced.append)
    writer = WarcWriter(path, software=SOFTWARE)
    first, second = sample()[:2]
    writer.write(first)
    writer.write(second)
    # Flushed: a process killed now leaves both exchanges readable, without any fsync.
    assert list(iter_exchanges(path)) == [first, second]
    assert synced == []
    writer.close()
    assert len(synced) == 1


# --------------------------------------------------------------------------- threads


def test_several_threads_write_whole_exchanges(tmp_path: Path) -> None:
    path = tmp_path / "a.warc.gz"
    writer = WarcWriter(path, software=SOFTWARE)
    per_thread, threads = 25, 8

    def work(n: int) -> None:
        for i in range(per_thread):
            body = f"thread {n} item {i} ".encode() * (i + 1)
            item = exchange(
                f"https://k.de/{n}/{i}", body, headers=(("content-length", str(len(body))),)
            )
            writer.write(item)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    writer.close()

    read = list(iter_exchanges(path))
    assert len(read) == per_thread * threads
    assert {r.url for r in read} == {f"https://k.de/{n}/{i}" for n in range(8) for i in range(25)}
    for item in read:
        n, i = item.url.rsplit("/", 2)[-2:]
        assert item.body == f"thread {n} item {i} ".encode() * (int(i) + 1)
        assert item.request_headers == REQUEST_HEADERS
    records = raw_records(path)
    assert len(records) == 1 + 2 * per_thread * threads


def test_reader_accepts_hex_digests(tmp_path: Path) -> None:
    path = write_all(tmp_path / "a.warc.gz", [exchange("https://k.de/", b"abc")])
    plain = gzip.decompress(path.read_bytes())
    hex_digest = "sha256:" + hashlib.sha256(b"abc").hexdigest()
    plain = plain.replace(b32_sha256(b"abc").encode(), hex_digest.encode())
    other = tmp_path / "hex.warc"
    other.write_bytes(plain)
    (back,) = iter_exchanges(other)
    assert back.body == b"abc"
