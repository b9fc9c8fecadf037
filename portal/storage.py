"""Static files storage: whitenoise's compressed manifest storage, URLs remembered.

Each `{% static %}` looked its name up in the manifest and rebuilt the URL (~25 µs; every
debtor page has two). The manifest is read once per process, so a name's URL cannot change
while the process runs: it is remembered after the first lookup.
"""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


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
