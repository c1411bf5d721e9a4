"""From an attribution as written to a speaker's name: names to their fullest form in the
article, pronouns and "the 34-year-old" to the most recent compatible person, acronyms to what
the article spells them out as, subject candidates to the first known person."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from digests.condensing.lexicon import PRONOUNS
from digests.condensing.people import People, clean_name
from digests.condensing.quotes.attribution import Attribution


@dataclass(frozen=True, slots=True)
class ResolvedSpeaker:
    """A speaker resolved from the attribution at ``pos`` (paragraph, offset)."""

    pos: tuple[int, int]
    speaker: str


@dataclass(slots=True)
class Resolver:
    """Turns attributions into speakers' names, once the article's people are known."""

    people: People
    #: "ARU" -> "Australian Rugby Union", as the article defines them (``acronyms``)
    acronyms: dict[str, str]
    #: the speakers resolved so far from a name, pronoun or description, in article order
    resolved: list[ResolvedSpeaker] = field(default_factory=list)

    def remember(self, pos: tuple[int, int], speaker: str) -> None:
        """Record that the attribution at ``pos`` named ``speaker`` (a later pronoun may
        refer to them)."""
        self.resolved.append(ResolvedSpeaker(pos, speaker))

    def name(self, raw: str) -> str | None:
        """The fullest form in the article of the name ``raw`` ("Mr Brown" -> "Gordon Brown")."""
        cleaned = clean_name(raw)
        if cleaned is None:
            return None
        return self.people.canonical(cleaned)

    def resolve(self, attr: Attribution, para: int) -> str | None:
        """The speaker ``attr`` (read in paragraph ``para``) names, by its kind."""
        pos = (para, attr.offset)
        text = attr.text.strip()
        if attr.kind in {"name", "org"} and text in self.acronyms:
            return self.acronyms[text]  # "the ARU" -> "Australian Rugby Union"
        if attr.kind == "name":
            return self.name(attr.text)
        if attr.kind == "org":
            return attr.text
        if attr.kind == "subject":
            return self._subject(attr, pos)
        if attr.kind == "pronoun":
            return self._recent(pos, PRONOUNS.get(attr.text))
        if attr.kind == "definite":
            return self._recent(pos, None) or _capitalise(attr.text)
        return _capitalise(attr.text)

    def _subject(self, attr: Attribution, pos: tuple[int, int]) -> str | None:
        """The first candidate that is a pronoun or a person the article knows; else the first
        name that does not merely open the sentence."""
        candidates = attr.subject.candidates
        for cand in candidates:
            if cand.text in PRONOUNS:
                return self._recent(pos, PRONOUNS[cand.text])
            name = clean_name(cand.text)
            if name is not None and self.people.knows(name):
                return self.people.canonical(name)
        for cand in candidates:
            if cand.opens_sentence or cand.text in PRONOUNS:
                continue
            name = clean_name(cand.text)
            if name is not None:
                return self.people.canonical(name)
        return None

    def _recent(self, pos: tuple[int, int], gender: str | None) -> str | None:
        """Most recent compatible subject: a resolved speaker or a sentence's first person."""
        found = self.people.recent_mention(pos, gender)
        mention = None if found is None else found.key
        mention_pos = None if found is None else found.pos
        for earlier in reversed(self.resolved):
            rpos, key = earlier.pos, earlier.speaker
            if rpos >= pos:
                continue
            if mention_pos is not None and rpos < mention_pos:
                break
            g = self.people.gender.get(key)
            if gender is not None and g is not None and g != gender:
                continue
            if mention_pos is None or rpos >= mention_pos:
                return key
            break
        return mention


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


_ACRONYM_PAREN = re.compile(r"\(([A-Z]{2,6})\)")
_NAME_BEFORE = re.compile(
    r"((?:[A-Z][\w'’&.-]*\s+(?:(?:of|for|and|the|on|de)\s+)?){1,6}[A-Z][\w'’-]*)\s*$"
)


def acronyms(paras: list[str]) -> dict[str, str]:
    """Acronyms the article defines: "the Australian Rugby Union (ARU)" -> {"ARU": …}."""
    found: dict[str, str] = {}
    for para in paras:
        for paren in _ACRONYM_PAREN.finditer(para):
            m = _NAME_BEFORE.search(para, max(0, paren.start() - 150), paren.start())
            if m is None:
                continue
            tokens = m.group(1).split()
            caps = [i for i, w in enumerate(tokens) if w[:1].isupper()]
            acronym = paren.group(1)
            # the acronym spells the capitalised words' initials (the last ones, if more)
            if len(caps) >= len(acronym) and all(
                tokens[i][0] == c for i, c in zip(caps[-len(acronym) :], acronym, strict=True)
            ):
                found.setdefault(acronym, " ".join(tokens[caps[-len(acronym)] :]))
    return found
