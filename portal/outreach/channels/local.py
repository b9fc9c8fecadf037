"""Backends that reach no provider: the console (development) and the outbox (tests,
benchmarks), whose record is the Message row itself, listed in admin."""

from __future__ import annotations

import sys

from . import Backend, Outgoing


class OutboxBackend(Backend):
    def send(self, outgoing: Outgoing) -> str:
        return f"outbox-{outgoing.message_id}"


class ConsoleBackend(Backend):
    def send(self, outgoing: Outgoing) -> str:
        stream = sys.stdout  # looked up now: runserver and test capture replace it
        stream.write(
            f"--- {outgoing.channel} to {outgoing.to} (message {outgoing.message_id})\n"
            f"{outgoing.subject + chr(10) if outgoing.subject else ''}{outgoing.text}\n"
        )
        stream.flush()
        return f"console-{outgoing.message_id}"
