"""Storages: static files (whitenoise, URLs remembered) and private files (no URL at all).

Static: each `{% static %}` looked its name up in the manifest and rebuilt the URL (~25 µs; every
debtor page has two). The manifest is read once per process, so a name's URL cannot change
while the process runs: it is remembered after the first lookup.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from django.conf import settings
from django.core import checks
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.http import FileResponse
from django.utils.functional import cached_property
from whitenoise.storage import CompressedManifestStaticFilesStorage

PRIVATE = "private"  # alias in settings.STORAGES


class StaticStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name, force=False):
        if force:
            return super().url(name, force=True)
        url = self._urls.get(name)
        if url is None:
            url = self._urls[name] = super().url(name)
        return url


class PrivateStorage(FileSystemStorage):
    """Files that hold personal data: agreement PDFs, receipts, uploaded portfolios and their
    rejected rows. They live under PRIVATE_MEDIA_ROOT, outside anything a web server or
    `static()` serves, and have no URL: the only way to one is a view that checks who asks
    (`private_file_response`).

    The root is read from the setting when first used (and again when a test overrides it),
    since a FileField takes its storage once, when the model class is built.
    """

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_MEDIA_ROOT)

    def _clear_cached_properties(self, setting, **kwargs):
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "PRIVATE_MEDIA_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)

    def url(self, name):
        # Refused outright, so nothing (an admin widget, a template) can print an address
        # that a guess or a leaked log line would open.
        raise NotImplementedError(f"{name} is a private file: serve it through a view")


def private_storage() -> Storage:
    """The `storage=` of every private FileField: a callable, so migrations name the alias
    rather than a location, and settings may swap the backend."""
    return storages[PRIVATE]


def private_name(folder: str, stem: str, suffix: str) -> str:
    """`<folder>/<stem>-<random><suffix>`: 96 random bits, so knowing an agreement's or a
    payment's number is not enough to name its file. The stem is cut short so the name fits
    a FileField's 100 characters without Django truncating the random part away."""
    stem = re.sub(r"[^\w.-]", "", stem.strip().replace(" ", "_"))[:40].strip(".") or "file"
    return f"{folder}/{stem}-{secrets.token_urlsafe(12)}{suffix}"


def private_file_response(
    file: File, *, filename: str, content_type: str, as_attachment: bool = True
) -> FileResponse:
    """A private file for someone a view has already checked: downloaded under `filename`,
    never cached by a proxy or left on the device's disk, never sniffed into another type."""
    response = FileResponse(
        file.open("rb"),
        as_attachment=as_attachment,
        filename=filename,
        content_type=content_type,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@checks.register(checks.Tags.security)
def private_root_apart(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A web server (or `static()`) that serves MEDIA_ROOT or STATIC_ROOT must not reach a
    private file: the roots must not contain one another."""
    private = Path(settings.PRIVATE_MEDIA_ROOT).resolve()
    errors = []
    for name in ("MEDIA_ROOT", "STATIC_ROOT"):
        public = getattr(settings, name, None)
        if not public:
            continue
        public = Path(public).resolve()
        if private.is_relative_to(public) or public.is_relative_to(private):
            errors.append(
                checks.Error(
                    f"PRIVATE_MEDIA_ROOT ({private}) and {name} ({public}) overlap.",
                    hint="Keep private files in a directory nothing serves.",
                    id="portal.E001",
                )
            )
    return errors
