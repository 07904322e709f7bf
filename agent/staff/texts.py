"""Every text of the staff pages, in German and English; ``t(key, lang, **values)``."""

from __future__ import annotations

from agent.i18n import lookup, normalise_lang

_PAIRS: dict[str, tuple[str, str]] = {
    "app": ("Mandat – Kanzlei", "Mandat – firm"),
    "skip": ("Zum Inhalt springen", "Skip to content"),
    "nav_label": ("Hauptnavigation", "Main navigation"),
    "nav_requests": ("Anfragen", "Requests"),
    "nav_new": ("Neue Anfrage", "New request"),
    "nav_settings": ("Einstellungen", "Settings"),
    "logout": ("Abmelden", "Log out"),
    "lang_switch": ("English", "Deutsch"),
    "bell": ("Neuigkeiten", "News"),
    "bell_label": ("{n} Anfragen mit Neuigkeiten", "{n} requests with news"),
    "bell_empty": ("Keine neuen Aktivitäten.", "No new activity."),
    "bell_latest": ("Letzte Aktivitäten", "Latest activity"),
    # login
    "login_title": ("Anmeldung für die Kanzlei", "Sign in for staff"),
    "email": ("E-Mail", "E-mail"),
    "password": ("Passwort", "Password"),
    "login": ("Anmelden", "Sign in"),
    "login_failed": ("E-Mail oder Passwort stimmt nicht.", "E-mail or password is wrong."),
    "login_limited": ("Zu viele Anmeldeversuche. Bitte warten Sie {minutes} Minute(n) und versuchen Sie es "
                      "dann erneut.", "Too many sign-in attempts. Please wait {minutes} minute(s) and try again."),
    "logged_out": ("Sie sind abgemeldet.", "You are signed out."),
    "link_title": ("Anmeldelink per E-Mail", "Sign-in link by e-mail"),
    "link_hint": ("Ohne Passwort: Wir schicken Ihnen einen Link, der 15 Minuten gilt.",
                  "No password at hand: we send you a link that is valid for 15 minutes."),
    "link_send": ("Link zusenden", "Send me a link"),
    "link_sent": ("Falls zu dieser Adresse ein Zugang besteht, ist ein Anmeldelink unterwegs. Er gilt 15 Minuten "
                  "und nur einmal.",
                  "If there is an account for this address, a sign-in link is on its way. It is valid for 15 "
                  "minutes and once."),
    "link_limited": ("Zu viele Anfragen nach einem Anmeldelink. Bitte warten Sie {minutes} Minute(n).",
                     "Too many requests for a sign-in link. Please wait {minutes} minute(s)."),
    "link_confirm_title": ("Anmelden mit Link", "Sign in with link"),
    "link_confirm_text": ("Mit einem Klick auf die Schaltfläche melden Sie sich in diesem Browser an. Der Link "
                          "ist danach verbraucht.",
                          "Press the button to sign in in this browser. The link is spent afterwards."),
    "link_confirm": ("Jetzt anmelden", "Sign in now"),
    "link_invalid": ("Dieser Anmeldelink ist abgelaufen oder wurde schon benutzt. Bitte fordern Sie einen neuen an.",
                     "This sign-in link has expired or was already used. Please ask for a new one."),
    "link_mail_subject": ("Ihr Anmeldelink für {firm}", "Your sign-in link for {firm}"),
    "link_mail_body": ("Guten Tag {name},\n\nmit diesem Link melden Sie sich bei Mandat an (gültig {minutes} "
                       "Minuten, nur einmal):\n\n{url}\n\nWenn Sie keinen Link angefordert haben, können Sie "
                       "diese E-Mail ignorieren.\n",
                       "Hello {name},\n\nuse this link to sign in to Mandat (valid for {minutes} minutes, "
                       "once):\n\n{url}\n\nIf you did not ask for a link, you can ignore this e-mail.\n"),
    "expired": ("Bitte melden Sie sich erneut an.", "Please sign in again."),
    "forbidden": ("Diese Aktion wurde abgelehnt (Formular abgelaufen oder von einer fremden Seite). Bitte laden "
                  "Sie die Seite neu.", "This action was refused (the form expired or came from another site). "
                  "Please reload the page."),
    "admin_only": ("Nur für Administratoren.", "Administrators only."),
    "not_found": ("Diese Anfrage gibt es nicht.", "There is no such request."),
    # list
    "list_title": ("Anfragen", "Requests"),
    "filter_label": ("Filter", "Filters"),
    "mine": ("Meine", "Mine"),
    "all": ("Alle", "All"),
    "state_any": ("Jeder Stand", "Any state"),
    "state_open": ("Offen", "Open"),
    "state_complete": ("Vollständig", "Complete"),
    "state_stalled": ("Stockt", "Stalled"),
    "search": ("Suche nach Name oder Aktenzeichen", "Search by name or reference"),
    "apply": ("Anzeigen", "Show"),
    "col_client": ("Mandant", "Client"),
    "col_progress": ("Fortschritt", "Progress"),
    "col_channels": ("Kanäle", "Channels"),
    "col_staff": ("Zuständig", "Responsible"),
    "col_activity": ("Letzte Aktivität", "Latest activity"),
    "unseen": ("Neu", "New"),
    "none_found": ("Keine Anfragen gefunden.", "No requests found."),
    "next_page": ("Ältere Anfragen", "Older requests"),
    "first_page": ("Zur ersten Seite", "Back to the first page"),
    "questionnaires": ("Fragebögen", "Questionnaires"),
    "uploads": ("Unterlagen", "Uploads"),
    "signatures": ("Unterschriften", "Signatures"),
    "paused": ("Übernommen", "Taken over"),
    "status_open": ("offen", "open"),
    "status_confirming": ("zur Bestätigung", "confirming"),
    "status_complete": ("vollständig", "complete"),
    # detail
    "detail_title": ("Anfrage {ref} – {client}", "Request {ref} – {client}"),
    "reference": ("Aktenzeichen", "Reference"),
    "status": ("Stand", "Status"),
    "answers": ("Antworten", "Answers"),
    "field": ("Frage", "Question"),
    "value": ("Wert", "Value"),
    "raw": ("Worte des Mandanten", "Client's words"),
    "source": ("Quelle", "Source"),
    "method": ("Methode", "Method"),
    "confidence": ("Sicherheit", "Confidence"),
    "confirmed": ("Bestätigt", "Confirmed"),
    "yes": ("ja", "yes"),
    "no": ("nein", "no"),
    "no_answers": ("Noch keine Antworten.", "No answers yet."),
    "source_message": ("Nachricht", "message"),
    "source_document": ("Dokument {name}, Seite {page}", "document {name}, page {page}"),
    "page_preview": ("Vorschau Seite {page}", "preview of page {page}"),
    "documents": ("Dokumente", "Documents"),
    "no_documents": ("Noch keine Dokumente.", "No documents yet."),
    "doc_type": ("Art", "Type"),
    "facts": ("Ausgelesene Angaben", "Facts read out"),
    "deadlines": ("Fristen", "Deadlines"),
    "deadline_due": ("fällig am {date}", "due on {date}"),
    "basis": ("Grundlage", "Basis"),
    "download": ("Herunterladen", "Download"),
    "signed": ("Unterschriebene Dokumente", "Signed documents"),
    "audit": ("Prüfprotokoll", "Audit summary"),
    "legal_form": ("Form", "Legal form"),
    "needs_original": ("Original erforderlich (Schriftform)", "Original needed (written form)"),
    "timeline": ("Verlauf", "Conversation"),
    "from_client": ("Mandant", "Client"),
    "from_agent": ("Assistent", "Assistant"),
    "from_staff": ("{name} (Kanzlei)", "{name} (firm)"),
    "attachments": ("Anhänge: {names}", "Attachments: {names}"),
    "held": ("nicht beantwortet (übernommen)", "not answered (taken over)"),
    "actions": ("Aktionen", "Actions"),
    "reply": ("Dem Mandanten antworten", "Reply to the client"),
    "reply_hint": ("Geht über den aktuellen Kanal des Mandanten ({channel}) und erscheint mit Ihrem Namen.",
                   "Goes out through the client's current channel ({channel}) and shows your name."),
    "reply_send": ("Antwort senden", "Send reply"),
    "reply_sent": ("Ihre Antwort ist unterwegs.", "Your reply is on its way."),
    "reply_empty": ("Bitte schreiben Sie eine Antwort.", "Please write a reply."),
    "takeover": ("Übernehmen (Assistent pausieren)", "Take over (pause the assistant)"),
    "handback": ("An den Assistenten zurückgeben", "Hand back to the assistant"),
    "paused_by": ("Übernommen von {name} – der Assistent antwortet nicht; Nachrichten werden gespeichert.",
                  "Taken over by {name} – the assistant does not answer; messages are kept."),
    "taken_over": ("Sie haben die Anfrage übernommen.", "You took the request over."),
    "handed_back": ("Der Assistent ist wieder zuständig.", "The assistant is in charge again."),
    "reissue": ("Chat-Link neu ausstellen", "Reissue the chat link"),
    "revoke": ("Alle Links sperren", "Revoke all links"),
    "reissued": ("Neuer Chat-Link (nur jetzt sichtbar): {url}", "New chat link (shown only now): {url}"),
    "revoked": ("{n} Link(s) gesperrt.", "{n} link(s) revoked."),
    "send_sign": ("Unterschrift anfordern", "Send signing request"),
    "sign_sent": ("{n} Unterschriftslink(s) versandt.", "{n} signing link(s) sent."),
    "sign_none": ("Kein offenes Dokument zum Unterschreiben.", "No open document to sign."),
    "items": ("Bestandteile", "Items"),
    "add_item": ("Bestandteil hinzufügen", "Add an item"),
    "add_item_kind": ("Art", "Kind"),
    "kind_questionnaire": ("Fragebogen", "Questionnaire"),
    "kind_upload": ("Unterlage", "Upload"),
    "add_item_label": ("Bezeichnung der Unterlage", "Label of the upload"),
    "add_item_send": ("Hinzufügen", "Add"),
    "item_added": ("„{ref}“ wurde hinzugefügt; der Assistent fragt danach, sobald die vorherigen Punkte "
                   "erledigt sind.", "“{ref}” was added; the assistant asks for it once the items before it "
                   "are done."),
    "item_duplicate": ("Diesen Bestandteil hat die Anfrage schon.", "The request already has this item."),
    "item_closed": ("Die Anfrage ist abgeschlossen; bitte legen Sie eine neue Anfrage an.",
                    "The request is complete; please create a new request."),
    "item_unknown": ("Diesen Fragebogen kennt die Kanzlei nicht.", "The firm has no such questionnaire."),
    "item_bad": ("Bitte wählen Sie einen Fragebogen oder geben Sie eine Bezeichnung ein.",
                 "Please choose a questionnaire or enter a label."),
    # new
    "new_title": ("Neue Anfrage", "New request"),
    "template": ("Vorlage", "Template"),
    "template_none": ("Ohne Vorlage", "No template"),
    "load_template": ("Vorlage übernehmen", "Use template"),
    "client_name": ("Name des Mandanten", "Client's name"),
    "client_email": ("E-Mail des Mandanten", "Client's e-mail"),
    "language": ("Sprache", "Language"),
    "responsible": ("Zuständig", "Responsible"),
    "upload_labels": ("Unterlagen (eine je Zeile)", "Uploads (one per line)"),
    "sign_docs": ("Dokumente zum Unterschreiben", "Documents to sign"),
    "send_invite": ("Einladung per E-Mail senden", "Send the invitation by e-mail"),
    "preview": ("Vorschau der Einladung", "Preview the invitation"),
    "preview_title": ("Vorschau", "Preview"),
    "create": ("Anfrage anlegen", "Create request"),
    "created": ("Anfrage angelegt. Chat-Link (nur jetzt sichtbar): {url}",
                "Request created. Chat link (shown only now): {url}"),
    "lang_de": ("Deutsch", "German"),
    "lang_en": ("Englisch", "English"),
    # settings
    "settings_title": ("Einstellungen der Kanzlei", "Firm settings"),
    "logo": ("Logo (PNG oder SVG, bis {kb} KB)", "Logo (PNG or SVG, up to {kb} KB)"),
    "description_de": ("Beschreibung (Deutsch)", "Description (German)"),
    "description_en": ("Beschreibung (Englisch)", "Description (English)"),
    "colour": ("Markenfarbe", "Brand colour"),
    "save": ("Speichern", "Save"),
    "saved": ("Gespeichert – gilt sofort für Chat, Unterschriftsseite und E-Mails.",
              "Saved – applies at once to the chat, the signing page and e-mails."),
    "contrast_bad": ("Die Farbe {colour} hat mit weißer Schrift nur ein Kontrastverhältnis von {ratio}:1; "
                     "nötig sind 4,5:1 (WCAG AA). Bitte wählen Sie eine dunklere Farbe.",
                     "The colour {colour} has a contrast ratio of only {ratio}:1 with white text; 4.5:1 is "
                     "needed (WCAG AA). Please choose a darker colour."),
    "colour_bad": ("Bitte eine Farbe wie #1f4e79 angeben.", "Please give a colour like #1f4e79."),
    "logo_bad": ("Das Logo muss ein PNG oder SVG sein.", "The logo must be a PNG or SVG."),
    "logo_big": ("Das Logo ist größer als {kb} KB.", "The logo is larger than {kb} KB."),
    "staff_list": ("Mitarbeitende", "Staff"),
    "role": ("Rolle", "Role"),
    "templates": ("Vorlagen und ihre Bestandteile", "Templates and their default items"),
    "defaults_hint": ("Was eine neue Anfrage aus dieser Vorlage vorausgewählt mitbringt. Gespeichert wird in "
                      "Mandat; der Kanzleiordner bleibt die Vorgabe.",
                      "What a new request from this template brings preselected. Saved in Mandat; the firm "
                      "folder stays the default."),
    "defaults_uploads": ("Unterlagen – eine je Zeile, „Deutsch | Englisch“",
                         "Uploads – one per line, “German | English”"),
    "defaults_stored": ("In Mandat geändert", "Changed in Mandat"),
    "defaults_seed": ("Wie im Kanzleiordner", "As in the firm folder"),
    "defaults_save": ("Bestandteile speichern", "Save default items"),
    "defaults_reset": ("Auf den Kanzleiordner zurücksetzen", "Back to the firm folder"),
    "defaults_saved": ("Die Bestandteile der Vorlage {name} sind gespeichert; neue Anfragen übernehmen sie.",
                       "The default items of template {name} are saved; new requests take them."),
    "defaults_reset_done": ("Die Vorlage {name} bringt wieder die Bestandteile aus dem Kanzleiordner mit.",
                            "Template {name} brings the firm folder's items again."),
    "defaults_unknown": ("Unbekannter Fragebogen oder unbekanntes Dokument.", "Unknown questionnaire or document."),
    "defaults_too_many": ("Höchstens {n} Bestandteile je Art.", "At most {n} items of each kind."),
    "defaults_label_long": ("Eine Bezeichnung darf höchstens {n} Zeichen haben.", "A label may have at most {n} "
                            "characters."),
    "no_template": ("Diese Vorlage gibt es nicht.", "There is no such template."),
}

CATALOGUE = {key: {"de": de, "en": en} for key, (de, en) in _PAIRS.items()}


def t(key: str, lang: str, **values: object) -> str:
    return lookup(CATALOGUE, key, lang, **values)


_PLAIN: dict[str, dict[str, str]] = {}  # language -> key -> text: a list page asks ~150 times per render


def _plain(lang: str) -> dict[str, str]:
    found = _PLAIN.get(lang)
    if found is None:
        found = _PLAIN[lang] = {key: t(key, lang) for key in CATALOGUE}
    return found


class Texts:
    """``{{ tx.key }}`` and ``{{ tx('key', n=1) }}`` in templates, in one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._texts = _plain(lang if lang in ("de", "en") else normalise_lang(lang))

    def __getattr__(self, key: str) -> str:
        if key.startswith("_") or key not in CATALOGUE:  # Jinja probes attributes (jinja_pass_arg …)
            raise AttributeError(key)
        return self._texts[key]

    def __getitem__(self, key: str) -> str:
        return self._texts[key]

    def __call__(self, key: str, **values: object) -> str:
        return t(key, self.lang, **values)
