"""E-mail channel: IMAP in, SMTP out, one job per module.

config   EmailSettings            parse   parse_incoming → ParsedMail      quotes  strip_quotes
noise    classify_noise, ReplyCap trust   dmarc_pass                       routing plus tokens, Message-IDs
compose  build_email              smtp    SmtpSender                       imap    ImapPoller, UidStore
templates EmailTemplates          inbound triage / make_handler (RawMail → deliver | quarantine | ignore)

Nothing here imports the core: the composition root passes in the request lookup, the sink that stores
raw mail and calls ``Mandat.receive``, and sends outbox rows with ``build_email`` + ``SmtpSender``.
"""
