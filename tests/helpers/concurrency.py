"""The one harness the concurrency tests race with: threads released together."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import connections


@dataclass(frozen=True)
class Outcome:
    """What one callable did: returned `value`, or raised `error`."""

    value: Any = None
    error: BaseException | None = None


def run_together(
    *callables: Callable[[], Any], wait: float = 30, timeout: float = 120
) -> list[Outcome]:
    """Run each callable in its own thread, all released at once by a barrier, and hand back
    one Outcome per callable, in order. Each thread closes its own database connections
    (Django opens one per thread), so the test database can be flushed afterwards."""
    barrier = threading.Barrier(len(callables))
    outcomes: list[Outcome | None] = [None] * len(callables)

    def run(index: int, work: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=wait)
            outcomes[index] = Outcome(value=work())
        except BaseException as error:  # noqa: BLE001 - handed to the test, which asserts
            outcomes[index] = Outcome(error=error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(callables)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    stuck = [n for n, thread in enumerate(threads) if thread.is_alive()]
    assert not stuck, f"threads {stuck} still running after {timeout}s"
    return outcomes  # type: ignore[return-value]  # every slot is filled once all joined


def run_times(work: Callable[[int], Any], times: int, **kwargs) -> list[Outcome]:
    """`run_together` with `work(0)`, `work(1)`, ... `work(times - 1)`."""
    return run_together(*(partial(work, n) for n in range(times)), **kwargs)


def errors_of(outcomes: list[Outcome]) -> list[BaseException]:
    return [outcome.error for outcome in outcomes if outcome.error is not None]
