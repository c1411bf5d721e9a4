"""Discord API JSON objects built from the emulator's records (API v10 shapes)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .snowflakes import snowflake_time_ms
from .state import (
    FORUM_CHANNEL,
    Channel,
    EmulatorState,
    Guild,
    Member,
    Role,
    User,
    channel_permissions,
)

JSON = dict[str, Any]


def iso_from_snowflake(snowflake: int) -> str:
    stamp = datetime.fromtimestamp(snowflake_time_ms(snowflake) / 1000, UTC)
    return stamp.isoformat()


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


def user_payload(user: User) -> JSON:
    return {
        "id": str(user.id),
        "username": user.username,
        "global_name": user.global_name,
        "discriminator": "0",
        "avatar": None,
        "bot": user.bot,
        "system": False,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
    }


def member_payload(state: EmulatorState, member: Member, *, with_user: bool = True) -> JSON:
    data: JSON = {
        "roles": [str(r) for r in member.role_ids],
        "nick": member.nick,
        "avatar": None,
        "banner": None,
        "joined_at": member.joined_at,
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
    }
    if with_user:
        data["user"] = user_payload(state.users[member.user_id])
    return data


def role_payload(role: Role) -> JSON:
    return {
        "id": str(role.id),
        "name": role.name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": role.position,
        "permissions": str(role.permissions),
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def channel_payload(channel: Channel) -> JSON:
    if channel.is_thread:
        return thread_payload(channel)
    data = _guild_channel_payload(channel)
    if channel.type == FORUM_CHANNEL:
        data.update(
            {
                "available_tags": [
                    {
                        "id": str(tag_id),
                        "name": name,
                        "moderated": False,
                        "emoji_id": None,
                        "emoji_name": None,
                    }
                    for tag_id, name in channel.available_tags
                ],
                "default_reaction_emoji": None,
                "default_thread_rate_limit_per_user": 0,
                "default_sort_order": None,
                "default_forum_layout": 0,
            }
        )
    return data


def thread_payload(thread: Channel) -> JSON:
    """A thread channel object (a thread of a text or announcement channel, or a forum post)."""
    created = iso_from_snowflake(thread.id)
    return {
        "id": str(thread.id),
        "type": thread.type,
        "guild_id": str(thread.guild_id),
        "parent_id": str(thread.parent_id),
        "owner_id": str(thread.owner_id),
        "name": thread.name,
        "last_message_id": None,
        "message_count": 0,
        "member_count": 1,
        "total_message_sent": 0,
        "rate_limit_per_user": 0,
        "flags": 0,
        "applied_tags": [str(t) for t in thread.applied_tags],
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": created,
            "locked": False,
            "create_timestamp": created,
        },
    }


def _guild_channel_payload(channel: Channel) -> JSON:
    return {
        "id": str(channel.id),
        "type": channel.type,
        "guild_id": str(channel.guild_id),
        "name": channel.name,
        "position": channel.position,
        "permission_overwrites": [
            {"id": str(o.id), "type": o.type, "allow": str(o.allow), "deny": str(o.deny)}
            for o in channel.overwrites
        ],
        "topic": channel.topic,
        "nsfw": False,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "parent_id": None,
        "default_auto_archive_duration": 1440,
        "flags": 0,
    }


def guild_payload(guild: Guild) -> JSON:
    """The REST guild object (GET /guilds/{id}): no channels or members."""
    return {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "owner_id": str(guild.owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "roles": [role_payload(r) for r in guild.roles.values()],
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "vanity_url_code": None,
        "description": None,
        "banner": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "public_updates_channel_id": None,
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        "approximate_member_count": len(guild.members),
    }


def guild_create_payload(state: EmulatorState, guild: Guild) -> JSON:
    """The gateway GUILD_CREATE object: the guild plus channels, members and the rest."""
    data = guild_payload(guild)
    data.update(
        {
            "joined_at": guild.members[state.bot_user.id].joined_at,
            "large": False,
            "unavailable": False,
            "member_count": len(guild.members),
            "voice_states": [],
            "members": [member_payload(state, m) for m in guild.members.values()],
            "channels": [channel_payload(c) for c in guild.channels.values()],
            "threads": [thread_payload(t) for t in guild.threads.values()],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }
    )
    return data


def interaction_channel_payload(guild: Guild, channel: Channel, user_id: int) -> JSON:
    data = channel_payload(channel)
    data["permissions"] = str(channel_permissions(guild, user_id, channel))
    return data


def application_payload(state: EmulatorState) -> JSON:
    owner = state.users.get(state.app_owner_id, state.bot_user)
    return {
        "id": str(state.application_id),
        "name": state.bot_user.username,
        "icon": None,
        "description": "Discord emulator application",
        "rpc_origins": [],
        "bot_public": True,
        "bot_require_code_grant": False,
        "bot": user_payload(state.bot_user),
        "owner": user_payload(owner),
        "summary": "",
        "verify_key": "0" * 64,
        "team": None,
        "flags": 0,
        "tags": [],
        "install_params": None,
        "custom_install_url": None,
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "approximate_guild_count": len(state.guilds),
        "redirect_uris": [],
        "integration_types_config": {"0": {}},
    }


def message_payload(
    state: EmulatorState,
    *,
    message_id: int,
    channel_id: int,
    guild_id: int | None,
    author: User,
    body: JSON,
    flags: int = 0,
    nonce: str | int | None = None,
    webhook_id: int | None = None,
    interaction: JSON | None = None,
) -> JSON:
    """A Discord message object from the body the bot sent."""
    data: JSON = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": user_payload(author),
        "content": body.get("content") or "",
        "timestamp": iso_from_snowflake(message_id),
        "edited_timestamp": None,
        "tts": bool(body.get("tts", False)),
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "mention_channels": [],
        "attachments": list(body.get("attachments") or []),
        "embeds": [_embed_out(e) for e in body.get("embeds") or []],
        "reactions": [],
        "pinned": False,
        "type": 0 if interaction is None else 20,
        "flags": flags,
        "components": list(body.get("components") or []),
        "sticker_items": [],
        "position": 0,
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
        guild = state.guilds.get(guild_id)
        member = guild.members.get(author.id) if guild is not None else None
        if member is not None:
            data["member"] = member_payload(state, member, with_user=False)
    if nonce is not None:
        data["nonce"] = nonce
    if webhook_id is not None:
        # an interaction's answer, or a message of an application-owned (the bot's) webhook
        data["webhook_id"] = str(webhook_id)
        data["application_id"] = str(state.application_id)
    if interaction is not None:
        data["interaction_metadata"] = interaction
    if body.get("message_reference"):
        data["message_reference"] = body["message_reference"]
    return data


def _embed_out(embed: JSON) -> JSON:
    out = dict(embed)
    out.setdefault("type", "rich")
    for key in ("thumbnail", "image"):
        media = out.get(key)
        if isinstance(media, dict) and "url" in media:
            media = dict(media)
            media.setdefault("proxy_url", media["url"])
            out[key] = media
    return out
