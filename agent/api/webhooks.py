"""Staff API for webhooks: subscribe a URL, list and remove subscriptions, see each delivery.

Mounted by ``agent.api.routes`` under the same bearer-token guard as the rest of ``/api``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field

from agent.service import Mandat
from agent.webhooks import registry
from agent.webhooks.events import EVENT_TYPES

WebhookId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: str = Field(min_length=1, max_length=2000, description="http(s) URL of the receiver")
    events: list[str] = Field(min_length=1, max_length=20, description=f"Any of {', '.join(EVENT_TYPES)}, or *")
    description: str = Field("", max_length=200)


class WebhookOut(BaseModel):
    id: int
    url: str
    events: list[str]
    description: str
    created_at: datetime


class CreatedWebhookOut(WebhookOut):
    secret: str = Field(description="The signing secret; shown only in this answer")


class DeliveryOut(BaseModel):
    id: int
    event_id: str | None
    type: str
    request_id: str | None
    status: str  # pending | sending | sent | failed
    attempts: int
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    next_attempt_at: datetime | None


class DeliveriesOut(BaseModel):
    webhook_id: int
    deliveries: list[DeliveryOut]


def build_webhook_router(service: Mandat) -> APIRouter:
    router = APIRouter()
    db, allow_private = service.db, service.settings.webhook_allow_private

    @router.post("/webhooks", status_code=status.HTTP_201_CREATED, response_model=CreatedWebhookOut,
                 responses={400: {"description": "Unknown event, or a URL that may not receive webhooks"}})
    def add(body: WebhookIn) -> CreatedWebhookOut:
        try:
            made = registry.add_webhook(db, body.url, body.events, description=body.description,
                                        allow_private=allow_private)
        except ValueError as exc:  # WebhookError, WebhookUrlRefused
            raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
        assert made.secret is not None
        return CreatedWebhookOut(id=made.id, url=made.url, events=made.events, description=made.description,
                                 created_at=made.created_at, secret=made.secret)

    @router.get("/webhooks", response_model=list[WebhookOut])
    def list_all() -> list[WebhookOut]:
        return [WebhookOut(id=w.id, url=w.url, events=w.events, description=w.description, created_at=w.created_at)
                for w in registry.list_webhooks(db)]

    @router.delete("/webhooks/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT, responses={404: {}})
    def remove(webhook_id: WebhookId) -> None:
        if not registry.remove_webhook(db, webhook_id):
            raise HTTPException(status.HTTP_404_NOT_FOUND, "No such webhook.")

    @router.get("/webhooks/{webhook_id}/deliveries", response_model=DeliveriesOut, responses={404: {}})
    def deliveries(webhook_id: WebhookId,
                   state: Annotated[Literal["pending", "sending", "sent", "failed"] | None,
                                    Query(alias="status")] = None,
                   limit: Annotated[int, Query(ge=1, le=registry.MAX_DELIVERIES)] = 100) -> DeliveriesOut:
        if registry.get_webhook(db, webhook_id) is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "No such webhook.")
        rows = registry.deliveries(db, webhook_id, status=state, limit=limit)
        return DeliveriesOut(webhook_id=webhook_id, deliveries=[DeliveryOut(**r) for r in rows])

    return router
