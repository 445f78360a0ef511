"""The safety note's button data: one tap from every reminder and exercise card to /safety.

Kept apart from the handlers so that the reminder keyboard (a service today) and the exercise
card (a handler) put the same data on the button that bot.handlers.privacy answers.
"""

from __future__ import annotations

SAFETY_PREFIX = "sf"
SAFETY_DATA = f"{SAFETY_PREFIX}:s"
