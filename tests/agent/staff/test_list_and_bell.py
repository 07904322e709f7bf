"""The request list (red dots per staff member, filters, paging) and the bell."""

from __future__ import annotations

import re

from tests.agent.staff.conftest import JONAS, Staffed, csrf_of


def rows(html: str) -> dict[str, str]:
    """request id → its data-unseen value, in page order."""
    return dict(re.findall(r'data-id="([0-9a-f]+)" data-unseen="(true|false)"', html))


def bell_count(client) -> int:  # noqa: ANN001
    resp = client.get("/staff/bell.json")
    assert resp.status_code == 200
    return resp.json()["count"]


def test_red_dot_appears_with_client_news_and_goes_when_opened(staff: Staffed) -> None:
    rid = staff.create("Rita Rot")
    anna, jonas = staff.login(), staff.login(JONAS)
    assert rows(anna.get("/staff").text)[rid] == "false"  # staff's own creation is no news
    before = bell_count(anna)
    staff.say(rid, "Rita Rot")
    assert rows(anna.get("/staff").text)[rid] == "true"
    assert bell_count(anna) == before + 1
    newest_first = list(rows(anna.get("/staff").text))
    assert newest_first[0] == rid
    opened = anna.get(f"/staff/requests/{rid}")
    assert opened.status_code == 200
    assert rows(anna.get("/staff").text)[rid] == "false"
    assert bell_count(anna) == before
    # seen is per staff member: Jonas still has the red dot
    assert rows(jonas.get("/staff").text)[rid] == "true"
    anna.close()
    jonas.close()


def test_one_staff_member_cannot_mark_seen_for_another(staff: Staffed) -> None:
    rid = staff.create("Sina Sicht")
    staff.say(rid, "Sina Sicht")
    anna, jonas = staff.login(), staff.login(JONAS)
    page = anna.get(f"/staff/requests/{rid}")
    # Anna posts a form naming Jonas: nothing takes a staff id from the request
    anna.post(f"/staff/requests/{rid}/takeover", data={"csrf": csrf_of(page.text), "staff_id": "2"})
    anna.post(f"/staff/requests/{rid}/handback", data={"csrf": csrf_of(page.text), "staff_id": "2"})
    assert rows(jonas.get("/staff").text)[rid] == "true"
    assert anna.get("/staff/bell.json", params={"staff_id": 2}).json()["count"] == bell_count(anna)
    anna.close()
    jonas.close()


def test_filters_search_and_paging(staff: Staffed) -> None:
    ids = [staff.create(f"Paging Person {n:02d}") for n in range(30)]
    jonas_own = staff.service.create_request(client_name="Nur Jonas", client_email="nur.jonas@example.org",
                                             questionnaires=["kuendigung"], staff_email=JONAS).id
    anna = staff.login()
    first = anna.get("/staff", params={"q": "paging person"})
    found = list(rows(first.text))
    assert len(found) == 25 and found[0] == ids[-1]
    next_url = re.search(r'href="([^"]+)" rel="next"', first.text).group(1).replace("&amp;", "&")
    second = list(rows(anna.get(next_url).text))
    assert len(second) == 5 and set(found) | set(second) == set(ids)
    assert list(rows(anna.get("/staff", params={"q": ids[3]}).text)) == [ids[3]]
    mine = rows(anna.get("/staff", params={"who": "mine"}).text)
    assert jonas_own not in mine and ids[-1] in mine
    assert jonas_own in rows(anna.get("/staff", params={"who": "all", "q": "Nur Jonas"}).text)
    assert not rows(anna.get("/staff", params={"state": "complete", "q": "paging person"}).text)
    assert len(rows(anna.get("/staff", params={"state": "open", "q": "paging"}).text)) == 25
    assert not rows(anna.get("/staff", params={"state": "stalled", "q": "paging"}).text)
    anna.close()


def test_list_shows_progress_channels_and_responsible(staff: Staffed) -> None:
    rid = staff.create("Petra Progress")
    staff.say(rid, "Petra Progress")
    anna = staff.login()
    html = anna.get("/staff", params={"q": rid}).text
    row = html[html.index(f'data-id="{rid}"'):]
    row = row[:row.index("</li>")]
    assert "Fragebögen 0/1" in row and "Unterlagen 0/1" in row
    assert "webchat" in row and "Dr. Anna Beispiel" in row
    anna.close()


def test_bell_lists_latest_activity_and_needs_a_session(staff: Staffed) -> None:
    rid = staff.create("Bella Glocke")
    staff.say(rid, "Bella Glocke")
    anna = staff.login()
    data = anna.get("/staff/bell.json").json()
    assert any(item["request_id"] == rid and item["client"] == "Bella Glocke" and item["unseen"]
               for item in data["items"])
    with staff.browser() as anon:
        assert anon.get("/staff/bell.json").status_code == 401
    anna.close()
