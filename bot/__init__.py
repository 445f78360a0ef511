"""Rekpauze: three one-minute stretch breaks a day, on Telegram."""
