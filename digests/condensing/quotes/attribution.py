"""Reading the attribution around a quotation: who says it, as the text puts it.

An :class:`Attribution` is the subject of a verb of saying next to the quotation, as written
(a :class:`Subject` of an ``AttributionKind``): a name ("Mr Brown"), a pronoun ("he"), a definite
description ("the 34-year-old"), another description ("One woman", "a US Embassy spokesman"), an
organisation ("the ARU") or the candidates for a sentence's subject. Resolution to a full name is
done later, once the article's people are known (``digests.condensing.people``).

``RULES`` is the ordered table of attribution rules: each a named function whose docstring cites
the case it handles; ``attribute`` tries them in order on a :class:`QuoteSite`.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from digests.condensing.lexicon import (
    ADVERBS,
    DETERMINERS,
    GENERIC_NOUNS,
    INTRO_WORDS,
    INVERTIBLE,
    NON_NAME_CAPS,
    OBJECT_VERBS,
    OTHER_PRONOUNS,
    PEOPLE_PLURALS,
    PERSON_NOUNS,
    PRONOUNS,
    SAY_VERBS,
    STATE_LIKE_TITLES,
    TITLE_ABBREVIATIONS,
    trie_pattern,
    word_set,
)
from digests.condensing.people import NAME_RUN, clean_name, first_name_gender, names_body
from digests.condensing.quotes.marks import Span
from digests.condensing.sentences import first_sentence, start_of_sentence

_ACCORDING = re.compile(r"\baccording\s+to\b", re.IGNORECASE)
_TRAIL_NAME = re.compile(rf"(?:{NAME_RUN.pattern})\s*$")
_LEAD_NAME = re.compile(rf"^\s*(?:{NAME_RUN.pattern})")
_SUBJECT = re.compile(rf"\b(?:[Hh]e|[Ss]he)\b|{NAME_RUN.pattern}")
_DASHES = re.compile(r"\s[-—–]\s|—")
_NOUN_BEFORE = re.compile(
    r"(?:['’]s|\b(?:the|a|an|his|her|their|its|our|my|your|these|those|this|that|whose))\s+$",
    re.IGNORECASE,
)


_SAY_VERB = re.compile(r"\b(?:" + trie_pattern(SAY_VERBS) + r")\b")
_PAREN = re.compile(r"\s*\([^()]*\)\s*$")
_STOP_AFTER = re.compile(
    r"[,;:!?—–(.]|\s(?:who|which|that|in|on|at|during|after|before|as|when|while|to|from|"
    r"about|of|for|with|told|said|says|adding|says|added|explained|because|and|but)\s"
)
_MAX_SUBJECT_WORDS = 9
_TRAIL_ADVERBIALS = word_set(
    "in on at during later afterwards yesterday today recently monday tuesday wednesday thursday "
    "friday saturday sunday last this to of after before from while when as with about by "
    "outside"
)


AttributionKind = Literal["name", "org", "pronoun", "definite", "description", "subject", "outlet"]
"""How the text names a speaker:

- ``name``: a name as written ("Mr Brown", "Sen. Ted Cruz"), expanded to its fullest form;
- ``org``: "the" before a name without a title ("the ARU", "the Pentagon"): a body, kept as is;
- ``pronoun``: "he", "she", "him" or "her", resolved to the most recent compatible person;
- ``definite``: "the" before a person noun ("the 34-year-old"), resolved like a pronoun;
- ``description``: any other person description ("One woman", "a US Embassy spokesman");
- ``subject``: the candidates for a sentence's subject (``Subject.candidates``), resolved to
  the first that is a known person;
- ``outlet``: the outlet that reported a statement ('Sanders said, according to CNN'): the
  source PolNeAR credits, but not who spoke; the evidence conflicts, so no name is shown.
"""


@dataclass(frozen=True, slots=True)
class Candidate:
    """One candidate for the subject of a sentence, as written ("Christie", "he")."""

    text: str
    #: a lone capitalised word opening the sentence: it may be any word ("Good", "Guns"), so it
    #: is taken only when it is a person the article knows
    opens_sentence: bool = False


@dataclass(frozen=True, slots=True)
class Subject:
    """Who says a quotation, as the text puts it: ``text`` as written (for ``subject``, the
    first candidate's), ``candidates`` only for ``subject``."""

    kind: AttributionKind
    text: str
    candidates: tuple[Candidate, ...] = ()


@dataclass(frozen=True, slots=True)
class Attribution:
    """The subject of a verb of saying (or a credit) next to a quotation."""

    subject: Subject
    offset: int  # where the subject sits in the paragraph (for pronoun resolution order)
    adjacent: bool  # right beside the quote ("…," he said / X said: "…") vs. same sentence

    @property
    def kind(self) -> AttributionKind:
        return self.subject.kind

    @property
    def text(self) -> str:
        return self.subject.text


_PERSON_HEADS = PERSON_NOUNS - GENERIC_NOUNS


def _person_head(word: str) -> bool:
    """A noun naming a person ("chancellor", "34-year-old")."""
    return word in _PERSON_HEADS or word.endswith("-year-old")


def _words(text: str) -> list[str]:
    return text.split()


#: Adverbs between a subject and its verb of saying besides ``ADVERBS`` ("He instead told",
#: "He has since said", "She tearfully recalled").
_MORE_ADVERBS = word_set("instead since now too first already always ever meanwhile")
_ADVERB_ENDINGS = (
    "edly",
    "ously",
    "ively",
    "fully",
    "ingly",
    "ently",
    "antly",
    "ically",
    "ately",
    "ually",
)


def _is_adverb(word: str) -> bool:
    low = word.lower()
    return (
        low in ADVERBS
        or low in _MORE_ADVERBS
        or (word.islower() and len(low) > 6 and low.endswith(_ADVERB_ENDINGS))
    )


def _strip_trailing_adverbs(text: str) -> str:
    words = _words(text)
    while words and _is_adverb(words[-1]):
        words.pop()
    return " ".join(words)


def _phrase(text: str) -> Subject | None:
    """Classify a subject phrase that ends at ``text``'s end."""
    text = _strip_trailing_adverbs(text.strip().rstrip(",").strip())
    while ")" in text and _PAREN.search(text):
        text = _PAREN.sub("", text)
    if not text:
        return None
    words = _words(text)
    last = words[-1].lower().strip(",")
    if last in PRONOUNS:
        return Subject("pronoun", last)
    if last in OTHER_PRONOUNS:
        return None
    m = _TRAIL_NAME.search(text, max(0, len(text) - 150))
    if m is not None:
        prefix = text[: m.start()].split()
        for k in range(len(prefix) - 1, max(len(prefix) - 4, 0), -1):
            # "Rep. Tom Cole of Oklahoma", "Nigel McCune from the Musicians' Union"
            if prefix[k] in {"of", "from"} and prefix[k - 1][:1].isupper():
                inner = _phrase(" ".join(prefix[:k]))
                if inner is not None and inner.kind == "name":
                    return inner
                of_what = m.group(0).strip()
                if (
                    inner is not None
                    and inner.kind == "org"
                    and k == len(prefix) - 1
                    and not _POSSESSOR.search(of_what)
                ):
                    # "the National Union of Students": the body's whole name
                    return Subject("org", f"{inner.text} {prefix[k]} {of_what}")
                break
        body = _body(m.group(0))
        if body is not None and (body != m.group(0).strip() or prefix[-1:] == ["the"]):
            return Subject("org", body)  # "the White House": a body, not a Mr White
        name = clean_name(m.group(0))
        if name is not None and prefix and prefix[-1].lower() in {"a", "an", "another"}:
            return _description(" ".join([prefix[-1], m.group(0).strip()]))
        if name is not None:
            if prefix and prefix[-1].lower() == "the" and not name.titled:
                return Subject("org", m.group(0).strip())
            return Subject("name", m.group(0).strip())
    tail = words[-_MAX_SUBJECT_WORDS:]
    for i in range(len(tail) - 1, -1, -1):
        w = tail[i].lower()
        if w in DETERMINERS:
            desc = " ".join(tail[i:])
            head = tail[-1].lower().strip(",.")
            if w == "the" and _person_head(head):
                return Subject("definite", desc)
            if w in {"his", "her"} and _person_head(head):
                return _description(desc)
            return _description(desc)
    if len(words) <= 2 and words[-1][:1].islower():
        return _description(" ".join(words))
    return None


def _body(run: str) -> str | None:
    """The body a capitalised run names, without "The" ("The White House" -> "White House",
    "Ohio State"); None for a run that does not end in an organisation word."""
    body = run.strip().removeprefix("The ")
    return body if names_body(body.split()) else None


def subject_before(text: str) -> Subject | None:
    """The subject of a verb that follows ``text`` ("Simon Wright, who…," -> Simon Wright)."""
    if "—" in text or "-" in text or "–" in text:
        text = _DASHES.sub(", ", text)
    text = _strip_trailing_adverbs(text.rstrip())
    team = _AND_TEAM.search(text)
    if team is not None:
        # "Paganini and his team wrote in the paper": the lead author speaks for the team
        lead_name = _phrase(text[: team.start()])
        return lead_name if lead_name is not None and lead_name.kind == "name" else None
    lead = _LEAD_APPOSITION.match(text)
    if lead is not None and "," not in text[lead.end() :]:
        # "Sam Lau, the communications director for the party said": an unclosed appositive
        name = clean_name(lead.group(1))
        if name is not None and len(name.tokens) >= 2:
            return Subject("name", lead.group(1).strip())
    if text.endswith(","):
        # "Cory James, 22, of Flint, Mich., said": the first comma piece that is a whole name
        for piece in text[:-1].split(","):
            piece = piece.strip()
            if piece.split(None, 1)[0].lower() in _PREPOSITIONS:
                continue  # "Of Carson, Levine, who …, said": what he spoke of, not who
            whole = _LEAD_NAME.match(piece)
            if whole is not None and whole.end() == len(piece) and clean_name(piece):
                return Subject("name", piece)
    for _ in range(3):
        if not text.endswith(","):
            break
        body = text[:-1]
        cut = body.rfind(",")
        if cut < 0:
            break
        middle = body[cut + 1 :].strip()
        before = body[:cut]
        mid_name = _LEAD_NAME.match(middle)
        if mid_name is not None and mid_name.end() == len(middle) and clean_name(middle):
            return Subject("name", middle)
        opener = middle.split(None, 1)
        if len(opener) == 2 and opener[0] in PRONOUNS:
            # "During the call, he asked about the Muslim Brotherhood, called …": the piece is
            # a clause of its own, and its subject is the pronoun opening it, not its object
            return Subject("pronoun", opener[0])
        got = _phrase(before)
        if got is not None and got.kind in {"name", "pronoun"}:
            return got
        # "The statement, which was obtained by Variety, claimed": a relative clause's words
        # describe the subject; a name at its end is not the subject
        relative = middle.split(None, 1)[0].lower() in _RELATIVE_WORDS if middle else False
        mid = None if relative else _phrase(middle)
        if mid is not None and mid.kind != "description":
            return mid
        text = before + ","
        if got is not None:
            return got
    return _phrase(text)


def subject_after(text: str) -> Subject | None:
    """The subject after an inverted verb ("said Caddell, speaking of…", "said the 34-year-old",
    "said DZ bank economist Bernd Weidensteiner")."""
    text = text.strip()
    if not text:
        return None
    first = text.split()[0].lower().strip(",.:;")
    if first in PRONOUNS:
        return Subject("pronoun", first)
    if first in _CLAUSE_OPENERS:
        return None  # '"…" suggests that Phoenix …': a reported clause, not an inverted subject
    stop = _stop_after(text, len(first))
    phrase = text[:stop]
    phrase = " ".join(phrase.split()[:_MAX_SUBJECT_WORDS]).rstrip(",.")
    runs = [
        m
        for m in NAME_RUN.finditer(phrase)
        if clean_name(m.group(0)) is not None or _body(m.group(0)) is not None
    ]
    if not runs or "'s " in phrase or "’s " in phrase:
        # "said the bureau's director, James B. Comey, on Monday": the appositive names him
        appositive = _APPOSITIVE.match(text, stop)
        if appositive is not None and clean_name(appositive.group(1)) is not None:
            return Subject("name", appositive.group(1))
    if runs and first in {"a", "an", "another", "one"} and not _LEAD_NAME.match(phrase):
        return _description(phrase)  # "a Nevada Democrat", "a US Embassy spokesman"
    if runs:
        last = runs[-1]
        if phrase[: runs[0].start()].strip().lower() == "the" and len(runs) == 1:
            return Subject("org", last.group(0))
        return Subject("name", last.group(0).strip())
    if first in DETERMINERS and phrase:
        head = phrase.split()[-1].lower()
        named = _ROLE_OF_NAME.match(text, stop) if _person_head(head) else None
        if named is not None:
            name = clean_name(named.group(1))
            if name is not None and len(name.tokens) >= 2 and first_name_gender(name):
                # "said former secretary of state Hillary Clinton, who …"
                return Subject("name", named.group(1))
        if first == "the" and _person_head(head):
            return Subject("definite", phrase)
        return _description(phrase)
    return None


_AND_TEAM = re.compile(
    r"\s+and\s+(?:(?:his|her|their)\s+)?(?:team|colleagues|co-?authors|co-?workers)\s*$"
)
#: a name opening an appositive: "Sam Lau, the communications director …", or with a bare
#: role, "Anthony Anton, president and CEO of the association …"
_LEAD_APPOSITION = re.compile(
    rf"^\s*({NAME_RUN.pattern})\s*,\s*(?:the|a|an|his|her|their|{trie_pattern(PERSON_NOUNS)})\s"
)
_AND_BEFORE = re.compile(r"\b(?:and|but)\s*$")
_ROLE_OF_NAME = re.compile(rf"\s+of\s+(?:[a-z]+\s+){{1,2}}({NAME_RUN.pattern})")
_APPOSITIVE = re.compile(rf"\s*,\s*(?:[a-z][\w-]*\s+){{0,2}}({NAME_RUN.pattern})\s*(?:[,.;]|$)")
_OWNED_APPOSITIVE = re.compile(rf"[^,.;:]{{1,60}},\s*({NAME_RUN.pattern})\s*,")


_CLAUSE_OPENERS = word_set("that whether if how what why")
_PREPOSITIONS = word_set("of on about in at for with from to as regarding")
_RELATIVE_WORDS = word_set("which who whom whose that where when")
_INITIALS = re.compile(r"(?:[A-Z]\.)*[A-Z]|.")


def _stop_after(text: str, start: int) -> int:
    """Where an inverted subject phrase ends: punctuation or a relative/prepositional word."""
    padded = " " + text + " "
    for m in _STOP_AFTER.finditer(padded, 1 + start):
        if m.group(0) == ".":
            word = padded[: m.start()].split()[-1:] or [""]
            if (
                word[0].lower() in TITLE_ABBREVIATIONS
                or word[0] in STATE_LIKE_TITLES
                or _INITIALS.fullmatch(word[0])
            ):
                continue  # "Rep.", "Del.", "G.K. Butterfield"
        return max(m.start() - 1, 0)
    return len(text)


def sentence_subject(clause: str) -> Subject | None:
    """Candidate subjects of a clause, in order: names and he/she ("…, saying "…"").

    Returned as kind ``subject`` with at most four ``candidates``; the resolver takes the first
    one that is a known person.
    """
    cands: list[Candidate] = []
    first = clause.split(None, 1)[0].strip('"“‘(').lower() if clause.strip() else ""
    begin = 0
    if (first in INTRO_WORDS or first.endswith(("ing", "ed"))) and "," in clause:
        # "Asked about Trump, Christie said …": the subject follows the introductory phrase
        begin = clause.index(",") + 1
    for m in _SUBJECT.finditer(clause, begin):
        word = m.group(0)
        if " " in word and ("'s " in word or "’s " in word):
            owner, _, owned = word.replace("’s ", "'s ").partition("'s ")
            owned_name = clean_name(owned)
            if owned_name is not None and len(owned_name.tokens) >= 2:
                # "The Blaze's Matt Walsh": the person, not the outlet
                cands.append(Candidate(owned))
                continue
            word = owner + "'s"
        if word.endswith(("'s", "’s")):
            # "Trump's Virginia state director, Mike Rubino, reached out": the appositive
            appositive = _OWNED_APPOSITIVE.match(clause, m.end())
            if appositive is not None and clean_name(appositive.group(1)) is not None:
                cands.append(Candidate(appositive.group(1)))
            # a possessive is a determiner, not the subject: "Hillary Clinton's campaign
            # manager Robby Mook said as much, arguing that …"
            continue
        if word.lower() in PRONOUNS:
            cands.append(Candidate(word.lower()))
        elif clean_name(word) is not None:
            opening = not clause[: m.start()].strip(' "“‘(') and " " not in word
            cands.append(Candidate(word, opens_sentence=opening))
        if len(cands) >= 4:
            break
    return Subject("subject", cands[0].text, tuple(cands)) if cands else None


def verbs_in(text: str) -> list[re.Match[str]]:
    """The verbs of saying in ``text`` (not nouns: "his remarks") and "according to", in order."""
    verbs = [
        m
        for m in _SAY_VERB.finditer(text)
        if not _NOUN_BEFORE.search(text, max(0, m.start() - 10), m.start())
    ]
    if "ccord" in text.lower():
        # (the search only where it can match: "according" in any case holds these letters)
        verbs += _ACCORDING.finditer(text)
    return sorted(verbs, key=_match_start)


def _match_start(m: re.Match[str]) -> int:
    return m.start()


def _is_according(m: re.Match[str]) -> bool:
    return m.group(0).lower().startswith("according")


def trailing(trail: str, base: int, quote_text: str) -> Attribution | None:
    """``"…," he said`` / ``"…," said X`` / ``"…", according to X``: right after the quote."""
    head = first_sentence(trail)
    stripped = head.lstrip(' ,—–-”"’')
    lead = len(head) - len(stripped)
    if not stripped or stripped[0] in '"“”‘’«»':
        return None
    if stripped.split(None, 1)[0].lower() in _SUBORDINATORS:
        return None  # '"That makes me smart," when Clinton blasted him': a new clause
    ends_open = quote_text.rstrip()[-1:] in {",", "?", "!", "—", "–", "-", "…"} or trail[:1] == ","
    if not ends_open and quote_text.rstrip()[-1:].isalnum() and trail[:1] == " ":
        # the sentence runs on after a quoted fragment: no attribution right after it
        first = stripped.split()[0].lower().strip(",.")
        if first not in SAY_VERBS and first not in PRONOUNS:
            early = verbs_in(" ".join(stripped.split()[:3]))
            if not early:
                return end_credit(head, base + lead)
    verbs = verbs_in(stripped)
    if not verbs:
        return None
    v = verbs[0]
    before = stripped[: v.start()]
    apposed = apposed_name(before)
    if (
        len(before.split()) > _MAX_SUBJECT_WORDS
        and apposed is None
        and not (
            # "…," Eric Woolson, an Iowa Republican strategist and former adviser, said
            len(before.split()) <= 2 * _MAX_SUBJECT_WORDS
            and "," in before
            and _LEAD_NAME.match(before)
        )
    ):
        return None
    after = stripped[v.end() :]
    object_word = after.split(None, 1)[:1]
    if object_word and object_word[0].lower().strip(",.;") in _ANSWERS:
        return None  # '"…," Melanie said yes, yes, yes': the verb has words of its own
    if answered(trail, quote_text):
        return None
    if _is_according(v):
        if not ends_open and before.strip(" ,"):
            # '"… without delay." Clinton plans to visit Charlotte, according to an aide': the
            # quotation ended its sentence; the credit is for the next one's statement
            return None
        got = subject_after(after)
        offset = base + lead + v.end()
    elif before.strip(" ,"):
        if head.rstrip().endswith(":"):
            return None  # "X told Y: "…"" introduces the next quotation
        short_object = v.group(0) in OBJECT_VERBS and head.rstrip()[-1:] in {".", "!", "?"}
        if (
            not ends_open
            and not short_object
            and (after.strip()[:1] not in {"", ".", ",", ";", ":"} or _long_subject(before))
        ):
            after_words = after.split()
            if _long_subject(before) or (
                after_words and after_words[0].lower().strip(".,") not in _TRAIL_ADVERBIALS
            ):
                return None
        if not ends_open and (len(after.split()) > 8 or re.search(r"\bthat\b", after)):
            return None  # '"…." Josh Hendler warned Saturday that …': a new statement
        if (
            ends_open
            and apposed is None
            and not _LEAD_NAME.match(before)
            and _NEW_CLAUSE.search(before)
        ):
            return None  # '"…," for instance, and Trump vowed to …': another clause's subject
        got = apposed or subject_before(before)
        offset = base + lead
    else:
        if v.group(0).lower() not in INVERTIBLE:
            return None
        got = subject_after(after)
        offset = base + lead + v.end()
    if got is None:
        return None
    if not _is_according(v):
        outlet = _according_outlet(after, base + lead + v.end())
        if outlet is not None:
            return outlet
    return Attribution(_reporter(v, got), offset, True)


#: Words an appositive after a speaker's name may run to ('"…," Dylan Nelson, a postdoctoral
#: fellow at the Max Planck Institute for Astrophysics in Munich, Germany, and co-author of the
#: study, said'): longer, it is no credit but a sentence of its own.
_MAX_APPOSITIVE_WORDS = 30
_APPOSED = re.compile(
    rf"^\s*((?:[A-Za-z][\w-]*\s+)??(?:[a-z][\w-]*\s+){{0,2}}?)({NAME_RUN.pattern})\s*,\s*"
    r"(?:a|an|the|his|her|their|its|[A-Z][\w.&-]*['’]s)\s+([^;:()\"“”]+?),?\s*$"
)
_AND_NAME = re.compile(rf"\band\s+({NAME_RUN.pattern})")


def _subordinate(between: str) -> bool:
    """A subordinate clause with its own subject opens in ``between`` ('… realised it when he
    sported …'; not 'said after a lunch')."""
    words = between.split()
    return any(
        word.lower() in _SUBORDINATORS and (nxt.lower() in PRONOUNS or nxt[:1].isupper())
        for word, nxt in itertools.pairwise(words)
    )


def answered(trail: str, quote_text: str) -> bool:
    """'"… by 2024?" Bridenstine responded that SLS is …': the quotation ended its own sentence
    and the next one, right after it, reports a statement of its own (an answer to it). Its
    speaker is not the quotation's."""
    if quote_text.rstrip()[-1:] not in {"?", "!"}:
        return False
    head = first_sentence(trail).lstrip(' ,—–-”"’')
    verbs = verbs_in(head)
    if not verbs or len(head[: verbs[0].start()].split()) > _MAX_SUBJECT_WORDS:
        return False
    following = head[verbs[0].end() :].lower().split(None, 2)
    return (
        len(following) > 1
        and following[0] == "that"
        and following[1].strip(",.;") not in _WHEN_NOUNS
    )


def apposed_name(before: str) -> Subject | None:
    """The name opening a credit whose appositive runs on before its verb of saying
    ('Kurinji Selvaraj, a research analyst at the Delhi-based Council on Energy, Environment and
    Water think tank told'; 'study lead author Lucas Paganini, a planetary scientist at …,
    said'): the name, unless the appositive names a second person ('…, and Mary Jones')."""
    m = _APPOSED.match(before)
    if m is None:
        return None
    role, name, appositive = m.group(1).split(), m.group(2).strip(), m.group(3)
    if role and not _person_head(role[-1].lower()):
        return None  # "and then John Smith, …": not a role before the name
    if clean_name(name) is None or len(appositive.split()) > _MAX_APPOSITIVE_WORDS:
        return None
    for other in _AND_NAME.finditer(appositive):
        second = clean_name(other.group(1))
        if second is not None and (second.titled or first_name_gender(second)):
            return None  # two speakers credited together
    return Subject("name", name)


# words that open a subordinate clause: what follows a quotation after one of them is a new
# clause with its own subject, not the quotation's attribution (but '"…," as Reed dubbed it'
# is one: "as" is not among them)
_SUBORDINATORS = word_set(
    "when whenever while after before because since until although though whereas unless if"
)
#: What a verb of saying may take as its own object ('said yes'): then the quotation before
#: it is not what was said
_ANSWERS = word_set("yes no nothing")
#: ... or a that-clause ('responded that …'; not 'asked that morning')
_WHEN_NOUNS = word_set("day night morning afternoon evening week month year time")
_REPORTING = word_set("reported reports reporting")


def _reporter(verb: re.Match[str], got: Subject) -> Subject:
    """A one-word name that "reported" a statement is an outlet ('"…," Variety reported'):
    who published it, not who said it."""
    if verb.group(0) in _REPORTING and got.kind == "name" and " " not in got.text.strip():
        return Subject("outlet", got.text)
    return got


def _according_outlet(after: str, offset: int) -> Attribution | None:
    """``"…," Sanders said, according to CNN``: the source is the outlet that reported it."""
    m = _ACCORDING.search(after)
    if m is None or len(after[: m.start()].split()) > 6:
        return None
    got = subject_after(after[m.end() :])
    if got is None or got.kind not in {"name", "org"}:
        return None
    return Attribution(Subject("outlet", got.text), offset + m.end(), True)


_SETTING = re.compile(
    r"\s*(?:in|on|at|during|via|after|before|last|earlier|later)\b[^,;:]{0,60}?[.!?]?\s*",
    re.IGNORECASE,
)


def _setting_only(tail: str) -> bool:
    """What follows a credit's verb only says where or when ("said in the campaign's public
    service announcement."), not what was said ("said in May that …")."""
    return (
        _SETTING.fullmatch(tail) is not None
        and re.search(r"\bthat\b", tail) is None
        and not verbs_in(tail)
    )


_BLANKED_CLOSE = re.compile(r"Q\s*[.!?]?[\"”»」]")


def end_credit(head: str, offset: int) -> Attribution | None:
    """``"…" in comparison to Obama, Gingrich said.``: a credit closing the quote's sentence."""
    verbs = verbs_in(head)
    if not verbs:
        return None
    v = verbs[-1]
    before = head[: v.start()].rstrip()
    # a quotation blanked in ``head`` ('“Q    ”') lost its closing comma: its mark ends the
    # clause before the credit as the comma would ('the outages have been “…” and …, “…,”
    # company CEO Andy Vesey said')
    closes = [m.end() - 1 for m in _BLANKED_CLOSE.finditer(before)]
    cut = max(before.rfind(","), closes[-1] if closes else -1)
    inverted = cut == len(before) - 1 and v.group(0) in INVERTIBLE
    tail = head[v.end() :]
    if (
        len(tail.split()) > 3
        and not (inverted and _LEAD_NAME.match(tail))
        and not _setting_only(tail)
    ):
        return None
    if cut < 0:
        return None
    piece = before[cut + 1 :]
    if not piece.strip():
        got = subject_after(head[v.end() :]) if v.group(0) in INVERTIBLE else None
    elif len(piece.split()) <= 5:
        got = subject_before(piece)
    else:
        return None
    if got is None or got.kind not in {"name", "pronoun", "definite"}:
        return None
    return Attribution(got, offset + cut + 1, False)


def _long_subject(before: str) -> bool:
    """More than a short subject ("Mr Brown also"), unless it is a name with an appositive."""
    return len(before.split()) > 5 and not ("," in before and _LEAD_NAME.match(before))


def leading(clause: str, start: int) -> Attribution | None:
    """``X said: "…"`` / ``according to X, "…"`` / ``X said the deal was "…"``: ``clause`` is the
    quote's sentence up to the quote, starting at paragraph offset ``start``."""
    base = 0
    verbs = verbs_in(clause)
    if not verbs:
        return None
    v = verbs[-1]
    before = clause[: v.start()]
    after = clause[v.end() :]
    adjacent = after.strip() in {"", ":", ",", "—", "-", "–"} or after.rstrip().endswith(":")
    got: Subject | None
    asked_by = _ASKED_BY.match(after) if v.group(0) == "asked" else None
    if _is_according(v):
        got = subject_after(after)
        offset = base + start + v.end()
        adjacent = True
    elif asked_by is not None:
        # "Rubio was asked by moderator Gerard Baker whether …": the asker speaks
        got = subject_after(after[asked_by.end() :])
        offset = base + start + v.end() + asked_by.end()
    elif v.group(0).lower().endswith("ing"):
        # "…, saying "…"": the subject of the sentence, or of "X said, adding "…""
        earlier = [w for w in verbs[:-1] if not w.group(0).endswith("ing")]
        got = None
        if earlier and clause[earlier[-1].end() : v.start()].strip(" ,") in {"", "and"}:
            prior = leading(clause[: earlier[-1].end()], start)
            if prior is not None:
                got = prior.subject
        if got is None:
            got = sentence_subject(before)
        offset = base + start
    elif _COPULA_AFTER.match(after) and not _WHAT_BEFORE.search(before):
        # 'the letter Mike wrote was "kind and loving"': the verb of saying is in a clause
        # describing a noun; the quotation describes the thing, not what its writer said
        # (but 'what he told me was "…"' is his)
        return None
    else:
        # subject right before the verb, within the clause (after any earlier quotation)
        # '"…," Dylan Nelson, a fellow at … in Munich, Germany, said in a statement.' (the
        # sentence before a quote): the credit after its own quotation, read as one
        credit = _BLANKED_QUOTE_FIRST.sub("", before)
        got = (apposed_name(credit) or subject_before(before)) if before.strip(" ,") else None
        earlier = verbs[:-1]
        # (a match ends the text but for spaces: search only from where it would start)
        coordinated = _AND_BEFORE.search(before, max(0, len(before.rstrip()) - 3)) is not None
        if earlier and coordinated and _subordinate(clause[earlier[-1].end() : v.start()]):
            # "Schulberg told the magazine that Brando realised … when he sported a moustache
            # and asked: "…"": the verb goes with the when-clause's subject, not the teller's
            return None
        if earlier and coordinated:
            # "Lazar said he welcomed it and added, "…"": the first verb's subject
            prior = leading(clause[: earlier[-1].end()], start)
            if prior is not None:
                got = prior.subject
        elif coordinated and got is None:
            # "Van Der Beek touched upon the idea and noted there should be "…"": the subject
            # the coordinated verbs share, where a subject stands
            got = _opening_subject(before)
        elif coordinated and got is not None and got.kind in {"description", "org"}:
            # "Carson took the stage at the Grand Hotel and called the system "…"": the
            # sentence's subject, not the last noun before "and"
            got = sentence_subject(before) or got
        offset = base + start
        if got is None and v.group(0).lower() in INVERTIBLE and _ENDS_CREDIT.search(after):
            # 'said Mr Brown: "…"', '"…," comments Johnston in a statement, "…"'; not 'but
            # said SpaceX would fly Starship "…"', where the words after the verb are what
            # was said
            got = subject_after(after)
            offset = base + start + v.end()
        if got is not None and got.kind == "description" and not _person_description(got.text):
            # "the president's plan, but called it a "…"": not a speaker; take the subject
            got = sentence_subject(before)
        if got is not None and got.kind == "pronoun":
            # the referent may be named earlier in the same sentence
            offset = base + start + v.start()
    if got is None:
        if len(verbs) > 1 and not _is_according(v):
            # 'Clinton says Trump's flurry of late-night tweets was "…"': the last "verb"
            # has no subject (a noun, or a verb in a clause about someone else); the verb of
            # saying before it tells who speaks, when its subject opens the sentence (not
            # 'Trump said that Clinton described the so-called TPP as "…"')
            prior = leading(clause[: verbs[-2].end()], start)
            opening = _opening_subject(clause)
            if prior is not None and opening is not None and _same(prior.text, opening.text):
                return prior
        return None
    return Attribution(_reporter(v, got), offset, adjacent)


#: a blanked quotation (``QuoteSite.masked``) opening a clause, with its comma and marks
_BLANKED_QUOTE_FIRST = re.compile(r"^\s*[\"“”«‘]Q\s*[.!?,]?[\"“”»’]?\s*,?\s*")
_ENDS_CREDIT = re.compile(r"[,:—–-]\s*$|^\s*$")


def _opening_subject(clause: str) -> Subject | None:
    """The subject opening ``clause`` (after any introductory phrase: "In his announcement,
    Van Der Beek …"), when only capitalised words, determiners or titles come before it; not
    a name further on ("Police arrested Smith and …")."""
    got = sentence_subject(clause)
    if got is None:
        return None
    first = got.candidates[0].text
    at = clause.find(first)
    lead = clause[:at]
    if "," in lead and clause.split(None, 1)[0].lower().strip('"“‘(') in INTRO_WORDS:
        lead = lead[lead.rindex(",") + 1 :]
    if any(w[:1].islower() and w.lower() not in DETERMINERS for w in lead.split()):
        return None
    return Subject("subject", first, got.candidates[:1])


def _same(subject: str, other: str) -> bool:
    """Two spellings of one subject ("The Passport Office", "Passport Office")."""
    return subject.removeprefix("The ") == other.removeprefix("The ")


_COPULA_AFTER = re.compile(r"\s*(?:was|were|is|are)\s")
_WHAT_BEFORE = re.compile(r"\bwhat\s+(?:\S+\s+){0,2}$", re.IGNORECASE)
_NEW_CLAUSE = re.compile(r"(?:^|,)\s*(?:and|but|while|whereas)\s", re.IGNORECASE)
_ASKED_BY = re.compile(r"\s+by\s+(?=\S)")


def _person_word(word: str, index: int) -> bool:
    w = word.lower().strip(",.;:")
    return (
        _person_head(w)
        or w in GENERIC_NOUNS
        or w in PEOPLE_PLURALS
        or (index > 0 and word[:1].isupper() and w not in DETERMINERS and w not in NON_NAME_CAPS)
    )


def _description(desc: str) -> Subject | None:
    """A speaker description cut after its last person word ("One Democrat familiar" ->
    "One Democrat"); None when nothing in it can name a speaker ("And", "His past")."""
    if "," in desc:
        # "In the interest of precision, Clinton": a name after the comma is the subject
        cut = desc.rindex(",")
        for m in NAME_RUN.finditer(desc, cut):
            if clean_name(m.group(0)) is not None:
                if _POSSESSOR.match(desc, m.end() - 2):
                    # "at some point, Ford's father": the name qualifies who speaks
                    return _description(desc[cut + 1 :].strip())
                return Subject("name", m.group(0).strip())
    words = desc.split()
    for i in range(len(words) - 1, -1, -1):
        if _person_word(words[i], i):
            return Subject("description", " ".join(words[: i + 1]).rstrip(",.;:"))
    return None


_POSSESSOR = re.compile(r"['’]s\b|s['’]")


def _person_description(desc: str) -> bool:
    """A description that can name a speaker ("a spokesman", "One woman", "the ARU")."""
    words = desc.split()
    head = words[-1].lower().strip(",.") if words else ""
    return (
        _person_head(head)
        or head in GENERIC_NOUNS
        or head in PEOPLE_PLURALS
        or (head[:1].isalpha() and words[-1][:1].isupper())
    )


# --- the rule table ------------------------------------------------------------------------
#: Characters of a sentence searched for an attribution (a longer "sentence" is markup or
#: run-on text: only this far back and ahead is looked at).
MAX_CLAUSE = 300


@dataclass(frozen=True, slots=True)
class PreviousSentence:
    """The sentence before a quotation's (quoted words blanked), where it starts in the
    paragraph, and its verbs of saying (``verbs_in``)."""

    start: int
    text: str
    verbs: list[re.Match[str]]


@dataclass(frozen=True)
class QuoteSite:
    """A quotation in its paragraph, as the attribution rules read it.

    What several rules read (the quotation's clause, the sentence before it) is worked out on
    first use and kept (``cached_property``: the site is built per quotation, not shared).
    """

    para: str
    masked: str  # the paragraph with quoted words blanked (offsets unchanged)
    starts: list[int]  # the sentence starts of ``masked``
    span: Span
    last_in_para: bool  # no quotation follows in the paragraph
    next_open: int  # where the next quotation's opening mark is, else the paragraph's end

    @property
    def text(self) -> str:
        return self.para[self.span.start : self.span.end]

    @property
    def after(self) -> int:
        """Where the text after the quotation (and its closing mark) begins."""
        return self.span.end + (1 if self.span.closed else 0)

    @property
    def lead_end(self) -> int:
        """Where the text before the quotation (and its opening mark) ends."""
        return max(self.span.start - 1, 0)

    @cached_property
    def clause_start(self) -> int:
        """Where the quotation's sentence starts (at most ``MAX_CLAUSE`` back)."""
        return max(start_of_sentence(self.starts, self.lead_end), self.lead_end - MAX_CLAUSE)

    @cached_property
    def clause(self) -> str:
        """The quotation's sentence up to the quotation (quoted words blanked)."""
        return self.masked[self.clause_start : self.lead_end]

    @cached_property
    def previous_sentence(self) -> PreviousSentence | None:
        """The sentence before the quotation's, when the quotation opens its own sentence."""
        start = self.clause_start
        if start == 0 or self.clause.strip():
            return None
        prev_start = max(start_of_sentence(self.starts, start - 1), start - MAX_CLAUSE)
        sentence = self.masked[prev_start:start]
        return PreviousSentence(prev_start, sentence, verbs_in(sentence))


def _credit_line(site: QuoteSite) -> Attribution | None:
    """A paragraph ending '“…” ― Oscar P. Quintero': the credit after the last quotation."""
    if not (site.span.closed and site.last_in_para):
        return None
    m = _CREDIT_LINE.match(site.para, site.after)
    if m is None or clean_name(m.group(1)) is None:
        return None
    return Attribution(Subject("name", m.group(1)), m.start(1), True)


def _said_after(site: QuoteSite) -> Attribution | None:
    """``"…," he said`` / ``"…," said X`` / ``"…", according to X``: right after the quote."""
    if not site.span.closed:
        return None
    return trailing(site.para[site.after : site.next_open], site.after, site.text)


def _passive_agent(site: QuoteSite) -> Attribution | None:
    """'… has been called "strategic ambiguity" by Joshua Hendrick': the agent said it."""
    if not site.span.closed:
        return None
    agent = _BY_AGENT.match(site.para, site.after)
    start = site.span.start
    if agent is None or not _PASSIVE_SAY.search(site.para, max(0, start - 60), max(start - 1, 0)):
        return None
    return Attribution(Subject("name", agent.group(1)), agent.start(1), True)


def _said_before(site: QuoteSite) -> Attribution | None:
    """``X said: "…"`` / ``according to X, "…"`` / ``X said the deal was "…"``: the verb of
    saying before the quote, in its sentence."""
    return leading(site.clause, site.clause_start)


def _credit_ending_sentence(site: QuoteSite) -> Attribution | None:
    """'"…" and help bring candidates the "…", DFA spokesman Neil Sroka said.': a credit
    closing the quote's sentence, after more text."""
    after, starts = site.after, site.starts
    k = bisect.bisect_right(starts, after)
    end = min(starts[k] if k < len(starts) else len(site.masked), after + MAX_CLAUSE)
    return end_credit(site.masked[after:end], after)


def _previous_said(site: QuoteSite) -> Attribution | None:
    """The quote opens a sentence right after 'X said in a statement.': the speaker of that
    sentence's verb of saying."""
    previous = site.previous_sentence
    if previous is None or not previous.verbs:
        return None
    sentence, v = previous.text, previous.verbs[-1]
    if sentence[v.end() :].strip(" .:,") and not _INTRO_TAIL.fullmatch(sentence[v.end() :]):
        return None  # the sentence reports something; it does not introduce the quote
    got = leading(sentence[: v.end()], previous.start)
    if got is None or got.kind not in {"name", "pronoun", "definite"}:
        return None
    return Attribution(got.subject, got.offset, False)


def _previous_subject(site: QuoteSite) -> Attribution | None:
    """The quote opens a sentence right after 'Bolton distanced himself from the movement.':
    the subject of that narrative sentence (no verb of saying in it)."""
    previous = site.previous_sentence
    if previous is None or previous.verbs:
        return None
    subject = sentence_subject(previous.text)
    return None if subject is None else Attribution(subject, previous.start, False)


def _subject_of_sentence(site: QuoteSite) -> Attribution | None:
    """'Carson … called the system "…"': a quoted fragment inside a sentence is said by the
    sentence's subject."""
    clause = site.clause
    if not re.search(r"[a-z]", clause.replace('"', "")):
        return None
    subject = sentence_subject(clause)
    return None if subject is None else Attribution(subject, site.clause_start, False)


_PASSIVE_SAY = re.compile(
    r"\b(?:called|labell?ed|dubbed|described|branded|characteri[sz]ed|deemed)\b[^.;:]{0,30}$"
)
_BY_AGENT = re.compile(rf",?\s*by\s+(?:the\s+)?({NAME_RUN.pattern})")
_CREDIT_LINE = re.compile(rf"\s*[―—–-]\s*({NAME_RUN.pattern})[.,]?\s*$")
_INTRO_TAIL = re.compile(r"\s*(?:(?:in|on|at|to|during|after)\b[^.]{0,40})?[.:]?\s*")


EvidenceSource = Literal[
    "credit_line",
    "said_clause",
    "passive_agent",
    "credit_ending",
    "previous_said",
    "previous_subject",
    "sentence_subject",
    "continuation",
    "earlier_paragraph",
    "transcript",
    "colon_intro",
    "reported_intro",
    "narrative_intro",
    "dash_credit",
]
"""What in the text ties a speaker to a quotation:

- ``credit_line``: a paragraph ending '“…” ― Name';
- ``said_clause``: a verb of saying binding this quotation ('"…," he said', 'X said: "…"',
  'according to X, "…"', 'X called it "…"' in the quote's own clause);
- ``passive_agent``: '… has been called "…" by X';
- ``credit_ending``: a said-clause closing the quote's sentence after more text;
- ``previous_said``: 'X said in a statement.' right before the quote's sentence;
- ``previous_subject``: the subject of the narrative sentence before (no verb of saying);
- ``sentence_subject``: the subject of the quote's sentence, with no verb of saying beside it;
- ``continuation``: the quote continues an attributed one in its paragraph;
- ``earlier_paragraph``: the quote continues one attributed up to two paragraphs back;
- ``transcript``: a transcript line's label ('PENCE: …');
- ``colon_intro``: the previous paragraph ends 'X told the BBC:';
- ``reported_intro``: the previous paragraph's last reported statement ('Carter said that …');
- ``narrative_intro``: the subject of the previous paragraph's last sentence;
- ``dash_credit``: a credit line after the quote ('- Sanders.').
"""

#: Sources that bind a speaker to the quotation itself: a name from them is shown. A name from
#: any other source (a nearby subject, the paragraph before) is a guess, and is not.
BINDING_SOURCES: frozenset[EvidenceSource] = frozenset(
    {
        "credit_line",
        "said_clause",
        "passive_agent",
        "credit_ending",
        "previous_said",
        "continuation",
        "transcript",
        "colon_intro",
        "dash_credit",
    }
)


@dataclass(frozen=True, slots=True)
class Rule:
    """An attribution rule: ``find`` reads the attribution of a quotation or gives None;
    ``verb_beside`` says a match shows a verb of saying (or a credit) beside the quotation;
    ``source`` is the evidence a match gives."""

    find: Callable[[QuoteSite], Attribution | None]
    verb_beside: bool
    source: EvidenceSource

    @property
    def name(self) -> str:
        return self.find.__name__.lstrip("_")


#: The attribution rules, tried in order; the first that matches names the speaker.
RULES: tuple[Rule, ...] = (
    Rule(_credit_line, verb_beside=True, source="credit_line"),
    Rule(_said_after, verb_beside=True, source="said_clause"),
    Rule(_passive_agent, verb_beside=True, source="passive_agent"),
    Rule(_said_before, verb_beside=True, source="said_clause"),
    Rule(_credit_ending_sentence, verb_beside=False, source="credit_ending"),
    Rule(_previous_said, verb_beside=False, source="previous_said"),
    Rule(_previous_subject, verb_beside=False, source="previous_subject"),
    Rule(_subject_of_sentence, verb_beside=False, source="sentence_subject"),
)


@dataclass(frozen=True, slots=True)
class Attributed:
    """A quotation's attribution and the rule that found it."""

    attribution: Attribution
    rule: Rule


def attribute(site: QuoteSite) -> Attributed | None:
    """The attribution of the first rule of ``RULES`` that matches ``site``, if any."""
    for rule in RULES:
        found = rule.find(site)
        if found is not None:
            return Attributed(found, rule)
    return None
