"""Every sentence the agent says, in German and English."""

from __future__ import annotations

from agent.i18n import Catalogue, lookup

TEXTS: Catalogue = {
    "greeting": {
        "de": "Guten Tag {name}, hier ist der digitale Assistent von {firm}. "
        "Ich stelle Ihnen ein paar Fragen zu Ihrem Anliegen – Sie können jederzeit "
        "„zurück“, „überspringen“, „hilfe“ oder „status“ schreiben.",
        "en": "Hello {name}, this is the digital assistant of {firm}. I will ask you a few questions "
        "about your matter – you can write “back”, “skip”, “help” or “status” at any time.",
    },
    "questionnaire_intro": {"de": "{title}", "en": "{title}"},
    "question": {"de": "Frage {n} von {total}: {question}", "en": "Question {n} of {total}: {question}"},
    "current_value": {
        "de": "(Bisher angegeben: {value})",
        "en": "(Currently: {value})",
    },
    "empty_message": {
        "de": "Ihre Nachricht war leer. {question}",
        "en": "Your message was empty. {question}",
    },
    "truncated": {
        "de": "Ihre Nachricht war sehr lang; ich habe nur den Anfang gelesen.",
        "en": "Your message was very long; I only read the beginning.",
    },
    "noted": {"de": "Notiert: {items}.", "en": "Noted: {items}."},
    "noted_correction": {"de": "Geändert: {items}.", "en": "Changed: {items}."},
    "skip_required": {
        "de": "Diese Frage ist leider Pflicht und kann nicht übersprungen werden.",
        "en": "This question is required and cannot be skipped.",
    },
    "skipped": {"de": "In Ordnung, übersprungen.", "en": "All right, skipped."},
    "back_first": {
        "de": "Das ist bereits die erste Frage.",
        "en": "This is already the first question.",
    },
    "help_generic": {
        "de": "Beantworten Sie einfach die Frage in Ihren eigenen Worten. Befehle: „zurück“ (vorige Frage), "
        "„überspringen“ (nur freiwillige Fragen), „status“ (was fehlt noch), „pause“. "
        "Eine Angabe ändern: z. B. „Geburtsdatum: 3.4.1980“.",
        "en": "Just answer the question in your own words. Commands: “back” (previous question), "
        "“skip” (optional questions only), “status” (what is missing), “pause”. "
        "To change an answer write e.g. “Date of birth: 3 April 1980”.",
    },
    "help_field": {"de": "Hinweis: {help}", "en": "Note: {help}"},
    "paused": {
        "de": "Kein Problem, wir machen später weiter. Schreiben Sie einfach „weiter“, wenn Sie bereit sind.",
        "en": "No problem, we will continue later. Just write “continue” when you are ready.",
    },
    "resumed": {"de": "Schön, dass Sie wieder da sind.", "en": "Welcome back."},
    "status": {
        "de": "Stand: {answered} von {total} Fragen beantwortet.",
        "en": "Progress: {answered} of {total} questions answered.",
    },
    "status_missing": {"de": "Noch offen: {fields}.", "en": "Still missing: {fields}."},
    "status_uploads": {"de": "Noch hochzuladen: {labels}.", "en": "Still to upload: {labels}."},
    "status_sign": {"de": "Noch zu unterschreiben: {titles}.", "en": "Still to sign: {titles}."},
    "status_done": {"de": "Alles erledigt.", "en": "Everything is done."},
    "readback_intro": {
        "de": "Vielen Dank! Bitte prüfen Sie Ihre Angaben:",
        "en": "Thank you! Please check your answers:",
    },
    "readback_question": {
        "de": "Ist alles korrekt? Antworten Sie mit „ja“ – oder nennen Sie, was geändert werden soll "
        "(z. B. „Geburtsdatum: 3.4.1980“).",
        "en": "Is everything correct? Answer “yes” – or name what should be changed "
        "(e.g. “Date of birth: 3 April 1980”).",
    },
    "readback_which": {
        "de": "Welche Angabe möchten Sie ändern? Nennen Sie bitte die Angabe, z. B. „Telefonnummer“.",
        "en": "Which answer would you like to change? Please name it, e.g. “phone number”.",
    },
    "correction_ask": {
        "de": "Gern. {question}",
        "en": "Sure. {question}",
    },
    "unknown_field": {
        "de": "Diese Angabe kenne ich nicht. Sie können eine dieser Angaben ändern: {fields}.",
        "en": "I do not know that item. You can change one of these: {fields}.",
    },
    "questionnaire_done": {
        "de": "Danke, Ihre Angaben sind bestätigt und an {staff} weitergeleitet.",
        "en": "Thank you, your answers are confirmed and have been passed to {staff}.",
    },
    "upload_ask": {
        "de": "Bitte senden Sie uns noch: {label}. Sie können die Datei hier anhängen (PDF, JPEG oder PNG).",
        "en": "Please send us: {label}. You can attach the file here (PDF, JPEG or PNG).",
    },
    "upload_received": {
        "de": "Danke, ich habe „{filename}“ erhalten.",
        "en": "Thank you, I have received “{filename}”.",
    },
    "upload_duplicate": {
        "de": "„{filename}“ hatten Sie uns bereits geschickt – ich habe es nicht doppelt abgelegt.",
        "en": "You had already sent us “{filename}” – I did not store it twice.",
    },
    "upload_rejected": {
        "de": "„{filename}“ konnte ich nicht annehmen: {reason}",
        "en": "I could not accept “{filename}”: {reason}",
    },
    "upload_skipped": {
        "de": "In Ordnung, ich gebe weiter, dass {label} noch fehlt.",
        "en": "All right, I will pass on that {label} is still missing.",
    },
    "upload_waiting": {
        "de": "Ich warte noch auf: {label}. Hängen Sie die Datei einfach an – oder schreiben Sie "
        "„überspringen“, wenn Sie sie nicht haben.",
        "en": "I am still waiting for: {label}. Just attach the file – or write “skip” if you do not have it.",
    },
    "sign_ask": {
        "de": "Bitte unterschreiben Sie noch „{title}“ – Sie können das hier direkt am Handy oder am Computer tun.",
        "en": "Please sign “{title}” – you can do it right here on your phone or computer.",
    },
    "sign_waiting": {
        "de": "Es fehlt noch Ihre Unterschrift unter „{title}“.",
        "en": "Your signature on “{title}” is still missing.",
    },
    "all_done": {
        "de": "Vielen Dank – damit haben wir alles, was wir brauchen. {staff} meldet sich bei Ihnen.",
        "en": "Thank you – we now have everything we need. {staff} will be in touch.",
    },
    "after_done": {
        "de": "Ihre Angaben sind vollständig. Ich habe Ihre Nachricht an {staff} weitergegeben.",
        "en": "Your details are complete. I have passed your message on to {staff}.",
    },
    "side_question_forwarded": {
        "de": "Diese Frage gebe ich an {staff} weiter; Sie erhalten eine persönliche Antwort.",
        "en": "I will pass this question on to {staff}; you will get a personal answer.",
    },
    "faq_answer": {"de": "{answer}", "en": "{answer}"},
    "proposals_one": {
        "de": "Ich habe aus Ihrem Schreiben „{document}“ übernommen: {values} – stimmt das?",
        "en": "I have taken from your letter “{document}”: {values} – is that correct?",
    },
    "proposals_many": {
        "de": "Ich habe aus Ihren Unterlagen übernommen: {values} – stimmt das?",
        "en": "I have taken from your documents: {values} – is that correct?",
    },
    "proposal_is_letter_date": {"de": "(Datum des Schreibens)", "en": "(date of the letter)"},
    "proposals_yes": {"de": "Ja, stimmt", "en": "Yes, correct"},
    "proposals_corrected": {"de": "Danke, geändert.", "en": "Thank you, changed."},
    "proposals_rejected": {
        "de": "Gut, dann übernehme ich nichts davon und frage einzeln nach.",
        "en": "All right, I will not take any of it and will ask you one by one.",
    },
    "proposals_unclear": {
        "de": "Bitte antworten Sie mit „ja“, oder schreiben Sie, was nicht stimmt – zum Beispiel "
              "„Datum ist der 3.4.“.",
        "en": "Please answer “yes”, or tell me what is wrong – for example “the date is 3 April”.",
    },
    "proposal_conflict_ask": {
        "de": "In „{document}“ steht bei „{label}“: {value}. Sie hatten {old} angegeben. Welche Angabe stimmt?",
        "en": "“{document}” says for “{label}”: {value}. You had told me {old}. Which is right?",
    },
    "proposal_conflict_unclear": {
        "de": "Bitte wählen Sie eine der beiden Angaben oder schreiben Sie die richtige.",
        "en": "Please choose one of the two or write the correct one.",
    },
    "proposal_kept": {"de": "Gut, es bleibt bei {value}.", "en": "All right, it stays {value}."},
    "proposal_accepted": {"de": "Danke, übernommen.", "en": "Thank you, taken over."},
    "rate_limited": {
        "de": "Sie haben sehr viele Nachrichten in kurzer Zeit geschickt. Bitte warten Sie einen Moment.",
        "en": "You have sent a lot of messages in a short time. Please wait a moment.",
    },
    "yes": {"de": "Ja", "en": "Yes"},
    "no": {"de": "Nein", "en": "No"},
    "yes_correct": {"de": "Ja, alles korrekt", "en": "Yes, all correct"},
    "change_something": {"de": "Etwas ändern", "en": "Change something"},
    "skip": {"de": "Überspringen", "en": "Skip"},
    "your_lawyer": {"de": "Ihre Kanzlei", "en": "your law firm"},
}


def t(key: str, lang: object, **values: object) -> str:
    """The agent's sentence `key` in the client's language (any spelling; German when unknown)."""
    return lookup(TEXTS, key, lang, **values)
