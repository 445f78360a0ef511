"""Telegram Mini App launch data: check its signature exactly as Telegram documents it, and
read who is asking.

The page sends `Telegram.WebApp.initData` with every API call (``Authorization: tma
<initData>``). It is a query string whose `hash` is HMAC-SHA256 of the other fields (sorted
``key=value`` lines) under the key HMAC-SHA256("WebAppData", bot token). Only a request whose
signature verifies and whose `auth_date` is recent acts, and only for the `user.id` it carries.
Pure functions of the data, the token and `now`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

SCHEME = "tma"


class AuthError(ValueError):
    """Missing, forged or expired launch data; str() is a short reason for the 401 body."""


@dataclass(frozen=True)
class WebAppUser:
    id: int
    first_name: str
    language_code: str | None
    auth_date: datetime


def _secret(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def _check_string(fields: dict[str, str]) -> bytes:
    return "\n".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "hash").encode()


def sign(fields: dict[str, str], bot_token: str) -> str:
    """Launch data for `fields`, signed as Telegram signs it (the sandbox and tests use it)."""
    digest = hmac.new(_secret(bot_token), _check_string(fields), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})


def launch_data(user_id: int, first_name: str, language: str, bot_token: str, now: datetime) -> str:
    """Signed launch data for one user, as Telegram hands it to the page."""
    user = json.dumps(
        {"id": user_id, "first_name": first_name, "language_code": language},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return sign({"auth_date": str(int(now.timestamp())), "user": user}, bot_token)


def from_header(header: str | None) -> str:
    """The initData of an ``Authorization: tma <initData>`` header."""
    scheme, _, data = (header or "").partition(" ")
    if scheme.lower() != SCHEME or not data.strip():
        raise AuthError("missing launch data")
    return data.strip()


def verify(init_data: str, bot_token: str, now: datetime, max_age: timedelta) -> WebAppUser:
    """The user the launch data was issued to; AuthError when it is forged, old or unusable."""
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise AuthError("malformed launch data") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise AuthError("malformed launch data")
    received = fields.get("hash", "")
    expected = hmac.new(_secret(bot_token), _check_string(fields), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(received.encode(), expected.encode()):
        raise AuthError("invalid signature")
    try:
        issued = datetime.fromtimestamp(int(fields["auth_date"]), tz=UTC)
        user = json.loads(fields["user"])
        user_id = int(user["id"])
    except (KeyError, ValueError, TypeError):
        raise AuthError("launch data without a user") from None
    if not timedelta(minutes=-5) <= now - issued <= max_age:
        raise AuthError("launch data expired")
    language = user.get("language_code")
    return WebAppUser(
        id=user_id,
        first_name=str(user.get("first_name") or ""),
        language_code=language if isinstance(language, str) else None,
        auth_date=issued,
    )
