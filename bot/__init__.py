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


class _ImportWithout(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """The first import of `package` runs with `hidden` modules looking absent, so optional
    extras the package would load at import (and the bot never uses) stay out of memory;
    they import normally afterwards. Nothing is imported early: `rekpauze --help` still
    loads no Telegram code.

    - python-telegram-bot imports cryptography's OpenSSL bindings at `import telegram`
      whenever cryptography is installed, for Telegram Passport (~7 MB resident in every bot
      process). Rekpauze uses no Passport and needs cryptography only to read a connected
      calendar's address, when it imports it itself; PTB then records Passport decryption as
      unavailable, exactly as without cryptography installed.
    - httpx imports its command-line client (`httpx._main`: click, and Pygments and rich
      where they are installed, ~1-5 MB) at `import httpx`; without it `httpx.main` is the
      stub httpx itself defines for a missing `httpx[cli]`.
    """

    def __init__(self, package: str, hidden: tuple[str, ...]) -> None:
        self.package, self.hidden = package, hidden
        self._loader: importlib.abc.Loader | None = None

    def find_spec(
        self, name: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name != self.package:
            return None
        sys.meta_path.remove(self)  # once
        spec = importlib.machinery.PathFinder.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        self._loader = spec.loader
        spec.loader = self
        return spec

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        assert self._loader is not None
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        assert self._loader is not None
        hidden = [name for name in self.hidden if name not in sys.modules]
        for name in hidden:
            sys.modules[name] = None  # type: ignore[assignment]
        try:
            self._loader.exec_module(module)
        finally:
            for name in hidden:
                del sys.modules[name]


for _package, _hidden in (("telegram", ("cryptography",)), ("httpx", ("httpx._main",))):
    if _package not in sys.modules:
        sys.meta_path.insert(0, _ImportWithout(_package, _hidden))
del _package, _hidden
