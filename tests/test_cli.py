"""Bad command lines: one clear line on stderr, exit code 2, no traceback, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from k360scrape import __version__
from k360scrape.cli import main


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def test_version(capsys):
    code, out, _ = _run(["--version"], capsys)
    assert code == 0
    assert __version__ in out


@pytest.mark.parametrize("command", ["crawl", "demo", "parse", "reparse", "snapshot"])
def test_help_of_every_command(command, capsys):
    code, out, _ = _run([command, "--help"], capsys)
    assert code == 0
    assert "Usage:" in out


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["crawl", "--bogus"], "no such option"),
        (["crawl", "--delay", "-1", "--out", "{out}"], "--delay"),
        (["crawl", "--delay", "abc", "--out", "{out}"], "delay"),
        (["crawl", "--delay", "99999", "--out", "{out}"], "--delay"),
        (["crawl", "--concurrency", "0", "--out", "{out}"], "--concurrency"),
        (["crawl", "ftp://www.kommune360.de/x/", "--out", "{out}"], "ftp"),
        (["crawl", "not a url", "--out", "{out}"], "URL"),
        (["crawl", "http://", "--out", "{out}"], "URL"),
        (["crawl", "--csv-dialect", "klingon", "--out", "{out}"], "csv-dialect"),
        (["parse", "{missing}", "--url", "https://x.org/"], "does not exist"),
        (["frobnicate"], "No such command"),
    ],
)
def test_bad_arguments_get_one_line_and_exit_2(argv, needle, tmp_path, capsys):
    out_dir = tmp_path / "out"
    argv = [a.format(out=out_dir, missing=tmp_path / "nope.html") for a in argv]
    code, _, err = _run(argv, capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("k360scrape: error: ")
    assert needle.lower() in lines[0].lower()
    assert "Traceback" not in err
    assert not out_dir.exists() or not any(out_dir.iterdir())


def test_foreign_non_empty_out_is_refused(tmp_path, capsys):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.docx").write_bytes(b"precious")
    code, _, err = _run(["crawl", "--out", str(foreign)], capsys)
    assert code == 2
    assert "not empty" in err
    assert sorted(p.name for p in foreign.iterdir()) == ["thesis.docx"]


def test_unwritable_out_is_refused(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = _run(["crawl", "--out", str(blocker / "sub")], capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1


def test_parse_prints_json(tmp_path: Path, capsys):
    page = tmp_path / "p.html"
    page.write_text(
        '<main class="content"><article class="entry"><h2 class="entry-title">'
        '<a class="entry-title-link" href="/programm/event/x/">X</a></h2></article></main>',
        encoding="utf-8",
    )
    url = "https://www.kommune360.de/programm/tag/freitag/"
    code, out, _ = _run(["parse", str(page), "--url", url], capsys)
    assert code == 0
    assert '"title": "X"' in out
    assert "https://www.kommune360.de/programm/event/x/" in out
