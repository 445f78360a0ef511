"""The Bot API methods the stand-in answers, one module per group.

Only the methods something calls are here: the bot (directly or through python-telegram-bot's
Application and Updater) and the tests that drive it. Each group registers its handlers on
the server's `MethodTable`.
"""
