"""Chart geometry for the KPI page, drawn by the template as inline SVG.

The CSP allows no inline scripts or styles, so charts are plain SVG shapes with attribute
coordinates and CSS classes (static/css/staff.css) for colour; each chart also has a table.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from portal.debtors.models import ContactChannel
from portal.debtors.selectors import mora_stages
from portal.money import format_minor

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 220, 8, 24, 8
FUNNEL_STEPS = ("sent", "delivered", "opened", "verified", "agreement", "paid")
CHANNEL_ORDER = ("sms", "whatsapp", "email", "call", "visit", "none")
# What staff read for each step, channel and stage; the codes stay in ids and test hooks.
FUNNEL_LABELS = {
    "sent": _("sent"),
    "delivered": _("delivered"),
    "opened": _("opened"),
    "verified": _("verified"),
    "agreement": _("agreement"),
    "paid": _("paid"),
}
CHANNEL_LABELS = {
    **dict(ContactChannel.choices),
    "visit": _("Field visit"),
    "none": _("No channel"),
}


def _stacked(
    f, rows: dict[int, dict[str, int]], series: list[str], currency: str, labels: dict
) -> dict:
    """Stacked bars: one per time bucket (all buckets of the period, empty ones too)."""
    buckets = (f.end - f.start).days // f.bucket_days + 1
    top = max((sum(parts.values()) for parts in rows.values()), default=0) or 1
    plot_h = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - LEFT) / buckets
    bars = []
    for index in range(buckets):
        day = f.start + dt.timedelta(days=index * f.bucket_days)
        parts, y = [], HEIGHT - BOTTOM
        for position, name in enumerate(series):
            value = rows.get(index, {}).get(name, 0)
            if value <= 0:
                continue
            h = max(plot_h * value / top, 1)
            y -= h
            parts.append(
                {
                    "y": round(y, 1),
                    "h": round(h, 1),
                    "css": f"series-{position}",
                    "title": f"{day:%d/%m/%Y} {labels.get(name, name)}: "
                    f"{format_minor(value, currency)}",
                }
            )
        bars.append(
            {
                "x": round(LEFT + index * slot + slot * 0.1, 1),
                "w": round(max(slot * 0.8, 1), 1),
                "parts": parts,
                "label": f"{day:%m-%d}" if index % max(buckets // 8, 1) == 0 else "",
                "label_x": round(LEFT + index * slot + slot / 2, 1),
            }
        )
    totals = {name: sum(r.get(name, 0) for r in rows.values()) for name in series}
    return {
        "bars": bars,
        "legend": [
            {
                "name": name,
                "label": labels.get(name, name),
                "css": f"series-{i}",
                "total": format_minor(totals[name], currency),
            }
            for i, name in enumerate(series)
        ],
        "max": format_minor(top, currency),
        "baseline": HEIGHT - BOTTOM,
        "label_y": HEIGHT - 6,
    }


def _funnel(steps: dict[str, int]) -> list[dict]:
    first = steps.get("sent") or 1
    return [
        {
            "name": name,
            "label": FUNNEL_LABELS[name],
            "value": steps.get(name) or 0,
            "y": i * 30,
            "w": round(max(560 * (steps.get(name) or 0) / first, 1 if steps.get(name) else 0), 1),
            "pct": round(100 * (steps.get(name) or 0) / first, 1) if steps.get("sent") else None,
        }
        for i, name in enumerate(FUNNEL_STEPS)
    ]


def build(f, money: list[dict], series: list[tuple], steps: dict[str, int]) -> dict:
    # Charts show one currency: the filter's portfolio's, else the one with most assigned.
    currency = max(money, key=lambda r: r["assigned"] or 0)["currency"] if money else "COP"
    by_channel: dict[int, dict[str, int]] = {}
    by_stage: dict[int, dict[str, int]] = {}
    for row_currency, day, stage, channel, amount, _n in series:
        if row_currency != currency:
            continue
        bucket = (day - f.start).days // f.bucket_days
        channel = channel or "none"
        channel_row = by_channel.setdefault(bucket, {})
        channel_row[channel] = channel_row.get(channel, 0) + int(amount or 0)
        stage_row = by_stage.setdefault(bucket, {})
        stage_row[stage] = stage_row.get(stage, 0) + int(amount or 0)
    stage_labels = {s.code: s.name for s in mora_stages()} | {"-": _("No stage")}
    stages = [code for code in stage_labels if code != "-"]
    if any("-" in parts for parts in by_stage.values()):
        stages.append("-")
    return {
        "currency": currency,
        "width": WIDTH,
        "height": HEIGHT,
        "by_channel": _stacked(f, by_channel, list(CHANNEL_ORDER), currency, CHANNEL_LABELS),
        "by_stage": _stacked(f, by_stage, stages, currency, stage_labels),
        "funnel": _funnel(steps),
        "bucket": "day" if f.bucket_days == 1 else "week",
        "bucket_label": _("day") if f.bucket_days == 1 else _("week"),
    }
