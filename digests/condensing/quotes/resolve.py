"""From an attribution as written to a speaker's name: names to their fullest form in the
article, pronouns and "the 34-year-old" to the most recent compatible person, acronyms to what
the article spells them out as, subject candidates to the first known person."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from digests.condensing.lexicon import (
    FEMALE_FIRST,
    GENERIC_NOUNS,
    MALE_FIRST,
    PEOPLE_PLURALS,
    PERSON_NOUNS,
    PRONOUNS,
    ROLE_NOUNS,
    SAY_VERBS,
    trie_pattern,
    word_set,
)
from digests.condensing.people import (
    Name,
    People,
    clean_name,
    could_be_person,
    could_be_surname,
    first_name_gender,
    is_place,
    names_body,
    without_fused_prefix,
)
from digests.condensing.quotes.attribution import Attribution, leading, verbs_in
from digests.condensing.sentences import sentence_starts


@dataclass(frozen=True, slots=True)
class ResolvedSpeaker:
    """A speaker resolved from the attribution at ``pos`` (paragraph, offset); ``sure`` when
    ``Resolver.sure`` judged the text to establish them."""

    pos: tuple[int, int]
    speaker: str
    sure: bool = False


@dataclass(slots=True)
class Resolver:
    """Turns attributions into speakers' names, once the article's people are known."""

    people: People
    #: "ARU" -> "Australian Rugby Union", as the article defines them (``acronyms``)
    acronyms: dict[str, str]
    #: the article's paragraphs (read for ``common_words``)
    paras: list[str] = field(default_factory=list)
    #: the speakers resolved so far from a name, pronoun or description, in article order
    resolved: list[ResolvedSpeaker] = field(default_factory=list)
    #: the speakers ``sure`` judged established, by the attribution's position
    _established: set[tuple[tuple[int, int], str]] = field(default_factory=set)
    #: by paragraph index: its ``sentence_starts`` (shared with the quote spans and the
    #: people, which fill it too; worked out once per article, on first use)
    starts_of: dict[int, list[int]] = field(default_factory=dict)
    _common_words: frozenset[str] | None = None
    #: by paragraph: its text with quotations blanked out, and the starts of its sentences
    _blanked: dict[int, tuple[str, list[int]]] = field(default_factory=dict)

    def common_words(self) -> frozenset[str]:
        """The words the article writes in lower case ("culture", "variety"): a capitalised
        one of them alone is a common word at a sentence's start or in a name, not a surname.
        Read on first use: most articles never need them."""
        if self._common_words is None:
            self._common_words = lower_case_words(self.paras)
        return self._common_words

    def remember(self, pos: tuple[int, int], speaker: str, *, trusted: bool = True) -> None:
        """Record that the attribution at ``pos`` named ``speaker`` (a later pronoun may
        refer to them), and whether ``sure`` found the text to establish them (never when not
        ``trusted``: other evidence spoke against them)."""
        sure = trusted and (pos, speaker) in self._established
        self.resolved.append(ResolvedSpeaker(pos, speaker, sure))

    def name(self, raw: str) -> str | None:
        """The fullest form in the article of the name ``raw`` ("Mr Brown" -> "Gordon Brown")."""
        cleaned = clean_name(raw)
        if cleaned is None:
            return None
        written = without_fused_prefix(cleaned)
        canonical = self.people.canonical(written)
        if canonical == written.text and len(written.tokens) == 1:
            canonical = self._by_first_name(written.tokens[0]) or canonical
        full = clean_name(canonical)
        return None if full is None else without_fused_prefix(full).text

    def _by_first_name(self, word: str) -> str | None:
        """The one full name in the article that opens with ``word`` ('Dale wrote' after 'her
        brother Dale Ford'; 'Li explained' after 'Li Jifeng'), when it is a person's (a known
        first name, or a gender the article shows); None when there are several."""
        # the people's mentions, outside quotations: a name only quoted is not who "Dale" is
        # (a key is a name's tokens joined by single spaces: two or more open with "word ")
        found = {m.key for m in self.people.mentions if m.key.startswith(word + " ")}
        if len(found) != 1:
            return None
        (full,) = found
        name = clean_name(full)
        if name is None or not could_be_person(name) or is_place(full):
            return None
        known = first_name_gender(name) or self.people.gender.get(self.people.canonical(name))
        return full if known is not None else None

    def resolve(self, attr: Attribution, para: int) -> str | None:
        """The speaker ``attr`` (read in paragraph ``para``) names, by its kind."""
        pos = (para, attr.offset)
        text = attr.text.strip()
        if attr.kind in {"name", "org"} and text in self.acronyms:
            return self.acronyms[text]  # "the ARU" -> "Australian Rugby Union"
        if attr.kind == "name":
            return self.name(attr.text)
        if attr.kind == "outlet" and self._reported_by_person(attr.text):
            return self.name(attr.text)
        if attr.kind in {"org", "outlet"}:
            return attr.text
        if attr.kind == "subject":
            return self._subject(attr, pos)
        if attr.kind == "pronoun":
            return self._recent(pos, PRONOUNS.get(attr.text))
        if attr.kind == "definite":
            return self._recent(pos, None) or _capitalise(attr.text)
        return _capitalise(attr.text)

    def sure(self, attr: Attribution, para: int, speaker: str) -> bool:
        """Whether the text establishes ``speaker`` (what ``resolve`` gave for ``attr``): a
        name that is a person's or a body's, a pronoun with one compatible referent, a
        description of an unnamed speaker; never a guess among several people."""
        established = self._establishes(attr, para, speaker)
        if established:
            self._established.add(((para, attr.offset), speaker))
        return established

    def _establishes(self, attr: Attribution, para: int, speaker: str) -> bool:
        """``sure``, without recording it."""
        pos = (para, attr.offset)
        text = attr.text.strip()
        if attr.kind in {"name", "org"} and text in self.acronyms:
            return True
        if attr.kind == "name":
            return self._person_or_body(speaker, text)
        if attr.kind == "org":
            return True
        if attr.kind == "pronoun":
            return self._sole_referent(pos, speaker, PRONOUNS.get(text))
        if attr.kind == "subject":
            first = attr.subject.candidates[0].text
            if first in PRONOUNS:
                return self._sole_referent(pos, speaker, PRONOUNS[first])
            name = clean_name(first)
            return (
                name is not None
                and self.people.canonical(name) == speaker
                and self._person_or_body(speaker, first)
            )
        if attr.kind == "description":
            return unnamed_description(text)
        if attr.kind == "definite":
            # "said the 34-year-old (director)": the person just written about, if nobody else
            # is; "the doctor said" may be someone the article never names
            age = any(word.lower().endswith("-year-old") for word in text.split())
            return age and self._sole_referent(pos, speaker, None)
        if attr.kind == "outlet" and self._reported_by_person(text):
            return self._person_or_body(speaker, text)
        return False  # "outlet": who reported it, not who said it

    def _person_or_body(self, speaker: str, written: str) -> bool:
        """A person (a title, a known first name, a gender the article shows, a lone
        surname: ``_bare_surname``) or a body ("Australian Rugby Union"), not any capitalised
        words ("Within Delhi", "Culture")."""
        name = clean_name(written)
        full = clean_name(speaker)
        if name is None or full is None or is_place(speaker):
            return False
        if name.titled or speaker in self.people.gender or first_name_gender(full):
            return True
        if could_be_person(full) or self._bare_surname(full) or _suffixed_person(speaker):
            return True
        return names_body(speaker.split())

    def _reported_by_person(self, written: str) -> bool:
        """The one word that "reported" a statement is a person's surname the article gives
        in full ("Abernathy reported" after "Penelope Muse Abernathy"), not an outlet."""
        name = clean_name(written)
        return (
            name is not None
            and len(name.tokens) == 1
            and len(self.people.canonical(name).split()) > 1
        )

    def _bare_surname(self, name: Name) -> bool:
        """A lone surname-shaped word ("Maddow", "Schiff"; not "FBI", a first name, a group
        of people or an organisation word) that names no place and that the article does not
        write in lower case ("Culture")."""
        word = name.tokens[0]
        return (
            len(name.tokens) == 1
            and could_be_surname(word)
            and not is_place(word)
            and word.lower() not in self.common_words()
        )

    def _sole_referent(self, pos: tuple[int, int], speaker: str, gender: str | None) -> bool:
        """``speaker`` is who a pronoun of ``gender`` at ``pos`` means, beyond doubt: their
        gender does not clash, and

        - they spoke the quotation before (within two paragraphs; a speaker the text
          established, not a guess), nobody of that gender the
          subject of a sentence since ('"…," Brown said. … "…," he added.'); or, their
          gender known to fit,
        - they are mentioned earlier in the pronoun's paragraph, nobody of that gender since
          ('Joe Biden weighed in, and he said: "…"'), and not inside a statement credited to a
          pronoun ('Blair would lead, he said.'); or
        - they are the subject of the last sentence naming anyone (``_subject_just_before``),
          known to be of the pronoun's gender; or
        - nobody else of that gender is mentioned since the start of the paragraph before,
          and they are, if mentioned there, the subject of a sentence.
        """
        known = self.gender_of(speaker)
        if is_place(speaker) or (gender is not None and known is not None and known != gender):
            return False
        # of unknown gender, they must be the only person; else the only one that fits
        fits: set[str | None] = {gender or known} if known is not None else {None, "m", "f"}

        def rivals(since: tuple[int, int], subjects_only: bool) -> bool:
            return any(
                (m.subject or not subjects_only)
                and m.key != speaker
                and self.gender_of(m.key) in fits
                for m in self.people.mentions_between(since, pos)
            )

        before = [r for r in self.resolved if r.pos < pos and pos[0] - r.pos[0] <= 2]
        if (
            before
            and before[-1].sure
            and before[-1].speaker == speaker
            and not rivals(before[-1].pos, True)
            and not self._another_speaker_between(before[-1].pos, pos, speaker, fits)
        ):
            return True
        if gender is not None and known is None:
            return False  # of unknown gender and not the last speaker: "South Carolina"
        earlier = self.people.mentions_between((0, 0), pos)
        here = [m.pos for m in earlier if m.key == speaker]
        if (
            here
            and here[-1][0] == pos[0]
            and not rivals(here[-1], False)
            and not self._credited_to_pronoun(here[-1])
        ):
            return True
        if known == gender and self._subject_just_before(pos, speaker, fits):
            return True
        # mentioned since only as an object ('he was photographed with Epstein'), they are not
        # who the paragraph is about
        recent = [m for m in self.people.mentions_between((pos[0] - 1, 0), pos) if m.key == speaker]
        if recent and not any(m.subject for m in recent):
            return False
        since = (pos[0] - 1, -1)
        return not rivals(since, False) and not self._another_speaker_between(
            since, pos, speaker, fits
        )

    def _subject_just_before(
        self, pos: tuple[int, int], speaker: str, fits: set[str | None]
    ) -> bool:
        """``speaker`` is the subject of the last sentence naming anyone before ``pos`` (in
        the paragraph before at most), and nobody else there may be meant but a possessor
        ('Jack Scarola, who represents Epstein's accusers, said … ¶ "…," he said.')."""
        before = self.people.mentions_between((0, 0), pos)
        if not before or before[-1].pos[0] < pos[0] - 1:
            return False
        sentence = before[-1].sentence
        if self._credited_to_pronoun(before[-1].pos):
            return False
        last = [m for m in before if m.sentence == sentence]
        return any(m.subject and m.key == speaker for m in last) and not any(
            m.key != speaker and not m.possessive and self._may_mean(m.key, fits) for m in last
        )

    def gender_of(self, person: str) -> str | None:
        """A person's gender as the article shows it, else as their own first name does: a
        person sharing a surname with another ("Patrick and Teresa Nielsen Hayden") is not
        filed under it, and "Elise" alone is a woman."""
        known = self.people.gender.get(person)
        if known is not None:
            return known
        name = clean_name(person)
        return _lone_first_name_gender(person) or (
            None if name is None else first_name_gender(name)
        )

    def _another_speaker_between(
        self, since: tuple[int, int], pos: tuple[int, int], speaker: str, fits: set[str | None]
    ) -> bool:
        """A sentence after the one at ``since`` and before the one at ``pos`` credits a
        statement to someone else a pronoun of the genders ``fits`` may mean ('"…," said
        Singh Jabarjung. … Lakshiwnder Singh, another deportee, said he had paid … "…," he
        said.') or opens with another such person's first name, even one the article's
        people do not list."""
        for para_index in range(since[0], min(pos[0], len(self.paras) - 1) + 1):
            para, starts = self._without_quotations(para_index)
            first = since[1] if para_index == since[0] else -1
            last = pos[1] if para_index == pos[0] else len(para) + 1
            bounds = zip(starts, [*starts[1:], len(para)], strict=True)
            for begin, end in bounds:
                if begin <= first or end > last:
                    continue  # the sentence of the last speaker's credit, or of this one's
                sentence = para[begin:end]
                if self._credits_another(sentence, speaker, fits) or _opened_by_first_name(
                    sentence, speaker, fits
                ):
                    return True
        return False

    def _credits_another(self, sentence: str, speaker: str, fits: set[str | None]) -> bool:
        """``sentence`` credits a statement to a named person other than ``speaker``."""
        for verb in verbs_in(sentence):
            got = leading(sentence[: verb.end()], 0)
            if got is None or got.kind != "name":
                continue
            other = self.name(got.text)
            if other is not None and other != speaker and self._may_mean(other, fits):
                return True
        return False

    def _credited_to_pronoun(self, pos: tuple[int, int]) -> bool:
        """The sentence of the mention at ``pos`` is a statement credited to a pronoun after it
        ('And Tony Blair would be in the front line, he said.'): the name is inside what
        someone else said, and is not who the pronoun is."""
        para = self.paras[pos[0]] if pos[0] < len(self.paras) else ""
        starts = self._sentence_starts(pos[0])
        k = bisect.bisect_right(starts, pos[1])
        end = starts[k] if k < len(starts) else len(para)
        return _PRONOUN_CREDIT.search(para, pos[1], end) is not None

    def _sentence_starts(self, para_index: int) -> list[int]:
        """``sentence_starts`` of a paragraph (none past the last)."""
        if para_index not in self.starts_of:
            para = self.paras[para_index] if para_index < len(self.paras) else ""
            self.starts_of[para_index] = sentence_starts(para)
        return self.starts_of[para_index]

    def _without_quotations(self, para_index: int) -> tuple[str, list[int]]:
        """A paragraph with its quotations blanked out, and that text's sentence starts."""
        if para_index not in self._blanked:
            para = _QUOTED.sub(_blank, self.paras[para_index])
            self._blanked[para_index] = (para, sentence_starts(para))
        return self._blanked[para_index]

    def _may_mean(self, person: str, fits: set[str | None]) -> bool:
        """A pronoun of the genders ``fits`` may mean ``person`` (of unknown gender, or one
        that fits)."""
        gender = self.gender_of(person)
        return gender is None or gender in fits

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
            g = self.gender_of(key)
            if gender is not None and g is not None and g != gender:
                continue
            if mention_pos is None or rpos >= mention_pos:
                return key
            break
        return mention


#: Generational suffixes closing a person's name ("Vann R. Newkirk II")
_SUFFIXES = frozenset({"Jr", "Jr.", "Sr", "Sr.", "II", "III"})


def _suffixed_person(speaker: str) -> bool:
    """A person's name closed by a generational suffix ("Vann R. Newkirk II"): the words
    before it could be a person's name (the suffix alone does not look like one)."""
    words = speaker.split()
    if len(words) < 3 or words[-1] not in _SUFFIXES:
        return False
    name = clean_name(" ".join(words[:-1]))
    return name is not None and could_be_person(name)


_OPENING_WORD = re.compile(r"\s*([A-Z][a-z]+)\b(?!\s+[A-Z])")


def _opened_by_first_name(sentence: str, speaker: str, fits: set[str | None]) -> bool:
    """``sentence`` opens with a first name alone, of a gender in ``fits``, that is not
    ``speaker``'s ('Tommy — who only goes by his first name online — retired …'): a person
    the article's index of full names does not list."""
    m = _OPENING_WORD.match(sentence)
    if m is None or m.group(1) == speaker.split()[0]:
        return False
    gender = _lone_first_name_gender(m.group(1))
    return gender is not None and gender in fits


def _lone_first_name_gender(person: str) -> str | None:
    """The gender of a person the article names by a first name alone ("Elise")"""
    if " " in person:
        return None
    word = person.lower()
    return "m" if word in MALE_FIRST else "f" if word in FEMALE_FIRST else None


#: Quoted words (blanked before looking for who else is credited with a statement)
_QUOTED = re.compile(r'"[^"]*"|“[^”]*”')


def _blank(m: re.Match[str]) -> str:
    """The quotation's words blanked, its marks, a letter and its own final stop kept (the
    sentence boundaries stay where they were)."""
    quoted = m.group(0)
    inner = quoted[1:-1]
    if len(inner) < 2:
        return quoted
    stop = inner[-1] if inner[-1:] in {".", "!", "?"} else ""
    return quoted[0] + "Q" + " " * (len(inner) - 1 - len(stop)) + stop + quoted[-1]


#: ', he said.' / ', she told reporters on Monday.': a credit to a pronoun closing a sentence
_PRONOUN_CREDIT = re.compile(
    r",\s+(?:he|she)\s+(?:[a-z]+ly\s+)?(?:" + trie_pattern(SAY_VERBS) + r")\b[^,;:\"“”]{0,40}$"
)

_LOWER_WORD = re.compile(r"\b[a-z][a-z'’-]+\b")


def lower_case_words(paras: list[str]) -> frozenset[str]:
    """The words ``paras`` write in lower case."""
    return frozenset(w for para in paras for w in _LOWER_WORD.findall(para))


_INDEFINITES = word_set("a an one another some two three several")
_SPEAKER_HEADS = PERSON_NOUNS | ROLE_NOUNS | GENERIC_NOUNS | PEOPLE_PLURALS
_MAX_DESCRIPTION_WORDS = 5


def unnamed_description(text: str) -> bool:
    """A short description of a speaker the article does not name: "a spokesman", "One
    woman", "officials", "a US Embassy spokesman"; not "his lawyer" or "the president" (a
    person the article may name) nor a clause fragment ("The 2008 election to Obama")."""
    words = text.lower().split()
    if not words or len(words) > _MAX_DESCRIPTION_WORDS:
        return False
    head = words[-1].strip(",.;:")
    if head not in _SPEAKER_HEADS and not head.endswith("-year-old"):
        return False
    return words[0] in _INDEFINITES or (len(words) == 1 and head in PEOPLE_PLURALS)


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
