import pytest

from channels.email.quotes import strip_quotes

OUTLOOK_DE = """Guten Tag,

die Kündigung kam am 28.02.2025 per Post.

Mit freundlichen Grüßen
Max Mustermann
Tel. 0171 1234567

Von: Kanzlei Beispiel <kanzlei+abc@beispiel.example>
Gesendet: Montag, 3. März 2025 10:12
An: Max Mustermann <max@example.org>
Betreff: Ihre Unterlagen zur Kündigung

Guten Tag Herr Mustermann,
wann haben Sie die Kündigung erhalten?
"""

OUTLOOK_EN = """I received it on 28 February.

________________________________
From: Kanzlei Beispiel <kanzlei+abc@beispiel.example>
Sent: Monday, March 3, 2025 10:12 AM
To: Max Mustermann <max@example.org>
Subject: Your documents

When did you receive the letter?
"""

OUTLOOK_OLD_DE = """Ja, ich war dort 5 Jahre angestellt.

-----Ursprüngliche Nachricht-----
Von: Kanzlei Beispiel [mailto:kanzlei@beispiel.example]
Gesendet: Montag, 3. März 2025 10:12
An: max@example.org
Betreff: Frage

Wie lange waren Sie angestellt?
"""

OUTLOOK_OLD_EN = """Yes, five years.

-----Original Message-----
From: Kanzlei Beispiel
Sent: Monday, March 3, 2025 10:12 AM

How long were you employed?
"""

GMAIL_DE = """Am 28.02.2025 habe ich sie bekommen.

Am Mo., 3. März 2025 um 10:12 Uhr schrieb Kanzlei Beispiel <
kanzlei+abc@beispiel.example>:

> Guten Tag Herr Mustermann,
> wann haben Sie die Kündigung erhalten?
"""

GMAIL_EN = """On the 28th of February.

On Mon, Mar 3, 2025 at 10:12 AM Kanzlei Beispiel <kanzlei+abc@beispiel.example>
wrote:

> When did you receive the letter?
>
"""

APPLE_DE = """Am 28.02.2025.

Von meinem iPhone gesendet

> Am 03.03.2025 um 10:12 schrieb Kanzlei Beispiel <kanzlei+abc@beispiel.example>:
>
> Wann haben Sie die Kündigung erhalten?
"""

APPLE_EN = """February 28th.

Sent from my iPhone

> On 3 Mar 2025, at 10:12, Kanzlei Beispiel <kanzlei+abc@beispiel.example> wrote:
>
> When did you receive the letter?
"""

THUNDERBIRD_DE = """Am 28.02.2025, per Einschreiben.

--\u0020
Max Mustermann
Musterstraße 1, 12345 Musterstadt

Am 03.03.25 um 10:12 schrieb Kanzlei Beispiel:
> Wann haben Sie die Kündigung erhalten?
"""

THUNDERBIRD_EN = """By registered mail on 28 February.

On 03/03/2025 10:12, Kanzlei Beispiel wrote:
> When did you receive the letter?
"""


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (OUTLOOK_DE, "Guten Tag,\n\ndie Kündigung kam am 28.02.2025 per Post."),
        (OUTLOOK_EN, "I received it on 28 February."),
        (OUTLOOK_OLD_DE, "Ja, ich war dort 5 Jahre angestellt."),
        (OUTLOOK_OLD_EN, "Yes, five years."),
        (GMAIL_DE, "Am 28.02.2025 habe ich sie bekommen."),
        (GMAIL_EN, "On the 28th of February."),
        (APPLE_DE, "Am 28.02.2025."),
        (APPLE_EN, "February 28th."),
        (THUNDERBIRD_DE, "Am 28.02.2025, per Einschreiben."),
        (THUNDERBIRD_EN, "By registered mail on 28 February."),
    ],
    ids=["outlook-de", "outlook-en", "outlook-old-de", "outlook-old-en", "gmail-de", "gmail-en",
         "apple-de", "apple-en", "thunderbird-de", "thunderbird-en"],
)
def test_reply_is_cut_from_quotes_and_signatures(body: str, expected: str) -> None:
    assert strip_quotes(body) == expected


def test_interleaved_quotes_keep_the_clients_lines() -> None:
    body = "> Wann?\nAm 1. März.\n> Wo?\nIn Berlin.\n"
    assert strip_quotes(body) == "Am 1. März.\nIn Berlin."


def test_lists_and_notes_a_client_writes_are_kept() -> None:
    body = "Meine Angaben:\n- Beginn: 01.04.2020\n- Gehalt: 3.500 EUR\nHinweis: bitte nur per Mail.\n"
    assert strip_quotes(body) == body.strip()


def test_only_quote_gives_empty_text() -> None:
    assert strip_quotes("> nur zitiert\n> mehr nicht\n") == ""
    assert strip_quotes("") == ""
