"""The Mini App: settings, exercises and progress as a web page inside Telegram, served by the
bot's own HTTP server under /app/ (see bot.webapp.server), signed in with Telegram's initData
(bot.webapp.auth)."""
