"""The keys that encrypt TOTP secrets at rest (AES-256-GCM), and the file that keeps them.

A database dump alone must not give anyone the secrets that make an account's codes, so each
secret is stored as ``nonce || ciphertext`` next to the id of the key that sealed it, with the
user's id as associated data (a ciphertext copied to another user's row does not open). The key
ring's first key seals; every key in it opens, so a new key can be put first while the rows
sealed by the old one still open; an enrolment started after that is sealed by the new key.
Rotating (``python -m auth rotate-totp-key``, see auth/totp_rotation.py) is three steps: a new
key first in the file, every row sealed again under it, the old keys dropped.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from auth.settings import Settings

TOTP_KEYS_FILE = "totp.keys"
_KEY_BYTES = 32
_NONCE_BYTES = 12


class TotpKeyError(RuntimeError):
    """No usable key: none configured, not base64 of 32 bytes, or a row sealed by a key not in the ring."""


def key_id(key: bytes) -> str:
    """A short name of a key that tells nothing about it (a prefix of its SHA-256)."""
    return hashlib.sha256(key).hexdigest()[:16]


@dataclass(frozen=True)
class SealedSecret:
    key_id: str
    ciphertext: bytes


class TotpKeyring:
    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise TotpKeyError("no TOTP encryption key")
        self._active = key_id(keys[0])
        self._ciphers = {key_id(key): AESGCM(key) for key in keys}

    @property
    def active(self) -> str:
        """The id of the key that seals."""
        return self._active

    def seal(self, secret: str, user_id: uuid.UUID) -> SealedSecret:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._ciphers[self._active].encrypt(nonce, secret.encode(), user_id.bytes)
        return SealedSecret(self._active, nonce + sealed)

    def open(self, sealed: SealedSecret, user_id: uuid.UUID) -> str:
        cipher = self._ciphers.get(sealed.key_id)
        if cipher is None:
            raise TotpKeyError(f"the TOTP secret was sealed by key {sealed.key_id}, which is not configured")
        nonce, body = sealed.ciphertext[:_NONCE_BYTES], sealed.ciphertext[_NONCE_BYTES:]
        try:
            return cipher.decrypt(nonce, body, user_id.bytes).decode()
        except InvalidTag as error:
            raise TotpKeyError("a TOTP secret does not open with its key (altered or moved)") from error


def _decode(text: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as error:
        raise TotpKeyError(f"{where}: a key is not base64") from error
    if len(key) != _KEY_BYTES:
        raise TotpKeyError(f"{where}: a key must be {_KEY_BYTES} bytes, not {len(key)}")
    return key


def keys_file(settings: Settings) -> Path | None:
    if settings.totp_encryption_key_file is not None:
        return settings.totp_encryption_key_file
    return settings.private_key_file.parent / TOTP_KEYS_FILE if settings.private_key_file else None


def load_totp_keyring(settings: Settings) -> TotpKeyring:
    """From AUTH_TOTP_ENCRYPTION_KEY, else from the key file; a missing key fails before listening."""
    if settings.totp_encryption_key:
        parts = [part for part in settings.totp_encryption_key.split(",") if part.strip()]
        return TotpKeyring([_decode(part, "AUTH_TOTP_ENCRYPTION_KEY") for part in parts])
    path = keys_file(settings)
    if path is None:
        raise TotpKeyError("set AUTH_TOTP_ENCRYPTION_KEY or AUTH_TOTP_ENCRYPTION_KEY_FILE")
    return TotpKeyring([_decode(line, str(path)) for line in _key_lines(path)])


def _key_lines(path: Path) -> list[str]:
    """The keys of the file as written (base64), one a line."""
    try:
        return path.read_text(encoding="ascii").split()
    except OSError as error:
        raise TotpKeyError(
            f"cannot read the TOTP key file ({error}): python -m auth generate-keys"
        ) from error


def new_key() -> str:
    return base64.b64encode(os.urandom(_KEY_BYTES)).decode()


def generate_totp_keys_file(path: Path) -> str:
    """Write a key file with one new key (owner-only from the start); returns the key's id."""
    key = new_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(key + "\n")
    return key_id(base64.b64decode(key))


def _read_keys(path: Path) -> list[str]:
    """The file's keys, each checked: a file that does not load is never rewritten."""
    lines = _key_lines(path)
    for line in lines:
        _decode(line, str(path))
    return lines


def _replace_keys(path: Path, keys: list[str]) -> None:
    """Write the file anew beside the old one (owner-only), then rename it over: never half written."""
    fresh = path.with_name(f".{path.name}.new")
    fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write("".join(key + "\n" for key in keys))
        file.flush()
        os.fsync(file.fileno())
    os.replace(fresh, path)


def prepend_new_key(path: Path) -> tuple[str, list[str]]:
    """Put a new key first in the file; the ones before it stay to open what they sealed.
    Returns the new key's id and the others'."""
    keys = _read_keys(path)
    key = new_key()
    _replace_keys(path, [key, *keys])
    return key_id(base64.b64decode(key)), [key_id(base64.b64decode(old)) for old in keys]


def drop_keys_but_first(path: Path) -> list[str]:
    """Keep only the sealing key in the file; returns the ids of the keys dropped."""
    keys = _read_keys(path)
    _replace_keys(path, keys[:1])
    return [key_id(base64.b64decode(old)) for old in keys[1:]]
