"""The Ed25519 key that signs tokens: loading it, generating one for development, publishing JWKS."""

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


class KeyConfigurationError(RuntimeError):
    """The service cannot sign: no key configured, or not an Ed25519 key."""


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True)
class SigningKey:
    """The private key, its public half and its ``kid``."""

    private: Ed25519PrivateKey
    kid: str

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    def jwk(self) -> dict[str, Any]:
        """The public key as a JWK (RFC 8037), for other services to verify tokens locally."""
        return {**_public_members(self.public), "kid": self.kid, "alg": ALGORITHM, "use": "sig"}


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
