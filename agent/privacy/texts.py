"""Every text of the case export (the PDF summary and the conversation), in German and English."""

from __future__ import annotations

from agent.i18n import lookup

_PAIRS: dict[str, tuple[str, str]] = {
    "title": ("Zusammenfassung für die Akte", "Case file summary"),
    "request": ("Anfrage", "Request"),
    "client": ("Mandant/in", "Client"),
    "email": ("E-Mail", "E-mail"),
    "status": ("Stand", "Status"),
    "created": ("Angelegt", "Created"),
    "exported": ("Exportiert", "Exported"),
    "staff": ("Zuständig", "Responsible"),
    "answers": ("Angaben", "Answers"),
    "field": ("Frage", "Question"),
    "value": ("Angabe", "Answer"),
    "source": ("Quelle", "Source"),
    "confirmed": ("bestätigt", "confirmed"),
    "not_confirmed": ("unbestätigt", "not confirmed"),
    "src_message": ("Nachricht", "message"),
    "src_document": ("Dokument {id}, S. {page}", "document {id}, p. {page}"),
    "case": ("Falldaten aus Dokumenten", "Case data from documents"),
    "slot": ("Angabe", "Item"),
    "conflicts": ("Widersprüche: {slots}", "Conflicts: {slots}"),
    "documents": ("Dokumente", "Documents"),
    "uploaded": ("hochgeladen", "uploaded"),
    "signed": ("unterschrieben", "signed"),
    "deadline": ("Frist {date}: {basis}", "Deadline {date}: {basis}"),
    "activity": ("Verlauf", "Activity"),
    "none": ("keine", "none"),
    "page": ("Seite {n}", "Page {n}"),
    "from_client": ("Mandant/in", "Client"),
    "from_agent": ("Kanzlei (Assistent)", "Firm (assistant)"),
    "from_staff": ("Kanzlei", "Firm"),
    "attachments": ("Anhänge: {names}", "Attachments: {names}"),
    "conversation": ("Gesprächsverlauf der Anfrage {id} (alle Kanäle, älteste zuerst)",
                     "Conversation of request {id} (all channels, oldest first)"),
}
CATALOGUE = {key: {"de": de, "en": en} for key, (de, en) in _PAIRS.items()}


def t(key: str, lang: str, **values: object) -> str:
    return lookup(CATALOGUE, key, lang, **values)
