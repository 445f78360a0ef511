"""Whether a failed Bot API request may be sent again without risking a duplicate.

Telegram acts on a request as soon as it has read it; the answer can then be lost (a read
timeout, a connection closed before the answer). Sending such a request again can deliver the
message twice, so it is retried only when the failure happened before the request could have
reached Telegram (connecting, waiting for a pooled connection) or when Telegram itself answered
that it did not act (429, 5xx). Pure functions, shared by the rate limiter and the outbox.
"""

from __future__ import annotations

import httpx
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

#: Failures before a byte of the request was sent.
_BEFORE_SENDING = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def may_have_arrived(exc: BaseException) -> bool:
    """True when the request may have been read by Telegram although no answer came: a read
    or write timeout, or the connection lost while the request was sent or answered."""
    cause = exc.__cause__
    if isinstance(cause, _BEFORE_SENDING) or "Pool timeout" in str(exc):
        return False
    if isinstance(exc, TimedOut):
        return True
    return isinstance(cause, httpx.TransportError)  # ReadError, RemoteProtocolError, ...


def retryable(exc: BaseException, on_wire: bool) -> bool:
    """May the request be sent again? `on_wire`: it left the rate limiter, so it may have been
    written. 429 and 5xx are answers (Telegram did not act): always retryable."""
    if isinstance(exc, RetryAfter):
        return True
    if isinstance(exc, BadRequest) or not isinstance(exc, NetworkError):
        return False
    return not (on_wire and may_have_arrived(exc))
