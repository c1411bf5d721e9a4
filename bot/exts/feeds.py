"""``/feed add|remove|list`` and ``/feed filter add|remove|list|test``: a server's
subscriptions, how they post (style, an opt-in role ping) and what they post (filters)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.exts.common import (
    MANAGE,
    PostChannel,
    bot_of,
    choice_name,
    guild_id_of,
    manage_channels,
    postable_target,
    reply,
    when,
)
from digests import filters
from digests.errors import FeedNotFoundError, InputError
from digests.feeds import opml
from digests.feeds.urlsafety import has_credentials, redact_url
from digests.model import (
    FeedStatus,
    Filter,
    FilterField,
    FilterKind,
    Style,
    Subscription,
    SubscriptionOptions,
    ThreadMode,
)

if TYPE_CHECKING:
    from bot.client import DigestBot

STYLE_HELP = {
    "full": "the full embed: summary, key quotes, buttons",
    "compact": "title link, a one-sentence gist and the top quote",
    "headline": "title and link only",
}
THREAD_HELP = {
    "none": "posts in the channel itself",
    "per-story": "a thread on each story post",
    "per-digest": "each digest in a thread of its own",
}
STYLE_CHOICES = [app_commands.Choice(name=f"{k}: {v}", value=k) for k, v in STYLE_HELP.items()]
THREAD_CHOICES = [app_commands.Choice(name=f"{k}: {v}", value=k) for k, v in THREAD_HELP.items()]


def health_text(feed: FeedStatus) -> str:
    if feed.health == "ok":
        return "ok"
    if feed.health == "disabled":
        return "disabled"
    return f"failing since {when(feed.failing_since)}"


def subscription_line(sub: Subscription) -> str:
    title = render.clip(render.clean(sub.feed.title) or render.shown_url(sub.feed.url), 80)
    secret = has_credentials(sub.feed.url)
    link = title if secret else render.masked_link(title, sub.feed.url, 300)
    extra = "" if sub.style == "full" else f" · {sub.style}"
    if sub.thread != "none":
        extra += f" · thread {sub.thread}"
    if sub.webhook:
        extra += " · webhook"
    if sub.ping_role_id is not None:
        extra += f" · pings <@&{sub.ping_role_id}>"
    return f"**{link}** → <#{sub.channel_id}> · {sub.mode}{extra} · {health_text(sub.feed)}"


def ping_role(interaction: discord.Interaction[Any], role: discord.Role | None) -> int | None:
    """The chosen role's id; @everyone (and so @here) can never be chosen."""
    if role is None:
        return None
    if role.is_default() or role.id == interaction.guild_id:
        raise InputError("@everyone and @here can't be pinged; pick a role.")
    return role.id


def options_text(sub: Subscription, where: PostChannel | None = None) -> str:
    """What the subscription's options say, as the confirmation shows them."""
    parts = [f"{sub.mode} mode", f"{sub.style} style"]
    if isinstance(where, discord.ForumChannel):
        parts.append("each story a forum post")
    elif sub.thread != "none":
        parts.append(f"thread {sub.thread}")
    if isinstance(where, discord.TextChannel) and where.is_news():
        parts.append("published to followers")
    if sub.webhook:
        parts.append("posted under the feed's name (webhook)")
    if sub.ping_role_id is not None:
        parts.append(f"pinging <@&{sub.ping_role_id}>")
    return ", ".join(parts)


def target_notes(sub: Subscription, where: PostChannel) -> list[str]:
    """Notes on options the channel or the bot's permissions there change or cannot honour."""
    notes: list[str] = []
    me = where.guild.me
    perms = where.permissions_for(me) if me is not None else None
    if isinstance(where, discord.ForumChannel) and sub.thread != "none":
        notes.append("In a forum each story (and each digest) is a forum post: no thread option.")
    elif sub.thread == "per-digest" and sub.mode == "live":
        notes.append("per-digest threads hold digests; this live subscription posts without one.")
    elif sub.thread != "none" and perms is not None and not perms.create_public_threads:
        notes.append("Note: give me Create Public Threads there, or posts come without threads.")
    if sub.webhook and perms is not None and not perms.manage_webhooks:
        notes.append(
            "Note: I need the Manage Webhooks permission there to post under the feed's name; "
            "until then I post myself."
        )
    if sub.webhook and sub.mode == "digest":
        notes.append("The webhook sends its story posts (backfill); digests come from me.")
    news = isinstance(where, discord.TextChannel) and where.is_news()
    if news and sub.webhook and perms is not None and not perms.manage_messages:
        notes.append("Note: publishing webhook posts needs Manage Messages there.")
    return notes


def ping_warning(role: discord.Role | None, channel: PostChannel) -> str | None:
    """A note when the bot's mention of the role would not notify anyone."""
    me = channel.guild.me
    if role is None or role.mentionable or me is None:
        return None
    if channel.permissions_for(me).mention_everyone:
        return None
    return (
        f"Note: {role.mention} is not mentionable, so posts will name it without notifying; "
        "make it mentionable or give me Mention @everyone, @here and All Roles."
    )


class Feeds(commands.Cog):
    feed = app_commands.Group(
        name="feed",
        description="Subscribe channels to news feeds",
        default_permissions=MANAGE,
        guild_only=True,
    )

    @feed.command(name="add", description="Subscribe a channel to a feed")
    @app_commands.describe(
        url="The feed's address (RSS, Atom or JSON Feed)",
        channel="Where its stories go (default: here)",
        mode="live: each story as it arrives; digest: in digests (default)",
        backfill="Post this many of the newest existing stories now (0-5)",
        style="How each story post looks (default: full)",
        ping="A role to mention in this feed's posts (opt-in)",
        thread="Threads in a text or announcement channel (default: none)",
        webhook="Post under the feed's name and icon through a webhook (Manage Webhooks)",
    )
    @app_commands.choices(style=STYLE_CHOICES, thread=THREAD_CHOICES)
    @manage_channels()
    async def add(
        self,
        interaction: discord.Interaction[Any],
        url: app_commands.Range[str, 1, 2000],
        channel: PostChannel | None = None,
        mode: Literal["live", "digest"] = "digest",
        backfill: app_commands.Range[int, 0, 5] = 0,
        style: Style = "full",
        ping: discord.Role | None = None,
        thread: ThreadMode = "none",
        webhook: bool = False,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        bot = bot_of(interaction)
        guild_id = guild_id_of(interaction)
        target = postable_target(interaction, channel)
        role_id = ping_role(interaction, ping)
        result = await bot.digests.add_feed(
            guild_id=guild_id,
            channel_id=target.id,
            url=url.strip(),
            mode=mode,
            backfill=backfill,
            style=style,
            ping_role_id=role_id,
            thread=thread,
            webhook=webhook,
        )
        if result.backfilled:
            bot.outbox.kick()
        sub = result.subscription
        feed = sub.feed
        title = render.clean(feed.title) or render.shown_url(feed.url)
        how = options_text(sub, target)
        lines = [f"Subscribed {target.mention} to **{render.clip(title, 200)}** ({how})."]
        lines += target_notes(sub, target)
        warning = ping_warning(ping, target)
        if warning:
            lines.append(warning)
        if mode == "digest" and style != "full":
            lines.append(
                f"The {style} style applies to its story posts (backfill); "
                "digests keep their layout."
            )
        if result.reenabled:
            lines.append("The feed had been disabled after failures; it is enabled again.")
        if result.backfilled:
            newest = "newest story" if result.backfilled == 1 else "newest stories"
            lines.append(f"Posting its {result.backfilled} {newest} now.")
        if result.preview is None:
            lines.append("It has no stories yet.")
        else:
            lines.append("Its newest story:")
        embed = render.story_embed(result.preview) if result.preview else None
        await reply(interaction, "\n".join(lines), embed=embed)

    @feed.command(name="remove", description="Unsubscribe a feed")
    @app_commands.describe(feed="The subscription to remove")
    @manage_channels()
    async def remove(
        self, interaction: discord.Interaction[Any], feed: app_commands.Range[str, 1, 2000]
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        bot = bot_of(interaction)
        guild_id = guild_id_of(interaction)
        subs = await bot.digests.subscriptions(guild_id)
        chosen = pick_subscription(subs, feed)
        removed = await bot.digests.remove_feed(
            guild_id=guild_id, subscription_id=chosen.subscription_id
        )
        title = render.clean(removed.feed.title) or render.shown_url(removed.feed.url)
        title = render.clip(title, 200)
        await reply(interaction, f"Unsubscribed <#{removed.channel_id}> from **{title}**.")

    @remove.autocomplete("feed")
    async def remove_feed_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await subscription_choices(interaction, current)

    @feed.command(name="edit", description="Change how a subscription posts")
    @app_commands.describe(
        feed="The subscription to change",
        style="How each story post looks",
        thread="Threads in a text or announcement channel",
        webhook="Post under the feed's name and icon through a webhook",
        ping="A role to mention in this feed's posts",
        no_ping="Stop mentioning a role",
    )
    @app_commands.choices(style=STYLE_CHOICES, thread=THREAD_CHOICES)
    @manage_channels()
    async def edit(
        self,
        interaction: discord.Interaction[Any],
        feed: app_commands.Range[str, 1, 2000],
        style: Style | None = None,
        thread: ThreadMode | None = None,
        webhook: bool | None = None,
        ping: discord.Role | None = None,
        no_ping: bool = False,
    ) -> None:
        bot, guild_id, sub = await deferred_subscription(interaction, feed)
        if ping is not None and no_ping:
            raise InputError("Choose a ping role or no_ping, not both.")
        options = SubscriptionOptions(
            style=style,
            thread=thread,
            webhook=webhook,
            ping_role_id=ping_role(interaction, ping),
            clear_ping=no_ping,
        )
        if options == SubscriptionOptions():
            raise InputError("Choose at least one option to change.")
        changed = await bot.digests.edit_subscription(
            guild_id=guild_id, subscription_id=sub.subscription_id, options=options
        )
        where = interaction.guild.get_channel(changed.channel_id) if interaction.guild else None
        channel = where if isinstance(where, PostChannel) else None
        lines = [
            f"Updated **{feed_name(changed)}** → <#{changed.channel_id}> "
            f"({options_text(changed, channel)}); from its next post on."
        ]
        if channel is not None:
            lines += target_notes(changed, channel)
            warning = ping_warning(ping, channel)
            if warning:
                lines.append(warning)
        await reply(interaction, "\n".join(lines))

    @edit.autocomplete("feed")
    async def edit_feed_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await subscription_choices(interaction, current)

    @feed.command(name="list", description="This server's feed subscriptions")
    @app_commands.describe(channel="Only this channel's subscriptions")
    @manage_channels()
    async def list_(
        self, interaction: discord.Interaction[Any], channel: PostChannel | None = None
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        bot = bot_of(interaction)
        guild_id = guild_id_of(interaction)
        subs = await bot.digests.subscriptions(guild_id, channel.id if channel else None)
        if not subs:
            where = f" in {channel.mention}" if channel else ""
            await reply(interaction, f"No feeds are subscribed{where} yet; add one with /feed add.")
            return
        lines = [subscription_line(s) for s in subs]
        body = render.lines_within(lines, render.DESCRIPTION_MAX - 40)
        shown = body.count("\n") + 1
        if shown < len(lines):
            body += f"\n…and {len(lines) - shown} more."
        embed = discord.Embed(title=f"Feeds ({len(subs)})", description=body)
        await reply(interaction, embed=embed)

    # --- OPML ---------------------------------------------------------------------------------
    @feed.command(name="import", description="Subscribe a channel to every feed of an OPML file")
    @app_commands.describe(
        file="An OPML file (exported from Feedly, Inoreader, NetNewsWire, Miniflux, …)",
        channel="Where their stories go (default: here)",
        mode="live: each story as it arrives; digest: in digests (default)",
    )
    @manage_channels()
    async def import_(
        self,
        interaction: discord.Interaction[Any],
        file: discord.Attachment,
        channel: PostChannel | None = None,
        mode: Literal["live", "digest"] = "digest",
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        bot = bot_of(interaction)
        guild_id = guild_id_of(interaction)
        target = postable_target(interaction, channel)
        if file.size > opml.MAX_OPML_BYTES:
            raise InputError(
                f"The OPML file is too large: at most {opml.MAX_OPML_BYTES // 2**20} MB."
            )
        try:
            content = await file.read()
        except discord.HTTPException as exc:
            raise InputError("The file could not be downloaded from Discord; try again.") from exc
        report = await bot.digests.import_opml(
            guild_id=guild_id, channel_id=target.id, content=content, mode=mode
        )
        await reply(
            interaction,
            f"{report.summary()} Channel: {target.mention} ({mode} mode).",
            embed=import_embed(report),
        )

    @feed.command(name="export", description="This server's subscriptions as an OPML file")
    @manage_channels()
    async def export(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        bot = bot_of(interaction)
        guild_id = guild_id_of(interaction)
        guild = interaction.guild

        def folder(sub: Subscription) -> str:
            found = guild.get_channel(sub.channel_id) if guild else None
            return f"#{found.name}" if found else f"channel {sub.channel_id}"

        subs = await bot.digests.subscriptions(guild_id)
        if not subs:
            await reply(interaction, "No feeds are subscribed yet; add one with /feed add.")
            return
        data = await bot.digests.export_opml(guild_id, category=folder)
        await reply(
            interaction,
            f"This server's {len(subs)} subscription{'s' if len(subs) != 1 else ''}, "
            "one folder per channel.",
            file=discord.File(io.BytesIO(data), filename="newsdigest-subscriptions.opml"),
        )

    # --- /feed filter ------------------------------------------------------------------------
    filter_ = app_commands.Group(
        name="filter", description="Choose which stories a subscription posts", parent=feed
    )

    @filter_.command(name="add", description="Post only matching stories, or drop them")
    @app_commands.describe(
        feed="The subscription to filter",
        kind="include: post only matching stories; exclude: never post them",
        pattern="Keywords separated by commas (whole words, any case), or a regular expression",
        regex="Treat the pattern as a regular expression (RE2 syntax; default: keywords)",
        field="Where to look (default: any of them)",
        ping="A role to mention when a story matches (include filters only)",
    )
    @manage_channels()
    async def filter_add(
        self,
        interaction: discord.Interaction[Any],
        feed: app_commands.Range[str, 1, 2000],
        kind: FilterKind,
        pattern: app_commands.Range[str, 1, filters.MAX_PATTERN_CHARS],
        regex: bool = False,
        field: FilterField = "any",
        ping: discord.Role | None = None,
    ) -> None:
        bot, guild_id, sub = await deferred_subscription(interaction, feed)
        added = await bot.digests.add_filter(
            guild_id=guild_id,
            subscription_id=sub.subscription_id,
            kind=kind,
            pattern=pattern,
            regex=regex,
            field=field,
            ping_role_id=ping_role(interaction, ping),
        )
        pings = f", pinging <@&{added.ping_role_id}>" if added.ping_role_id else ""
        await reply(
            interaction,
            f"Added filter #{added.filter_id} to **{feed_name(sub)}** → <#{sub.channel_id}>: "
            f"{filter_text(added)}{pings}. "
            "Try it with /feed filter test.",
        )

    @filter_.command(name="remove", description="Remove a filter")
    @app_commands.describe(feed="The subscription", filter_id="The filter to remove")
    @app_commands.rename(filter_id="filter")
    @manage_channels()
    async def filter_remove(
        self,
        interaction: discord.Interaction[Any],
        feed: app_commands.Range[str, 1, 2000],
        filter_id: app_commands.Range[str, 1, 20],
    ) -> None:
        bot, guild_id, sub = await deferred_subscription(interaction, feed)
        number = filter_id.strip().lstrip("#")
        if not number.isdigit():
            raise InputError("Pick a filter from the suggestions, or give its number.")
        found = await bot.digests.filters(guild_id=guild_id, subscription_id=sub.subscription_id)
        if int(number) not in {f.filter_id for f in found}:
            raise InputError("That subscription has no such filter.")
        removed = await bot.digests.remove_filter(guild_id=guild_id, filter_id=int(number))
        await reply(
            interaction,
            f"Removed filter #{removed.filter_id} from **{feed_name(sub)}**: "
            f"{filter_text(removed)}.",
        )

    @filter_.command(name="list", description="A subscription's filters")
    @app_commands.describe(feed="The subscription")
    async def filter_list(
        self, interaction: discord.Interaction[Any], feed: app_commands.Range[str, 1, 2000]
    ) -> None:
        bot, guild_id, sub = await deferred_subscription(interaction, feed)
        found = await bot.digests.filters(guild_id=guild_id, subscription_id=sub.subscription_id)
        if not found:
            await reply(
                interaction,
                f"**{feed_name(sub)}** has no filters: it posts every story. "
                "Add one with /feed filter add.",
            )
            return
        embed = discord.Embed(
            title=render.clip(f"Filters · {feed_name(sub)}", render.TITLE_MAX),
            description=render.lines_within(
                [filter_line(f) for f in found], render.DESCRIPTION_MAX
            ),
        )
        await reply(interaction, embed=embed)

    @filter_.command(name="test", description="Which of the feed's recent stories would pass")
    @app_commands.describe(feed="The subscription")
    async def filter_test(
        self, interaction: discord.Interaction[Any], feed: app_commands.Range[str, 1, 2000]
    ) -> None:
        bot, guild_id, sub = await deferred_subscription(interaction, feed)
        tried = await bot.digests.test_filters(guild_id=guild_id, subscription=sub)
        if not tried:
            await reply(interaction, f"**{feed_name(sub)}** has no stories yet.")
            return
        passed = sum(ok for _, ok in tried)
        lines = [
            f"{'✅' if ok else '❌'} #{s.story_id} {render.clip(render.story_title(s), 150)}"
            for s, ok in tried
        ]
        embed = discord.Embed(
            title=render.clip(f"Filter test · {feed_name(sub)}", render.TITLE_MAX),
            description=render.lines_within(lines, render.DESCRIPTION_MAX - 100),
        )
        embed.set_footer(text=f"{passed} of {len(tried)} recent stories would be posted")
        await reply(interaction, embed=embed)

    @filter_add.autocomplete("feed")
    @filter_remove.autocomplete("feed")
    @filter_list.autocomplete("feed")
    @filter_test.autocomplete("feed")
    async def filter_feed_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await subscription_choices(interaction, current)

    @filter_remove.autocomplete("filter_id")
    async def filter_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        bot = bot_of(interaction)
        subs = await bot.digests.subscriptions(interaction.guild_id)
        try:
            sub = pick_subscription(subs, str(getattr(interaction.namespace, "feed", "") or ""))
        except InputError:
            return []
        found = await bot.digests.filters(
            guild_id=interaction.guild_id, subscription_id=sub.subscription_id
        )
        text = current.strip().lower()
        return [
            app_commands.Choice(name=choice_name(filter_line(f)), value=str(f.filter_id))
            for f in found
            if not text or text in filter_line(f).lower()
        ][:25]


def import_embed(report: opml.ImportReport) -> discord.Embed | None:
    """The feeds an import skipped or refused, each with its reason."""
    lines = [f"⏭️ {_url_line(url)} — {render.clean(why)}" for url, why in report.skipped]
    lines += [f"⛔ {_url_line(url)} — {render.clean(why)}" for url, why in report.refused]
    if not lines:
        return None
    body = render.lines_within(lines, render.DESCRIPTION_MAX - 40)
    shown = body.count("\n") + 1
    if shown < len(lines):
        body += f"\n…and {len(lines) - shown} more."
    return discord.Embed(title="Not added", description=body)


def _url_line(url: str) -> str:
    return f"`{render.clip(render.neutralize(url).replace('`', ''), 150)}`"


def feed_name(sub: Subscription) -> str:
    return render.clip(render.clean(sub.feed.title) or sub.feed.url, 200)


def filter_line(rule: Filter) -> str:
    pings = f" → pings <@&{rule.ping_role_id}>" if rule.ping_role_id else ""
    return f"#{rule.filter_id} {filter_text(rule)}{pings}"


def filter_text(rule: Filter) -> str:
    """The filter as shown: a regular expression in a code span (no markdown inside)."""
    text = render.neutralize(filters.describe(rule).replace("`", "ˋ"))
    if rule.regex:
        head, _, pattern = text.partition(": ")
        return f"{head}: `{render.clip(pattern, 250)}`"
    return render.clip(discord.utils.escape_markdown(text), 300)


async def subscription_choices(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    """Autocomplete over this server's subscriptions (value: the subscription id)."""
    if interaction.guild_id is None or not interaction.permissions.manage_channels:
        return []  # the same rule as the commands themselves: no list of feeds for others
    subs = await bot_of(interaction).digests.subscriptions(interaction.guild_id)
    text = current.strip().lower()
    choices: list[app_commands.Choice[str]] = []
    for sub in subs:
        title = sub.feed.title or redact_url(sub.feed.url)
        channel = interaction.guild.get_channel(sub.channel_id) if interaction.guild else None
        where = f"#{channel.name}" if channel else str(sub.channel_id)
        label = f"{title} → {where} ({sub.mode})"
        if text and text not in label.lower() and text not in redact_url(sub.feed.url).lower():
            continue
        choices.append(app_commands.Choice(name=choice_name(label), value=str(sub.subscription_id)))
        if len(choices) == 25:
            break
    return choices


async def deferred_subscription(
    interaction: discord.Interaction[Any], feed: str
) -> tuple[DigestBot, int, Subscription]:
    """Defer the answer (the lookup reads the database), then find the subscription of this
    server that ``feed`` (an autocomplete value, URL or title) names."""
    await interaction.response.defer(ephemeral=True, thinking=True)
    bot = bot_of(interaction)
    guild_id = guild_id_of(interaction)
    return bot, guild_id, pick_subscription(await bot.digests.subscriptions(guild_id), feed)


def pick_subscription(subs: list[Subscription], value: str) -> Subscription:
    """The subscription an autocomplete value (its id) or typed URL/title names."""
    value = value.strip()
    if value.isdigit():
        for sub in subs:
            if sub.subscription_id == int(value):
                return sub
    lowered = value.lower()
    matches = [
        s
        for s in subs
        if s.feed.url.lower() == lowered or (s.feed.title or "").strip().lower() == lowered
    ]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise InputError(
            "That feed is subscribed in several channels; pick one from the suggestions."
        )
    raise FeedNotFoundError(value, "No feed subscribed in this server matches that.")


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Feeds())
