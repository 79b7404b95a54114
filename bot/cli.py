"""`herobot <sub-command>`: serve | socket | console | migrate | manifest | export | purge."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence

from bot.application import Register
from bot.runtime import MetricSource
from bot.scheduler import JobSource
from bot.settings import ConfigurationError, Settings, load_settings
from storage.db import Database
from storage.repositories.folding import migrate_and_fold

log = logging.getLogger("herobot")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="herobot",
        description="HERO projects, social complaints, IT risk reviews and council digests in Slack.",
    )
    commands = parser.add_subparsers(dest="command", metavar="<command>")
    commands.add_parser("serve", help="run the HTTP server (POST /slack/events, GET /healthz, GET /metrics)")
    commands.add_parser(
        "socket", help="run over Socket Mode (needs SLACK_APP_TOKEN); /healthz and /metrics stay on PORT"
    )
    console = commands.add_parser(
        "console", help="try the bot in a local emulated Slack workspace (no Slack account needed)"
    )
    console.add_argument(
        "script",
        nargs="?",
        help="a file of console lines to run instead of typing them (- for standard input)",
    )
    console.add_argument("--demo", action="store_true", help="run the bundled demo script")
    console.add_argument("--fresh", action="store_true", help="start from an empty database (the console's own file)")
    commands.add_parser("migrate", help="bring the database schema up to date")
    manifest = commands.add_parser("manifest", help="print the Slack app manifest")
    manifest.add_argument(
        "--url",
        help="public base URL of `herobot serve`, e.g. https://hero.example.com (request and OAuth redirect URLs)",
    )
    manifest.add_argument("--socket", action="store_true", help="a manifest for Socket Mode (no request URLs)")
    manifest.add_argument("--format", choices=("json", "yaml"), default="json")
    export = commands.add_parser(
        "export",
        help="write projects, complaints, risk reviews or the audit trail as CSV or JSON Lines, for CRMs and BI tools",
    )
    export.add_argument("kind", choices=("projects", "complaints", "reviews", "audit"))
    export.add_argument(
        "--format", choices=("csv", "json"), default="csv", help="csv (with a header row) or json (JSON Lines)"
    )
    export.add_argument(
        "--since", metavar="DATE", help="only records created at or after this date or ISO 8601 time (UTC)"
    )
    export.add_argument("--team", metavar="TEAM_ID", help="only this workspace's records")
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    purge = commands.add_parser(
        "purge",
        help="remove the personal data of complaints closed more than HERO_RETENTION_DAYS ago (the daily job does too)",
    )
    purge.add_argument("--dry-run", action="store_true", help="list what would be purged and change nothing")
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    register: Register | None = None,
    jobs: Sequence[JobSource] = (),
    metric_sources: Sequence[MetricSource] = (),
) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    from bot.logs import configure_logging

    configure_logging()
    if register is None:
        print("herobot: start it with `herobot` or `python app.py`", file=sys.stderr)
        return 2
    try:
        if args.command == "manifest":
            from bot.manifest import build_manifest, render

            try:
                manifest = build_manifest(args.url, socket_mode=args.socket)
            except ValueError as error:
                print(f"herobot manifest: {error}", file=sys.stderr)
                return 2
            print(render(manifest, args.format))
            sys.stdout.flush()  # inside the try: a closed pipe is answered below, not at exit
            return 0
        settings = load_settings()
        if args.command in ("export", "purge"):
            from bot.operations import run_export, run_purge

            operate = run_export if args.command == "export" else run_purge
            code = asyncio.run(operate(settings, args))
            sys.stdout.flush()
            return code
        if args.command in ("serve", "socket", "console"):
            from bot.risk.checklist import load_checklist

            load_checklist(settings)  # a checklist file with a mistake stops start-up, with its line
        if args.command == "migrate":
            asyncio.run(_migrate(settings))
            print("The database is up to date.")
            return 0
        if args.command in ("serve", "socket"):
            from bot.server import run_socket, serve

            settings.check_for(args.command)
            run = serve if args.command == "serve" else run_socket
            asyncio.run(run(settings, register, jobs=jobs, metric_sources=metric_sources))
            return 0
        if args.command == "console":
            from bot.console.repl import run_console

            return asyncio.run(
                run_console(register, script=args.script, demo=args.demo, fresh=args.fresh, job_sources=jobs)
            )
        print(f"herobot {args.command}: not available in this version", file=sys.stderr)
        return 2
    except ConfigurationError as error:
        print(f"herobot: configuration error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`herobot export … | head`): stop quietly, as other command-line tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


async def _migrate(settings: Settings) -> None:
    database = Database(settings.database_url)
    try:
        await migrate_and_fold(database)
    except Exception as error:
        raise ConfigurationError(
            f"DATABASE_URL: cannot migrate the database ({type(error).__name__}: {error})"
        ) from None
    finally:
        await database.dispose()
