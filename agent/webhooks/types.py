"""The event types a webhook can subscribe to (a contract: receivers switch on these names)."""

EVENT_TYPES: tuple[str, ...] = (
    "request.created", "message.received", "document.uploaded", "document.extracted",
    "deadline.detected", "questionnaire.completed", "document.signed", "request.completed",
)
