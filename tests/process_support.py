"""Run Python code in a fresh interpreter, as the ``portfolio`` program starts.

Start-up, the collector and reading ahead can only be seen in a process of their
own: nothing loaded yet, and ending with the command. Such tests print what they
learned as the last line of stderr, after a word of their own.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


def run_python(
    code: str,
    *args: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` with ``args`` as its command line (``sys.argv[1:]``)."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=check,
    )


def last_said(done: subprocess.CompletedProcess[str], prefix: str) -> str:
    """What the last line of stderr says after ``prefix`` (which it must start with)."""
    lines = done.stderr.strip().splitlines()
    assert lines and lines[-1].startswith(prefix), done.stderr
    return lines[-1].removeprefix(prefix)
