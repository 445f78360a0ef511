"""Calendar-aware reminders: fetching a user's secret iCal address safely, reading busy time
from it, and keeping the address encrypted. Plain data in and out; no Telegram, no SQL."""
