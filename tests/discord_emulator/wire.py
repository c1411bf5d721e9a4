"""The REST layer's vocabulary: JSON responses, Discord errors, a matched call, uploads."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web

JSON = dict[str, Any]


def json_response(
    data: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON response with Discord's exact Content-Type (discord.py compares it verbatim)."""
    body = json.dumps(data, separators=(",", ":")).encode()
    return web.Response(
        body=body, status=status, headers={**(headers or {}), "Content-Type": "application/json"}
    )


class ApiError(Exception):
    def __init__(self, status: int, code: int, message: str, errors: list[str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors

    def response(self) -> web.Response:
        body: JSON = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = {"_errors": [{"code": "INVALID", "message": e} for e in self.errors]}
        return json_response(body, status=self.status)


def invalid_form(problems: list[str]) -> ApiError:
    return ApiError(400, 50035, "Invalid Form Body", problems)


@dataclass(frozen=True, slots=True)
class Upload:
    """A file part of a multipart request (field name `files[N]`)."""

    field: str
    filename: str
    size: int
    content_type: str
    #: the file's bytes (served back at the attachment's URL)
    data: bytes = b""


@dataclass(frozen=True, slots=True)
class Call:
    """A matched request: path parameters, the parsed JSON body and uploaded file names."""

    request: web.Request
    params: dict[str, str]
    body: Any
    files: tuple[Upload, ...]

    def int_param(self, name: str) -> int:
        try:
            return int(self.params[name])
        except ValueError:
            raise ApiError(404, 0, "404: Not Found") from None

    def json_body(self) -> JSON:
        if not isinstance(self.body, dict):
            raise invalid_form(["body: expected a JSON object"])
        return self.body

    def flag(self, name: str) -> bool:
        return self.request.query.get(name, "").lower() in ("1", "true")


Handler = Callable[[Call], Awaitable[web.StreamResponse]]


def compile_template(template: str) -> re.Pattern[str]:
    regex = re.sub(
        r"\{(\w+)\}", r"(?P<\1>[^/]+)", re.escape(template).replace(r"\{", "{").replace(r"\}", "}")
    )
    return re.compile(f"^{regex}$")


class AddRoute(Protocol):
    """How handler groups register their routes with the router."""

    def __call__(
        self, method: str, template: str, handler: Handler, *, auth: bool = True
    ) -> None: ...
