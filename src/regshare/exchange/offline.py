"""离线共享 (000 §3(二)3): an encrypted package of a grant's data with a manifest and a handover record."""

from __future__ import annotations

import io
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from regshare.core import audit
from regshare.core.lazy import lazy_module
from regshare.core.permissions import Principal, is_data_bureau, require
from regshare.lake import tables as lake

from . import packages
from .masking import mask_table
from .models import Grant, OfflinePackage

pq = lazy_module("pyarrow.parquet")


def package_dir() -> Path:
    path = Path(settings.DATA_DIR) / "exchange" / "packages"
    path.mkdir(parents=True, exist_ok=True)
    return path


def build_offline_package(actor: Principal, grant: Grant) -> tuple[OfflinePackage, bytes, str]:
    """Export the grant's current data (granted fields, row filter, masking) as an encrypted package.

    Returns the record, the package bytes and the key; the key is shown once and never stored.
    """
    from .services import grant_is_live

    require(actor, "exchange.provide")
    if not (is_data_bureau(actor) or (actor.department and actor.department.pk == grant.resource.provider_id)):
        raise PermissionDenied("只有提供部门或数据管理部门可以制作离线共享包")
    if not grant_is_live(grant):
        raise ValidationError("授权未生效或已终止", code="grant_not_active")
    resource = grant.resource
    version = lake.current_version(resource.code)
    if version is None:
        raise ValidationError(f"资源 {resource.code} 尚无数据", code="no_data")
    table = lake.read(resource.code, version=version, columns=list(grant.fields))
    import pyarrow as pa
    import pyarrow.compute as pc

    for name, allowed in (grant.row_filter or {}).items():
        table = table.filter(pc.is_in(pc.cast(table.column(name), pa.string()), pa.array(allowed, pa.string())))
    tags = dict(resource.fields.values_list("code_name", "tag"))
    table = mask_table(table, tags, set(grant.clear_fields))
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    key = packages.new_key()
    manifest = {"resource": resource.code, "resource_name": resource.name, "version": version,
                "grant": grant.pk, "consumer": grant.consumer.code, "provider": resource.provider.code,
                "rows": table.num_rows, "fields": list(table.column_names), "created_at": timezone.now().isoformat(),
                "created_by": str(actor), "masked": sorted(f for f in table.column_names
                                                           if tags.get(f) and f not in grant.clear_fields)}
    blob = packages.seal({"data.parquet": buffer.getvalue()}, manifest, key)
    file_name = f"{resource.code}-grant{grant.pk}-v{version}-{timezone.now():%Y%m%d%H%M%S}.rspkg"
    (package_dir() / file_name).write_bytes(blob)
    with transaction.atomic():
        record = OfflinePackage.objects.create(
            grant=grant, file_name=file_name, manifest=packages.read_manifest(blob),
            cipher_sha256=packages.hashlib.sha256(blob).hexdigest(), key_fingerprint=packages.key_fingerprint(key),
            created_by=actor.user)
        audit.record(actor, "exchange.access.offline", f"resource:{resource.code}",
                     {"grant": grant.pk, "version": version, "rows": table.num_rows, "package": file_name,
                      "sha256": record.cipher_sha256})
    return record, blob, key


def record_handover(actor: Principal, package: OfflinePackage, *, medium: str, handed_over_by: str,
                    received_by: str, note: str = "") -> OfflinePackage:
    """交接记录: who handed which package to whom on what medium."""

    require(actor, "exchange.provide")
    if not (is_data_bureau(actor) or (actor.department and actor.department.pk == package.grant.resource.provider_id)):
        raise PermissionDenied("只有提供部门或数据管理部门可以登记交接")
    if package.handed_over_at is not None:
        raise ValidationError("该共享包已登记交接", code="already_handed_over")
    if not all((medium or "").strip() for medium in (medium, handed_over_by, received_by)):
        raise ValidationError("请填写介质、移交人和接收人", code="missing_text")
    with transaction.atomic():
        package.medium, package.handed_over_by, package.received_by = medium.strip(), handed_over_by.strip(), \
            received_by.strip()
        package.handover_note, package.handed_over_at = note.strip(), timezone.now()
        package.save()
        audit.record(actor, "exchange.offline.handover", package,
                     {"medium": medium, "from": handed_over_by, "to": received_by})
    return package


def open_offline_package(blob: bytes, key: str) -> packages.Opened:
    """Decrypt and verify a package (CLI ``regshare package open``); raises ``packages.PackageError``."""
    return packages.open_package(blob, key)
