"""Web benchmark (issue 6 "Speed"): dashboard, timeline and programme list at two sizes.

Builds two SQLite databases in the same process — ``--small`` (default 100) and
``--large`` (default 10,000) programmes, each with a phase, a funding, an award, two
deadlines and an application (its state cycling through the pipeline), Stichtag
15.03.2017 so that programmes end within twelve months — logs in through the real app
(FastAPI TestClient) and times each page (median of ``--repeat`` requests after one
warm-up). Prints the time per page, the ratio large/small and the SQL statements per
page at both sizes. Goals: ≤ 10× for 100× the data (lists are paginated); the
Übersicht with its panels (pipeline, endings with follow-up, 90 days of deadlines)
≤ 3× (issue 12); the same number of statements at both sizes.

Form saves (issue 12 "Speed"): on the large database, saving a programme's edit form
and an award's edit form (a changed term: deadlines regenerated) is timed against
viewing the programme's page; the ratio save/view is printed. Goal: the same order of
time (≤ 10×).

Run: ``python benchmarks/bench_web.py [--small N] [--large M] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
import warnings
from datetime import date
from pathlib import Path

warnings.filterwarnings("ignore")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import event  # noqa: E402
from web_support import add_synthetic  # noqa: E402

from portfolio.config import Settings  # noqa: E402
from portfolio.domain.enums import UserRole  # noqa: E402
from portfolio.services.clock import set_stichtag  # noqa: E402
from portfolio.services.users import add_user  # noqa: E402
from portfolio.storage.db import session_scope  # noqa: E402
from portfolio.storage.schema import open_database  # noqa: E402
from portfolio.web import create_app  # noqa: E402

PAGES = [
    "/",
    "/zeitstrahl",
    "/programme",
    "/programme?q=programm+1&status=running",
    "/fristen",
    "/verwaltung/erinnerungen",
]
DASHBOARD_GOAL = 3.0
PASSWORD = "bench-passwort"


def build(url: str, count: int) -> None:
    """A database with a bench user, the demo's Stichtag and synthetic programmes."""
    engine = open_database(url)
    with session_scope(engine, "bench") as session:
        add_user(session, "bench", PASSWORD, UserRole.ADMIN)
        set_stichtag(session, date(2017, 3, 15))
    engine.dispose()
    # The same synthetic portfolio as the query-count tests (tests/web_support.py).
    add_synthetic(url, count, applications=True)


def client(url: str) -> TestClient:
    http = TestClient(
        create_app(Settings({"database.url": url, "web.secret_key": "b"}))
    )
    token = re.search(r'name="csrf_token" value="([^"]+)"', http.get("/login").text)
    assert token is not None
    answer = http.post(
        "/login",
        data={"username": "bench", "password": PASSWORD, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    return http


def statements(http: TestClient, path: str) -> int:
    """How many SQL statements one request of a page runs."""
    engine = http.app.state.engine  # type: ignore[attr-defined]
    seen: list[str] = []

    def count(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert http.get(path).status_code == 200, path
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def measure(http: TestClient, path: str, repeat: int) -> float:
    assert http.get(path).status_code == 200, path
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        http.get(path)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _form(http: TestClient, path: str) -> dict[str, str]:
    """The fields of an edit form as the browser would post them again."""
    html = http.get(path).text
    values = dict(re.findall(r'<input id="f-\w+" name="(\w+)" value="([^"]*)"', html))
    for name, chosen in re.findall(
        r'<select id="f-\w+" name="(\w+)"[^>]*>.*?<option value="([^"]*)" selected',
        html,
        re.S,
    ):
        values[name] = chosen
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token is not None
    values["csrf_token"] = token.group(1)
    return values


def measure_saves(http: TestClient, repeat: int) -> dict[str, float]:
    """Median times of a page view and of two form saves (redirect not followed)."""
    view = measure(http, "/programme/synth-1", repeat)
    results = {"Seite /programme/synth-1 ansehen": view}
    programme = _form(http, "/programme/synth-1/bearbeiten")
    award_page = http.get("/programme/synth-1").text
    award_id = re.search(r"/bewilligungen/(\d+)/bearbeiten", award_page)
    assert award_id is not None
    award = _form(http, f"/bewilligungen/{award_id.group(1)}/bearbeiten")
    for label, path, form, field, choices in (
        ("Programm speichern", "/programme/synth-1/bearbeiten", programme, "name",
         ("Programm 1", "Programm 1 (geändert)")),
        ("Bewilligung speichern (Zeitraum)",
         f"/bewilligungen/{award_id.group(1)}/bearbeiten", award, "end",
         ("31.12.2014", "30.06.2015")),
    ):  # fmt: skip
        times = []
        for n in range(repeat + 1):
            form[field] = choices[n % 2]
            start = time.perf_counter()
            answer = http.post(path, data=form, follow_redirects=False)
            elapsed = time.perf_counter() - start
            assert answer.status_code == 303, (path, answer.text[:500])
            if n:  # the first is the warm-up
                times.append(elapsed)
        results[label] = statistics.median(times)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        results, queries = {}, {}
        for size in (args.small, args.large):
            url = f"sqlite:///{Path(folder) / f'bench-{size}.db'}"
            started = time.perf_counter()
            build(url, size)
            print(
                f"{size:>6} Programme angelegt in {time.perf_counter() - started:.1f} s"
            )
            http = client(url)
            results[size] = {p: measure(http, p, args.repeat) for p in PAGES}
            queries[size] = {p: statements(http, p) for p in PAGES}
        print(f"\n{'Seite':45} {args.small:>8} {args.large:>8}  Faktor  Abfragen")
        worst = 0.0
        for page in PAGES:
            small, large = results[args.small][page], results[args.large][page]
            ratio = large / small
            worst = max(worst, ratio)
            counted = f"{queries[args.small][page]:>3} / {queries[args.large][page]:>3}"
            print(
                f"{page:45} {small * 1000:6.1f}ms {large * 1000:6.1f}ms  {ratio:5.2f}×"
                f"  {counted}"
            )
        growth = args.large / args.small
        print(
            f"\nGrößter Faktor {worst:.2f}× bei {growth:.0f}× so vielen Programmen "
            f"(Ziel ≤ 10×): {'erreicht' if worst <= 10 else 'VERFEHLT'}"
        )
        board = results[args.large]["/"] / results[args.small]["/"]
        print(
            f"Übersicht mit allen Feldern {board:.2f}× bei {growth:.0f}× so vielen "
            f"Programmen (Ziel ≤ {DASHBOARD_GOAL:.0f}×): "
            f"{'erreicht' if board <= DASHBOARD_GOAL else 'VERFEHLT'}"
        )
        constant = queries[args.small] == queries[args.large]
        print(
            "Abfragen je Seite bei beiden Größen gleich: "
            f"{'ja' if constant else 'NEIN'}"
        )
        saves = measure_saves(http, args.repeat)  # the large database
        view = saves["Seite /programme/synth-1 ansehen"]
        print(f"\nFormulare bei {args.large} Programmen:")
        slowest = 0.0
        for label, seconds in saves.items():
            ratio = seconds / view
            slowest = max(slowest, ratio)
            print(f"{label:45} {seconds * 1000:6.1f}ms  {ratio:5.2f}× der Seite")
        print(
            f"Speichern braucht höchstens {slowest:.2f}× einer Seitenansicht "
            f"(Ziel ≤ 10×): {'erreicht' if slowest <= 10 else 'VERFEHLT'}"
        )
    reached = worst <= 10 and slowest <= 10 and board <= DASHBOARD_GOAL
    return 0 if reached and constant else 1


if __name__ == "__main__":
    sys.exit(main())
