"""The ``mandat`` command (a composition root: it may know every channel)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agent.config import ConfigError, Settings, load_settings
from agent.privacy.cli import add_client_commands, add_request_export
from agent.webhooks.cli import add_webhook_commands


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        print(f"mandat: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _service(settings: Settings, ports: Any = None):  # noqa: ANN202 - keeps heavy imports out of `--help`
    """The service with ``ports`` (a ``Ports`` or ``PortsFactory``; none when not given): each command
    wires only what it needs."""
    from agent.app import build_service
    from agent.ports import Ports

    try:
        return build_service(settings, ports=Ports() if ports is None else ports)
    except Exception as exc:  # a broken firm folder or database is reported, not dumped as a traceback
        from agent.firm import FirmError
        from agent.questionnaire.model import QuestionnaireError

        if isinstance(exc, FirmError | QuestionnaireError | ConfigError):
            print(f"mandat: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        raise


def cmd_chat(args: argparse.Namespace) -> int:
    from agent.terminal import run_terminal_chat

    settings = _settings()
    if args.no_faq:
        service = _service(settings)
    else:
        from agent.knowledge import knowledge_ports

        service = _service(settings, knowledge_ports)
    try:
        return run_terminal_chat(service, questionnaire=args.questionnaire, lang=args.lang, name=args.name,
                                 request_id=args.request, stdin=sys.stdin, stdout=sys.stdout)
    finally:
        service.close()


def cmd_request_create(args: argparse.Namespace) -> int:
    from agent.app import Wiring
    from agent.service import RequestError

    settings = _settings()
    # Outbound senders, invitation hooks, deep links and signing links; no pollers, no routes.
    service = _service(settings, Wiring(announce=False))
    try:
        created = service.create_request(
            client_name=args.client_name, client_email=args.client_email, lang=args.lang,
            questionnaires=args.questionnaire or [], uploads=args.upload or [], sign=args.sign or [],
            staff_email=args.staff, send=args.send,
            case_data=dict(item.split("=", 1) for item in args.case or []),
        )
        service.outbox.deliver_pending()  # --send: the invitation leaves now (no server is running)
    except RequestError as exc:
        print(f"mandat: {exc}", file=sys.stderr)
        return 2
    finally:
        service.close()
    print(json.dumps({"id": created.id, "links": created.links, "expires_at": created.expires_at.isoformat()},
                     indent=2))
    return 0


def cmd_request_show(args: argparse.Namespace) -> int:
    settings = _settings()
    service = _service(settings)
    try:
        summary = service.request_summary(args.id)
    finally:
        service.close()
    if summary is None:
        print(f"mandat: no request {args.id}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False, default=str))
        return 0
    print(f"Request {summary['id']} — {summary['client']['name']} — {summary['status']}")
    print(f"Progress: {summary['progress']['answered']}/{summary['progress']['total']}")
    for a in summary["answers"]:
        mark = "✓" if a["confirmed"] else "·"
        print(f"  {mark} {a['field']}: {a['value']}  [{a['method']}, {a['source']['type']} {a['source']['id']}]")
    llm = summary["llm"]
    print(f"LLM: {llm['calls']} calls, {llm['prompt_tokens']} prompt / {llm['completion_tokens']} completion tokens")
    return 0


def cmd_questionnaire_check(args: argparse.Namespace) -> int:
    from agent.questionnaire.lint import check_command

    return check_command([Path(p) for p in args.paths])


def cmd_link(args: argparse.Namespace) -> int:
    settings = _settings()
    service = _service(settings)
    try:
        if args.link_command == "revoke":
            count = service.revoke_links(args.id)
            print(json.dumps({"id": args.id, "revoked": count}))
            return 0 if count else 1
        link = service.reissue_chat_link(args.id)
        if link is None:
            print(f"mandat: no request {args.id}", file=sys.stderr)
            return 1
        print(json.dumps({"id": args.id, "links": {"chat": link[0]}, "expires_at": link[1].isoformat()}))
        return 0
    finally:
        service.close()


def cmd_verify(args: argparse.Namespace) -> int:
    from tools.signing import verify_command

    return verify_command(Path(args.file), Path(args.cert) if args.cert else None)


def cmd_sign_send(args: argparse.Namespace) -> int:
    from agent.app import Wiring
    from agent.signing_flow import SigningFlow, SignRefused

    settings = _settings()
    wiring = Wiring(email=False, telegram=False)
    service = _service(settings, wiring)
    try:
        flow = wiring.signing or SigningFlow(service)
        try:
            sent = flow.send_links(args.id)
        except SignRefused:
            print(f"mandat: no request {args.id}", file=sys.stderr)
            return 1
    finally:
        service.close()  # the running server's outbox delivers the rows written here
    if not sent:
        print(f"mandat: request {args.id} has no open document to sign", file=sys.stderr)
        return 1
    print(json.dumps({"id": args.id, "sent": sent}, indent=2))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from agent.malloc import limit_arenas

    limit_arenas()  # first, before any thread runs: the heap grew ~50 MB/h without it (see agent/malloc.py)
    from agent.app import serve

    return serve(_settings(), host=args.host, port=args.port, demo=args.demo, workers=args.workers)


def _workers(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if not 1 <= n <= 64:
        raise argparse.ArgumentTypeError("expected a number of processes from 1 to 64")
    return n


def _case_entry(text: str) -> str:
    if "=" not in text:
        raise argparse.ArgumentTypeError("expected KEY=VALUE, e.g. case.subject=Kündigung")
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mandat", description="Mandat — the conversational client portal")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the web chat, the staff API and every configured channel")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--demo", action="store_true", help="create a demo request on first start and print its link")
    serve.add_argument("--workers", type=_workers, default=1, metavar="N",
                       help="worker processes sharing the port (default 1; see docs/scale-out.md)")
    serve.set_defaults(func=cmd_serve)

    chat = sub.add_parser("chat", help="talk to the agent on stdin/stdout (works piped)")
    chat.add_argument("--questionnaire", default="kuendigung")
    chat.add_argument("--lang", default="de", choices=["de", "en"])
    chat.add_argument("--name", default="Alex Beispiel")
    chat.add_argument("--request", help="continue an existing request instead of creating one")
    chat.add_argument("--no-faq", action="store_true", help="do not load the FAQ search (faster start)")
    chat.set_defaults(func=cmd_chat)

    request = sub.add_parser("request", help="create and inspect requests").add_subparsers(
        dest="request_command", required=True)
    create = request.add_parser("create", help="create a request and print its id and links as JSON")
    create.add_argument("--client-name", required=True)
    create.add_argument("--client-email")
    create.add_argument("--lang", default="de", choices=["de", "en"])
    create.add_argument("--questionnaire", action="append")
    create.add_argument("--upload", action="append", metavar="LABEL")
    create.add_argument("--sign", action="append", metavar="TEMPLATE")
    create.add_argument("--staff", metavar="EMAIL")
    create.add_argument("--send", action="store_true", help="send the invitation e-mail")
    create.add_argument("--case", action="append", metavar="KEY=VALUE", type=_case_entry,
                        help="what you already know, e.g. case.subject='Kündigung ACME' fee.hourly_rate=250,00")
    create.set_defaults(func=cmd_request_create)
    show = request.add_parser("show", help="status, answers with provenance, LLM calls and tokens")
    show.add_argument("id")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_request_show)
    add_request_export(request, lambda: _service(_settings()))  # `mandat request export ID`

    questionnaire = sub.add_parser("questionnaire", help="questionnaire tools").add_subparsers(
        dest="questionnaire_command", required=True)
    check = questionnaire.add_parser("check", help="lint questionnaire files (exit 1 on errors)")
    check.add_argument("paths", nargs="+")
    check.set_defaults(func=cmd_questionnaire_check)

    link = sub.add_parser("link", help="revoke or reissue a request's personal links").add_subparsers(
        dest="link_command", required=True)
    for name in ("revoke", "reissue"):
        p = link.add_parser(name)
        p.add_argument("id", help="request id")
        p.set_defaults(func=cmd_link)

    verify = sub.add_parser("verify", help="validate a signed PDF: signer, time, integrity, coverage (exit 1 if not)")
    verify.add_argument("file", metavar="FILE.pdf")
    verify.add_argument("--cert", metavar="PEM", help="trust this certificate (e.g. the firm's sealing certificate)")
    verify.set_defaults(func=cmd_verify)

    sign = sub.add_parser("sign", help="documents to sign").add_subparsers(dest="sign_command", required=True)
    sign_send = sign.add_parser("send", help="issue and send signing links for a request's open documents")
    sign_send.add_argument("id", metavar="REQUEST_ID")
    sign_send.set_defaults(func=cmd_sign_send)

    from agent.staff.cli import add_staff_commands  # `mandat staff add|password`

    add_staff_commands(sub, lambda: _service(_settings()))
    add_client_commands(sub, lambda: _service(_settings()))  # `mandat client export|erase EMAIL`
    add_webhook_commands(sub, _settings)  # `mandat webhook add|list|remove|deliveries`
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
