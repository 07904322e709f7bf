"""Issue 12 end to end: the whole dismissal questionnaire by e-mail in at most six client mails, answers
in every style (numbered, inline under the quoted questions, "label: value", one per line), quoted the way
five mail programs quote, with one invalid value and one correction; against real Dovecot and aiosmtpd."""

from __future__ import annotations

import re

import pytest

from tests.channels.email import harness as h

pytestmark = pytest.mark.slow

CLIENT = "erika@example.org"


def body(mail) -> str:
    return mail.get_body(("plain",)).get_content()


def outlook(top: str, last) -> str:
    return (f"{top}\n\nMit freundlichen Grüßen\nErika Musterfrau\n\nVon: Kanzlei Beispiel <kanzlei@beispiel.example>\n"
            f"Gesendet: Montag, 3. März 2025 10:12\nAn: Erika Musterfrau <{CLIENT}>\nBetreff: {last['Subject']}\n\n"
            f"{body(last)}")


def thunderbird_inline(answers: dict[int, str], last) -> str:
    """Thunderbird: '> ' quoting, the client writes each answer under its question line."""
    out = ["Hallo,", "", "hier meine Antworten.", "", "Am 03.03.25 um 10:12 schrieb Kanzlei Beispiel:"]
    for line in body(last).splitlines():
        out.append(f"> {line}")
        head = line.split(".", 1)[0]
        if head.isdigit() and int(head) in answers:
            out.append(answers[int(head)])
    out += ["", "Viele Grüße", "Erika"]
    return "\n".join(out)


def gmail(top: str, last) -> str:
    quoted = "\n".join(f"> {line}" for line in body(last).splitlines())
    header = "Am Mo., 3. März 2025 um 10:12 Uhr schrieb Kanzlei Beispiel <\nkanzlei@beispiel.example>:"
    return f"{top}\n\n{header}\n\n{quoted}"


def apple(top: str, last) -> str:
    quoted = "\n".join(f"> {line}" for line in body(last).splitlines())
    return f"{top}\n\nVon meinem iPhone gesendet\n\n> Am 03.03.2025 um 10:12 schrieb Kanzlei Beispiel:\n>\n{quoted}"


def outlook_old(top: str, last) -> str:
    return (f"{top}\n\n-----Ursprüngliche Nachricht-----\nVon: Kanzlei Beispiel [mailto:kanzlei@beispiel.example]\n"
            f"Gesendet: Montag, 3. März 2025 10:12\nBetreff: Frage\n\n{body(last)}")


def test_dismissal_questionnaire_in_six_mails(tmp_path, dovecot, smtp_server) -> None:
    service = h.make_service(tmp_path / "var", dovecot, smtp_server)
    run = h.start(service, h.wire(service))
    try:
        created = service.create_request(client_name="Erika Musterfrau", client_email=CLIENT,
                                         questionnaires=["kuendigung"], send=True)
        [invitation] = h.wait_for_mails(smtp_server, CLIENT, 1)
        text = body(invitation)
        assert "1. Wie lautet Ihr Vorname?" in text and "8. Wie lautet die Anschrift Ihres Arbeitgebers?" in text
        assert "0 von 23 erledigt" in text and created.links["chat"] in text
        sent = [invitation]

        def send(mail_body: str) -> str:
            mail = h.reply_to(sent[-1], mail_body, sender=CLIENT)
            dovecot.append(bytes(mail))
            sent.append(h.wait_for_mails(smtp_server, CLIENT, len(sent) + 1, timeout=20)[-1])
            assert sent[-1]["In-Reply-To"] == mail["Message-ID"]
            return body(sent[-1])

        # 1 — numbered answers, Outlook (new) quoting; phone skipped with "-"; changed order for 2/1.
        reply = send(outlook("2) Musterfrau\n1. Erika\n3: 12.5.85\n4. Musterstraße 12, 10115 Berlin\n"
                             f"5. {CLIENT}\n6. -\n7. ACME GmbH\n8. überspringen", sent[-1]))
        assert "Vorname: Erika" in reply and "1. Als was sind Sie dort beschäftigt?" in reply
        assert "8 von 23 erledigt" in reply or "7 von 23 erledigt" in reply

        # 2 — inline under the quoted questions (Thunderbird), weekly hours invalid (120 > 80).
        reply = send(thunderbird_inline({1: "Lageristin", 2: "01.02.2015", 3: "3.500 €", 4: "120",
                                         5: "21 bis 200", 6: "ja", 7: "gestern", 8: "per Einschreiben"},
                                        sent[-1]))
        assert "Tätigkeit: Lageristin" in reply and "Wochenarbeitszeit" in reply
        assert "1. Wie viele Stunden arbeiten Sie laut Vertrag pro Woche?" in reply  # asked again, first

        # 3 — "label: value" lines, Gmail quoting.
        reply = send(gmail("Wochenarbeitszeit: 38\nArt der Kündigung: ordentliche Kündigung\n"
                           "Besonderer Kündigungsschutz: nichts davon\nRechtsschutzversicherung: ja\n"
                           "Ihr Ziel: eine Abfindung\nAngegebener Grund: betriebsbedingt", sent[-1]))
        assert "Versicherer" in reply or "Bei welcher Versicherung" in reply

        # 4 — one answer per line in questionnaire order, Apple Mail quoting.
        reply = send(apple("31.12.2026\nARAG\nRS-123456", sent[-1]))
        assert "Bitte prüfen Sie Ihre Angaben:" in reply
        summary = [line for line in reply.splitlines() if re.match(r"^\d+\. ", line)]
        assert len(summary) >= 20 and any("Wochenarbeitszeit: 38" in line for line in summary)
        birth = next(line for line in summary if "Geburtsdatum" in line)
        number = birth.split(".", 1)[0]

        # 5 — correction by number, Outlook (old) quoting.
        reply = send(outlook_old(f"{number} ist falsch, richtig ist 12.03.1986", sent[-1]))
        assert "Geändert: Geburtsdatum" in reply and "Bitte prüfen Sie Ihre Angaben:" in reply

        # 6 — confirmation.
        reply = send(gmail("Passt, danke!", sent[-1]))
        summary = service.request_summary(created.id)
        assert summary is not None and summary["status"] == "complete"
        values = {a["field"]: a["value"] for a in summary["answers"]}
        assert values["first_name"] == "Erika" and values["last_name"] == "Musterfrau"
        assert values["birth_date"] == "1986-03-12" and values["weekly_hours"] == 38
        assert values["insurer"] == "ARAG" and values["policy_number"] == "RS-123456"
        assert values["job_title"] == "Lageristin" and values["dismissal_delivery"] == "registered_mail"
        assert all(a["confirmed"] for a in summary["answers"])
        # Nothing quoted was stored as an answer.
        for a in summary["answers"]:
            assert "Wie " not in (a["raw_text"] or "") and "schrieb" not in (a["raw_text"] or "")
        client_mails = len(sent) - 1
        assert client_mails <= 6
    finally:
        run.stop()


def test_english_questionnaire_by_mail_inline_and_numbered(tmp_path, dovecot, smtp_server) -> None:
    """English: inline answers under Apple Mail's quote, numbered answers above Gmail's, 'yes' to confirm."""
    from tests.agent.conversation.test_batch_turns import EN

    service = h.make_service(tmp_path / "var", dovecot, smtp_server)
    run = h.start(service, h.wire(service))
    try:
        created = service.create_request(client_name="Max Mustermann", client_email=CLIENT, lang="en",
                                         questionnaires=["kuendigung"], send=True)
        sent = h.wait_for_mails(smtp_server, CLIENT, 1)
        assert "The first questions:" in body(sent[0]) and "0 of 23 done" in body(sent[0])
        answers = dict(EN, **{"What is the name of your employer? Please give the company name as it appears "
                              "in your contract.": "ACME Ltd"})
        for n in range(8):
            text = body(sent[-1])
            if "Please check your details:" in text:
                mail_body = "Yes, that's right.\n\nSent from my iPhone"
            elif n % 2 == 0:
                quoted = []
                for line in text.splitlines():
                    quoted.append(f"> {line}")
                    m = re.match(r"^\d{1,2}\. (.+?)(?: \(optional\))?$", line)
                    if m and m.group(1) in answers:
                        quoted.append(answers[m.group(1)])
                mail_body = "Hi,\n\nSent from my iPhone\n\n> On 3 Mar 2025, at 10:12, Kanzlei wrote:\n>\n" + \
                    "\n".join(quoted)
            else:
                lines = [f"{k}. {answers[q]}" for k, q in re.findall(r"^(\d{1,2})\. (.+?)(?: \(optional\))?$",
                                                                     text, re.MULTILINE) if q in answers]
                quoted = "\n".join(f"> {line}" for line in text.splitlines())
                mail_body = "\n".join(lines) + f"\n\nOn Mon, Mar 3, 2025 at 10:12 AM Kanzlei wrote:\n\n{quoted}"
            mail = h.reply_to(sent[-1], mail_body, sender=CLIENT)
            dovecot.append(bytes(mail))
            sent = h.wait_for_mails(smtp_server, CLIENT, len(sent) + 1, timeout=20)
            if service.request_summary(created.id)["status"] == "complete":
                break
        summary = service.request_summary(created.id)
        assert summary["status"] == "complete" and len(sent) - 1 <= 6
        values = {a["field"]: a["value"] for a in summary["answers"]}
        assert values["first_name"] == "Max" and values["employer_name"] == "ACME Ltd"
        assert values["birth_date"] == "1980-04-03" and values["legal_insurance"] is False
        assert all("wrote" not in (a["raw_text"] or "") for a in summary["answers"])
    finally:
        run.stop()
