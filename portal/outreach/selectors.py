from __future__ import annotations

from portal.debtors.models import Debtor

from .models import Channel, Consent


def consents_for(debtor: Debtor) -> dict[str, bool | None]:
    """Every channel with its state: True granted, False revoked, None never recorded."""
    states: dict[str, bool | None] = dict.fromkeys(Channel.values)
    for channel, granted in Consent.objects.filter(debtor=debtor).values_list("channel", "granted"):
        states[channel] = granted
    return states
