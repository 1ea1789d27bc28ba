"""Directory sign-in against a real OpenLDAP ``slapd`` started by the test.

slapd runs on 127.0.0.1 with its own config file and database folder under the
test's tmp path; the settings come from a real TOML file with an ``[ldap.groups]``
table. Right and wrong passwords, the group → role mapping (highest role wins, no
mapped group: no entry) and local accounts beside the directory are checked.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from web_support import login, prepare_db

from portfolio.config import load_settings
from portfolio.domain.models import User
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database
from portfolio.web import create_app

SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
BASE = "dc=kreis,dc=example"
ADMIN_DN, ADMIN_PW = f"cn=admin,{BASE}", "verwalter-pw"


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def slapd(tmp_path: Path) -> Iterator[str]:
    if not Path(SLAPD).exists():
        pytest.skip("slapd fehlt (apt install slapd ldap-utils)")
    folder = tmp_path / "ldap"
    (folder / "data").mkdir(parents=True)
    config = folder / "slapd.conf"
    config.write_text(
        "include /etc/ldap/schema/core.schema\n"
        "include /etc/ldap/schema/cosine.schema\n"
        "include /etc/ldap/schema/inetorgperson.schema\n"
        "modulepath /usr/lib/ldap\nmoduleload back_mdb\n"
        f"pidfile {folder}/slapd.pid\n"
        "database mdb\nmaxsize 10485760\n"
        f'suffix "{BASE}"\nrootdn "{ADMIN_DN}"\nrootpw {ADMIN_PW}\n'
        f"directory {folder}/data\n",
        encoding="utf-8",
    )
    url = f"ldap://127.0.0.1:{_port()}"
    process = subprocess.Popen(  # -d 0: stay in the foreground, quietly
        [SLAPD, "-f", str(config), "-h", url, "-d", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _fill(url)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def _fill(url: str) -> None:
    import ldap3

    for _ in range(100):
        try:
            admin = ldap3.Connection(url, ADMIN_DN, ADMIN_PW, auto_bind=True)
            break
        except ldap3.core.exceptions.LDAPException:
            time.sleep(0.1)
    else:
        pytest.fail("slapd antwortet nicht")
    admin.add(BASE, ["dcObject", "organization"], {"o": "Kreis", "dc": "kreis"})
    for ou in ("people", "groups"):
        admin.add(f"ou={ou},{BASE}", ["organizationalUnit"], {"ou": ou})
    for uid, password in (("anna", "anna-pw-123"), ("bert", "bert-pw-123"),
                          ("carla", "carla-pw-123")):  # fmt: skip
        assert admin.add(
            f"uid={uid},ou=people,{BASE}",
            ["inetOrgPerson"],
            {"cn": uid, "sn": uid, "userPassword": password},
        ), admin.result
    people = f"ou=people,{BASE}"
    for cn, members in (("portfolio-admins", ["anna"]),
                        ("portfolio-redaktion", ["anna", "bert"]),
                        ("kantine", ["carla"])):  # fmt: skip
        assert admin.add(
            f"cn={cn},ou=groups,{BASE}",
            ["groupOfNames"],
            {"cn": cn, "member": [f"uid={m},{people}" for m in members]},
        ), admin.result
    admin.unbind()


def _app(db_url: str, url: str, tmp_path: Path) -> TestClient:
    toml = tmp_path / "portfolio.toml"
    toml.write_text(
        f'[database]\nurl = "{db_url}"\n\n'
        f'[ldap]\nurl = "{url}"\nbase_dn = "{BASE}"\n'
        f'bind_dn = "{ADMIN_DN}"\nbind_password = "{ADMIN_PW}"\n\n'
        "[ldap.groups]\n"
        '"portfolio-admins" = "admin"\n'
        f'"cn=portfolio-redaktion,ou=groups,{BASE}" = "editor"\n',
        encoding="utf-8",
    )
    settings = load_settings(toml, environ={})
    assert settings.get("ldap.groups") == {
        "portfolio-admins": "admin",
        f"cn=portfolio-redaktion,ou=groups,{BASE}": "editor",
    }
    return TestClient(create_app(settings))


def _role(db_url: str, name: str) -> str | None:
    engine = open_database(db_url)
    with session_scope(engine, read_only=True) as session:
        role = session.scalar(sa.select(User.role).where(User.username == name))
    engine.dispose()
    return role.value if role is not None else None


def test_directory_sign_in_and_group_roles(
    sqlite_url: str, slapd: str, tmp_path: Path
) -> None:
    prepare_db(sqlite_url, demo=False)
    http = _app(sqlite_url, slapd, tmp_path)
    assert login(http, "anna", "falsch").status_code == 401
    assert _role(sqlite_url, "anna") is None
    assert login(http, "anna", "anna-pw-123").status_code == 303
    assert _role(sqlite_url, "anna") == "admin"  # admins and redaktion: highest
    assert http.get("/verwaltung").status_code == 200

    bert = _app(sqlite_url, slapd, tmp_path)
    assert login(bert, "bert", "bert-pw-123").status_code == 303
    assert _role(sqlite_url, "bert") == "editor"
    assert bert.get("/verwaltung").status_code == 403

    carla = _app(sqlite_url, slapd, tmp_path)
    assert login(carla, "carla", "carla-pw-123").status_code == 401  # no mapped group
    assert login(carla, "anna", "").status_code == 401  # never an anonymous bind
    assert login(carla, "anna)(uid=*", "anna-pw-123").status_code == 401

    local = _app(sqlite_url, slapd, tmp_path)
    assert login(local, "viewer").status_code == 303  # local accounts keep working
    assert (
        login(_app(sqlite_url, slapd, tmp_path), "viewer", "anna-pw-123").status_code
        == 401
    )
