"""Where uploaded files are kept."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from django.conf import settings


def storage_dir(*parts: str) -> Path:
    path = Path(settings.DATA_DIR) / "ingest"
    for part in parts:
        path = path / part
    path.mkdir(parents=True, exist_ok=True)
    return path


def _safe_name(name: str) -> str:
    name = Path(name or "upload").name.replace("\x00", "")
    return name[-150:] or "upload"


def store_upload(uploaded, name: str | None = None) -> Path:
    """Copy an uploaded file (Django UploadedFile or open binary file) into the ingest area."""
    target = storage_dir("uploads", uuid.uuid4().hex) / _safe_name(name or getattr(uploaded, "name", "upload"))
    with open(target, "wb") as out:
        if hasattr(uploaded, "chunks"):
            for chunk in uploaded.chunks():
                out.write(chunk)
        else:
            shutil.copyfileobj(uploaded, out)
    return target
