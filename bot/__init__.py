"""Rekpauze: three one-minute stretch breaks a day, on Telegram."""

import os

# python-telegram-bot 22 warns on every RetryAfter it builds that time periods (retry_after,
# durations) become `datetime.timedelta` in its next major version, and documents this
# variable as the way to opt in now. Rekpauze reads them as timedeltas (bot.sending), so it
# opts in: one type today and after the upgrade, and no warning. An explicit value wins.
os.environ.setdefault("PTB_TIMEDELTA", "true")
