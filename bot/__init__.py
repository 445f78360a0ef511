"""Rekpauze: three one-minute stretch breaks a day, on Telegram."""

import importlib.abc
import importlib.machinery
import os
import sys
from types import ModuleType

# python-telegram-bot 22 warns on every RetryAfter it builds that time periods (retry_after,
# durations) become `datetime.timedelta` in its next major version, and documents this
# variable as the way to opt in now. Rekpauze reads them as timedeltas (bot.sending), so it
# opts in: one type today and after the upgrade, and no warning. An explicit value wins.
os.environ.setdefault("PTB_TIMEDELTA", "true")


class _TelegramWithoutPassportCrypto(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """python-telegram-bot imports cryptography's OpenSSL bindings at `import telegram`
    whenever cryptography is installed, for Telegram Passport (~9 MB resident in every bot
    process). Rekpauze uses no Passport and needs cryptography only to encrypt a connected
    calendar's address, when it imports it itself. So the first `import telegram` runs with
    cryptography hidden (PTB then records Passport decryption as unavailable, exactly as
    without cryptography installed), and cryptography imports normally afterwards. Nothing
    is imported early: `rekpauze --help` still loads no Telegram code."""

    _loader: importlib.abc.Loader

    def find_spec(
        self, name: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name != "telegram":
            return None
        sys.meta_path.remove(self)  # once
        spec = importlib.machinery.PathFinder.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        self._loader = spec.loader
        spec.loader = self
        return spec

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        hidden = "cryptography" not in sys.modules
        if hidden:
            sys.modules["cryptography"] = None  # type: ignore[assignment]
        try:
            self._loader.exec_module(module)
        finally:
            if hidden:
                del sys.modules["cryptography"]


if "telegram" not in sys.modules:
    sys.meta_path.insert(0, _TelegramWithoutPassportCrypto())
