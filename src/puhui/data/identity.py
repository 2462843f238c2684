"""Identity at rest 身份信息保护: the person key, the encrypted identity number, the mask.

Owns how an 18-digit identity number 身份证号码 is kept once it passes validation
(:func:`puhui.idcard.validate`):

- the **person key** is ``HMAC-SHA256(id_hash_key, normalised number)`` in lower-case hex
  (64 characters). It is the join key of every stored fact, consent and feature snapshot. A
  keyed hash, not a plain one: the space of valid numbers is small (region × birth date ×
  sequence ≈ 10¹⁰), so an unkeyed SHA-256 could be reversed by enumeration
  (docs/decisions/0300-person-key-hmac.md);
- the **number itself** is stored only encrypted, AES-256-GCM with a fresh 96-bit nonce and the
  person key as associated data (a ciphertext moved to another person's row fails to decrypt).
  A token reads ``v1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>``; the key id (8 hex
  characters of SHA-256 of the key) lets a wrong key fail with a clear message instead of a
  bare authentication error (docs/decisions/0301-aes-gcm-at-rest.md);
- every **display** uses :func:`puhui.idcard.mask` (``3709**********4139``).

Invariants
- Neither class keeps or logs a clear number; error messages name at most the mask.
- The same key gives the same person key forever; a different key gives unrelated keys.
- :meth:`Vault.decrypt` returns the plaintext only if the key, the token and the associated
  data all match; otherwise it raises ``ENCRYPTION_KEY_MISMATCH`` or ``DECRYPTION_FAILED``.

The nonce comes from ``os.urandom``: a nonce must never repeat under one key, so it is the one
random value in the pure packages that is deliberately not seeded. It decides nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from functools import lru_cache

import pandas as pd
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from puhui.errors import Conflict, ValidationError
from puhui.idcard import mask, normalize

MIN_HASH_KEY_BYTES = 32
ENCRYPTION_KEY_BYTES = 32
_NONCE_BYTES = 12
_TOKEN_VERSION = "v1"


def key_id(key: bytes) -> str:
    """Short public fingerprint of a key (8 hex characters); reveals nothing usable."""
    return hashlib.sha256(b"puhui-key-id:" + key).hexdigest()[:8]


def parse_hash_key(text: str) -> bytes:
    """The person-key HMAC key from settings: any text of at least 32 bytes."""
    key = text.encode("utf-8")
    if len(key) < MIN_HASH_KEY_BYTES:
        raise _short_hash_key(len(key))
    return key


def _short_hash_key(length: int) -> ValidationError:
    return ValidationError(
        "ID_HASH_KEY_INVALID",
        f"PUHUI_ID_HASH_KEY 至少需要 {MIN_HASH_KEY_BYTES} 字节；当前 {length} 字节",
        f"PUHUI_ID_HASH_KEY must be at least {MIN_HASH_KEY_BYTES} bytes; got {length}",
    )


def parse_encryption_key(text: str) -> bytes:
    """The encryption key from settings: 32 random bytes written in (URL-safe) base64."""
    try:
        key = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        key = b""
    if len(key) != ENCRYPTION_KEY_BYTES:
        raise _bad_encryption_key()
    return key


#: How an operator makes a new encryption key (quoted in the error and in docs/data-import.md).
KEYGEN_COMMAND = (
    "python -c 'import os, base64; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'"
)


def _bad_encryption_key() -> ValidationError:
    return ValidationError(
        "ENCRYPTION_KEY_INVALID",
        f"PUHUI_ENCRYPTION_KEY 必须是 32 字节随机数的 base64 编码（生成：{KEYGEN_COMMAND}）",
        f"PUHUI_ENCRYPTION_KEY must be 32 random bytes in base64 (generate: {KEYGEN_COMMAND})",
    )


class PersonKeyer:
    """Keyed hash of identity numbers: the pseudonymous person key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_HASH_KEY_BYTES:
            raise _short_hash_key(len(key))
        self._key = key
        # The same people recur in file after file of a delivery: hash each number once.
        self._remembered = lru_cache(maxsize=1 << 20)(self._hash)

    @property
    def key_id(self) -> str:
        return key_id(self._key)

    def person_key(self, id_number: str) -> str:
        """The person key of one (already validated) identity number."""
        return self._remembered(normalize(id_number))

    def _hash(self, number: str) -> str:
        return hmac.new(self._key, number.encode("ascii"), hashlib.sha256).hexdigest()

    def person_keys(self, id_numbers: pd.Series) -> pd.Series:
        """Person keys of a column of numbers, hashing each distinct number once."""
        codes, uniques = pd.factorize(id_numbers, sort=False)
        hashed = [self.person_key(str(value)) for value in uniques]
        keys = pd.Series(hashed, dtype="str").take(codes)
        keys.index = id_numbers.index
        keys.name = "person_key"
        return keys


class Vault:
    """AES-256-GCM encryption of identity numbers, bound to their person key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != ENCRYPTION_KEY_BYTES:
            raise _bad_encryption_key()
        self._aead = AESGCM(key)
        self.key_id = key_id(key)

    def encrypt(self, plaintext: str, *, person_key: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), person_key.encode("ascii"))
        body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        return f"{_TOKEN_VERSION}.{self.key_id}.{body}"

    def decrypt(self, token: str, *, person_key: str) -> str:
        version, _, rest = token.partition(".")
        token_key_id, _, body = rest.partition(".")
        if version != _TOKEN_VERSION or not body:
            raise _failed("the stored value is not a puhui encryption token")
        if token_key_id != self.key_id:
            raise Conflict(
                "ENCRYPTION_KEY_MISMATCH",
                f"密文由另一把密钥（{token_key_id}）加密，当前 PUHUI_ENCRYPTION_KEY 的编号是 "
                f"{self.key_id}；请配置加密时使用的密钥",
                f"the value was encrypted under key {token_key_id}, but PUHUI_ENCRYPTION_KEY is "
                f"key {self.key_id}; configure the key it was encrypted with",
            )
        try:
            raw = base64.urlsafe_b64decode(body.encode("ascii"))
            plain = self._aead.decrypt(
                raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], person_key.encode("ascii")
            )
        except (InvalidTag, binascii.Error, ValueError):
            raise _failed("authentication failed: wrong person, or altered ciphertext") from None
        return plain.decode("utf-8")


def _failed(reason: str) -> Conflict:
    return Conflict(
        "DECRYPTION_FAILED",
        "身份证号码密文无法解密（不属于该人员或已被篡改）",
        f"the encrypted identity number cannot be decrypted: {reason}",
    )


__all__ = [
    "PersonKeyer",
    "Vault",
    "key_id",
    "mask",
    "parse_encryption_key",
    "parse_hash_key",
]
