"""The secret calendar address at rest: encrypted with Fernet (AES-128-CBC with an HMAC), key
from SECRET_KEY. A copy of the database alone does not give anyone the user's calendar.

Generate a key once and keep it with the bot's other secrets:
    python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
Losing or changing it makes stored addresses unreadable (users connect their calendar again).
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

from bot.config import FERNET_KEY_HOWTO as GENERATE


class SecretKeyError(Exception):
    """SECRET_KEY is missing or not a Fernet key; the message says how to make one."""


class SecretDecryptError(Exception):
    """A stored address cannot be read with this key (the key changed, or the row is damaged)."""


class UrlCipher:
    """Encrypts and decrypts calendar addresses with one key."""

    def __init__(self, key: str | bytes | None) -> None:
        if not key:
            raise SecretKeyError(
                f"SECRET_KEY is not set: calendars need it to store their addresses encrypted. "
                f"Generate one with: {GENERATE}"
            )
        try:
            self._fernet = Fernet(key.encode() if isinstance(key, str) else key)
        except (ValueError, TypeError):
            raise SecretKeyError(
                f"SECRET_KEY is not a valid key (32 url-safe base64-encoded bytes). "
                f"Generate one with: {GENERATE}"
            ) from None

    def encrypt(self, url: str) -> str:
        return self._fernet.encrypt(url.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except (InvalidToken, UnicodeError):
            raise SecretDecryptError("the stored calendar address cannot be decrypted") from None
