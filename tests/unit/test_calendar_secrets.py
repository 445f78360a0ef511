"""The calendar address at rest, and the settings calendars need."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from bot.calendar.secrets import SecretDecryptError, SecretKeyError, UrlCipher
from bot.config import ConfigError, Settings, load_settings

URL = "https://calendar.google.com/calendar/ical/x%40gmail.com/private-0123abcd/basic.ics"


def test_round_trip_and_the_token_does_not_contain_the_address() -> None:
    cipher = UrlCipher(Fernet.generate_key().decode())
    token = cipher.encrypt(URL)
    assert "private-0123abcd" not in token and "google" not in token
    assert cipher.decrypt(token) == URL
    assert cipher.encrypt(URL) != token  # a fresh IV each time: equal addresses look different


def test_another_key_or_a_damaged_token_cannot_decrypt() -> None:
    token = UrlCipher(Fernet.generate_key()).encrypt(URL)
    with pytest.raises(SecretDecryptError) as caught:
        UrlCipher(Fernet.generate_key()).decrypt(token)
    assert "private-0123abcd" not in str(caught.value)
    with pytest.raises(SecretDecryptError):
        UrlCipher(Fernet.generate_key()).decrypt("not-a-token")


@pytest.mark.parametrize("key", [None, "", "too-short", "x" * 44])
def test_a_missing_or_bad_key_says_how_to_make_one(key: str | None) -> None:
    with pytest.raises(SecretKeyError) as caught:
        UrlCipher(key)
    assert "SECRET_KEY" in str(caught.value)
    assert "Fernet.generate_key()" in str(caught.value)


def test_settings_secret_key_is_optional_validated_and_redacted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("CALENDAR_ALLOW_PRIVATE_HOSTS", raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.secret_key is None
    assert settings.calendar_allow_private_hosts is False

    key = Fernet.generate_key().decode()
    monkeypatch.setenv("SECRET_KEY", f" {key} ")
    monkeypatch.setenv("CALENDAR_ALLOW_PRIVATE_HOSTS", "true")
    settings = load_settings(_env_file=None)
    assert settings.secret_key is not None and settings.secret_key.get_secret_value() == key
    assert key in settings.secrets()
    assert settings.calendar_allow_private_hosts is True

    monkeypatch.setenv("SECRET_KEY", "not-a-fernet-key")
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None)
    message = str(caught.value)
    assert message.startswith("SECRET_KEY is invalid") and "not-a-fernet-key" not in message
