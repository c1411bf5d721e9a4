"""REST v10 routing: recording, auth, injected faults, rate-limit headers, unknown routes.

Every request is recorded (`Core.requests`), including unknown routes, which answer
404 {"message": "404: Not Found", "code": 0} so a test can notice an unemulated call. The
handlers live in resources.py (users, commands, channels, guilds) and webhooks.py (interactions).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, web

from .channel_webhooks import WebhookRoutes
from .core import Core, RestFault
from .resources import Resources
from .state import RecordedRequest
from .threads import ThreadRoutes
from .webhooks import InteractionRoutes
from .wire import ApiError, Call, Handler, Upload, compile_template, invalid_form, json_response

API_PREFIX = "/api/v10"
MESSAGE_ROUTE = "POST /channels/{channel_id}/messages"


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Handler
    auth: bool


class RestApi:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.routes: list[Route] = []
        self._windows: dict[str, tuple[float, int]] = {}
        Resources(core).register(self._add)
        threads = ThreadRoutes(core)
        threads.register(self._add)
        interactions = InteractionRoutes(core)
        # channel webhooks share the interaction follow-up paths: registered first, they hand
        # what is not theirs to the interaction routes
        WebhookRoutes(interactions, threads).register(self._add)
        interactions.register(self._add)

    def _add(self, method: str, template: str, handler: Handler, *, auth: bool = True) -> None:
        self.routes.append(Route(method, template, compile_template(template), handler, auth))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            if route.method != method:
                continue
            found = route.pattern.match(path)
            if found is not None:
                return route, found.groupdict()
        return None

    # ---- the single entry point ------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path[len(API_PREFIX) :] if request.path.startswith(API_PREFIX) else None
        rel = path if path is not None else request.path
        body, files, bad_body = await _read_body(request)
        matched = self.match(request.method, rel) if path is not None else None
        authorized = request.headers.get("Authorization") == f"Bot {self.core.token}"
        route_key = f"{request.method} {matched[0].template}" if matched else None
        response: web.StreamResponse
        fault = self.core.take_fault(request.method, rel) if matched else None
        if matched is None:
            response = ApiError(404, 0, "404: Not Found").response()
        elif fault is not None:
            response = _fault_response(fault, route_key or rel)
        elif matched[0].auth and not authorized:
            response = ApiError(401, 0, "401: Unauthorized").response()
        elif bad_body:
            response = ApiError(400, 50109, "The request body contains invalid JSON.").response()
        else:
            route, params = matched
            limit = self._take_rate(route_key or rel, params)
            if limit is None:
                response = await self._held_call(route, Call(request, params, body, files))
            else:
                fault = limit
                response = _fault_response(limit, route_key or rel)
        if fault is None:
            _rate_limit_headers(response, route_key or rel, *self._rate_state(route_key, matched))
        self.core.requests.append(
            RecordedRequest(
                method=request.method,
                path=rel,
                query=dict(request.query),
                json=body,
                status=response.status,
                route=route_key,
                authorized=authorized,
                at=time.monotonic(),
                files=tuple(f.filename for f in files),
            )
        )
        return response

    async def _held_call(self, route: Route, call: Call) -> web.StreamResponse:
        """The call, unless a test holds it (``Core.holds``): before it applies (then it never
        does: the sender is gone) or after it applied, its answer kept back until released."""
        hold = self.core.take_hold(call.request.method, call.request.path[len(API_PREFIX) :])
        if hold is not None and not hold.after:
            await self.core.held(hold)
            return ApiError(503, 0, "503: held and dropped by the test").response()
        response = await self._call(route, call)
        if hold is not None:
            await self.core.held(hold)
        return response

    async def _call(self, route: Route, call: Call) -> web.StreamResponse:
        try:
            return await route.handler(call)
        except ApiError as exc:
            return exc.response()
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            # A body shape Discord would refuse (e.g. a string where an object belongs).
            return invalid_form([f"malformed body: {type(exc).__name__}: {exc}"]).response()

    # ---- opt-in rate limiting of channel messages -------------------------------------------
    def _rate_key(self, route_key: str | None, params: dict[str, str]) -> str | None:
        if self.core.message_rate is None or route_key != MESSAGE_ROUTE:
            return None
        return params.get("channel_id")

    def _take_rate(self, route_key: str, params: dict[str, str]) -> RestFault | None:
        """None when the request may go on; a 429 fault when the channel's window is full."""
        key = self._rate_key(route_key, params)
        if key is None or self.core.message_rate is None:
            return None
        limit, per = self.core.message_rate
        now = self.core.monotonic()
        start, count = self._windows.get(key, (now, 0))
        if now - start >= per:
            start, count = now, 0
        if count >= limit:
            return RestFault(status=429, retry_after=round(per - (now - start), 3), scope="user")
        self._windows[key] = (start, count + 1)
        return None

    def _rate_state(
        self, route_key: str | None, matched: tuple[Route, dict[str, str]] | None
    ) -> tuple[int, int, float]:
        key = self._rate_key(route_key, matched[1]) if matched else None
        if key is None or self.core.message_rate is None:
            return 50, 49, 1.0
        limit, per = self.core.message_rate
        start, count = self._windows.get(key, (self.core.monotonic(), 0))
        return limit, max(0, limit - count), max(0.0, per - (self.core.monotonic() - start))


async def _read_body(request: web.Request) -> tuple[Any, tuple[Upload, ...], bool]:
    """(JSON body, uploaded files, whether the body was malformed)."""
    if not request.can_read_body:
        return None, (), False
    if request.content_type.startswith("multipart/"):
        payload: Any = None
        files: list[Upload] = []
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue  # nested multipart: Discord doesn't take it either
            name = part.name
            raw = await part.read()
            if name == "payload_json":
                try:
                    payload = json.loads(raw)
                except ValueError:
                    return None, (), True
            else:
                files.append(
                    Upload(
                        field=str(name),
                        filename=part.filename or str(name),
                        size=len(raw),
                        content_type=part.headers.get("Content-Type", "application/octet-stream"),
                        data=bytes(raw),
                    )
                )
        return payload, tuple(files), False
    text = await request.text()
    if not text:
        return None, (), False
    try:
        return json.loads(text), (), False
    except ValueError:
        return None, (), True


def _bucket(route_key: str) -> str:
    return hashlib.sha256(route_key.encode()).hexdigest()[:16]


def _rate_limit_headers(
    response: web.StreamResponse, route_key: str, limit: int, remaining: int, reset_after: float
) -> None:
    now = time.time()
    response.headers.update(
        {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": f"{now + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": _bucket(route_key),
            "Via": "1.1 google",
        }
    )


def _fault_response(fault: RestFault, route_key: str) -> web.Response:
    if fault.status != 429:
        return json_response(
            {"message": f"{fault.status}: Emulated server error", "code": 0}, status=fault.status
        )
    now = time.time()
    headers = {
        "Retry-After": f"{max(1, round(fault.retry_after))}",
        "X-RateLimit-Limit": "50",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": f"{now + fault.retry_after:.3f}",
        "X-RateLimit-Reset-After": f"{fault.retry_after:.3f}",
        "X-RateLimit-Bucket": _bucket(route_key),
        "X-RateLimit-Scope": fault.scope,
        "Via": "1.1 google",
    }
    if fault.is_global:
        headers["X-RateLimit-Global"] = "true"
    body = {
        "message": "You are being rate limited.",
        "retry_after": fault.retry_after,
        "global": fault.is_global,
        "code": 0,
    }
    return json_response(body, status=429, headers=headers)
