"""Same-story clustering, representative choice, ranking and the digest header."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from digests.compose import (
    build_digest,
    cluster_stories,
    names_and_numbers,
    period_header,
    plan_digest,
    same_story,
)
from digests.model import Story

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def story(
    story_id: int,
    feed: str,
    title: str,
    text: str = "",
    *,
    hours_ago: float = 1.0,
) -> Story:
    return Story(
        story_id=story_id,
        feed_url=f"https://{feed}.example/rss",
        feed_title=feed.title(),
        entry_id=f"e{story_id}",
        url=f"https://{feed}.example/{story_id}",
        title=title,
        published=NOW - timedelta(hours=hours_ago),
        summary=text[:80],
        sentences=[],
        quotes=[],
        text=text,
    )


QUAKE_A = story(
    1,
    "alpha",
    "Magnitude 6.1 earthquake strikes off coast of Chile",
    "A magnitude 6.1 earthquake struck off the coast of central Chile on Wednesday, "
    "shaking buildings in Valparaiso and Santiago, seismologists said.",
)
QUAKE_B = story(
    2,
    "beta",
    "Strong earthquake shakes central Chile, no tsunami warning",
    "A strong magnitude 6.1 earthquake struck off the coast of central Chile on Wednesday, "
    "shaking buildings in Santiago and Valparaiso; no tsunami warning was issued. "
    "Officials reported no major damage.",
    hours_ago=0.5,
)
BUDGET = story(
    3,
    "gamma",
    "City council approves budget for new library",
    "The city council voted 7-2 on Tuesday to approve a budget that funds a new library.",
)


def test_same_story_across_feeds_by_title_and_lede() -> None:
    assert same_story(QUAKE_A, QUAKE_B)
    assert not same_story(QUAKE_A, BUDGET)


def test_same_feed_stories_are_never_merged() -> None:
    twin = story(9, "alpha", QUAKE_A.title or "", QUAKE_A.text)
    assert not same_story(QUAKE_A, twin)


def test_outside_the_time_window_is_not_the_same_story() -> None:
    old = story(4, "beta", QUAKE_A.title or "", QUAKE_A.text, hours_ago=24 * 10)
    assert not same_story(QUAKE_A, old)


def test_unrelated_titles_sharing_a_few_words_stay_apart() -> None:
    a = story(5, "alpha", "Chile wins football match against Peru", "Chile beat Peru 2-0.")
    assert not same_story(QUAKE_A, a)


def test_cluster_representative_is_the_most_complete_member() -> None:
    groups = cluster_stories([QUAKE_A, BUDGET, QUAKE_B])
    sizes = sorted(len(g) for g in groups)
    assert sizes == [1, 2]
    quake = next(g for g in groups if len(g) == 2)
    assert quake[0].story_id == 2  # longer text


def test_digest_has_one_item_per_story_with_also_covered_by() -> None:
    digest = build_digest([QUAKE_A, BUDGET, QUAKE_B], now=NOW)
    assert len(digest.items) == 2
    top = digest.items[0]
    # covered by two outlets, so it outranks the single-outlet story of the same age
    assert top.story.story_id == 2
    assert [(c.feed, c.url) for c in top.also_covered_by] == [("Alpha", QUAKE_A.url)]
    assert digest.items[1].also_covered_by == []


def test_ranking_prefers_recent_stories() -> None:
    fresh = story(6, "alpha", "Fresh news about a museum", "museum opens", hours_ago=0.1)
    stale = story(7, "beta", "Stale news about a harbour", "harbour closes", hours_ago=30)
    digest = build_digest([stale, fresh], now=NOW)
    assert [i.story.story_id for i in digest.items] == [6, 7]
    assert len(build_digest([stale, fresh], now=NOW, limit=1).items) == 1


def test_period_header_names_the_period() -> None:
    start = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    end = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    assert period_header(start, end) == "Digest · 25 Nov 2026 09:00 – 26 Nov 2026 09:00 UTC"
    assert "continued" in period_header(start, end, page=1)


def _feed_stories(feed: str, count: int, first_id: int, *, hours_ago: float) -> list[Story]:
    """``count`` distinct stories of one feed, each on its own subject."""
    return [
        story(
            first_id + n,
            feed,
            " ".join(f"w{first_id + n}x{k}" for k in range(5)),  # its own words
            hours_ago=hours_ago + n / 100,
        )
        for n in range(count)
    ]


def test_digest_shares_its_items_fairly_between_feeds() -> None:
    # two prolific, fresher feeds and four quieter ones: every feed gets a place
    stories = _feed_stories("busy", 40, 1000, hours_ago=0.1)
    stories += _feed_stories("loud", 40, 2000, hours_ago=0.2)
    for n, feed in enumerate(["calm", "quiet", "slow", "rare"]):
        stories += _feed_stories(feed, 3 + n, 3000 + 100 * n, hours_ago=20)
    digest = build_digest(stories, now=NOW, limit=20)
    feeds = [item.story.feed_url for item in digest.items]
    assert len(feeds) == 20
    assert len(set(feeds)) == 6
    # the fair share of 20 over 6 feeds: the quiet ones give what they have, no more than 4 each
    # here, and the two busy feeds split the rest evenly
    counts = {url: feeds.count(url) for url in set(feeds)}
    assert max(counts.values()) - min(counts.values()) <= 1


def test_fair_share_gives_a_feed_more_only_when_others_ran_out() -> None:
    stories = _feed_stories("busy", 10, 1000, hours_ago=0.1)
    stories += _feed_stories("rare", 1, 2000, hours_ago=30)
    digest = build_digest(stories, now=NOW, limit=5)
    feeds = [item.story.feed_url.split("//")[1].split(".")[0] for item in digest.items]
    assert sorted(feeds) == ["busy", "busy", "busy", "busy", "rare"]
    # rank order is kept: the fresh stories come first
    assert feeds[-1] == "rare"


def test_plan_digest_header_in_the_schedules_time_zone() -> None:
    end = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)
    plan = plan_digest(
        [QUAKE_A, BUDGET],
        start=end - timedelta(days=1),
        end=end,
        max_items=10,
        zone="America/New_York",
    )
    assert plan.pages[0].header == "Digest · 25 Nov 2026 09:00 – 26 Nov 2026 09:00 EST"
    summer = datetime(2026, 7, 1, 13, 0, tzinfo=UTC)
    assert period_header(None, summer, zone="America/New_York").endswith("09:00 EDT")


def test_differently_worded_headlines_of_one_event_match_by_names() -> None:
    # titles share little ("resigns"/"quits"), the first sentences the same people and place
    a = story(
        50,
        "alpha",
        "Liz Truss resigns as prime minister after 45 days",
        "Liz Truss quit as UK prime minister on Thursday, after six weeks in office marked by a "
        "market crisis over her mini-budget.",
    )
    b = story(
        51,
        "beta",
        "Truss quits, becoming the shortest-serving UK prime minister",
        "Liz Truss announced her resignation outside Downing Street, saying she could not "
        "deliver the mandate on which she was elected Conservative leader.",
    )
    assert same_story(a, b) and same_story(b, a)
    assert names_and_numbers(a.text) >= {"liz", "truss", "uk"}


def test_same_topic_same_day_other_event_does_not_match() -> None:
    chile = story(
        60,
        "alpha",
        "Magnitude 6.1 earthquake strikes off coast of central Chile",
        "A magnitude 6.1 earthquake struck off the coast of central Chile on Wednesday, "
        "shaking buildings in Valparaiso and Santiago, seismologists said.",
    )
    peru = story(
        61,
        "beta",
        "Magnitude 5.8 earthquake strikes southern Peru, damaging homes in Arequipa",
        "A magnitude 5.8 earthquake struck southern Peru on Wednesday, damaging dozens of adobe "
        "homes in the Arequipa region, the country's civil defence institute said.",
    )
    assert not same_story(chile, peru) and not same_story(peru, chile)


def test_other_events_of_the_same_people_do_not_match_without_a_title_word_in_common() -> None:
    # the same two people and the same day, but two events: the titles share no word
    refusal = story(
        70,
        "alpha",
        "Ryan says he is not ready to back Trump",
        "House Speaker Paul Ryan said on Thursday that he is not ready to endorse Donald Trump "
        "as the party's nominee.",
    )
    meeting = story(
        71,
        "beta",
        "Unity meeting scheduled for next week",
        "Donald Trump and Paul Ryan will meet in Washington next week to discuss the party's "
        "unity, the speaker's office said on Thursday.",
    )
    assert not same_story(refusal, meeting) and not same_story(meeting, refusal)


def test_an_untitled_outlet_is_named_by_its_url_without_credentials() -> None:
    private = replace(QUAKE_A, feed_url="https://ann:pw@alpha.example/rss?key=k3y", feed_title=None)
    digest = build_digest([private, QUAKE_B], now=NOW)
    names = [c.feed for c in digest.items[0].also_covered_by]
    assert names == ["https://redacted@alpha.example/rss?key=redacted"]


def test_numbers_are_whole_tokens_not_digits_inside_words() -> None:
    found = names_and_numbers("The ferry5x3 timetable passed 255-5, a 6.1% rise to $1,100 (2km).")
    assert {"6.1", "255-5", "1,100"} <= found
    assert not found & {"5", "3", "255", "2"}


def test_one_shared_speaker_and_digits_inside_words_do_not_merge_two_stories() -> None:
    # one speaker in common; before numbers were read as whole tokens, "ferry5x3" gave "5"
    # and "255-5" gave "255" and "5", which made their names look shared enough
    ferry = story(
        70,
        "alpha",
        "Harbour board backs new timetable for ferry5x3 route",
        "Okafor told the Lagos harbour board the ferry5x3 timetable starts in May.",
    )
    vote = story(
        71,
        "beta",
        "Council vote on the harbour budget passes 255-5",
        "Okafor welcomed the 255-5 council vote on the Apapa harbour budget.",
    )
    assert not same_story(ferry, vote) and not same_story(vote, ferry)


def test_weekdays_titles_and_party_words_are_not_names() -> None:
    found = names_and_numbers("House Speaker Paul Ryan told Republican senators on Tuesday.")
    assert {"paul", "ryan"} <= found
    assert not found & {"house", "speaker", "republican", "tuesday"}


def test_one_leader_on_one_day_is_not_enough_to_merge_two_events() -> None:
    # the same president, weekday and title: what one day's political stories all share
    bill = story(
        80,
        "alpha",
        "Obama signs the defence spending bill",
        "President Barack Obama signed the defence spending bill on Tuesday at the White House, "
        "ending a months-long standoff over military pay.",
    )
    nominee = story(
        81,
        "beta",
        "Senate Republicans block Obama court nominee",
        "Senate Republicans on Tuesday blocked President Barack Obama's nominee to the federal "
        "appeals court, Mitch McConnell said, ending months of hearings.",
    )
    assert not same_story(bill, nominee) and not same_story(nominee, bill)


def test_headlines_sharing_half_their_words_are_one_story() -> None:
    # outlets word one event's headline their own way and open on different angles
    announced = story(
        90,
        "alpha",
        "Harbour Lights reunite with founding singer for anniversary tour",
        "The Harbour Lights will play 40 dates next year with Mara Quinn, who left in 2009.",
    )
    local = story(
        91,
        "beta",
        "Harbour Lights founding singer to return for tour dates",
        "Fans in Leeds can see the band at the First Direct Arena in June, promoters said.",
    )
    assert same_story(announced, local) and same_story(local, announced)
