"""Token encoding and verification, without a server."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auth.errors import InvalidToken
from auth.services.signing_keys import SigningKey, generate_key_files, load_signing_key, thumbprint
from auth.services.tokens import TokenCodec, TokenType
from auth.settings import Settings


@pytest.fixture
def key() -> SigningKey:
    private = Ed25519PrivateKey.generate()
    return SigningKey(private=private, kid=thumbprint(private.public_key()))


@pytest.fixture
def codec(key: SigningKey) -> TokenCodec:
    return TokenCodec(key, Settings(access_ttl_seconds=60, refresh_ttl_seconds=120))


def _pair(codec: TokenCodec) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID, dict[str, str]]:
    user, session, jti = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    pair = codec.issue_pair(user, session, jti, ["editor"], ["pwd", "otp"])
    return user, session, jti, {"access": pair.access_token, "refresh": pair.refresh_token}


def test_a_pair_decodes_to_its_claims(codec: TokenCodec) -> None:
    user, session, jti, tokens = _pair(codec)

    access = codec.decode(tokens["access"], TokenType.ACCESS)
    refresh = codec.decode(tokens["refresh"], TokenType.REFRESH)

    assert (access.user_id, access.session_id, access.roles) == (user, session, ["editor"])
    assert (refresh.session_id, refresh.jti) == (session, jti)
    assert access.amr == refresh.amr == ["pwd", "otp"]


def test_each_token_works_only_as_its_own_type(codec: TokenCodec) -> None:
    _, _, _, tokens = _pair(codec)

    with pytest.raises(InvalidToken):
        codec.decode(tokens["refresh"], TokenType.ACCESS)
    with pytest.raises(InvalidToken):
        codec.decode(tokens["access"], TokenType.REFRESH)


def test_refresh_tokens_are_addressed_to_the_issuer_only(codec: TokenCodec) -> None:
    _, _, _, tokens = _pair(codec)

    claims = jwt.decode(tokens["refresh"], options={"verify_signature": False})

    assert claims["aud"] == claims["iss"] == "cinema-auth"


def test_an_unsigned_token_is_refused(codec: TokenCodec, key: SigningKey) -> None:
    _, _, _, tokens = _pair(codec)
    payload = tokens["access"].split(".")[1]
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "kid": key.kid}).encode()).rstrip(b"=")

    with pytest.raises(InvalidToken):
        codec.decode(f"{header.decode()}.{payload}.", TokenType.ACCESS)


def test_the_jwk_publishes_only_the_public_half(key: SigningKey) -> None:
    jwk = key.jwk()

    assert set(jwk) == {"kty", "crv", "x", "kid", "alg", "use"}
    assert jwk["kid"] == key.kid


def test_generated_keys_are_private_loadable_and_not_overwritten(tmp_path: Path) -> None:
    path, kid = generate_key_files(tmp_path)

    assert path.stat().st_mode & 0o777 == 0o600
    assert load_signing_key(Settings(private_key_file=path)).kid == kid
    with pytest.raises(FileExistsError):
        generate_key_files(tmp_path)


def test_an_explicit_key_id_wins(tmp_path: Path) -> None:
    path, _ = generate_key_files(tmp_path)

    assert load_signing_key(Settings(private_key_file=path, key_id="2026-11")).kid == "2026-11"
