"""The emulator's threads, forum posts, crossposts and channel webhooks follow Discord's rules
(raw REST on loopback, as any client would send it)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.discord_emulator import DiscordEmulator
from tests.discord_emulator.state import MANAGE_WEBHOOKS

TOKEN = "emulator.targets.token"


class Api:
    def __init__(self, emu: DiscordEmulator, session: aiohttp.ClientSession) -> None:
        self.emu, self.session = emu, session

    async def call(self, method: str, path: str, body: Any = None, **query: str) -> tuple[int, Any]:
        headers = {"Authorization": f"Bot {TOKEN}"}
        async with self.session.request(
            method, self.emu.api_base + path, json=body, headers=headers, params=query
        ) as response:
            data = await response.json() if response.status != 204 else None
            return response.status, data


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    async with DiscordEmulator(token=TOKEN) as emu, aiohttp.ClientSession() as session:
        yield Api(emu, session)


async def test_a_thread_on_a_message_has_its_id_and_is_started_once(api: Api) -> None:
    general = api.emu.channel_id("general")
    _, message = await api.call("POST", f"/channels/{general}/messages", {"content": "hi"})
    path = f"/channels/{general}/messages/{message['id']}/threads"
    status, thread = await api.call("POST", path, {"name": "About hi"})
    assert status == 201 and thread["id"] == message["id"] and thread["parent_id"] == str(general)
    status, again = await api.call("POST", path, {"name": "About hi"})
    assert (status, again["code"]) == (400, 160004)
    status, inside = await api.call("POST", f"/channels/{thread['id']}/messages", {"content": "x"})
    assert status == 200 and inside["channel_id"] == thread["id"]


async def test_crossposting_follows_discords_rules(api: Api) -> None:
    general = api.emu.channel_id("general")
    news = await api.emu.add_announcement_channel("news")
    _, plain = await api.call("POST", f"/channels/{general}/messages", {"content": "a"})
    status, refused = await api.call(
        "POST", f"/channels/{general}/messages/{plain['id']}/crosspost"
    )
    assert (status, refused["code"]) == (400, 50024)
    _, own = await api.call("POST", f"/channels/{news}/messages", {"content": "b"})
    path = f"/channels/{news}/messages/{own['id']}/crosspost"
    status, published = await api.call("POST", path)
    assert status == 200 and published["flags"] & 1
    status, twice = await api.call("POST", path)
    assert (status, twice["code"]) == (400, 40033)
    member = await api.emu.add_member(name="someone")
    other = await api.emu.post_as(member, news, "from a member")
    status, _ = await api.call("POST", f"/channels/{news}/messages/{other}/crosspost")
    assert status == 403  # another's message needs Manage Messages


async def test_a_forum_takes_posts_with_a_first_message_and_its_own_tags(api: Api) -> None:
    forum = await api.emu.add_forum_channel("forum", tags=("Sport",))
    sport = api.emu.tag_ids(forum)["Sport"]
    status, refused = await api.call("POST", f"/channels/{forum}/messages", {"content": "x"})
    assert (status, refused["code"]) == (400, 50024)
    status, _ = await api.call("POST", f"/channels/{forum}/threads", {"name": "No message"})
    assert status == 400
    bad = {"name": "Tagged", "applied_tags": ["1"], "message": {"content": "x"}}
    status, _ = await api.call("POST", f"/channels/{forum}/threads", bad)
    assert status == 400
    good = {"name": "Tagged", "applied_tags": [str(sport)], "message": {"content": "x"}}
    status, post = await api.call("POST", f"/channels/{forum}/threads", good)
    assert status == 201 and post["message"]["id"] == post["id"]
    assert post["applied_tags"] == [str(sport)]
    [thread] = api.emu.threads(forum)
    assert thread.name == "Tagged"
    _, active = await api.call("GET", f"/guilds/{api.emu.default_guild_id}/threads/active")
    assert [t["id"] for t in active["threads"]] == [post["id"]]


async def test_channel_webhooks_need_manage_webhooks_and_wait_answers_the_message(
    api: Api,
) -> None:
    general = api.emu.channel_id("general")
    status, refused = await api.call("POST", f"/channels/{general}/webhooks", {"name": "n"})
    assert (status, refused["code"]) == (403, 50013)
    await api.emu.restrict_bot(general, deny=0, allow=MANAGE_WEBHOOKS)
    status, _ = await api.call("POST", f"/channels/{general}/webhooks", {"name": "My Discord"})
    assert status == 400  # "discord" is not allowed in a webhook's name
    _, hook = await api.call("POST", f"/channels/{general}/webhooks", {"name": "newsdigest"})
    path = f"/webhooks/{hook['id']}/{hook['token']}"
    body = {"content": "hello", "username": "The Gazette", "avatar_url": "https://x.example/i"}
    status, _ = await api.call("POST", path, body)
    assert status == 204  # no wait: no message in the answer
    status, message = await api.call("POST", path, body, wait="true")
    assert status == 200 and message["webhook_id"] == hook["id"]
    assert message["author"]["username"] == "The Gazette"
    assert message["application_id"] == str(api.emu.application_id)
    _, listed = await api.call("GET", f"/channels/{general}/webhooks")
    assert [w["id"] for w in listed] == [hook["id"]]
    api.emu.delete_webhook(int(hook["id"]))
    status, gone = await api.call("POST", path, body, wait="true")
    assert (status, gone["code"]) == (404, 10015)


async def test_a_webhook_in_a_forum_needs_a_thread_name(api: Api) -> None:
    forum = await api.emu.add_forum_channel("forum")
    await api.emu.restrict_bot(forum, deny=0, allow=MANAGE_WEBHOOKS)
    _, hook = await api.call("POST", f"/channels/{forum}/webhooks", {"name": "newsdigest"})
    path = f"/webhooks/{hook['id']}/{hook['token']}"
    status, refused = await api.call("POST", path, {"content": "x"}, wait="true")
    assert (status, refused["code"]) == (400, 220001)
    status, message = await api.call(
        "POST", path, {"content": "x", "thread_name": "A post"}, wait="true"
    )
    [thread] = api.emu.threads(forum)
    assert status == 200 and message["channel_id"] == str(thread.id) == message["id"]


async def test_a_held_request_applies_only_when_held_after(api: Api) -> None:
    general = api.emu.channel_id("general")
    before = api.emu.hold("POST", r"/messages$", after=False)
    task = asyncio.ensure_future(
        api.call("POST", f"/channels/{general}/messages", {"content": "never"})
    )
    await api.emu.wait_until(lambda: before.holding, 5, what="the held request")
    api.emu.release_holds()
    assert (await task)[0] == 503 and api.emu.messages(general) == []
    after = api.emu.hold("POST", r"/messages$", after=True)
    task = asyncio.ensure_future(
        api.call("POST", f"/channels/{general}/messages", {"content": "applied"})
    )
    await api.emu.wait_until(lambda: after.holding, 5, what="the held request")
    assert [m.content for m in api.emu.messages(general)] == ["applied"]  # before its answer
    api.emu.release_holds()
    assert (await task)[0] == 200
