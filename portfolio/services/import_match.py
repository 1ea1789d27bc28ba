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
from portfolio.services.import_names import (
    NOT_ALNUM_RE,
    STOP_WORDS,
    abbreviates,
    fold,
    person_fits,
    person_key,
)

__all__ = ["STOP_WORDS", "fold", "person_key"]

BRACKET_RE = re.compile(r"\(([^()]{2,20})\)")
MAX_COMPARED = 40  # names compared per suggestion: keeps big lists fast


def slugify(text: str) -> str:
    """A programme key from a name: ``Kein Abschluss ohne Anschluss`` → ``kein-…``."""
    slug = "-".join(NOT_ALNUM_RE.sub(" ", fold(text)).split())[:60].strip("-")
    return slug or "programm"


class ProgrammeIndex:
    """Every programme by key, name, short name, bracket abbreviation and word.

    Lookups by free text are cached per text (deadline lists repeat names), and the
    word index narrows every search, so matching stays cheap with many programmes.
    Labels and words of added programmes are indexed when first read (``words``,
    ``labels``, ``prefixes``): an overview creating 25 000 programmes never looks
    one up by a word.
    """

    def __init__(self, session: Session) -> None:
        """Load all programmes once."""
        self.by_id: dict[int, Programme] = {}
        self.by_key: dict[str, Programme] = {}
        self.names: dict[str, list[Programme]] = defaultdict(list)
        self._words: dict[str, list[Programme]] = defaultdict(list)
        self.folded: dict[int, str] = {}
        self._labels: dict[str, str] = {}
        self.stored_labels: dict[str, str] = {}
        self._prefixes: dict[str, list[str]] = defaultdict(list)
        # Added programmes whose labels and words are not indexed yet, with
        # their names as they were when added.
        self._unindexed: list[tuple[Programme, str, str | None, str, str]] = []
        self.cache: dict[str, tuple[Programme | None, list[str]]] = {}
        # Texts matched by a short form or a word, not the name: the full name.
        self.recognised: dict[str, str] = {}
        query = sa.select(Programme).options(
            selectinload(Programme.phases),
            selectinload(Programme.fundings),
            selectinload(Programme.awards).selectinload(Award.budget_lines),
            selectinload(Programme.awards).selectinload(Award.income_lines),
        )
        for programme in session.scalars(query):
            self.add(programme)
        self.stored_labels = dict(self.labels)

    def add(self, programme: Programme) -> None:
        """Index a programme (also one created during this import)."""
        self.cache.clear()
        if programme.id is not None:
            self.by_id[programme.id] = programme
        self.by_key[programme.key] = programme
        name, short_name = programme.name, programme.short_name
        folded_name, folded_short = fold(name), fold(short_name)
        self.folded[id(programme)] = folded_name
        names = {folded_name, folded_short, fold(programme.key)}
        if name and "(" in name:
            names |= {fold(m) for m in BRACKET_RE.findall(name)}
        names.discard("")
        for folded in names:
            known = self.names[folded]
            if programme not in known:
                known.append(programme)
        self._unindexed.append((programme, name, short_name, folded_name, folded_short))

    def _index_unindexed(self) -> None:
        """Index labels and words of the programmes added since, in their order."""
        labels, prefixes, words = self._labels, self._prefixes, self._words
        for programme, name, short_name, folded_name, folded_short in self._unindexed:
            for label, folded in ((name, folded_name), (short_name, folded_short)):
                if label:
                    if folded not in labels:
                        prefixes[folded[:4]].append(folded)
                    labels[folded] = label
            # The words of name and short name together; a programme this
            # import creates has no short name yet, and its name alone folds
            # alike.
            text = fold(f"{name} {short_name}") if short_name else folded_name
            for word in set(text.split()):
                if len(word) >= 4 and word not in STOP_WORDS:
                    words[word].append(programme)
        self._unindexed.clear()

    @property
    def words(self) -> dict[str, list[Programme]]:
        """Programmes by each distinctive word of their name and short name."""
        if self._unindexed:
            self._index_unindexed()
        return self._words

    @property
    def labels(self) -> dict[str, str]:
        """Names and short names as written, by their folded form."""
        if self._unindexed:
            self._index_unindexed()
        return self._labels

    @property
    def prefixes(self) -> dict[str, list[str]]:
        """Folded names and short names by their first four letters."""
        if self._unindexed:
            self._index_unindexed()
        return self._prefixes

    def all(self) -> list[Programme]:
        """Every known programme."""
        return list(self.by_key.values())

    def exact(self, name: str) -> Programme | None:
        """The programme whose name, short name or key is exactly this (folded)."""
        found = self.names.get(fold(name))
        return found[0] if found is not None and len(found) == 1 else None

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
        return self._loosely(text, plain or query)

    def _loosely(self, text: str, query: str) -> tuple[Programme | None, list[str]]:
        """By a distinctive word, else by a short form: recognised, said so."""
        hit = self._by_words(query)
        if hit is not None:
            self.recognised[text] = hit.name
            return hit, []
        fits = self._abbreviated(text)
        if len(fits) == 1:
            self.recognised[text] = fits[0].name
            return fits[0], []
        if fits:  # two fit: name both, take neither
            return None, [p.name for p in fits[:3]]
        return None, self.suggest(text)

    def _abbreviated(self, text: str) -> list[Programme]:
        """Programmes this text abbreviates (initials, contraction, a part)."""
        return [
            p
            for p in self.by_key.values()
            if abbreviates(text, p.name) or abbreviates(text, p.short_name)
        ]

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

    def suggest(self, text: str, limit: int = 3, *, stored: bool = False) -> list[str]:
        """The closest programme names ("meinten Sie …?").

        ``stored``: only programmes stored before this import (a new programme
        that resembles one of them); programmes the same import creates are not
        compared with each other, or a big overview would compare every pair.
        """
        query = fold(text)
        labels = self.stored_labels if stored else self.labels
        if not labels:
            return []
        if len(labels) > MAX_COMPARED:
            # Compare only the names sharing most words (or the first letters).
            shared: Counter[str] = Counter()
            for word in self._distinctive(query):
                pool = self.words.get(word, [])
                shared.update(self.folded[id(p)] for p in pool[: MAX_COMPARED * 10])
            near = [k for k, _ in shared.most_common(MAX_COMPARED)]
            near += self.prefixes.get(query[:4], [])[:MAX_COMPARED]
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
        self.all: list[Funder] = []
        self.recognised: dict[str, str] = {}
        self.short_forms: dict[str, list[Funder]] = {}
        for funder in session.scalars(sa.select(Funder)):
            self.add(funder)

    def add(self, funder: Funder) -> None:
        """Index a funder (also one created during this import)."""
        self.short_names.add(funder.short_name.casefold())
        self.all.append(funder)
        self.short_forms.clear()
        for name in (funder.short_name, funder.name):
            self.names.setdefault(fold(name), funder)

    def find(self, name: str) -> Funder | None:
        """The funder of this name or short name, or the one it abbreviates."""
        found = self.names.get(fold(name))
        if found is not None:
            return found
        fits = self.abbreviated(name)
        if len(fits) == 1:
            self.recognised[name] = fits[0].name
            return fits[0]
        return None

    def abbreviated(self, name: str) -> list[Funder]:
        """The stored funders this name abbreviates (``MSB`` → Ministerium …)."""
        if name not in self.short_forms:
            self.short_forms[name] = [
                f
                for f in self.all
                if abbreviates(name, f.name) or abbreviates(name, f.short_name)
            ]
        return self.short_forms[name]


class ContactIndex:
    """Every contact by e-mail and by name without salutation."""

    def __init__(self, session: Session) -> None:
        """Load all contacts once."""
        self.by_email: dict[str, Contact] = {}
        self.by_id: dict[int, Contact] = {}
        self.by_name: dict[str, list[Contact]] = defaultdict(list)
        self.recognised: dict[str, str] = {}
        self.short_forms: dict[str, list[Contact]] = {}
        for contact in session.scalars(sa.select(Contact)):
            self.add(contact)

    def add(self, contact: Contact) -> None:
        """Index a contact (also one created during this import)."""
        self.by_email[contact.email.casefold()] = contact
        self.short_forms.clear()
        if contact.id is not None:
            self.by_id[contact.id] = contact
        key = person_key(contact.name)
        if key and contact not in self.by_name[key]:
            self.by_name[key].append(contact)

    def find(self, name: str | None, email: str | None) -> Contact | None:
        """The contact with this e-mail, else the only one with this name.

        A name as the office writes it (``Albers``, ``A. Albers``) finds the one
        contact it fits.
        """
        if email and (found := self.by_email.get(email.casefold())):
            return found
        if not name:
            return None
        matches = self.by_name.get(person_key(name), [])
        if matches or email:  # an unknown address is someone new
            return matches[0] if len(matches) == 1 else None
        fits = self.abbreviated(name)
        if len(fits) == 1:
            self.recognised[name] = fits[0].name
            return fits[0]
        return None

    def abbreviated(self, name: str) -> list[Contact]:
        """The contacts a shortened name fits (several: ambiguous)."""
        if name not in self.short_forms:
            people = {id(c): c for c in self.by_email.values()}.values()
            self.short_forms[name] = [c for c in people if person_fits(name, c.name)]
        return self.short_forms[name]
