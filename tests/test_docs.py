"""The README documents every setting and every command, and the licence."""

from __future__ import annotations

import tomllib
from pathlib import Path

import click

from portfolio.cli import main
from portfolio.config import SETTINGS, settings_table

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_settings_table_in_readme_is_current() -> None:
    start = README.index("<!-- settings:start -->\n") + len("<!-- settings:start -->\n")
    end = README.index("<!-- settings:end -->")
    assert README[start:end] == settings_table(), (
        "README settings table is stale: regenerate with `python -m portfolio.config`"
    )
    for setting in SETTINGS:
        assert setting.env.startswith("PORTFOLIO_")


def _commands(group: click.Group, prefix: str = "") -> list[str]:
    names = []
    for name, command in sorted(group.commands.items()):
        full = f"{prefix}{name}"
        if isinstance(command, click.Group):
            names.extend(_commands(command, full + " "))
        else:
            names.append(full)
    return names


def test_every_command_has_german_help() -> None:
    for name in _commands(main):
        command: click.Command = main
        for part in name.split():
            assert isinstance(command, click.Group)
            command = command.commands[part]
        assert command.help, f"`portfolio {name}` has no help text"


def test_readme_names_the_two_commands_and_licence() -> None:
    assert "pip install -e . && portfolio demo" in README
    assert "pip install -e '.[test]' && pytest" in README
    assert "EUPL-1.2" in README
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "EUPL-1.2"
