"""The TOTP key ring: sealing, opening by key id, rotation, and the key settings refused."""

from __future__ import annotations

import base64
import os
import uuid
from pathlib import Path

import pytest

from auth.services.totp_keys import (
    SealedSecret,
    TotpKeyError,
    TotpKeyring,
    drop_keys_but_first,
    generate_totp_keys_file,
    key_id,
    load_totp_keyring,
    prepend_new_key,
)
from auth.settings import Settings

SECRET = "JBSWY3DPEHPK3PXP"


def test_a_sealed_secret_holds_no_plaintext_and_opens_for_its_user_only() -> None:
    ring, user = TotpKeyring([os.urandom(32)]), uuid.uuid4()

    sealed = ring.seal(SECRET, user)

    assert SECRET.encode() not in sealed.ciphertext
    assert ring.open(sealed, user) == SECRET
    with pytest.raises(TotpKeyError):
        ring.open(sealed, uuid.uuid4())


def test_after_a_rotation_old_rows_open_and_new_ones_use_the_new_key() -> None:
    old, new, user = os.urandom(32), os.urandom(32), uuid.uuid4()
    before = TotpKeyring([old]).seal(SECRET, user)

    rotated = TotpKeyring([new, old])

    assert rotated.open(before, user) == SECRET
    assert rotated.seal(SECRET, user).key_id == key_id(new) != before.key_id
    with pytest.raises(TotpKeyError, match="not configured"):
        TotpKeyring([new]).open(before, user)


def test_an_altered_ciphertext_does_not_open() -> None:
    ring, user = TotpKeyring([os.urandom(32)]), uuid.uuid4()
    sealed = ring.seal(SECRET, user)
    flipped = bytes([sealed.ciphertext[-1] ^ 1])

    with pytest.raises(TotpKeyError):
        ring.open(SealedSecret(sealed.key_id, sealed.ciphertext[:-1] + flipped), user)


@pytest.mark.parametrize("value", ["not base64!", base64.b64encode(b"short").decode()])
def test_a_key_setting_that_is_not_32_bytes_of_base64_is_refused(value: str) -> None:
    with pytest.raises(TotpKeyError, match="AUTH_TOTP_ENCRYPTION_KEY"):
        load_totp_keyring(Settings(totp_encryption_key=value))


def test_no_key_at_all_is_refused() -> None:
    with pytest.raises(TotpKeyError, match="AUTH_TOTP_ENCRYPTION_KEY"):
        load_totp_keyring(
            Settings(totp_encryption_key=None, totp_encryption_key_file=None, private_key_file=None)
        )


def test_the_generated_file_is_owner_only_and_is_the_default_beside_the_signing_key(tmp_path: Path) -> None:
    kid = generate_totp_keys_file(tmp_path / "totp.keys")
    user = uuid.uuid4()

    ring = load_totp_keyring(Settings(private_key_file=tmp_path / "private.pem"))

    assert (tmp_path / "totp.keys").stat().st_mode & 0o077 == 0
    assert ring.seal(SECRET, user).key_id == kid
    with pytest.raises(FileExistsError):
        generate_totp_keys_file(tmp_path / "totp.keys")


def test_a_new_key_goes_first_and_retiring_keeps_only_it(tmp_path: Path) -> None:
    path = tmp_path / "totp.keys"
    first = generate_totp_keys_file(path)
    new, kept = prepend_new_key(path)
    assert kept == [first] and new != first
    lines = path.read_text().split()
    assert [key_id(base64.b64decode(line)) for line in lines] == [new, first]
    assert path.stat().st_mode & 0o777 == 0o600
    assert drop_keys_but_first(path) == [first]
    assert [key_id(base64.b64decode(line)) for line in path.read_text().split()] == [new]
    assert path.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["totp.keys"]  # no temporary file left


def test_a_malformed_key_file_is_not_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "totp.keys"
    path.write_text("not-a-key\n")
    with pytest.raises(TotpKeyError, match="not base64"):
        prepend_new_key(path)
    assert path.read_text() == "not-a-key\n"
