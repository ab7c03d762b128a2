"""CLI: ``regshare receipt verify FILE`` / ``receipt public-key``; ``regshare package open FILE --key K``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _receipt_verify(args: argparse.Namespace) -> int:
    from regshare.exchange import receipts

    try:
        document = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"无法读取凭证 / cannot read receipt: {exc}", file=sys.stderr)
        return 1
    key = Path(args.public_key).read_text().strip() if args.public_key else None
    if key is None and not args.trust_embedded:
        key = receipts.public_key_text()
    ok, message = receipts.verify(document, key)
    print(message)
    if ok:
        body = document["receipt"]
        print(f"{body.get('principal')} · 授权 {body.get('grant')} · {body.get('resource')} v{body.get('resource_version')}"
              f" · {body.get('rows')} 行 · sha256 {body.get('sha256')}")
    return 0 if ok else 1


def _public_key(args: argparse.Namespace) -> int:
    from regshare.exchange import receipts

    print(receipts.public_key_text())
    return 0


def _package_open(args: argparse.Namespace) -> int:
    from regshare.exchange import packages

    try:
        opened = packages.open_package(Path(args.file).read_bytes(), args.key)
    except (OSError, packages.PackageError) as exc:
        print(f"失败 / failed: {exc}", file=sys.stderr)
        return 1
    manifest = opened.manifest
    print(f"校验通过 / verified: {manifest.get('resource')} v{manifest.get('version')},{manifest.get('rows')} 行")
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for name, data in opened.files.items():
            (out / Path(name).name).write_bytes(data)
        (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"已解出到 / extracted to {out}")
    return 0


def register(subparsers) -> None:
    receipt = subparsers.add_parser("receipt", help="调用记录凭证 / call receipts")
    rsub = receipt.add_subparsers(dest="receipt_command", metavar="ACTION", required=True)
    verify = rsub.add_parser("verify", help="离线校验凭证签名 / verify a receipt offline")
    verify.add_argument("file", help="凭证 JSON 文件 / receipt JSON file")
    verify.add_argument("--public-key", help="平台公钥文件(base64)/ platform public key file")
    verify.add_argument("--trust-embedded", action="store_true",
                        help="使用凭证内嵌的公钥 / use the key embedded in the receipt")
    verify.set_defaults(func=_receipt_verify)
    key = rsub.add_parser("public-key", help="输出平台公钥 / print the platform public key")
    key.set_defaults(func=_public_key)

    package = subparsers.add_parser("package", help="离线共享包 / offline sharing packages")
    psub = package.add_subparsers(dest="package_command", metavar="ACTION", required=True)
    open_ = psub.add_parser("open", help="解密并校验共享包 / decrypt and verify a package")
    open_.add_argument("file")
    open_.add_argument("--key", required=True, help="单独交付的密钥 / the key handed over separately")
    open_.add_argument("--out", help="解出目录 / output directory")
    open_.set_defaults(func=_package_open)
