"""`python -m jobs.keys create --name NAME --role admin|user` | `list` | `revoke KEY_ID`.

Uses the same environment as the API (REDIS_URL, DATA_DIR for the embedded Redis, QUEUE_NAME), so
the first admin key can be made before the API starts; `create` prints the key once, on stdout.
"""
from __future__ import annotations

import argparse
import json
import sys

from jobs.connection import connect
from jobs.keys.store import KeyStore, Role
from jobs.settings import QueueSettings


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = QueueSettings()
    keys = KeyStore(connect(settings), settings.queue_name)
    if args.command == "create":
        try:
            made = keys.create(args.name, args.role)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(made.key)
        print(f"created {made.record.role.value} key {made.record.id} ({made.record.name}); "
              "keep it now: it is stored only hashed", file=sys.stderr)
        return 0
    if args.command == "list":
        for record in keys.list():
            print(json.dumps(record.public()))
        return 0
    record = keys.revoke(args.key_id)
    if record is None:
        print(f"error: no key with id {args.key_id!r}", file=sys.stderr)
        return 1
    print(json.dumps(record.public()))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m jobs.keys", description="Manage transfergen API keys.")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="make a key and print it (once)")
    create.add_argument("--name", required=True, help="who or what it is for")
    create.add_argument("--role", required=True, choices=[role.value for role in Role])
    commands.add_parser("list", help="all keys as JSON lines (never the keys themselves)")
    revoke = commands.add_parser("revoke", help="revoke a key for good")
    revoke.add_argument("key_id", help="the id shown by create and list")
    return parser


if __name__ == "__main__":
    sys.exit(main())
