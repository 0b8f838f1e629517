"""The README documents every command, CLI option, setting and exit code."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from k360scrape.cli import cli
from k360scrape.errors import ExitCode
from k360scrape.settings import Settings

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def _options() -> list[tuple[str, str]]:
    found = []
    for name, command in sorted(cli.commands.items()):
        for param in command.params:
            if isinstance(param, click.Option):
                found.extend((name, opt) for opt in param.opts if opt.startswith("--"))
    return found


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_is_documented(command):
    assert f"k360scrape {command}" in README


@pytest.mark.parametrize(("command", "option"), _options())
def test_every_option_is_documented(command, option):
    assert f"`{option}" in README, f"{command} {option} missing from README.md"


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_documented(field):
    assert f"`{field}`" in README


@pytest.mark.parametrize("code", list(ExitCode))
def test_every_exit_code_is_documented(code):
    assert f"| {int(code)} |" in README


def test_readme_starts_with_the_two_commands():
    lines = [line for line in README.splitlines() if line.strip()]
    assert lines[2] == "python -m pip install -e '.[dev]' && k360scrape demo"
    assert lines[3] == "python -m pip install -e '.[dev]' && python -m pytest"


def test_ci_runs_exactly_the_readme_test_command():
    ci = (Path(__file__).parents[1] / ".ci" / "run").read_text(encoding="utf-8")
    assert "python -m pip install -e '.[dev]' && python -m pytest" in ci.splitlines()
