"""JWT access and refresh tokens: what goes in them and what a token must prove to be accepted."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from enum import StrEnum

import jwt

from auth.errors import InvalidToken
from auth.services.signing_keys import ALGORITHM, SigningKey, VerificationKey
from auth.settings import Settings

_REQUIRED_CLAIMS = ["iss", "aud", "sub", "sid", "jti", "iat", "nbf", "exp", "type"]


# RFC 8176 authentication method references: what the login proved (`amr` in both tokens).
PASSWORD = "pwd"  # noqa: S105 (a method name)
ONE_TIME_CODE = "otp"


class TokenType(StrEnum):
    ACCESS = "access"
    REFRESH = "refresh"


@dataclass(frozen=True)
class TokenClaims:
    """The verified content of a token."""

    user_id: uuid.UUID
    session_id: uuid.UUID
    jti: uuid.UUID
    type: TokenType
    roles: list[str]
    # Tokens from before the claim existed were issued after a password alone.
    amr: list[str] = field(default_factory=lambda: [PASSWORD])


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


class TokenCodec:
    """Signs and verifies tokens with one Ed25519 key.

    Access tokens are for every service (audience ``settings.audience``); refresh tokens are
    addressed to the auth service alone (audience = issuer), so a service that checks only the
    audience still refuses a refresh token.
    """

    def __init__(
        self, key: SigningKey, settings: Settings, previous: list[VerificationKey] | None = None
    ) -> None:
        self._key = key
        # The active key signs; it and the previous ones verify, each chosen by the token's kid.
        self._verifiers = {verifier.kid: verifier for verifier in previous or []}
        self._verifiers[key.kid] = key.verification()
        self._issuer = settings.issuer
        self._audiences = {TokenType.ACCESS: settings.audience, TokenType.REFRESH: settings.issuer}
        self._ttl = {
            TokenType.ACCESS: settings.access_ttl_seconds,
            TokenType.REFRESH: settings.refresh_ttl_seconds,
        }

    def issue_pair(
        self,
        user_id: uuid.UUID,
        session_id: uuid.UUID,
        refresh_jti: uuid.UUID,
        roles: list[str],
        amr: list[str],
    ) -> TokenPair:
        """``amr``: the methods the login used; a refresh carries them over from the refresh token."""
        now = int(time.time())
        access = self._encode(TokenType.ACCESS, user_id, session_id, uuid.uuid4(), roles, amr, now)
        refresh = self._encode(TokenType.REFRESH, user_id, session_id, refresh_jti, roles, amr, now)
        return TokenPair(access, refresh, self._ttl[TokenType.ACCESS])

    def _encode(
        self,
        token_type: TokenType,
        user_id: uuid.UUID,
        session_id: uuid.UUID,
        jti: uuid.UUID,
        roles: list[str],
        amr: list[str],
        now: int,
    ) -> str:
        claims = {
            "iss": self._issuer,
            "aud": self._audiences[token_type],
            "sub": str(user_id),
            "sid": str(session_id),
            "jti": str(jti),
            "iat": now,
            "nbf": now,
            "exp": now + self._ttl[token_type],
            "type": token_type.value,
            "roles": roles,
            "amr": amr,
        }
        return jwt.encode(claims, self._key.private, algorithm=ALGORITHM, headers={"kid": self._key.kid})

    def decode(self, token: str, expected: TokenType) -> TokenClaims:
        """Verify signature, algorithm, kid, iss, aud, times and type; raise InvalidToken otherwise.

        Only EdDSA is accepted, so ``alg: none`` and HMAC tokens (even ones keyed with our public
        key) fail before any claim is read. Revocation is checked by the caller.
        """
        try:
            header = jwt.get_unverified_header(token)
            verifier = self._verifiers.get(str(header.get("kid")))
            if verifier is None:
                raise InvalidToken("token signed with an unknown key")
            claims = jwt.decode(
                token,
                verifier.public,
                algorithms=[ALGORITHM],
                audience=self._audiences[expected],
                issuer=self._issuer,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError as error:
            raise InvalidToken("token expired") from error
        except jwt.ImmatureSignatureError as error:
            raise InvalidToken("token not valid yet") from error
        except jwt.PyJWTError as error:
            raise InvalidToken(f"invalid token: {error}") from error
        if claims["type"] != expected.value:
            raise InvalidToken(f"expected a {expected.value} token")
        try:
            return TokenClaims(
                user_id=uuid.UUID(claims["sub"]),
                session_id=uuid.UUID(claims["sid"]),
                jti=uuid.UUID(claims["jti"]),
                type=expected,
                roles=[str(role) for role in claims.get("roles", [])],
                amr=[str(method) for method in claims.get("amr", [PASSWORD])],
            )
        except (TypeError, ValueError) as error:
            raise InvalidToken("malformed token claims") from error
