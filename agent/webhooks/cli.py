"""`mandat webhook add|list|remove|deliveries`: webhook subscriptions from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from agent.webhooks.types import EVENT_TYPES


def add_webhook_commands(sub: Any, settings_of: Callable[[], Any]) -> None:
    """Register the `webhook` subcommands on the main parser's subparsers."""
    webhook = sub.add_parser("webhook", help="push signed events into the firm's own software").add_subparsers(
        dest="webhook_command", required=True)
    add = webhook.add_parser("add", help="subscribe a URL; prints the signing secret (shown only this once)")
    add.add_argument("url")
    add.add_argument("--events", nargs="+", required=True, metavar="EVENT",
                     help=f"any of {', '.join(EVENT_TYPES)} (space or comma separated), or '*'")
    add.add_argument("--description", default="")
    add.set_defaults(func=lambda args: _run(settings_of, _add, args))
    lst = webhook.add_parser("list", help="the subscribed URLs and their events")
    lst.set_defaults(func=lambda args: _run(settings_of, _list, args))
    remove = webhook.add_parser("remove", help="unsubscribe; undelivered events are cancelled")
    remove.add_argument("id", type=int)
    remove.set_defaults(func=lambda args: _run(settings_of, _remove, args))
    log = webhook.add_parser("deliveries", help="the newest deliveries of a webhook")
    log.add_argument("id", type=int)
    log.add_argument("--limit", type=int, default=20)
    log.set_defaults(func=lambda args: _run(settings_of, _deliveries, args))


def _run(settings_of: Callable[[], Any], command: Callable[[Any, Any, argparse.Namespace], int],
         args: argparse.Namespace) -> int:
    from agent.store.db import Database

    settings = settings_of()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.db_url)  # no service: subscriptions need only the database
    try:
        db.migrate()
        return command(db, settings, args)
    finally:
        db.dispose()


def _add(db: Any, settings: Any, args: argparse.Namespace) -> int:
    from agent.webhooks.registry import add_webhook

    try:
        made = add_webhook(db, args.url, args.events, description=args.description,
                           allow_private=settings.webhook_allow_private)
    except ValueError as exc:
        print(f"mandat: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"id": made.id, "url": made.url, "events": made.events, "secret": made.secret}, indent=2))
    print("Keep the secret: it signs every delivery (Mandat-Signature) and is not shown again.", file=sys.stderr)
    return 0


def _list(db: Any, _settings: Any, _args: argparse.Namespace) -> int:
    from agent.webhooks.registry import list_webhooks

    print(json.dumps([{"id": w.id, "url": w.url, "events": w.events, "description": w.description,
                       "created_at": w.created_at.isoformat()} for w in list_webhooks(db)], indent=2))
    return 0


def _remove(db: Any, _settings: Any, args: argparse.Namespace) -> int:
    from agent.webhooks.registry import remove_webhook

    if not remove_webhook(db, args.id):
        print(f"mandat: no webhook {args.id}", file=sys.stderr)
        return 1
    print(json.dumps({"id": args.id, "removed": True}))
    return 0


def _deliveries(db: Any, _settings: Any, args: argparse.Namespace) -> int:
    from agent.webhooks.registry import deliveries, get_webhook

    if get_webhook(db, args.id) is None:
        print(f"mandat: no webhook {args.id}", file=sys.stderr)
        return 1
    print(json.dumps(deliveries(db, args.id, limit=args.limit), indent=2, default=str))
    return 0
