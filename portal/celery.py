import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def delay_on_commit(task, *args) -> None:
    """Queue `task(*args)` once the current transaction commits.

    Robust: a broker error is logged, not raised into a request whose work is already
    committed. Django's log line names the callback by `__qualname__`, which a
    `functools.partial` lacks (the logging itself then raised, turning the error into a
    500), so the callback is a named function.
    """
    from django.db import transaction

    def send() -> None:
        task.delay(*args)

    send.__qualname__ = f"{task.name}.delay"
    transaction.on_commit(send, robust=True)
