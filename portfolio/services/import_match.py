"""Find the stored rows an imported record means: programmes, funders, contacts.

People name a programme the way they speak: the full name, the short name, the
abbreviation in brackets (``KAoA``), a distinctive word (``Lebenswelten``). The
``ProgrammeIndex`` accepts a name when exactly one programme fits and otherwise
offers the closest names ("meinten Sie …?", difflib). Everything is loaded once per
import, so matching costs no query per row; programmes and funders created earlier in
the same import are added to the indexes so that they are never created twice.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter, defaultdict

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from portfolio.domain.models import Award, Contact, Funder, Programme

UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
SALUTATION_RE = re.compile(r"^(frau|herr|hr|fr|dr|prof)\b\.?\s*", re.IGNORECASE)
BRACKET_RE = re.compile(r"\(([^()]{2,20})\)")
NOT_ALNUM_RE = re.compile(r"[^a-z0-9]+")
MAX_COMPARED = 40  # names compared per suggestion: keeps big lists fast
STOP_WORDS = {
    "und",
    "der",
    "die",
    "das",
    "fuer",
    "von",
    "mit",
    "im",
    "in",
    "des",
    "den",
    "dem",
    "zur",
    "zum",
    "the",
    "and",
    "for",
    "of",
    "programm",
    "projekt",
    "phase",
    "kreis",
    "stadt",
    "nrw",
}


def fold(text: str | None) -> str:
    """Fold a name for comparison: case, umlauts, punctuation and spaces."""
    if not text:
        return ""
    value = text.casefold().translate(UMLAUTS)
    # Runs of other characters become one blank, so only the ends need trimming.
    folded = NOT_ALNUM_RE.sub(" ", value).strip()
    # A name of only symbols ("{", "–") still has to find itself again.
    return folded or " ".join(value.split())


def slugify(text: str) -> str:
    """A programme key from a name: ``Kein Abschluss ohne Anschluss`` → ``kein-…``."""
    slug = "-".join(NOT_ALNUM_RE.sub(" ", fold(text)).split())[:60].strip("-")
    return slug or "programm"


def person_key(name: str | None) -> str:
    """A person's name without salutation (``Frau Albers`` → ``albers``)."""
    value = (name or "").strip()
    while True:
        stripped = SALUTATION_RE.sub("", value)
        if stripped == value:
            break
        value = stripped
    return fold(value)


class ProgrammeIndex:
    """Every programme by key, name, short name, bracket abbreviation and word.

    Lookups by free text are cached per text (deadline lists repeat names), and the
    word index narrows every search, so matching stays cheap with many programmes.
    """

    def __init__(self, session: Session) -> None:
        """Load all programmes once."""
        self.by_id: dict[int, Programme] = {}
        self.by_key: dict[str, Programme] = {}
        self.names: dict[str, list[Programme]] = defaultdict(list)
        self.words: dict[str, list[Programme]] = defaultdict(list)
        self.folded: dict[int, str] = {}
        self.labels: dict[str, str] = {}
        self.cache: dict[str, tuple[Programme | None, list[str]]] = {}
        query = sa.select(Programme).options(
            selectinload(Programme.phases),
            selectinload(Programme.fundings),
            selectinload(Programme.awards).selectinload(Award.budget_lines),
        )
        for programme in session.scalars(query):
            self.add(programme)

    def add(self, programme: Programme) -> None:
        """Index a programme (also one created during this import)."""
        self.cache.clear()
        if programme.id is not None:
            self.by_id[programme.id] = programme
        self.by_key[programme.key] = programme
        self.folded[id(programme)] = fold(programme.name)
        names = {fold(programme.name), fold(programme.short_name), fold(programme.key)}
        names |= {fold(m) for m in BRACKET_RE.findall(programme.name or "")}
        for name in names - {""}:
            if programme not in self.names[name]:
                self.names[name].append(programme)
        for label in (programme.name, programme.short_name):
            if label:
                self.labels[fold(label)] = label
        for word in set(fold(f"{programme.name} {programme.short_name or ''}").split()):
            if len(word) >= 4 and word not in STOP_WORDS:
                self.words[word].append(programme)

    def all(self) -> list[Programme]:
        """Every known programme."""
        return list(self.by_key.values())

    def exact(self, name: str) -> Programme | None:
        """The programme whose name, short name or key is exactly this (folded)."""
        found = self.names.get(fold(name), [])
        return found[0] if len(found) == 1 else None

    def find(self, text: str) -> tuple[Programme | None, list[str]]:
        """Match a name as people write it; else return suggestions."""
        if text not in self.cache:
            self.cache[text] = self._find(text)
        return self.cache[text]

    def _find(self, text: str) -> tuple[Programme | None, list[str]]:
        query = fold(text)
        candidates = self.names.get(query, [])
        if len(candidates) == 1:
            return candidates[0], []
        for inner in BRACKET_RE.findall(text):
            found = self.names.get(fold(inner), [])
            if len(found) == 1:
                return found[0], []
        plain = fold(BRACKET_RE.sub(" ", text))
        if plain and len(found := self.names.get(plain, [])) == 1:
            return found[0], []
        hit = self._by_words(plain or query)
        if hit is not None:
            return hit, []
        return None, self.suggest(text)

    def _distinctive(self, query: str) -> list[str]:
        return [w for w in query.split() if len(w) >= 4 and w not in STOP_WORDS]

    def _by_words(self, query: str) -> Programme | None:
        """One programme whose name contains the phrase or all distinctive words."""
        words = self._distinctive(query)
        if not words:
            return None
        pools = [self.words.get(word, []) for word in words]
        smallest = min(pools, key=len)
        phrase = [p for p in smallest if f" {query} " in f" {self.folded[id(p)]} "]
        if len(phrase) == 1:
            return phrase[0]
        common = [p for p in smallest if all(p in pool for pool in pools)]
        return common[0] if len(common) == 1 else None

    def suggest(self, text: str, limit: int = 3) -> list[str]:
        """The closest programme names ("meinten Sie …?")."""
        query = fold(text)
        labels = self.labels
        if len(labels) > MAX_COMPARED:
            # Compare only the names sharing most words (or the first letters).
            shared: Counter[str] = Counter()
            for word in self._distinctive(query):
                pool = self.words.get(word, [])
                shared.update(self.folded[id(p)] for p in pool[: MAX_COMPARED * 10])
            near = [k for k, _ in shared.most_common(MAX_COMPARED)]
            near += [k for k in labels if k[:4] == query[:4]][:MAX_COMPARED]
            labels = {k: labels[k] for k in near if k in labels}
        close = difflib.get_close_matches(query, list(labels), n=limit, cutoff=0.6)
        return [labels[c] for c in close]

    def unique_key(self, name: str) -> str:
        """A new, unused programme key for a name."""
        base = slugify(name)
        key, number = base, 2
        while key in self.by_key:
            key, number = f"{base}-{number}", number + 1
        return key


class FunderIndex:
    """Every funder by short name and name (folded)."""

    def __init__(self, session: Session) -> None:
        """Load all funders once."""
        self.names: dict[str, Funder] = {}
        self.short_names: set[str] = set()
        for funder in session.scalars(sa.select(Funder)):
            self.add(funder)

    def add(self, funder: Funder) -> None:
        """Index a funder (also one created during this import)."""
        self.short_names.add(funder.short_name.casefold())
        for name in (funder.short_name, funder.name):
            self.names.setdefault(fold(name), funder)

    def find(self, name: str) -> Funder | None:
        """The funder of this name or short name."""
        return self.names.get(fold(name))


class ContactIndex:
    """Every contact by e-mail and by name without salutation."""

    def __init__(self, session: Session) -> None:
        """Load all contacts once."""
        self.by_email: dict[str, Contact] = {}
        self.by_id: dict[int, Contact] = {}
        self.by_name: dict[str, list[Contact]] = defaultdict(list)
        for contact in session.scalars(sa.select(Contact)):
            self.add(contact)

    def add(self, contact: Contact) -> None:
        """Index a contact (also one created during this import)."""
        self.by_email[contact.email.casefold()] = contact
        if contact.id is not None:
            self.by_id[contact.id] = contact
        key = person_key(contact.name)
        if key and contact not in self.by_name[key]:
            self.by_name[key].append(contact)

    def find(self, name: str | None, email: str | None) -> Contact | None:
        """The contact with this e-mail, else the only one with this name."""
        if email and (found := self.by_email.get(email.casefold())):
            return found
        matches = self.by_name.get(person_key(name), []) if name else []
        return matches[0] if len(matches) == 1 else None
