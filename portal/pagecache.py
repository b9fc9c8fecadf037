"""A per-debtor versioned cache for what the debtor's pages read (Django's cache API).

A page's data is stored with the debtor's version stamp and read back, with the current
stamp, in one `get_many`; a stale stamp is a miss. The stamp has two parts:

- the debtor's own version, changed after commit of every audited fact about them
  (`portal.audit.services.record` calls `debtor_pages_changed`): a payment, a ledger
  entry, an agreement, a status move, a language change;
- a generation for set-based writes that touch many debtors at once (a portfolio
  import, the nightly days-past-due refresh, the mora stage bands, a creditor's name),
  changed by `debtor_pages_all_changed`.

Entries live `TTL` seconds, so a write that neither audits nor bumps the generation shows
within that time; docs/performance.md lists what relies on it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction

TTL = 60
_STAMP_TTL = 10 * 60  # outlives every entry, so an expired stamp never matches an entry
_GENERATION = "debtor-pages:generation"

T = TypeVar("T")


def _version_key(debtor_id: int) -> str:
    return f"debtor-pages:version:{debtor_id}"


def debtor_pages_cached(debtor_id: int, name: str, build: Callable[[], T]) -> T:
    """`build()`'s value for this debtor's page `name`, from the cache while fresh."""
    version, entry_key = _version_key(debtor_id), f"debtor-pages:{name}:{debtor_id}"
    found = cache.get_many([version, _GENERATION, entry_key])
    stamp = (found.get(version), found.get(_GENERATION))
    entry = found.get(entry_key)
    if entry is not None and entry[0] == stamp:
        return entry[1]
    value = build()
    cache.set(entry_key, (stamp, value), TTL)
    return value


def debtor_pages_changed(debtor_id: int) -> None:
    """After commit (at once outside a transaction): the debtor's cached pages are stale."""
    transaction.on_commit(
        lambda: cache.set(_version_key(debtor_id), secrets.token_hex(8), _STAMP_TTL),
        robust=True,
    )


def debtor_pages_all_changed() -> None:
    """After commit: every debtor's cached pages are stale (set-based writes)."""
    transaction.on_commit(
        lambda: cache.set(_GENERATION, secrets.token_hex(8), _STAMP_TTL), robust=True
    )
