"""调用记录凭证 (002 第十五条(五)): Ed25519-signed receipts a third party verifies offline.

The platform key pair lives under ``DATA_DIR/keys`` and is created on first use; the private key
file is readable by the service account only (0600). A receipt is a JSON document
``{"receipt": {...}, "signature": "<base64>", "public_key": "<base64>"}``; the signature covers the
canonical JSON (sorted keys, no spaces, UTF-8) of ``receipt``. Verification needs the public key
only — from the receipt itself when the verifier trusts it, or from a file given separately.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
from pathlib import Path

from regshare.core.lazy import lazy_module

crypto_errors = lazy_module("cryptography.exceptions")
serialization = lazy_module("cryptography.hazmat.primitives.serialization")
ed25519 = lazy_module("cryptography.hazmat.primitives.asymmetric.ed25519")


PRIVATE_NAME = "receipt-ed25519.pem"
PUBLIC_NAME = "receipt-ed25519.pub"
_lock = threading.Lock()
_cache: dict[str, ed25519.Ed25519PrivateKey] = {}


def key_dir() -> Path:
    from django.conf import settings

    return Path(settings.DATA_DIR) / "keys"


def _load_or_create(directory: Path) -> ed25519.Ed25519PrivateKey:
    private_path = directory / PRIVATE_NAME
    if private_path.exists():
        return serialization.load_pem_private_key(private_path.read_bytes(), password=None)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    # O_EXCL: two processes starting together must not overwrite each other's key.
    try:
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return serialization.load_pem_private_key(private_path.read_bytes(), password=None)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    os.chmod(private_path, 0o600)
    (directory / PUBLIC_NAME).write_text(public_key_text(key.public_key()) + "\n")
    return key


def private_key() -> ed25519.Ed25519PrivateKey:
    directory = str(key_dir())
    with _lock:
        if directory not in _cache:
            _cache[directory] = _load_or_create(Path(directory))
        return _cache[directory]


def public_key_text(public: ed25519.Ed25519PublicKey | None = None) -> str:
    public = public or private_key().public_key()
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def canonical(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sign(receipt: dict) -> dict:
    """Wrap a receipt body with its signature and the platform public key."""
    signature = private_key().sign(canonical(receipt))
    return {"receipt": receipt, "signature": base64.b64encode(signature).decode(),
            "public_key": public_key_text(), "algorithm": "Ed25519"}


def verify(document: dict, public_key: str | None = None) -> tuple[bool, str]:
    """Check a signed receipt with a public key alone (no database, no network)."""
    try:
        key_text = public_key or document["public_key"]
        public = ed25519.Ed25519PublicKey.from_public_bytes(base64.b64decode(key_text))
        public.verify(base64.b64decode(document["signature"]), canonical(document["receipt"]))
    except crypto_errors.InvalidSignature:
        return False, "签名无效:凭证内容已被改动或不是本平台签发 / invalid signature"
    except (KeyError, TypeError, ValueError) as exc:
        return False, f"凭证格式错误 / malformed receipt: {exc}"
    return True, "凭证有效 / receipt valid"
