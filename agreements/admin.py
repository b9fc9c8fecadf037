from . import admin_review  # noqa: F401  (registers the proposal review queue)
