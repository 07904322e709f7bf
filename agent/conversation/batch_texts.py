"""The sentences of batched asking (a whole section per e-mail), in German and English."""

from __future__ import annotations

from agent.i18n import lookup

TEXTS: dict[str, dict[str, str]] = {
    "intro": {
        "de": "Bitte schreiben Sie Ihre Antworten direkt unter die Fragen, als nummerierte Liste "
        "(„1. Erika“) oder als „Frage: Antwort“. Freiwillige Fragen dürfen Sie leer lassen.",
        "en": "Please write your answers straight under the questions, as a numbered list (“1. Erika”) "
        "or as “question: answer”. You may leave optional questions blank.",
    },
    "optional": {"de": "(freiwillig)", "en": "(optional)"},
    "choices": {"de": "Möglich: {options}", "en": "Possible: {options}"},
    "choices_multi": {"de": "Möglich (mehrere): {options}", "en": "Possible (several): {options}"},
    "hint": {"de": "Hinweis: {help}", "en": "Note: {help}"},
    "hint_date": {"de": "z. B. 14.03.1985", "en": "e.g. 14 March 1985"},
    "hint_boolean": {"de": "ja oder nein", "en": "yes or no"},
    "hint_money": {"de": "Betrag in Euro, z. B. 3.500 €", "en": "amount in euros, e.g. EUR 3,500"},
    "hint_number": {"de": "eine Zahl", "en": "a number"},
    "hint_iban": {"de": "z. B. DE89 3704 0044 0532 0130 00", "en": "e.g. DE89 3704 0044 0532 0130 00"},
    "file": {"de": "Bitte als Anhang an Ihre Antwort hängen.", "en": "Please send it as an attachment."},
    "status": {"de": "{done} von {total} erledigt.", "en": "{done} of {total} done."},
    "next": {"de": "Danach: {parts}.", "en": "After that: {parts}."},
    "next_more": {"de": "noch {n} weitere Fragen", "en": "{n} more questions"},
    "next_one_more": {"de": "noch eine weitere Frage", "en": "one more question"},
    "next_summary": {"de": "eine Zusammenfassung zum Bestätigen", "en": "a summary for you to confirm"},
    "next_upload": {"de": "Unterlagen: {labels}", "en": "documents: {labels}"},
    "next_sign": {"de": "Unterschrift: {titles}", "en": "signature: {titles}"},
    "and": {"de": ", dann ", "en": ", then "},
    "understood": {"de": "Danke, notiert: {items}.", "en": "Thank you, noted: {items}."},
    "problems": {"de": "Das müsste ich noch einmal wissen:", "en": "I still need these again:"},
    "problem_line": {"de": "{label}: {error}", "en": "{label}: {error}"},
    "unassigned": {
        "de": "Diese Zeilen konnte ich keiner Frage zuordnen: {lines}",
        "en": "I could not match these lines to a question: {lines}",
    },
    "summary_intro": {"de": "Bitte prüfen Sie Ihre Angaben:", "en": "Please check your details:"},
    "summary_question": {
        "de": "Stimmt alles? Dann antworten Sie einfach „passt“. Ist etwas falsch, schreiben Sie die Nummer "
        "und die richtige Angabe, z. B. „5 ist falsch, richtig ist 12.03.2021“.",
        "en": "Is everything right? Then simply reply “correct”. If something is wrong, write its number and "
        "the right value, e.g. “5 is wrong, it is 12 March 2021”.",
    },
    "summary_unknown_number": {
        "de": "Eine Angabe mit der Nummer {n} gibt es in der Zusammenfassung nicht.",
        "en": "There is no item number {n} in the summary.",
    },
    "summary_which": {
        "de": "Was soll ich ändern? Schreiben Sie die Nummer und die richtige Angabe, z. B. „5 ist falsch, "
        "richtig ist 12.03.2021“ – oder „passt“, wenn alles stimmt.",
        "en": "What should I change? Write the number and the right value, e.g. “5 is wrong, it is "
        "12 March 2021” – or “correct” if everything is right.",
    },
    "correction_ask": {
        "de": "Wie lautet die richtige Angabe für {n}. {label}?",
        "en": "What is the right value for {n}. {label}?",
    },
    "changed": {"de": "Geändert: {items}.", "en": "Changed: {items}."},
    "loop_guard_final": {
        "de": "Guten Tag {name},\n\nin kurzer Zeit sind sehr viele Nachrichten zwischen uns hin- und hergegangen, "
        "ohne dass eine neue Nachricht von Ihnen dabei war – das sieht nach einer automatischen "
        "Antwortschleife aus. Deshalb antworte ich auf automatische Nachrichten erst wieder ab {when}. "
        "Auf eine neue Nachricht von Ihnen antworte ich wie gewohnt.\n\n"
        "Sie können auch jederzeit im Chat weitermachen: {link}\n\n{firm}",
        "en": "Hello {name},\n\na lot of messages went back and forth in a short time without a new message "
        "from you – this looks like an automatic reply loop. So I will answer automatic messages again "
        "from {when}. I will answer a new message from you as usual.\n\n"
        "You can also continue in the chat at any time: {link}\n\n{firm}",
    },
    "loop_guard_subject": {
        "de": "Kurze Pause bei den automatischen Antworten",
        "en": "A short pause in automatic replies",
    },
    "loop_guard_no_link": {"de": "(bitte fragen Sie uns nach einem Link)", "en": "(please ask us for a link)"},
}


def bt(key: str, lang: str, **values: object) -> str:
    return lookup(TEXTS, key, lang, **values)
