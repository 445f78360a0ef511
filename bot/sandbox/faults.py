"""Scripted misbehaviour: error answers, latency and dropped connections on demand.

Retry, backoff and exactly-once code paths only run when Telegram misbehaves; these let a test
make it misbehave at a precise call instead of hoping for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)


@dataclass(frozen=True)
class Fault:
    """One misbehaving answer. Build with the class methods rather than by hand."""

    status: int = 500
    description: str = "Internal Server Error"
    parameters: dict[str, Any] | None = None
    raw_body: str | None = None
    """Sent verbatim (as text/html) instead of a JSON error, like nginx's 502 page."""
    drop: bool = False
    """Close the connection without any answer."""
    after_processing: bool = False
    """With `drop`: carry the call out first, then drop, so the bot can't know it succeeded."""

    @classmethod
    def error(cls, status: int, description: str, **parameters: Any) -> Fault:
        """Any Bot API JSON error, e.g. Fault.error(400, "Bad Request: chat not found")."""
        return cls(status=status, description=description, parameters=parameters or None)

    @classmethod
    def retry_after(cls, seconds: int) -> Fault:
        return cls(
            status=429,
            description=f"Too Many Requests: retry after {seconds}",
            parameters={"retry_after": seconds},
        )

    @classmethod
    def bad_gateway(cls) -> Fault:
        """What Telegram's front end answers while the Bot API server restarts."""
        return cls(status=502, description="Bad Gateway", raw_body=_NGINX_502)

    @classmethod
    def server_error(cls) -> Fault:
        return cls(status=500, description="Internal Server Error")

    @classmethod
    def drop_connection(cls, *, after_processing: bool = False) -> Fault:
        return cls(
            status=0, description="connection dropped", drop=True, after_processing=after_processing
        )


@dataclass
class ScriptedFault:
    """A fault waiting to fire `remaining` more times on matching calls; `cancel()` disarms it."""

    fault: Fault
    method: str | None = None
    """Lower-case Bot API method name, or None for any method."""
    chat_id: int | None = None
    remaining: int = 1
    fired: int = 0

    def matches(self, method: str, chat_id: int | None) -> bool:
        if self.remaining <= 0:
            return False
        if self.method is not None and self.method != method:
            return False
        return self.chat_id is None or self.chat_id == chat_id

    def cancel(self) -> None:
        self.remaining = 0


@dataclass
class FaultPlan:
    """The armed faults and per-method latency; consulted once per API call."""

    scripted: list[ScriptedFault] = field(default_factory=list)
    latency: dict[str | None, float] = field(default_factory=dict)

    def add(
        self, fault: Fault, *, method: str | None, chat_id: int | None, times: int
    ) -> ScriptedFault:
        if times < 1:
            raise ValueError("times must be at least 1")
        entry = ScriptedFault(fault, method.lower() if method else None, chat_id, times)
        self.scripted.append(entry)
        return entry

    def take(self, method: str, chat_id: int | None) -> Fault | None:
        """The first armed fault matching this call, counting it as fired."""
        if not self.scripted:
            return None
        for entry in self.scripted:
            if entry.matches(method, chat_id):
                entry.remaining -= 1
                entry.fired += 1
                fault = entry.fault
                break
        else:
            fault = None
        self.scripted = [entry for entry in self.scripted if entry.remaining > 0]
        return fault

    def fail_next(
        self,
        method: str | None,
        *,
        status: int,
        description: str | None,
        retry_after: int | None,
        chat_id: int | None,
        times: int,
    ) -> ScriptedFault:
        """The common scripted errors: a 429, nginx's 502 page, or a JSON error."""
        if retry_after is not None:
            fault = Fault.retry_after(retry_after)
        elif status == 502 and description is None:
            fault = Fault.bad_gateway()
        elif status == 500 and description is None:
            fault = Fault.server_error()
        else:
            fault = Fault.error(status, description or f"Error {status}")
        return self.add(fault, method=method, chat_id=chat_id, times=times)

    def drop_next(
        self, method: str | None, *, chat_id: int | None, times: int, after_processing: bool
    ) -> ScriptedFault:
        fault = Fault.drop_connection(after_processing=after_processing)
        return self.add(fault, method=method, chat_id=chat_id, times=times)

    def set_latency(self, seconds: float, method: str | None) -> None:
        key = method.lower() if method else None
        if seconds <= 0:
            self.latency.pop(key, None)
        else:
            self.latency[key] = seconds

    def delay_for(self, method: str) -> float:
        if not self.latency:
            return 0.0
        return self.latency.get(method, 0.0) + self.latency.get(None, 0.0)
