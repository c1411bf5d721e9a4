"""People in an article: names, their fullest forms, genders, and where they are mentioned.

Pure and rule-based (no model), in two views of the same knowledge (``lexicon`` holds the words):

- ``collect_people`` (the quotes' speakers, by paragraph): capitalised token runs are candidate
  names; a run counts as a person when it carries a personal title ("Mr", "Sen."), starts with a
  common first name, or is the explicit subject of a verb of saying. Surnames and titled surnames
  ("Mr Brown") expand to the fullest same-surname name in the article ("Gordon Brown"). Pronouns
  resolve to the most recent compatible person mentioned outside quotation marks.
- ``sentence_mentions`` (the summary's pronoun naming, by sentence): full names marked as people
  by a title, an age, "said" or the surname used alone elsewhere, and the later surname-only
  mentions of them. It reads names differently (no title stripping, at most four words), and the
  summaries were fitted to it: one finder for both would change the summaries or the speakers.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from digests.condensing.lexicon import (
    DEMONYMS,
    DESCRIPTORS,
    FEMALE_FIRST,
    FEMALE_TITLES,
    INSTITUTION_WORDS,
    JOB_WORDS,
    MALE_FIRST,
    MALE_TITLES,
    NON_NAME_CAPS,
    NOT_NAME_STARTS,
    ORG_WORDS,
    PEOPLE_PLURALS,
    PERSON_NOUNS,
    PLACES,
    ROLE_NOUNS,
    SAY_VERBS,
    STATE_LIKE_TITLES,
    TITLE_CASED_SMALL_WORDS,
    TITLES,
    trie_pattern,
)
from digests.condensing.sentences import sentence_index, sentence_starts

# "Cmdr." and the other four-letter title abbreviations belong to the name that follows them
_LONG_TITLE_ABBREVIATIONS = r"(?:Capt|Cmdr|Brig|Supt|Insp|Cllr|Prof|Msgr)\."
NAME_PART = (
    rf"(?:[A-Z]\.(?:[A-Z]\.)+|{_LONG_TITLE_ABBREVIATIONS}|[A-Z][a-z]{{0,2}}\.|[A-Z][\w’'\-]*[\w])"
)
_CONNECT = r"(?:(?:de|da|di|del|van|von|der|den|la|le|bin|al|el|dos)\s+)"
# (every name part starts with a capital letter; the lookahead says so up front, and the regex
# engine passes over other characters at once instead of trying each alternative of the part
# at every one: a run search over an article's paragraphs takes a third less time)
NAME_RUN = re.compile(rf"(?=[A-Z]){NAME_PART}(?:\s+{_CONNECT}?{NAME_PART})*")
_TOKEN = re.compile(r"\S+")
_CAPITAL = re.compile(r"[A-Z]")


def name_runs(para: str) -> Iterator[tuple[int, str]]:
    """The start and text of each ``NAME_RUN`` in ``para``, as ``NAME_RUN.finditer`` finds them.

    A run starts with a capital letter, so only capitals are tried: a search for one alone
    passes over the text in between with a test of each character, where ``finditer`` enters
    the whole pattern at every character (the scan takes a tenth fewer instructions)."""
    pos = 0
    while (capital := _CAPITAL.search(para, pos)) is not None:
        m = NAME_RUN.match(para, capital.start())
        if m is None:
            pos = capital.start() + 1
            continue
        yield m.start(), m.group(0)
        pos = m.end()


_HEADLINE_WORDS = 25


def is_headline(para: str) -> bool:
    """A short line in title case ("17 Of The Most Powerful Things Latinos Said In 2015"):
    its capitals do not mark names ("Powerful Things Latinos", "Mom Corners Obama")."""
    words = para.split()
    if not 4 <= len(words) <= _HEADLINE_WORDS:
        return False
    small = sum(1 for w in words[1:] if w.strip("()“”\"'‘’.,:;!?") in TITLE_CASED_SMALL_WORDS)
    lower = sum(1 for w in words if w[:1].islower())
    return small >= 2 and lower == 0


def _headline_name(name: Name) -> bool:
    """A name a title-case headline gives plainly: a known first name and a surname ("Cecile
    Richards"), not "Powerful Things Latinos" nor "Hillary Clinton Slams Donald Trump"."""
    return len(name.tokens) == 2 and first_name_gender(name) is not None


def _norm(token: str) -> str:
    return token.rstrip(".").lower()


@dataclass(frozen=True, slots=True)
class Name:
    """A cleaned name: ``tokens`` without titles, plus what the titles said about gender."""

    tokens: tuple[str, ...]
    gender: str | None
    titled: bool
    last: str  # the surname, lower case, without a final dot (the people index's key)

    @property
    def text(self) -> str:
        return " ".join(self.tokens)


_TAIL_DROP = TITLES | DESCRIPTORS | NON_NAME_CAPS
_INNER_TITLES = TITLES | MALE_TITLES | FEMALE_TITLES | DESCRIPTORS
_LEAD_DROP = _INNER_TITLES | NON_NAME_CAPS
_FIRST_NAMES = MALE_FIRST | FEMALE_FIRST


@lru_cache(maxsize=1 << 13)
def clean_name(raw: str) -> Name | None:
    """Strip titles, sentence-start words and possessives: "But Mr. Loach's" -> "Loach" (male)."""
    words = raw.split()
    if len(words) == 1:
        return _clean_word(words[0])
    gender: str | None = None
    titled = False
    for i in range(len(words) - 2, 0, -1):
        # a title inside the run: "Army Capt. Christian Pardo", "FBI Director James B. Comey"
        if words[i].rstrip(".").lower() in _INNER_TITLES:
            words = words[i:]
            break
    while words:
        w = words[0].rstrip(".").lower()
        if w in _LEAD_DROP and is_place(" ".join(words)):
            return None  # "New York", "South Carolina": a place, not a man called York
        if words[0].endswith(".") and words[0][:-1] in STATE_LIKE_TITLES and len(words) > 1:
            titled = True  # "Del. Stacey Plaskett"
            words.pop(0)
            continue
        if w not in _LEAD_DROP:
            break
        if w in MALE_TITLES:
            gender, titled = "m", True
        elif w in FEMALE_TITLES:
            gender, titled = "f", True
        elif w in TITLES:
            titled = True
        words.pop(0)
    while words and words[-1].rstrip(".").lower() in _TAIL_DROP:
        if len(words) == 2 and words[0].lower() in _FIRST_NAMES:
            break  # "Amy Pope", "Tom Speaker": a surname that is also a title
        if names_body(words):
            return None  # "White House", "Ohio State": a body, not a person called White
        words.pop()
    if not words:
        return None
    last = _without_possessive(words[-1])
    if not last or not last[0].isupper():
        return None
    words[-1] = last
    return Name(tuple(words), gender, titled, last.rstrip(".").lower())


_APOSTROPHES = frozenset("'’")


def _clean_word(word: str) -> Name | None:
    """``clean_name`` of a one-word run: no title, not a sentence word, possessive stripped."""
    low = word.rstrip(".").lower()
    if low in _LEAD_DROP or low in _TAIL_DROP:
        return None
    last = _without_possessive(word)
    if not last or not last[0].isupper():
        return None
    return Name((last,), None, False, last.rstrip(".").lower())


def _without_possessive(word: str) -> str:
    """ "Loach's" / "Jones'" -> "Loach" / "Jones"."""
    if word[-1:] in _APOSTROPHES:
        return word[:-1]
    if word[-1:] == "s" and word[-2:-1] in _APOSTROPHES:
        return word[:-2]
    return word


def first_name_gender(name: Name) -> str | None:
    if len(name.tokens) < 2:
        return None
    first = name.tokens[0].lower()
    if first in MALE_FIRST:
        return "m"
    if first in FEMALE_FIRST:
        return "f"
    return None


@dataclass(frozen=True, slots=True)
class Mention:
    """A person mentioned at ``pos`` = (paragraph index, character offset)."""

    pos: tuple[int, int]
    key: str  # the person's canonical (fullest) name
    subject: bool = False  # first person named in its sentence (a likely subject)
    sentence: tuple[int, int] = (-1, -1)  # (paragraph index, sentence index)
    possessive: bool = False  # "Parise's penchant": the name qualifies a noun


@dataclass(frozen=True, slots=True)
class RecentMention:
    """The person a pronoun likely refers to (``key``) and where they were last mentioned."""

    key: str
    pos: tuple[int, int]


@dataclass(slots=True)
class People:
    """The people of one article (built per call by :func:`collect_people`; not shared)."""

    full: dict[str, str] = field(default_factory=dict)  # last name -> fullest name
    gender: dict[str, str] = field(default_factory=dict)  # fullest name -> "m" | "f"
    mentions: list[Mention] = field(default_factory=list)  # in article order

    def canonical(self, name: Name) -> str:
        """The fullest form of ``name`` in the article (surname-only expands)."""
        best = self.full.get(name.last)
        if best is None:
            return name.text
        if len(name.tokens) > 1 and name.tokens[0] not in best.split():
            # a different first name with the same surname: keep it as given
            return name.text
        return best

    def add_person(self, name: Name) -> None:
        key = name.last
        current = self.full.get(key)
        if current is None or len(name.tokens) > len(current.split()):
            if current is not None and current in self.gender and len(name.tokens) > 1:
                self.gender.setdefault(name.text, self.gender[current])
            self.full[key] = name.text
        canon = self.full[key]
        g = name.gender or first_name_gender(name)
        if g and canon not in self.gender:
            self.gender[canon] = g

    def knows(self, name: Name) -> bool:
        return name.last in self.full

    def mentions_between(self, since: tuple[int, int], pos: tuple[int, int]) -> list[Mention]:
        """The mentions at ``since`` or after and before ``pos`` (found by bisection: the
        mentions are in article order)."""
        first = bisect.bisect_left(self.mentions, since, key=_position)
        end = bisect.bisect_left(self.mentions, pos, key=_position)
        return self.mentions[first:end]

    def recent_mention(self, pos: tuple[int, int], gender: str | None) -> RecentMention | None:
        """The most recent likely subject before ``pos`` whose gender fits (else any mention),
        with where that person was last mentioned before ``pos``."""
        mentions = self.mentions
        last_seen: dict[str, tuple[int, int]] = {}
        fallback: str | None = None
        before = bisect.bisect_left(mentions, pos, key=_position)
        for i in range(before - 1, -1, -1):
            m = mentions[i]
            if m.pos[0] < pos[0] - _LOOKBACK_PARAGRAPHS:
                break
            last_seen.setdefault(m.key, m.pos)
            g = self.gender.get(m.key)
            if gender is not None and (
                (g is not None and g != gender) or m.key.lower() in PEOPLE_PLURALS
            ):
                continue  # "she" is not "Sources" ("Sources told POLITICO")
            if m.subject:
                return RecentMention(m.key, last_seen[m.key])
            if fallback is None:
                fallback = m.key
        return RecentMention(fallback, last_seen[fallback]) if fallback is not None else None


def _position(mention: Mention) -> tuple[int, int]:
    return mention.pos


_MAX_NAME_PARTS = 5
_LOOKBACK_PARAGRAPHS = 12  # pronouns do not reach further back than this


def split_run(start: int, run: str) -> Iterable[tuple[int, int, str]]:
    """Split a capitalised run at sentence words and possessives ("China's Central Asian")."""
    if " " not in run:
        if run.rstrip(".").lower() not in NON_NAME_CAPS:
            yield start, start + len(run), run
        return
    pieces: list[tuple[int, int]] = []
    piece_start = -1
    for tm in _TOKEN.finditer(run):
        token = tm.group(0)
        low = _norm(token)
        if low in NON_NAME_CAPS and piece_start >= 0:
            pieces.append((piece_start, tm.start()))
            piece_start = -1
            continue
        if piece_start < 0:
            piece_start = tm.start()
        if token.endswith(("'s", "’s")):
            pieces.append((piece_start, tm.end()))
            piece_start = -1
    if piece_start >= 0:
        pieces.append((piece_start, len(run)))
    for a, b in pieces:
        text = run[a:b].rstrip()
        if len(text.split()) > _MAX_NAME_PARTS:
            a, text = _from_last_title(a, text)
        if text and len(text.split()) <= _MAX_NAME_PARTS:
            yield start + a, start + a + len(text), text


def _from_last_title(start: int, text: str) -> tuple[int, str]:
    """A run too long for a name, from its last title or role word on, when a name follows it
    ("Indiana State Teachers Association President Keith Gambill" -> "President Keith
    Gambill"); else nothing."""
    tokens = list(_TOKEN.finditer(text))
    for k in range(len(tokens) - 2, -1, -1):
        if _norm(tokens[k].group(0)) in _ROLE_WORDS:
            offset = tokens[k].start()
            return start + offset, text[offset:]
    return start, ""


_ROLE_WORDS = (
    TITLES
    | MALE_TITLES
    | FEMALE_TITLES
    | ROLE_NOUNS
    | frozenset(w for w in PERSON_NOUNS if w not in DESCRIPTORS)
)
# a name word: an initial, or a capital and letters in lower case, save a capital after an
# apostrophe, a hyphen or a prefix ("O'Brien", "Hau-yip", "LeBron", "McDonald", "José")
_PERSON_TOKEN = re.compile(
    r"[A-Z]\.|[A-ZÀ-Þ](?:[a-zß-ÿ]+[A-ZÀ-Þ]?)*[a-zß-ÿ]*(?:['’][A-Z]?[a-zß-ÿ]+)?(?:-[A-Za-zÀ-ÿ][a-zß-ÿ'’]+)*"
)


def could_be_person(name: Name) -> bool:
    """Two to four name-shaped tokens, none of them an organisation word ("Aseem Prakash",
    not "Kotak Bank" nor "US Department")."""
    return _could_be_person(name)


def names_body(words: Sequence[str]) -> bool:
    """Words that name a body: two or more, the last an organisation word ("White House",
    "Australian Rugby Union")."""
    return len(words) > 1 and words[-1].lower() in ORG_WORDS


def could_be_surname(word: str) -> bool:
    """One name-shaped word that is not an organisation word, a first name or a group of
    people ("Maddow", not "FBI", "Mike" or "Democrats")."""
    return (
        _PERSON_TOKEN.fullmatch(word) is not None
        and len(word) > 2
        and _norm(word) not in ORG_WORDS
        and _norm(word) not in NON_NAME_CAPS
        and _norm(word) not in _FIRST_NAMES
        and _norm(word) not in PEOPLE_PLURALS
    )


def _could_be_person(name: Name) -> bool:
    return (
        1 < len(name.tokens) <= 4
        and all(_PERSON_TOKEN.fullmatch(t) for t in name.tokens)
        and name.last not in ORG_WORDS
        and not any(_norm(t) in ORG_WORDS for t in name.tokens)
    )


def is_place(text: str) -> bool:
    """A country, a region, a US state or a large city ("Germany", "South Carolina"), or its
    people ("Uighurs", "Scottish")."""
    low = text.lower()
    return low in PLACES or low in DEMONYMS


def without_fused_prefix(name: Name) -> Name:
    """``name`` without words fused before it: "Ukraine Kurt Volker" -> "Kurt Volker",
    "Britain Liu Xiaming" -> "Liu Xiaming" (a place, an office or a heading run into the
    name), when the name does not open with a first name itself ("Mary Jane Smith" stays)."""
    tokens = name.tokens
    for k in (2, 1):
        if len(tokens) >= k + 2 and is_place(" ".join(tokens[:k])):
            return Name(tokens[k:], name.gender, name.titled, name.last)
    if len(tokens) < 3 or tokens[0].lower() in _FIRST_NAMES:
        return name
    for i in range(1, len(tokens) - 1):
        if tokens[i].lower() in _FIRST_NAMES:
            return Name(tokens[i:], name.gender, name.titled, name.last)
    return name


@dataclass(frozen=True, slots=True)
class _NamePiece:
    """A piece of a capitalised run that cleans to a name, at ``run[start:end]``."""

    start: int
    end: int
    raw: str
    name: Name
    evident: bool  # the name alone marks a person (a title or a known first name)


@lru_cache(maxsize=1 << 13)
def name_pieces(run: str) -> tuple[_NamePiece, ...]:
    """The name pieces of one capitalised run (sentence words dropped, possessives split).

    Cached, as ``clean_name`` (bounded; both are pure): the same runs recur ("He", "The",
    surnames) within and across articles, and without the caches the quotes take 1.6 times
    as long (``benchmarks/condense_speed.py``)."""
    out: list[_NamePiece] = []
    # one word, half the runs, is its own only piece: ``split_run`` would yield it whole unless
    # it is a sentence word, which ``clean_name`` drops as well
    pieces = ((0, len(run), run),) if " " not in run else split_run(0, run)
    for start, end, raw in pieces:
        name = clean_name(raw)
        if name is not None:
            evident = name.titled or first_name_gender(name) is not None
            out.append(_NamePiece(start, end, raw, name, evident))
    return tuple(out)


def collect_people(
    paras: list[str],
    blocked: list[list[tuple[int, int]]],
    speakers: Iterable[str],
    starts_of: dict[int, list[int]] | None = None,
) -> People:
    """Find people: titled names, first-name-led names, explicit speakers' names, and full
    names whose surname is used alone elsewhere (journalists' second reference).

    ``starts_of`` may hold paragraphs' ``sentence_starts`` already computed (it is filled in)."""
    people = People()
    for raw in speakers:
        name = clean_name(raw)
        if name is not None:
            people.add_person(name)
    runs: list[tuple[int, int, int, Name]] = []
    alone: set[str] = set()
    # names already added: adding one again changes nothing (``People.add_person`` only ever
    # keeps a fuller name and a first gender), so it is skipped
    added: set[str] = set()  # as written
    added_names: set[Name] = set()  # as cleaned
    for pi, para in enumerate(paras):
        headline = is_headline(para)
        for base, run in name_runs(para):
            for piece in name_pieces(run):
                start, end = base + piece.start, base + piece.end
                name = piece.name
                if headline and not _headline_name(name):
                    continue
                runs.append((pi, start, end, name))
                if len(name.tokens) == 1:
                    alone.add(name.last)
                surname_only = len(name.tokens) == 1 and name.gender is None
                if piece.raw in added or (surname_only and name.last in people.full):
                    continue  # adding it would change nothing (see ``People.add_person``)
                if (
                    piece.evident
                    or _SPEAKS_AFTER.match(para, end)
                    or _said_before(para, start)
                    or (_could_be_person(name) and _role_before(para, start))
                ):
                    people.add_person(name)
                    added.add(piece.raw)
                    added_names.add(name)
    for _, _, _, name in runs:
        if len(name.tokens) < 2 or name in added_names:
            continue
        if people.knows(name) or (name.last in alone and _could_be_person(name)):
            people.add_person(name)
            added_names.add(name)
    _add_mentions(people, paras, blocked, runs, {} if starts_of is None else starts_of)
    return people


def _add_mentions(
    people: People,
    paras: list[str],
    blocked: list[list[tuple[int, int]]],
    runs: list[tuple[int, int, int, Name]],
    starts_of: dict[int, list[int]],
) -> None:
    """List the mentions of known people outside quotations, marking likely subjects."""
    mentions = people.mentions
    gender = people.gender
    last_sentence: tuple[int, int] = (-1, -1)
    for pi, start, end, name in runs:
        if not people.knows(name) or (blocked[pi] and _inside(blocked[pi], start)):
            continue
        starts = starts_of.get(pi)
        if starts is None:
            starts = starts_of[pi] = sentence_starts(paras[pi])
        sent_i = sentence_index(starts, start)
        sent = (pi, sent_i)
        key = people.canonical(name)
        if sent != last_sentence and _MODIFIER.match(paras[pi], end):
            # "Obama consultant Cornell Belcher": the first name only qualifies the second
            mentions.append(Mention((pi, start), key, False, sent, _is_possessive(paras[pi], end)))
            continue
        # "the Clinton campaign": a name after "the" qualifies a noun; it is not the subject
        attributive = paras[pi][max(0, start - 4) : start].lower() == "the "
        subject = (
            sent != last_sentence
            and not attributive
            and not _NOT_SUBJECT.search(paras[pi], starts[sent_i], start)
        ) or (
            paras[pi][end : end + 1] in {",", "."}
            and bool(_SPEAKER_AFTER_VERB.search(paras[pi], max(0, start - 10), start))
        )
        mentions.append(Mention((pi, start), key, subject, sent, _is_possessive(paras[pi], end)))
        last_sentence = sent
        if name.gender and key not in gender:
            gender[key] = name.gender
    _learn_genders(paras, blocked, people)


def _is_possessive(para: str, end: int) -> bool:
    """The name ending at ``end`` is written as a possessive ("Parise's")."""
    return para.endswith(("'s", "’s"), 0, end) or para.startswith(("'s", "’s"), end)


# a name after a pronoun or a verb of saying in its sentence is not the sentence's subject
_NOT_SUBJECT = re.compile(r"\b(?:he|she|they|said|says|told|added)\b", re.IGNORECASE)
# evidence that a capitalised run is a person (or a speaking body): "Smithy, 33,", "Frazier said"
_MODIFIER = re.compile(
    r"(?:['’]s)?(?:\s+[a-z][\w-]*){0,3}\s+(?:"
    + trie_pattern(PERSON_NOUNS | DESCRIPTORS | ROLE_NOUNS)
    + r")\s+[A-Z]"
)
_SPEAKS_AFTER = re.compile(
    r"\s*,\s*\d{1,3}\s*,|\s+(?:\w+ly\s+|also\s+|has\s+|had\s+)?(?:said|says|told|tells|added|"
    r"adds|wrote|writes|explained|argued|noted|insisted|recalled|tweeted|stated|asked|continued)\b"
)
# "…, said Sunshine, who…": the name after an inverted verb of saying is that verb's subject
_SPEAKER_AFTER_VERB = re.compile(r"\b(?:said|says|added|adds|wrote|writes)\s+$")
_SAID_BEFORE = re.compile(r"\b(?:said|says|added|asked|wrote|continued)\s+$")


# "the novelist Jo Walton", "said Irish economist Ann Byrne": a person noun right before a name
_ROLE_BEFORE = re.compile(r"\b(?:" + trie_pattern(PERSON_NOUNS | ROLE_NOUNS) + r")\s+$")


def _role_before(para: str, start: int) -> bool:
    """A lower-case person noun right before ``start`` ("the novelist Jo Walton")."""
    return _ROLE_BEFORE.search(para, max(0, start - 25), start) is not None


def _said_before(para: str, start: int) -> bool:
    """A verb of saying just before ``start`` ("…," said Smith), within 12 characters."""
    return _SAID_BEFORE.search(para, max(0, start - 12), start) is not None


#: a pronoun crediting a statement: '…,” she said', '“…,” he told reporters'
_CREDIT_PRONOUN = re.compile(
    r"(?<=[,”\"] )(he|she)\s+(?:[a-z]+ly\s+)?(?:" + trie_pattern(SAY_VERBS) + r")\b"
)
_HE = re.compile(r"\b(?:he|himself)\b", re.IGNORECASE)
_SHE = re.compile(r"\b(?:she|herself)\b", re.IGNORECASE)


def _learn_genders(paras: list[str], blocked: list[list[tuple[int, int]]], people: People) -> None:
    """Vote a person's gender from pronouns in paragraphs mentioning only that person."""
    by_para: dict[int, set[str]] = {}
    for m in people.mentions:
        by_para.setdefault(m.pos[0], set()).add(m.key)
    votes: dict[str, list[int]] = {}
    for pi, keys in by_para.items():
        if len(keys) != 1:
            continue
        (key,) = keys
        cell = votes.setdefault(key, [0, 0])
        # pronouns inside quotations talk about other people
        para = paras[pi]
        pieces: list[str] = []
        last = 0
        for a, b in blocked[pi]:
            pieces.append(para[last:a])
            last = max(last, b)
        pieces.append(para[last:])
        text = "".join(pieces)
        # (a credit only where the paragraph quotes someone)
        credits = _CREDIT_PRONOUN.findall(text) if blocked[pi] else []
        if credits:
            # '“…,” she said' is who speaks, most likely the one person named; other pronouns
            # may be about whom she speaks of ('the author knows what he is doing')
            cell[0] += credits.count("he")
            cell[1] += credits.count("she")
        else:
            cell[0] += len(_HE.findall(text))
            cell[1] += len(_SHE.findall(text))
    _vote_opening_pronouns(paras, by_para, votes)
    for key, (he, she) in votes.items():
        if key in people.gender:
            continue
        if he > 2 * she:
            people.gender[key] = "m"
        elif she > 2 * he:
            people.gender[key] = "f"


_OPENING_PRONOUN = re.compile(r"(?:He|She)\b")


def _vote_opening_pronouns(
    paras: list[str], by_para: dict[int, set[str]], votes: dict[str, list[int]]
) -> None:
    """A paragraph naming nobody that opens with "He" or "She" goes on about the one person
    the paragraph before names ('Taylor Swift posted … ¶ She claimed …'): a vote for them."""
    for pi, keys in by_para.items():
        if len(keys) != 1 or pi + 1 >= len(paras) or pi + 1 in by_para:
            continue
        m = _OPENING_PRONOUN.match(paras[pi + 1])
        if m is not None:
            (key,) = keys
            votes.setdefault(key, [0, 0])[m.group(0) == "She"] += 1


def _inside(spans: list[tuple[int, int]], pos: int) -> bool:
    """``pos`` inside one of the sorted, disjoint ``spans``."""
    k = bisect.bisect_right(spans, (pos, 1 << 62)) - 1
    return k >= 0 and spans[k][0] <= pos < spans[k][1]


# --- the summary's view: names by sentence ---------------------------------------------------


@dataclass(frozen=True, slots=True, order=True)
class SentenceMention:
    """A person mentioned in sentence ``sentence`` at character ``offset``, by full name."""

    sentence: int
    offset: int
    name: str


# Two to four capitalised words (or initials, or "de", "van"...): a possible full name.
_SENTENCE_NAME = re.compile(
    r"(\b[A-Z](?:[a-z]+(?:[-'’][A-Z]?[a-z]+)?|\.)"
    r"(?:\s+(?:[A-Z][a-z]+(?:[-'’][A-Z]?[a-z]+)?|[A-Z]\.|de|van|von|da|bin|al)){1,3})"
)

# What follows a person's name: "said", an apposition (", a former professor"), ", who".
_PERSON_AFTER = re.compile(r",?\s+(?:said|says|told|added)\b|,\s+(?:a|an|the|who|whose)\s")

_TITLE_BEFORE = re.compile(r"(?:Mr|Mrs|Ms|Dr|Sir|Dame|Lord|Lady|Prof|Rev)\.?\s+$")
_AGE_AFTER = re.compile(r",\s*\d{1,3}\b")
_POSSESSIVE_S = re.compile(r"['’]s$")


def _used_alone(text: str, surname: str, name: str) -> bool:
    """True when the surname is a whole word of the text more often than the full name is."""
    return _whole_word_count(text, surname) > text.count(name)


def _whole_word_count(text: str, word: str) -> int:
    """How often ``word`` (a name: it begins and ends with a letter) stands in ``text`` as a
    whole word, as ``len(re.findall(rf"\b{re.escape(word)}\b", text))`` counts it, without
    compiling a pattern for every name of every article."""
    count = 0
    at = text.find(word)
    while at != -1:
        end = at + len(word)
        if not _word_char_at(text, at - 1) and not _word_char_at(text, end):
            count += 1
            at = text.find(word, end)
        else:
            at = text.find(word, at + 1)
    return count


def _word_char_at(text: str, index: int) -> bool:
    """A character of a word (what ``\\w`` matches) at ``index``; False outside the text."""
    return 0 <= index < len(text) and (text[index].isalnum() or text[index] == "_")


def sentence_mentions(texts: list[str]) -> list[SentenceMention]:
    """Every likely person mentioned in the sentences ``texts``, in article order.

    Full names count when something marks them as people (a title, an age, "said", or the
    surname used alone elsewhere); later "Mr. Loach" / "Loach" mentions map to the full name.
    """
    found: list[tuple[int, str, int, str]] = []
    for index, text in enumerate(texts):
        for m in _SENTENCE_NAME.finditer(text):
            parts = _POSSESSIVE_S.sub("", m.group(1)).split()
            start = m.start()
            while len(parts) > 2 and parts[0].lower() in JOB_WORDS:
                start += len(parts[0]) + 1
                parts = parts[1:]
            if parts[0] in NOT_NAME_STARTS or parts[0].lower() in JOB_WORDS:
                continue
            if any(p in INSTITUTION_WORDS for p in parts):
                continue
            if parts[-1].endswith("."):
                continue
            found.append((index, " ".join(parts), start, text))
    text_all = " ".join(texts)
    out: list[SentenceMention] = []
    full: dict[str, str] = {}
    for index, name, start, text in found:
        surname = name.split()[-1]
        after = start + len(name)
        evidence = (
            bool(_TITLE_BEFORE.search(text[:start]))
            or bool(_AGE_AFTER.match(text, after))
            or bool(_PERSON_AFTER.match(text, after))
            or _used_alone(text_all, surname, name)
        )
        if evidence:
            out.append(SentenceMention(index, start, name))
            full.setdefault(surname, name)
    if full:
        for index, text in enumerate(texts):
            for mention in _surname_mentions(text, list(full)):
                start, surname = mention.start(), mention.group(1)
                name = full[surname]
                if not text.endswith(name, 0, start + len(surname)):  # not the full name's tail
                    out.append(SentenceMention(index, start, name))
    return sorted(out)


def _surname_mentions(text: str, surnames: list[str]) -> list[re.Match[str]]:
    """Each whole-word mention of one of ``surnames`` (group 1) not followed by a capitalised
    word (a full name's surname is followed by none; "Brown Street" is not Mr Brown)."""
    alternatives = "|".join(map(re.escape, surnames))
    return list(re.finditer(rf"\b({alternatives})\b(?![ ]+[A-Z])", text))
