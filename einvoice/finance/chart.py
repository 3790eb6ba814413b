"""Daily collections as a server-side SVG: one stacked bar per day, a colour per payment method (no script, no CDN).

The chart is for looking; the same numbers go in a table beside it (the page's accessible version), so the SVG is
``role="img"`` with a title and a description that says what it shows and where the numbers are.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

from einvoice.finance.rules import PAYMENT_LABELS_VI

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 260, 64, 28, 12
#: Colours with at least 3:1 contrast on white, told apart without colour by the legend's order and the table.
COLOURS = {"TM": "#1b5e20", "CK": "#0d47a1", "TM/CK": "#e65100"}
OTHER = "#4a148c"

Day = tuple[date, Mapping[str, Decimal]]
#: Up to a month, about this many days get a date under their bar; a longer period labels Mondays.
MONTH_LABELS = 10
#: Days of a period whose every Monday can be labelled; a longer one labels every 2nd, 3rd… Monday.
WEEKLY_LABELS_UP_TO = 91


def _money(amount: Decimal) -> str:
    return f"{amount:,.0f}".replace(",", ".")


def labelled(index: int, day: date, count: int) -> bool:
    """Tell whether the bar at ``index`` of ``count`` days gets its date below it (sparse enough to stay readable).

    Up to 31 days: every ``count // 10``-th day. Longer: Mondays, every ``ceil(count / 91)``-th one (weeks counted
    from a fixed Monday, so a label stays on its day as the period moves).
    """
    if count <= 31:
        return index % max(count // MONTH_LABELS, 1) == 0
    weeks = math.ceil(count / WEEKLY_LABELS_UP_TO)
    return day.weekday() == 0 and (day.toordinal() // 7) % weeks == 0


def daily_svg(days: Sequence[Day], *, title: str = "Số tiền thu theo ngày") -> str:
    """Return the SVG of ``days``: (date, {payment method: amount}) in date order."""
    top = max((sum(amounts.values(), Decimal(0)) for _, amounts in days), default=Decimal(0)) or Decimal(1)
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    step = plot_w / max(len(days), 1)
    bar = max(step * 0.7, 1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        'aria-labelledby="chart-title chart-desc" class="chart">',
        f'<title id="chart-title">{escape(title)}</title>',
        '<desc id="chart-desc">Cột chồng theo hình thức thanh toán; số liệu chi tiết ở bảng bên cạnh.</desc>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - 8}" y2="{TOP + plot_h}" stroke="#333"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 10}" text-anchor="end" font-size="11">{_money(top)}</text>',
        f'<text x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end" font-size="11">0</text>',
    ]
    for index, (day, amounts) in enumerate(days):
        x = LEFT + index * step + (step - bar) / 2
        y = float(TOP + plot_h)
        for method, amount in sorted(amounts.items()):
            if amount <= 0:
                continue
            height = float(amount / top) * plot_h
            y -= height
            label = f"{day.isoformat()} {PAYMENT_LABELS_VI.get(method, method)}: {_money(amount)} đồng"
            colour = COLOURS.get(method, OTHER)
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{height:.1f}" fill="{colour}" '
                f'data-method="{escape(method, {chr(34): "&quot;"})}"><title>{escape(label)}</title></rect>'
            )
        if labelled(index, day, len(days)):
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{HEIGHT - 10}" text-anchor="middle" font-size="10">'
                f"{day.day:02d}/{day.month:02d}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)
