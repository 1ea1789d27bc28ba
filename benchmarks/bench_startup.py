"""Start-up benchmark: short ``portfolio`` commands against a bare ``python``.

Every command imports the command line first, so its start-up is what the office's
staff and the cron jobs wait for each time. Timed, each in a fresh interpreter and
interleaved over ``--runs`` rounds (default 7; the median is shown): ``python -c
pass`` (the floor), ``import click, sqlalchemy.orm`` (what any database command
needs), ``portfolio --version``, ``portfolio --help`` and ``portfolio programmes`` on
an existing SQLite database with the demo portfolio. Prints each median and its
ratio to the floor measured in the same run.

Run: ``python benchmarks/bench_startup.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PORTFOLIO = "import sys; from portfolio.cli import run; sys.exit(run())"


def timed(argv: list[str], env: dict[str, str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=env, cwd=cwd)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    # No PORTFOLIO_* settings and a scratch working directory (no portfolio.toml).
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTFOLIO_")}
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        subprocess.run(
            [py, "-c", PORTFOLIO, "--db", url, "demo"],
            check=True,
            capture_output=True,
            env=env,
            cwd=tmp,
        )
        cases = {
            "python -c pass": [py, "-c", "pass"],
            "import click, sqlalchemy.orm": [py, "-c", "import click, sqlalchemy.orm"],
            "portfolio --version": [py, "-c", PORTFOLIO, "--version"],
            "portfolio --help": [py, "-c", PORTFOLIO, "--help"],
            "portfolio programmes": [py, "-c", PORTFOLIO, "--db", url, "programmes"],
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, argv in cases.items():
                times[name].append(timed(argv, env, tmp))
    floor = statistics.median(times["python -c pass"])
    print(f"Start-up, median of {args.runs} runs (ratio to python -c pass):")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:30} {median:6.2f} s  {median / floor:6.1f}x")


if __name__ == "__main__":
    main()
