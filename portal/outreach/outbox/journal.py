"""The hand-off journal: which messages of a claimed batch reached the provider.

A claimed batch's rows stay `sending` from the claim's commit until the providers' answers
are written (every `dispatch.RESULTS_EVERY`). To tell, after a worker was killed in
between, which of them reached the provider, the dispatcher writes one Redis command before
each provider call: "about to hand off message N" together with the previous message's
answer (and the time, a heartbeat). After the kill the sweeper
(`recovery.messages_interrupted_recover`) reads it row by row:

- an answer: the provider took it (or refused it): that result is written now;
- "in flight": the one message being handed off at the kill: maybe sent. It becomes
  `uncertain`, never sent again; the provider's status callback settles it, else staff do;
- nothing: it never reached the provider: queued again, decided again and sent.

A journal that is missing altogether (Redis lost it) makes every row `uncertain`: a row is
requeued only on positive evidence that it was not handed off. The sweeper fences the
journal before reading it, so a worker that was only slow (not dead) finds the fence at
its next message and stops: nothing the sweeper requeued is also sent by the old worker.

Without Redis (development, eager tasks) the journal is a dict in the process: it dies
with the worker, so a killed worker's rows all become `uncertain`.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from functools import cache

from django.conf import settings

KEY = "outreach:handoff:{batch}"
TTL = 7 * 24 * 60 * 60  # far longer than the sweeper waits; a finished batch deletes its key
IN_FLIGHT = "?"
OPENED = "-"  # field present from the claim: no field for a row = never handed off
BEAT = "t"  # last write, epoch seconds: a batch still writing is alive
FENCED = "fenced"
SYNC_AFTER = 30.0  # seconds between writes beyond which a write waits for Redis's answer

# KEYS[1] the journal; ARGV: the open field, the fence value, then field/value pairs.
# Refused once fenced (0) or when the journal is gone (-1): written then, it would read as
# if the rows handed off before the loss never were.
_WRITE = """
local opened = redis.call('HGET', KEYS[1], ARGV[1])
if not opened then return -1 end
if opened == ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
return 1
"""
OK, REFUSED_FENCED, REFUSED_LOST = 1, 0, -1
# Fence and read in one step: after this no worker writes the journal again.
_FENCE = """
local seen = redis.call('HGETALL', KEYS[1])
if #seen > 0 then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return seen
"""


def new_batch() -> str:
    return uuid.uuid4().hex


class _Memory:
    """The journal without Redis: same operations, one process."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, str]] = {}
        self.lock = threading.Lock()

    def open(self, key: str, fields: dict[str, str]) -> None:
        with self.lock:
            self.data[key] = dict(fields)

    def write(self, key: str, fields: dict[str, str]) -> int:
        with self.lock:
            journal = self.data.get(key)
            if journal is None:
                return REFUSED_LOST
            if journal.get(OPENED) == FENCED:
                return REFUSED_FENCED
            journal.update(fields)
            return OK

    def fence(self, key: str) -> dict[str, str] | None:
        with self.lock:
            journal = self.data.get(key)
            if journal is None:
                return None
            seen = dict(journal)
            journal[OPENED] = FENCED
            return seen

    def read(self, key: str, field: str) -> str | None:
        with self.lock:
            return self.data.get(key, {}).get(field)

    def delete(self, key: str) -> None:
        with self.lock:
            self.data.pop(key, None)

    def writer(self, key: str) -> _MemoryWriter:
        return _MemoryWriter(self, key)


class _MemoryWriter:
    def __init__(self, store: _Memory, key: str) -> None:
        self.store, self.key = store, key

    def write(self, fields: dict[str, str], *, wait: bool) -> int:
        return self.store.write(self.key, fields)

    def drain(self) -> int:
        return OK

    def release(self) -> None:
        pass


class _RedisWriter:
    """Writes on one connection of its own without waiting for each answer: the command
    is in the socket before the provider is called, so a worker killed during the call
    still leaves it for Redis to apply. Answers are read in bulk (`drain`), or at once
    when asked to wait."""

    def __init__(self, client, key: str) -> None:
        self.pool = client.connection_pool
        self.connection = self.pool.get_connection()
        self.key = key
        self.pending = 0
        self.worst = OK

    def write(self, fields: dict[str, str], *, wait: bool) -> int:
        flat = [item for pair in fields.items() for item in pair]
        self.connection.send_command("EVAL", _WRITE, 1, self.key, OPENED, FENCED, *flat)
        self.pending += 1
        if wait or self.pending >= 256:
            self.drain()
        return self.worst

    def drain(self) -> int:
        while self.pending:
            code = int(self.connection.read_response())
            self.pending -= 1
            if self.worst == OK:
                self.worst = code
        return self.worst

    def release(self) -> None:
        self.drain()
        self.pool.release(self.connection)


class _Redis:
    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.write_script = self.client.register_script(_WRITE)
        self.fence_script = self.client.register_script(_FENCE)

    def write(self, key: str, fields: dict[str, str]) -> int:
        flat = [item for pair in fields.items() for item in pair]
        return int(self.write_script(keys=[key], args=[OPENED, FENCED, *flat]))

    def open(self, key: str, fields: dict[str, str]) -> None:
        pipe = self.client.pipeline(transaction=False)
        pipe.hset(key, mapping=fields)
        pipe.expire(key, TTL)
        pipe.execute()

    def fence(self, key: str) -> dict[str, str] | None:
        seen = self.fence_script(keys=[key], args=[OPENED, FENCED])
        if not seen:
            return None
        return {
            seen[i].decode(): seen[i + 1].decode(errors="replace") for i in range(0, len(seen), 2)
        }

    def read(self, key: str, field: str) -> str | None:
        value = self.client.hget(key, field)
        return None if value is None else value.decode()

    def delete(self, key: str) -> None:
        self.client.delete(key)

    def writer(self, key: str) -> _RedisWriter:
        return _RedisWriter(self.client, key)


@cache
def _store(url: str) -> _Memory | _Redis:
    return _Redis(url) if url else _Memory()


def store() -> _Memory | _Redis:
    return _store(getattr(settings, "REDIS_URL", ""))


def _now() -> str:
    return f"{time.time():.3f}"


class Journal:
    """One claimed batch's journal, written by the worker that claimed it.

    Writes do not wait for Redis's answer (the provider call is the next thing to wait
    for), except after a gap longer than `SYNC_AFTER`: a worker back from a provider call
    so slow that the sweeper may have fenced its batch waits to learn that before it
    hands off anything more. The sweeper only fences a batch whose last write is
    `recovery.STALE_AFTER` old, far longer than `SYNC_AFTER`, so a write that did not wait
    always lands before any fence.
    """

    def __init__(self, batch: str) -> None:
        self.key = KEY.format(batch=batch)
        self.store = store()
        self.previous: dict[str, str] = {}
        self.writer: _RedisWriter | _MemoryWriter | None = None
        self.last_write = 0.0

    def open(self) -> None:
        """Before the claim commits: from then on, no entry for a row means not handed off."""
        self.store.open(self.key, {OPENED: "open", BEAT: _now()})
        self.last_write = time.time()

    def _write(self, fields: dict[str, str], *, wait: bool = False) -> int:
        if self.writer is None:
            self.writer = self.store.writer(self.key)
        now = time.time()
        wait = wait or now - self.last_write > SYNC_AFTER
        self.last_write = now
        return self.writer.write({**fields, BEAT: _now()}, wait=wait)

    def before_hand_off(self, message_id: int) -> int:
        """Record that `message_id` goes to the provider now (and the previous answer).
        Anything but OK: hand off nothing more (the sweeper fenced the batch, or the
        journal is gone)."""
        fields = {**self.previous, str(message_id): IN_FLIGHT}
        self.previous = {}
        return self._write(fields)

    def answered(self, message_id: int, result: dict) -> None:
        """Kept in memory; it travels with the next write (one command per message)."""
        self.previous = {str(message_id): answer_encode(result)}

    def flush(self) -> int:
        """The last answer, before the results are written to the database; waits for
        every write so far. Anything but OK: hand off nothing more."""
        if self.previous:
            fields, self.previous = self.previous, {}
            self._write(fields)
        return self.writer.drain() if self.writer else OK

    def close(self) -> None:
        """Every result is in the database: the journal has nothing left to tell."""
        if self.writer is not None:
            self.writer.release()
        self.store.delete(self.key)


def answer_encode(result: dict) -> str:
    # "s <epoch> <provider id>" or "f <epoch> <error>"
    kind = "s" if result["status"] == "sent" else "f"
    detail = result["provider_id"] if kind == "s" else result["error"]
    return f"{kind} {result['sent_at'].timestamp():.6f} {detail or ''}"


def answer_decode(message_id: int, answer: str) -> dict:
    kind, at, detail = (answer.split(" ", 2) + ["", ""])[:3]
    sent_at = dt.datetime.fromtimestamp(float(at), tz=dt.UTC)
    if kind == "s":
        return {"id": message_id, "status": "sent", "provider_id": detail or None,
                "error": "", "sent_at": sent_at}  # fmt: skip
    return {"id": message_id, "status": "failed", "provider_id": None,
            "error": detail[:255], "sent_at": sent_at}  # fmt: skip


def journal_fence(batch: str) -> dict[str, str] | None:
    """The batch's journal as the dead worker left it (None: none is known), and no
    worker writes it again."""
    return store().fence(KEY.format(batch=batch))


def journal_beat(batch: str) -> float | None:
    """When the batch's worker last wrote its journal (epoch seconds), if it has one."""
    beat = store().read(KEY.format(batch=batch), BEAT)
    return None if beat is None else float(beat)


def journal_delete(batch: str) -> None:
    store().delete(KEY.format(batch=batch))
