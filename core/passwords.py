"""Staff passwords with scrypt (a standard memory-hard KDF from the standard library)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

_N, _R, _P = 2**14, 8, 1


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    salt_b64, digest_b64 = base64.b64encode(salt).decode(), base64.b64encode(digest).decode()
    return f"scrypt${_N}${_R}${_P}${salt_b64}${digest_b64}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    actual = hashlib.scrypt(
        password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(actual, base64.b64decode(digest))


# A hash of a random password nobody knows, with the same parameters as real ones: a sign-in
# for an email with no account is checked against it, so it costs the same scrypt as a known
# email and the answer's timing does not tell which emails have accounts.
DUMMY_HASH = (f"scrypt${_N}${_R}${_P}$fqfnsngKqrdMDQTjxIzGIQ==$"
              "8hDLU7m3te5al+E5DzWNicVNVx3jT92TGB7RYGhuetc=")
