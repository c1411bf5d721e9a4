"""Discord's request validation for messages and application commands (the limits bots trip on).

Each function returns a list of problems; the REST layer turns a non-empty list into
400 {"code": 50035, "message": "Invalid Form Body", "errors": ...} as Discord does.
"""

from __future__ import annotations

import re
from typing import Any

JSON = dict[str, Any]

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
EMBED_LIMITS = {"title": 256, "description": 4096}
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
AUTHOR_MAX = 256
ACTION_ROWS_MAX = 5
BUTTONS_PER_ROW = 5
CUSTOM_ID_MAX = 100
LABEL_MAX = 80
NONCE_MAX = 25
COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$")
CHOICES_MAX = 25


def _embed_text(embed: JSON) -> int:
    total = len(str(embed.get("title") or "")) + len(str(embed.get("description") or ""))
    for fld in embed.get("fields") or []:
        total += len(str(fld.get("name") or "")) + len(str(fld.get("value") or ""))
    total += len(str((embed.get("footer") or {}).get("text") or ""))
    total += len(str((embed.get("author") or {}).get("name") or ""))
    return total


def embed_problems(embeds: Any) -> list[str]:
    if not isinstance(embeds, list):
        return ["embeds: must be a list"]
    problems: list[str] = []
    if len(embeds) > EMBEDS_MAX:
        problems.append(f"embeds: at most {EMBEDS_MAX} (got {len(embeds)})")
    total = 0
    for i, embed in enumerate(embeds):
        if not isinstance(embed, dict):
            problems.append(f"embeds.{i}: must be an object")
            continue
        for key, limit in EMBED_LIMITS.items():
            value = embed.get(key)
            if value is not None and len(str(value)) > limit:
                problems.append(f"embeds.{i}.{key}: BASE_TYPE_MAX_LENGTH {len(str(value))}>{limit}")
        fields = embed.get("fields") or []
        if len(fields) > FIELDS_MAX:
            problems.append(f"embeds.{i}.fields: at most {FIELDS_MAX}")
        for j, fld in enumerate(fields):
            name, value = str(fld.get("name") or ""), str(fld.get("value") or "")
            if not name or not value:
                problems.append(f"embeds.{i}.fields.{j}: name and value are required")
            if len(name) > FIELD_NAME_MAX:
                problems.append(f"embeds.{i}.fields.{j}.name: BASE_TYPE_MAX_LENGTH")
            if len(value) > FIELD_VALUE_MAX:
                problems.append(f"embeds.{i}.fields.{j}.value: BASE_TYPE_MAX_LENGTH")
        footer = str((embed.get("footer") or {}).get("text") or "")
        if len(footer) > FOOTER_MAX:
            problems.append(f"embeds.{i}.footer.text: BASE_TYPE_MAX_LENGTH")
        author = str((embed.get("author") or {}).get("name") or "")
        if len(author) > AUTHOR_MAX:
            problems.append(f"embeds.{i}.author.name: BASE_TYPE_MAX_LENGTH")
        url = embed.get("url")
        if url is not None and not str(url).startswith(("http://", "https://")):
            problems.append(f"embeds.{i}.url: URL_TYPE_INVALID_URL")
        total += _embed_text(embed)
    if total > EMBED_TOTAL_MAX:
        problems.append(f"embeds: MAX_EMBED_SIZE_EXCEEDED ({total}>{EMBED_TOTAL_MAX})")
    return problems


def component_problems(components: Any) -> list[str]:
    if not isinstance(components, list):
        return ["components: must be a list"]
    problems: list[str] = []
    if len(components) > ACTION_ROWS_MAX:
        problems.append(f"components: at most {ACTION_ROWS_MAX} action rows")
    for i, row in enumerate(components):
        if not isinstance(row, dict) or row.get("type") != 1:
            continue  # components v2 layouts are passed through unchecked
        inner = row.get("components") or []
        if not inner or len(inner) > BUTTONS_PER_ROW:
            problems.append(f"components.{i}: 1-{BUTTONS_PER_ROW} components per row")
        for j, comp in enumerate(inner):
            where = f"components.{i}.components.{j}"
            if comp.get("type") == 2:
                style = comp.get("style")
                if style == 5:
                    if not comp.get("url") or comp.get("custom_id"):
                        problems.append(f"{where}: link buttons need a url and no custom_id")
                elif style != 6 and not comp.get("custom_id"):
                    problems.append(f"{where}: custom_id is required")
                if len(str(comp.get("label") or "")) > LABEL_MAX:
                    problems.append(f"{where}.label: BASE_TYPE_MAX_LENGTH")
            if comp.get("type") == 3:
                options = comp.get("options") or []
                if not comp.get("custom_id") or not 1 <= len(options) <= 25 or len(inner) != 1:
                    problems.append(f"{where}: a select menu needs a custom_id, 1-25 options")
                problems += [
                    f"{where}.options.{key}: BASE_TYPE_MAX_LENGTH"
                    for option in options
                    for key in ("label", "value", "description")
                    if len(str(option.get(key) or "")) > 100
                ]
            if len(str(comp.get("custom_id") or "")) > CUSTOM_ID_MAX:
                problems.append(f"{where}.custom_id: BASE_TYPE_MAX_LENGTH")
    ids = _custom_ids(components)
    if len(ids) != len(set(ids)):
        problems.append("components: COMPONENT_CUSTOM_ID_DUPLICATED")
    return problems


def _custom_ids(components: list[Any]) -> list[str]:
    out: list[str] = []
    for comp in components:
        if isinstance(comp, dict):
            if comp.get("custom_id"):
                out.append(str(comp["custom_id"]))
            out += _custom_ids(comp.get("components") or [])
    return out


def message_problems(body: JSON, *, has_files: bool = False, edit: bool = False) -> list[str]:
    problems: list[str] = []
    content = body.get("content")
    if content is not None and len(str(content)) > CONTENT_MAX:
        problems.append(f"content: BASE_TYPE_MAX_LENGTH {len(str(content))}>{CONTENT_MAX}")
    if body.get("embeds") is not None:
        problems += embed_problems(body["embeds"])
    if body.get("components") is not None:
        problems += component_problems(body["components"])
    nonce = body.get("nonce")
    if nonce is not None and isinstance(nonce, str) and len(nonce) > NONCE_MAX:
        problems.append(f"nonce: at most {NONCE_MAX} characters")
    mentions = body.get("allowed_mentions")
    if mentions is not None:
        parse = mentions.get("parse") or []
        unknown = set(parse) - {"roles", "users", "everyone"}
        if unknown:
            problems.append(f"allowed_mentions.parse: unknown values {sorted(unknown)}")
        if "users" in parse and mentions.get("users"):
            problems.append("allowed_mentions: parse users and users are mutually exclusive")
        if "roles" in parse and mentions.get("roles"):
            problems.append("allowed_mentions: parse roles and roles are mutually exclusive")
    return problems


def is_empty_message(body: JSON, *, has_files: bool) -> bool:
    return not (
        body.get("content")
        or body.get("embeds")
        or body.get("components")
        or body.get("sticker_ids")
        or body.get("poll")
        or has_files
    )


def command_problems(command: JSON) -> list[str]:
    problems: list[str] = []
    name = str(command.get("name") or "")
    kind = int(command.get("type", 1))
    if kind == 1 and (not COMMAND_NAME.match(name) or name != name.lower()):
        problems.append(f"name {name!r}: APPLICATION_COMMAND_INVALID_NAME")
    if kind == 1:
        description = str(command.get("description") or "")
        if not 1 <= len(description) <= 100:
            problems.append(f"{name}.description: 1-100 characters")
    problems += _option_list_problems(name, command.get("options") or [])
    return problems


def _option_list_problems(where: str, options: list[JSON]) -> list[str]:
    problems: list[str] = []
    if len(options) > 25:
        problems.append(f"{where}.options: at most 25")
    seen_optional = False
    names: set[str] = set()
    for option in options:
        name = str(option.get("name") or "")
        path = f"{where}.{name}"
        if not COMMAND_NAME.match(name) or name != name.lower():
            problems.append(f"{path}: APPLICATION_COMMAND_INVALID_NAME")
        if name in names:
            problems.append(f"{path}: APPLICATION_COMMANDS_DUPLICATE_NAME")
        names.add(name)
        if not 1 <= len(str(option.get("description") or "")) <= 100:
            problems.append(f"{path}.description: 1-100 characters")
        if option.get("type") in (1, 2):
            problems += _option_list_problems(path, option.get("options") or [])
            continue
        if option.get("required"):
            if seen_optional:
                problems.append(f"{path}: APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID")
        else:
            seen_optional = True
        choices = option.get("choices") or []
        if len(choices) > CHOICES_MAX:
            problems.append(f"{path}.choices: at most {CHOICES_MAX}")
        if choices and option.get("autocomplete"):
            problems.append(f"{path}: autocomplete and choices are mutually exclusive")
    return problems


def choices_problems(choices: Any) -> list[str]:
    if not isinstance(choices, list):
        return ["choices: must be a list"]
    problems: list[str] = []
    if len(choices) > CHOICES_MAX:
        problems.append(f"choices: at most {CHOICES_MAX} (got {len(choices)})")
    for i, choice in enumerate(choices):
        name = str(choice.get("name") or "")
        if not 1 <= len(name) <= 100:
            problems.append(f"choices.{i}.name: 1-100 characters")
        value = choice.get("value")
        if isinstance(value, str) and len(value) > 100:
            problems.append(f"choices.{i}.value: at most 100 characters")
    return problems
