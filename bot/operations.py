"""The operator's one-off commands on the database: `herobot export` and `herobot purge`.

Standard output carries only the data (or, for `purge`, its report); errors are one line on standard
error with exit status 2 for a usage mistake and 1 when the database or the output fails.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TextIO

from bot.export import export, iso, parse_since
from bot.ids import Kind, format_id
from bot.retention import closed_before, due, operator_actor, purge
from bot.settings import Settings
from storage.db import Database
from storage.models import utcnow


def _fail(command: str, error: BaseException) -> int:
    detail = str(error).strip().splitlines()[0] if str(error).strip() else ""
    print(
        f"herobot {command}: stopped ({type(error).__name__}: {detail}); check DATABASE_URL and that "
        "`herobot migrate` ran",
        file=sys.stderr,
    )
    return 1


def _complaints(count: int) -> str:
    return f"{count} complaint" if count == 1 else f"{count} complaints"


async def run_export(settings: Settings, args: argparse.Namespace) -> int:
    try:
        since = parse_since(args.since) if args.since is not None else None
    except ValueError as error:
        print(f"herobot export: {error}", file=sys.stderr)
        return 2
    target = Path(args.output) if args.output else None
    partial = target.with_name(target.name + ".partial") if target else None
    try:
        out: TextIO = partial.open("w", newline="", encoding="utf-8") if partial else sys.stdout
    except OSError as error:
        print(f"herobot export: cannot write {args.output}: {error.strerror or error}", file=sys.stderr)
        return 2
    database = Database(settings.database_url)
    try:
        count = await export(database, args.kind, args.format, out, since=since, team=args.team)
        out.flush()
    except BrokenPipeError:
        # The reader (`| head`) went away: stop quietly, as other command-line tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as error:
        if partial:
            out.close()
            partial.unlink(missing_ok=True)
        return _fail("export", error)
    finally:
        await database.dispose()
    if target and partial:
        out.close()
        partial.replace(target)  # the file appears whole, never half-written
        print(f"Exported {count} {args.kind} to {target}.", file=sys.stderr)
    return 0


async def run_purge(settings: Settings, args: argparse.Namespace) -> int:
    now = utcnow()
    days = settings.hero_retention_days
    cutoff = f"closed before {iso(closed_before(now, days))} (HERO_RETENTION_DAYS={days})"
    database = Database(settings.database_url)
    try:
        if args.dry_run:
            count = 0
            async for complaint in due(database, now=now, retention_days=days):
                print(
                    f"{format_id(Kind.COMPLAINT, complaint.id)}\t{complaint.team_id}\tclosed {iso(complaint.closed_at)}"
                )
                count += 1
            if count:
                print(f"Would purge the personal data of {_complaints(count)} {cutoff}. Nothing was changed.")
            else:
                print(f"Nothing to purge: no complaint {cutoff} still holds personal data.")
            return 0
        actor = operator_actor()
        report = await purge(database, now=now, retention_days=days, actor_id=actor)
    except Exception as error:
        return _fail("purge", error)
    finally:
        await database.dispose()
    if report.purged:
        print(
            f"Purged the personal data (text, author, URL, external ID, note bodies) of "
            f"{_complaints(report.purged)} {cutoff}; audited as {actor}."
        )
    else:
        print(f"Nothing to purge: no complaint {cutoff} still holds personal data.")
    return 0
