"""Hostile command lines: one clear line, exit code 2, no traceback, nothing written.

`tests/test_cli.py` covers the first bad command lines; this file adds the rest of the
issue's list (malformed and non-http(s) start URLs, start URLs on another site, unusable
`--out`, negative or absurd `--delay`, unknown options) and runs a few of them in a real
subprocess, so that nothing but the one line can reach stderr. Every in-process case runs in
an empty working folder and checks that it stays empty (the default `--out` is `output/`).

What "the scope allows" means for start URLs: a crawl is of one site, the first start URL's
host and its www/bare twin; any other start URL must be on a host given with `--allow-host`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from k360scrape.cli import main
from k360scrape.errors import ExitCode, OutputError
from k360scrape.run import RunRequest, run_crawl
from k360scrape.settings import Settings

LIVE = "https://www.kommune360.de/programm/tag/freitag/"
# Should a check ever let a case through, the crawl gives up within a second.
QUICK = ["--retries", "0", "--timeout", "0.2"]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def _assert_refused(code: int, out: str, err: str, needle: str) -> None:
    assert code == ExitCode.USAGE, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("k360scrape: error: "), lines[0]
    assert needle.lower() in lines[0].lower(), lines[0]
    assert "Traceback" not in err + out
    assert out == ""


@pytest.fixture
def empty_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder; a refused command must leave it empty."""
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


# --------------------------------------------------------------------------- start URLs

BAD_URLS = [
    # malformed
    pytest.param(["https://exa mple.org/programm/"], "invalid host name", id="space-in-host"),
    pytest.param(
        ["https://www.kommune360.de:99999/programm/"], "malformed", id="port-out-of-range"
    ),
    pytest.param(["http://[::1/programm/"], "malformed", id="unbalanced-ipv6"),
    pytest.param(["https://-kommune360.de/programm/"], "invalid host name", id="leading-hyphen"),
    pytest.param(
        ["https://www.kommune360.de%00.evil/programm/"], "invalid host name", id="nul-in-host"
    ),
    pytest.param(["//www.kommune360.de/programm/"], "absolute http", id="scheme-relative"),
    pytest.param(["programm/tag/freitag/"], "absolute http", id="relative-path"),
    pytest.param(["http://"], "absolute http", id="no-host"),
    # not http(s)
    pytest.param(["ftp://www.kommune360.de/programm/"], "http", id="ftp"),
    pytest.param(["file:///etc/passwd"], "http", id="file"),
    pytest.param(["javascript:alert(1)"], "http", id="javascript"),
    pytest.param(["mailto:info@kommune360.de"], "http", id="mailto"),
    pytest.param(["data:text/html,<h1>x</h1>"], "http", id="data"),
    # another site than the first start URL
    pytest.param(
        [LIVE, "https://evil.example/programm/"], "--allow-host evil.example", id="other-site"
    ),
    pytest.param(
        [LIVE, "https://kommune360.de.evil.example/x/"],
        "--allow-host kommune360.de.evil.example",
        id="lookalike-host",
    ),
    pytest.param(
        ["http://127.0.0.1:8000/a/", "http://localhost:8000/b/"],
        "--allow-host localhost",
        id="localhost-after-127.0.0.1",
    ),
]


@pytest.mark.parametrize(("urls", "needle"), BAD_URLS)
def test_bad_start_urls_are_usage_errors(urls, needle, empty_cwd, capsys):
    code, out, err = _run(["crawl", *urls, "--out", "out", *QUICK], capsys)
    _assert_refused(code, out, err, needle)
    assert _listing(empty_cwd) == []


def test_www_and_bare_host_count_as_one_site(tmp_path):
    # Only the check is under test here: the run is refused later for its --out, offline.
    blocker = tmp_path / "file"
    blocker.write_text("x")
    request = RunRequest(
        start_urls=(LIVE, "https://kommune360.de/programm/tag/mittwoch/"),
        out_dir=blocker,
        settings=Settings(),
    )
    with pytest.raises(OutputError, match="is not a folder"):
        run_crawl(request)


def test_allow_host_admits_a_second_site(site_server, tmp_path):
    request = RunRequest(
        start_urls=(
            site_server.url("/programm/tag/freitag/"),
            f"http://localhost:{site_server.port}/programm/tag/donnerstag/",
        ),
        out_dir=tmp_path / "out",
        settings=Settings(delay=0, allowed_hosts=("localhost",)),
    )
    report = run_crawl(request)
    assert report.exit_code is ExitCode.OK
    hosts = {record.headers.get("host", "").split(":")[0] for record in site_server.requests}
    assert hosts == {"127.0.0.1", "localhost"}


# --------------------------------------------------------------------------- --delay and co.


ABSURD = [
    ("--delay", "-1"),
    ("--delay", "-0.001"),
    ("--delay", "nan"),
    ("--delay", "inf"),
    ("--delay", "1e309"),
    ("--delay", "3601"),
    ("--delay", ""),
    ("--delay", "1,5"),
    ("--timeout", "0"),
    ("--timeout", "-3"),
    ("--retries", "-1"),
    ("--retries", "1000"),
    ("--max-retry-after", "-5"),
    ("--concurrency", "1000"),
    ("--max-pages", "0"),
]


@pytest.mark.parametrize(
    ("option", "value"), ABSURD, ids=[f"{o[2:]}={v or 'empty'}" for o, v in ABSURD]
)
def test_negative_or_absurd_numbers_are_usage_errors(option, value, empty_cwd, capsys):
    code, out, err = _run(["crawl", option, value, "--out", "out"], capsys)
    _assert_refused(code, out, err, option.lstrip("-"))
    assert _listing(empty_cwd) == []


# --------------------------------------------------------------------------- unknown options


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        pytest.param(["crawl", "--bogus"], "no such option", id="crawl"),
        pytest.param(["crawl", "--dealy", "1"], "did you mean", id="crawl-typo"),
        pytest.param(["crawl", "-x"], "no such option", id="crawl-short"),
        pytest.param(["demo", "--bogus"], "no such option", id="demo"),
        pytest.param(["parse", "--bogus"], "no such option", id="parse"),
        pytest.param(["reparse", "--bogus"], "no such option", id="reparse"),
        pytest.param(["snapshot", "--root", "r", "--bogus"], "no such option", id="snapshot"),
        pytest.param(["--bogus"], "no such option", id="global"),
        pytest.param(["crawl", "--out"], "requires an argument", id="missing-value"),
    ],
)
def test_unknown_options_are_usage_errors(argv, needle, empty_cwd, capsys):
    code, out, err = _run(argv, capsys)
    _assert_refused(code, out, err, needle)
    assert _listing(empty_cwd) == []


# --------------------------------------------------------------------------- --out


def test_out_that_is_a_file_is_refused(empty_cwd, capsys):
    (empty_cwd / "posts.json").write_text("[]")
    code, out, err = _run(["crawl", "--out", "posts.json", *QUICK], capsys)
    _assert_refused(code, out, err, "not a folder")
    assert (empty_cwd / "posts.json").read_text() == "[]"


@pytest.mark.parametrize("where", ["under-a-file", "proc"])
def test_unwritable_out_is_refused(where, empty_cwd, capsys):
    (empty_cwd / "file").write_text("x")
    # /proc refuses new folders even to root, so this holds whoever runs the tests.
    target = "file/out" if where == "under-a-file" else "/proc/self/k360scrape-out"
    code, out, err = _run(["crawl", "--out", target, *QUICK], capsys)
    _assert_refused(code, out, err, "cannot write")
    assert _listing(empty_cwd) == ["file"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_out_is_refused(empty_cwd, capsys):
    locked = empty_cwd / "locked"
    locked.mkdir(mode=0o555)
    try:
        code, out, err = _run(["crawl", "--out", "locked", *QUICK], capsys)
    finally:
        locked.chmod(0o755)
    _assert_refused(code, out, err, "cannot write")
    assert _listing(locked) == []


@pytest.mark.parametrize(
    "content",
    [
        {"thesis.docx": "precious"},
        {".DS_Store": "x"},
        {"manifest.json": '{"generator": "another-tool"}'},
        {"manifest.json": "not json at all"},
    ],
    ids=["a-document", "a-hidden-file", "another-generator", "broken-manifest"],
)
def test_non_empty_foreign_out_is_refused_and_untouched(content, empty_cwd, capsys):
    foreign = empty_cwd / "mine"
    foreign.mkdir()
    for name, text in content.items():
        (foreign / name).write_text(text)
    before = {p.name: p.read_bytes() for p in foreign.iterdir()}
    code, out, err = _run(["crawl", "--out", "mine", *QUICK], capsys)
    _assert_refused(code, out, err, "not empty")
    assert {p.name: p.read_bytes() for p in foreign.iterdir()} == before


def test_symlink_to_a_foreign_folder_is_refused(empty_cwd, tmp_path, capsys):
    foreign = tmp_path / "elsewhere"
    foreign.mkdir()
    (foreign / "thesis.docx").write_text("precious")
    (empty_cwd / "link").symlink_to(foreign, target_is_directory=True)
    code, out, err = _run(["crawl", "--out", "link", *QUICK], capsys)
    _assert_refused(code, out, err, "not empty")
    assert _listing(foreign) == ["thesis.docx"]


def test_resume_in_a_folder_without_a_crawl_is_refused(empty_cwd, capsys):
    code, out, err = _run(["crawl", "--out", "fresh", "--resume", *QUICK], capsys)
    _assert_refused(code, out, err, "nothing to resume")
    assert not (empty_cwd / "fresh" / "posts.json").exists()


# --------------------------------------------------------------------------- subprocess


SUBPROCESS_CASES = {
    "malformed-url": (["crawl", "https://exa mple.org/x/", *QUICK], "invalid host name"),
    "other-site": (["crawl", LIVE, "https://evil.example/", *QUICK], "--allow-host"),
    "negative-delay": (["crawl", "--delay", "-1"], "--delay"),
    "unknown-option": (["crawl", "--bogus"], "no such option"),
    "foreign-out": (["crawl", "--out", "mine", *QUICK], "not empty"),
}


def test_no_traceback_reaches_stderr_of_a_real_process(tmp_path):
    """The console entry point itself, in separate processes (run side by side: ~1 s)."""
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    processes = {}
    for name, (argv, _) in SUBPROCESS_CASES.items():
        cwd = tmp_path / name
        cwd.mkdir()
        if name == "foreign-out":
            (cwd / "mine").mkdir()
            (cwd / "mine" / "thesis.docx").write_text("precious")
        processes[name] = subprocess.Popen(
            [sys.executable, "-m", "k360scrape", *argv],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    for name, process in processes.items():
        out, err = process.communicate(timeout=60)
        _assert_refused(process.returncode, out, err, SUBPROCESS_CASES[name][1])
        expected = ["mine", "mine/thesis.docx"] if name == "foreign-out" else []
        assert _listing(tmp_path / name) == expected, name
