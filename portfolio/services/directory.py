"""Sign-in against the office's directory (LDAP / Active Directory) with ldap3.

When ``ldap.url`` is set, a name and password that do not match a local account
are checked against the directory: find the person's entry (``ldap.user_filter``
under ``ldap.base_dn``, with the service account ``ldap.bind_dn`` or
anonymously), bind as that entry with the password, then map the groups the entry
is a member of (``member`` of groupOfNames / AD groups, or the entry's
``memberOf``) to a role through the ``[ldap.groups]`` table – the highest role
wins; without a mapped group nobody gets in. The directory user gets a local row
(for sessions, the change log and the audit log) whose password can never match,
and its role follows the directory at every sign-in. Local accounts keep working.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from portfolio.domain.enums import UserRole

RANK = {UserRole.VIEWER: 1, UserRole.EDITOR: 2, UserRole.ADMIN: 3}


@dataclass(frozen=True)
class Directory:
    """How to reach and read the directory (from the ``ldap.*`` settings)."""

    url: str
    base_dn: str
    user_filter: str = "(uid={benutzer})"
    bind_dn: str | None = None
    bind_password: str | None = None
    starttls: bool = False
    groups: Mapping[str, str] = field(default_factory=dict)


def _role_for(groups: list[str], mapping: Mapping[str, str]) -> UserRole | None:
    wanted = {k.lower(): v for k, v in mapping.items()}
    best: UserRole | None = None
    for group in groups:
        name = group.lower()
        short = name.split(",", 1)[0].removeprefix("cn=")
        role_text = wanted.get(name) or wanted.get(short)
        if role_text is None:
            continue
        role = UserRole(role_text)
        if best is None or RANK[role] > RANK[best]:
            best = role
    return best


def directory_login(
    directory: Directory, username: str, password: str
) -> UserRole | None:
    """The role of a directory user whose password is right, else None."""
    import ldap3
    from ldap3.core.exceptions import LDAPException
    from ldap3.utils.conv import escape_filter_chars

    if not username.strip() or not password:
        return None  # an empty password would be an anonymous bind: never
    # No schema download: AD's memberOf is unknown to an OpenLDAP schema and the
    # other way round; the server simply leaves out what it does not have.
    server = ldap3.Server(directory.url, connect_timeout=5, get_info=ldap3.NONE)
    try:
        service = ldap3.Connection(
            server, directory.bind_dn, directory.bind_password, receive_timeout=10
        )
        if directory.starttls:
            service.open()
            service.start_tls()
        if not service.bind():
            return None
        search = directory.user_filter.replace(
            "{benutzer}", escape_filter_chars(username.strip())
        )
        service.search(directory.base_dn, search, attributes=["memberOf"])
        found = [r for r in service.response or [] if r.get("type") == "searchResEntry"]
        if len(found) != 1:
            return None
        user_dn = str(found[0]["dn"])
        groups = [str(g) for g in found[0].get("attributes", {}).get("memberOf", [])]
        service.search(
            directory.base_dn,
            f"(|(member={escape_filter_chars(user_dn)})"
            f"(uniqueMember={escape_filter_chars(user_dn)}))",
            attributes=["cn"],
        )
        groups += [
            str(r["dn"])
            for r in service.response or []
            if r.get("type") == "searchResEntry"
        ]
        service.unbind()
        person = ldap3.Connection(server, user_dn, password, receive_timeout=10)
        if directory.starttls:
            person.open()
            person.start_tls()
        if not person.bind():
            return None
        person.unbind()
    except LDAPException:
        return None
    return _role_for(groups, directory.groups)
