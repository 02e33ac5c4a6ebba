"""Command line: ``python -m auth serve|migrate|create-superuser|generate-keys|rotate-keys|
rotate-totp-key``."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys
from pathlib import Path

import request_ids
from auth.settings import Settings

SUPERUSER_PASSWORD_VARIABLE = "AUTH_SUPERUSER_PASSWORD"  # noqa: S105 (a variable name)


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from auth.app import create_app
    from auth.database import migrate

    if settings.migrate_on_start:
        applied = asyncio.run(migrate(settings))
        logging.getLogger("auth").info("migrations applied: %s", applied or "none pending")
    app = create_app(settings)
    # One process: bcrypt runs in threads (it releases the GIL), so one event loop keeps both cores busy.
    app.run(host=settings.host, port=settings.port, single_process=True, access_log=False, motd=False)
    return 0


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    from auth.database import migrate

    applied = asyncio.run(migrate(settings))
    print(f"applied: {', '.join(applied)}" if applied else "the database is up to date")
    return 0


def _generate_keys(settings: Settings, args: argparse.Namespace) -> int:
    from auth.services.signing_keys import PRIVATE_KEY_FILE, generate_key_files
    from auth.services.totp_keys import TOTP_KEYS_FILE, generate_totp_keys_file

    # The TOTP key is made even when the signing key is kept: a directory made before two-factor
    # login existed gets one on the next start, and an existing one is never replaced (--force
    # included), since the secrets sealed with it would be lost.
    totp_path = args.directory / TOTP_KEYS_FILE
    if args.if_missing and (args.directory / PRIVATE_KEY_FILE).exists():
        print(f"{args.directory / PRIVATE_KEY_FILE} exists; kept")
    else:
        try:
            path, kid = generate_key_files(args.directory, overwrite=args.force)
        except FileExistsError as error:
            print(error, file=sys.stderr)
            return 1
        print(f"wrote {path} (kid {kid}); set AUTH_PRIVATE_KEY_FILE={path}")
    if totp_path.exists():
        print(f"{totp_path} exists; kept")
    else:
        print(f"wrote {totp_path} (TOTP key {generate_totp_keys_file(totp_path)})")
    return 0


def _rotate_keys(settings: Settings, args: argparse.Namespace) -> int:
    from auth.services.signing_keys import retire_key, rotate_key_files

    if args.retire:
        if not retire_key(args.directory, args.retire):
            print(f"no previous key {args.retire} in {args.directory}", file=sys.stderr)
            return 1
        print(f"retired {args.retire}: tokens it signed are refused once auth restarts")
        return 0
    old_kid, new_kid = rotate_key_files(args.directory)
    print(f"new active key {new_kid}; {old_kid} still verifies its tokens; restart auth to use the new key")
    return 0


def _rotate_totp_key(settings: Settings, args: argparse.Namespace) -> int:
    from auth.services.totp_keys import TotpKeyError
    from auth.totp_rotation import add_key, reseal, retire

    try:
        if args.reseal:
            outcome = asyncio.run(reseal(settings))
            print(
                f"resealed {outcome.resealed} TOTP secret(s) under the first key"
                + (
                    f"; {outcome.changed} changed meanwhile and were left as they are"
                    if outcome.changed
                    else ""
                )
            )
            for user_id, why in outcome.unopened:
                print(f"user {user_id}: not resealed: {why}", file=sys.stderr)
            return 1 if outcome.unopened else 0
        if args.retire:
            dropped = asyncio.run(retire(settings))
            print(f"dropped {', '.join(dropped) or 'no key'}; restart auth")
            return 0
        new, kept = add_key(settings)
        print(
            f"new sealing key {new} (kept after it: {', '.join(kept)}); restart auth, then run "
            "`rotate-totp-key --reseal` and `rotate-totp-key --retire`"
        )
        return 0
    except TotpKeyError as error:
        print(error, file=sys.stderr)
        return 1


def _superuser_password() -> str | None:
    password = os.environ.get(SUPERUSER_PASSWORD_VARIABLE)
    if password:
        return password
    if not sys.stdin.isatty():
        print(f"no terminal to prompt on: set {SUPERUSER_PASSWORD_VARIABLE}", file=sys.stderr)
        return None
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        print("the passwords differ", file=sys.stderr)
        return None
    return first


def _create_superuser(settings: Settings, args: argparse.Namespace) -> int:
    from auth.superuser import create_superuser

    password = _superuser_password()
    if password is None:
        return 1
    try:
        message = asyncio.run(create_superuser(settings, args.login, password, args.email))
    except ValueError as error:
        print(error, file=sys.stderr)
        return 1
    print(message)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m auth", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="apply pending migrations, then serve HTTP")
    serve.set_defaults(run=_serve)
    commands.add_parser("migrate", help="apply pending migrations").set_defaults(run=_migrate)
    keys = commands.add_parser("generate-keys", help="write a new Ed25519 key pair for development")
    keys.add_argument("directory", type=Path, help="where private.pem and public.pem go")
    keys.add_argument("--force", action="store_true", help="replace an existing key")
    keys.add_argument("--if-missing", action="store_true", help="do nothing when a key exists")
    keys.set_defaults(run=_generate_keys)
    rotate = commands.add_parser(
        "rotate-keys", help="make a new active signing key; the old one keeps verifying its tokens"
    )
    rotate.add_argument(
        "directory", type=Path, help="the folder of private.pem (previous keys go to previous/)"
    )
    rotate.add_argument("--retire", metavar="KID", help="instead, forget a previous key")
    rotate.set_defaults(run=_rotate_keys)
    totp_key = commands.add_parser(
        "rotate-totp-key",
        help="put a new key first in the TOTP key file (then --reseal, then --retire; see README)",
    )
    step = totp_key.add_mutually_exclusive_group()
    step.add_argument(
        "--reseal", action="store_true", help="seal every TOTP secret again under the first key"
    )
    step.add_argument(
        "--retire", action="store_true", help="drop every key but the first, once nothing needs them"
    )
    totp_key.set_defaults(run=_rotate_totp_key)
    superuser = commands.add_parser(
        "create-superuser",
        help=f"create an account with the admin role (password: prompt or ${SUPERUSER_PASSWORD_VARIABLE})",
    )
    superuser.add_argument("--login", required=True)
    superuser.add_argument("--email")
    superuser.set_defaults(run=_create_superuser)

    args = parser.parse_args(argv)
    settings = Settings()
    # Everything the process logs (Sanic's own loggers included) in one format, with request ids.
    request_ids.configure_logging(logging.INFO, settings.log_format)
    return int(args.run(settings, args))


if __name__ == "__main__":
    sys.exit(main())
