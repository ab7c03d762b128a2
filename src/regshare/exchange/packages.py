"""离线共享包: an AES-256-GCM encrypted archive with a manifest, for data that should not travel
over the network. The key is handed over separately (e.g. on paper or by phone), never stored.

File layout: ``b"RSPKG1\\n"`` + 4-byte big-endian header length + header JSON (manifest, nonce) +
ciphertext. The manifest is the associated data of the encryption, so changing it (or the
ciphertext, or using another key) makes decryption fail.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import zipfile
from dataclasses import dataclass

from regshare.core.lazy import lazy_module

crypto_errors = lazy_module("cryptography.exceptions")
aead = lazy_module("cryptography.hazmat.primitives.ciphers.aead")


MAGIC = b"RSPKG1\n"


class PackageError(ValueError):
    pass


def new_key() -> str:
    return base64.urlsafe_b64encode(aead.AESGCM.generate_key(bit_length=256)).decode()


def key_fingerprint(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _key_bytes(key: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(key.strip().encode())
    except (ValueError, TypeError) as exc:
        raise PackageError("密钥格式错误 / malformed key") from exc
    if len(raw) != 32:
        raise PackageError("密钥长度错误 / wrong key length")
    return raw


def seal(files: dict[str, bytes], manifest: dict, key: str) -> bytes:
    """Zip ``files``, record each file's SHA-256 in the manifest, encrypt."""
    manifest = dict(manifest)
    manifest["files"] = {name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
                         for name, data in files.items()}
    manifest["key_fingerprint"] = key_fingerprint(key)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    nonce = os.urandom(12)
    header = json.dumps({"manifest": manifest, "nonce": base64.b64encode(nonce).decode()},
                        ensure_ascii=False, sort_keys=True).encode()
    aad = json.dumps(manifest, ensure_ascii=False, sort_keys=True).encode()
    cipher = aead.AESGCM(_key_bytes(key)).encrypt(nonce, buffer.getvalue(), aad)
    return MAGIC + len(header).to_bytes(4, "big") + header + cipher


def read_manifest(blob: bytes) -> dict:
    return _split(blob)[0]["manifest"]


def _split(blob: bytes) -> tuple[dict, bytes]:
    if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 4:
        raise PackageError("不是离线共享包 / not a regshare package")
    start = len(MAGIC) + 4
    length = int.from_bytes(blob[len(MAGIC):start], "big")
    try:
        header = json.loads(blob[start:start + length])
    except ValueError as exc:
        raise PackageError("共享包头部损坏 / damaged header") from exc
    return header, blob[start + length:]


@dataclass
class Opened:
    manifest: dict
    files: dict[str, bytes]


def open_package(blob: bytes, key: str) -> Opened:
    """Decrypt and check every file against the manifest; raises PackageError on any mismatch."""
    header, cipher = _split(blob)
    manifest = header["manifest"]
    if manifest.get("key_fingerprint") and manifest["key_fingerprint"] != key_fingerprint(key):
        raise PackageError("密钥与共享包不匹配 / wrong key")
    aad = json.dumps(manifest, ensure_ascii=False, sort_keys=True).encode()
    try:
        plain = aead.AESGCM(_key_bytes(key)).decrypt(base64.b64decode(header["nonce"]), cipher, aad)
    except crypto_errors.InvalidTag as exc:
        raise PackageError("解密失败:密钥错误或共享包被改动 / decryption failed") from exc
    files = {}
    with zipfile.ZipFile(io.BytesIO(plain)) as archive:
        for name in archive.namelist():
            files[name] = archive.read(name)
    for name, meta in manifest.get("files", {}).items():
        if hashlib.sha256(files.get(name, b"")).hexdigest() != meta["sha256"]:
            raise PackageError(f"文件 {name} 与清单不符 / file does not match manifest")
    return Opened(manifest, files)
