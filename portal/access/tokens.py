from __future__ import annotations

import hashlib
import secrets

# 32 bytes = 256 bits of randomness; URL-safe base64 gives a 43-character token.
TOKEN_BYTES = 32


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
