"""The Ed25519 keys: the active one that signs tokens, the previous ones that still verify them.

Rotation (``python -m auth rotate-keys DIR``) keeps the public half of the active key as
``DIR/previous/<kid>.pem``, destroys its private half and writes a new active key: tokens signed
before stay valid (their kid is still in the JWKS) until that file is removed (``--retire KID``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from auth.settings import Settings

ALGORITHM = "EdDSA"
PRIVATE_KEY_FILE = "private.pem"
PUBLIC_KEY_FILE = "public.pem"
PREVIOUS_KEYS_DIR = "previous"


class KeyConfigurationError(RuntimeError):
    """The service cannot sign: no key configured, or not an Ed25519 key."""


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True)
class VerificationKey:
    """A public key that verifies tokens, with its ``kid``."""

    public: Ed25519PublicKey
    kid: str

    def jwk(self) -> dict[str, Any]:
        """The public key as a JWK (RFC 8037), for other services to verify tokens locally."""
        return {**_public_members(self.public), "kid": self.kid, "alg": ALGORITHM, "use": "sig"}


@dataclass(frozen=True)
class SigningKey:
    """The private key, its public half and its ``kid``."""

    private: Ed25519PrivateKey
    kid: str

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    def jwk(self) -> dict[str, Any]:
        return self.verification().jwk()

    def verification(self) -> VerificationKey:
        return VerificationKey(self.public, self.kid)


def _public_members(public: Ed25519PublicKey) -> dict[str, str]:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw)}


def thumbprint(public: Ed25519PublicKey) -> str:
    """RFC 7638 thumbprint: a kid that changes whenever the key does, with nothing to store."""
    canonical = json.dumps(_public_members(public), separators=(",", ":"), sort_keys=True)
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def load_signing_key(settings: Settings) -> SigningKey:
    if settings.private_key:
        pem = settings.private_key.encode()
    elif settings.private_key_file:
        try:
            pem = settings.private_key_file.read_bytes()
        except OSError as error:
            raise KeyConfigurationError(f"cannot read AUTH_PRIVATE_KEY_FILE: {error}") from error
    else:
        raise KeyConfigurationError(
            "set AUTH_PRIVATE_KEY_FILE or AUTH_PRIVATE_KEY (python -m auth generate-keys)"
        )
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyConfigurationError("the signing key must be an Ed25519 private key")
    return SigningKey(private=key, kid=settings.key_id or thumbprint(key.public_key()))


def generate_key_files(directory: Path, overwrite: bool = False) -> tuple[Path, str]:
    """Write a new key pair into ``directory``; returns the private key's path and its kid."""
    directory.mkdir(parents=True, exist_ok=True)
    private_path = directory / PRIVATE_KEY_FILE
    if private_path.exists() and not overwrite:
        raise FileExistsError(f"{private_path} exists (pass --force to replace it)")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Created with owner-only permissions from the start: the key is never world-readable.
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(pem)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (directory / PUBLIC_KEY_FILE).write_bytes(public_pem)
    return private_path, thumbprint(key.public_key())


def previous_keys_dir(settings: Settings) -> Path | None:
    if settings.previous_keys_dir is not None:
        return settings.previous_keys_dir
    return settings.private_key_file.parent / PREVIOUS_KEYS_DIR if settings.private_key_file else None


def load_previous_keys(settings: Settings) -> list[VerificationKey]:
    """The public keys of earlier active keys (``*.pem``), which still verify the tokens they signed."""
    directory = previous_keys_dir(settings)
    if directory is None or not directory.is_dir():
        return []
    keys = []
    for path in sorted(directory.glob("*.pem")):
        public = serialization.load_pem_public_key(path.read_bytes())
        if not isinstance(public, Ed25519PublicKey):
            raise KeyConfigurationError(f"{path} is not an Ed25519 public key")
        keys.append(VerificationKey(public, thumbprint(public)))
    return keys


def rotate_key_files(directory: Path) -> tuple[str, str]:
    """Make a new active key in ``directory``; the old one's public half goes to ``previous/``
    and its private half is overwritten. Returns the old and the new kid."""
    private_path = directory / PRIVATE_KEY_FILE
    old = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
    if not isinstance(old, Ed25519PrivateKey):
        raise KeyConfigurationError(f"{private_path} is not an Ed25519 private key")
    old_kid = thumbprint(old.public_key())
    previous = directory / PREVIOUS_KEYS_DIR
    previous.mkdir(exist_ok=True)
    (previous / f"{old_kid}.pem").write_bytes(
        old.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    _, new_kid = generate_key_files(directory, overwrite=True)
    return old_kid, new_kid


def retire_key(directory: Path, kid: str) -> bool:
    """Forget a previous key: tokens it signed are refused from the next start on."""
    path = directory / PREVIOUS_KEYS_DIR / f"{kid}.pem"
    if "/" in kid or not path.is_file():
        return False
    path.unlink()
    return True
