"""Rotating the key that seals TOTP secrets (`python -m auth rotate-totp-key`), with no moment
when a secret does not open:

1. `rotate-totp-key` puts a new key first in the key file; restart auth. It now seals with the
   new key and still opens what the old ones sealed.
2. `rotate-totp-key --reseal` opens every secret sealed by another key and seals it again under
   the first one.
3. `rotate-totp-key --retire` drops every key but the first from the file, and refuses while a
   secret is still sealed by one of them; restart auth.

With `AUTH_TOTP_ENCRYPTION_KEY` instead of a file, steps 1 and 3 are edits of that variable (a new
key first, then the old ones removed) and step 2 is the same command.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tortoise import connections

from auth.database import orm
from auth.models.totp import TotpFactor
from auth.services.totp_keys import (
    SealedSecret,
    TotpKeyError,
    drop_keys_but_first,
    keys_file,
    load_totp_keyring,
    prepend_new_key,
)
from auth.settings import Settings


@dataclass
class Resealing:
    resealed: int = 0
    # Changed while being resealed (a new enrolment): left as the change made it.
    changed: int = 0
    # Rows whose key is not configured, or that do not open with it: (user id, why).
    unopened: list[tuple[str, str]] = field(default_factory=list)


def key_file_of(settings: Settings) -> Path:
    """The key file steps 1 and 3 edit; a key set in the environment has none."""
    if settings.totp_encryption_key:
        raise TotpKeyError(
            "the TOTP keys come from AUTH_TOTP_ENCRYPTION_KEY: put a new key first there (or drop the "
            "old ones) and restart auth; `--reseal` works the same with either"
        )
    path = keys_file(settings)
    if path is None:
        raise TotpKeyError(
            "set AUTH_TOTP_ENCRYPTION_KEY_FILE (or AUTH_PRIVATE_KEY_FILE, beside which it lives)"
        )
    return path


def add_key(settings: Settings) -> tuple[str, list[str]]:
    """Step 1: the new key's id and the ids of the keys kept after it."""
    return prepend_new_key(key_file_of(settings))


async def reseal(settings: Settings) -> Resealing:
    """Step 2: every secret not sealed by the first key, opened and sealed again under it. Each
    row is written only if it is still what was read, so an enrolment made meanwhile stands."""
    keyring = load_totp_keyring(settings)
    outcome = Resealing()
    async with orm(settings):
        stale = await TotpFactor.exclude(secret_key_id=keyring.active)
        connection = connections.get("default")
        for factor in stale:
            try:
                secret = keyring.open(
                    SealedSecret(factor.secret_key_id, factor.secret_ciphertext), factor.user_id
                )
            except TotpKeyError as error:
                outcome.unopened.append((str(factor.user_id), str(error)))
                continue
            sealed = keyring.seal(secret, factor.user_id)
            updated, _ = await connection.execute_query(
                'UPDATE "totp_factors" SET "secret_key_id" = $1, "secret_ciphertext" = $2 '
                'WHERE "user_id" = $3 AND "secret_key_id" = $4 AND "secret_ciphertext" = $5',
                [
                    sealed.key_id,
                    sealed.ciphertext,
                    factor.user_id,
                    factor.secret_key_id,
                    factor.secret_ciphertext,
                ],
            )
            if updated:
                outcome.resealed += 1
            else:
                outcome.changed += 1
    return outcome


async def retire(settings: Settings) -> list[str]:
    """Step 3: the ids of the keys dropped. Refused while a secret is sealed by one of them."""
    path = key_file_of(settings)
    keyring = load_totp_keyring(settings)
    async with orm(settings):
        left = await TotpFactor.exclude(secret_key_id=keyring.active).count()
    if left:
        raise TotpKeyError(
            f"{left} TOTP secret(s) are still sealed by an older key: run `rotate-totp-key --reseal` first"
        )
    return drop_keys_but_first(path)
