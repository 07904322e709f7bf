from __future__ import annotations

import asyncio
import threading

from agent.messages import OutboundMessage
from channels.webchat import WebchatHub


def msg(n: int, request_id: str = "r1") -> OutboundMessage:
    return OutboundMessage(message_id=f"{request_id}.{n}", request_id=request_id, channel="webchat",
                           address="link:x", text=f"<b>{n}</b>", quick_replies=("Ja", "Nein"))


def test_publish_from_another_thread_reaches_only_that_requests_streams() -> None:
    hub = WebchatHub(queue_size=3)

    async def main() -> tuple[list[dict], int]:
        mine = hub.subscribe("r1")
        other = hub.subscribe("r2")
        worker = threading.Thread(target=lambda: [hub.publish(msg(n)) for n in range(5)])
        worker.start()
        worker.join()
        await asyncio.sleep(0.05)
        got = [mine.queue.get_nowait() for _ in range(mine.queue.qsize())]
        hub.unsubscribe(mine)
        hub.unsubscribe(other)
        return got, other.queue.qsize()

    got, other = asyncio.run(main())
    assert [g["id"] for g in got] == ["r1.0", "r1.1", "r1.2"]  # a full queue drops, never blocks
    assert got[0] == {"id": "r1.0", "from": "agent", "text": "<b>0</b>", "quick_replies": ["Ja", "Nein"],
                      "link": None}
    assert other == 0 and hub.subscribers("r1") == 0
    hub.publish(msg(9))  # nobody listening: nothing happens
