"""Option lists for the staff pages' <select>s, read as plain values, escaped once and kept in the process.

The lists change when an administrator edits areas, departments or staff:
rare, and a few minutes' delay is harmless (the services check every choice
again). They are built once per process, key and language instead of on every
page view, and kept in the process: through the shared cache each read cost
more (a round trip and unpickling a few hundred options) than it saved.
"""

import time
from html import escape

from django import forms
from django.forms.utils import flatatt
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

OPTIONS_TTL = 300


class ProcessCache:
    """Values kept in this process for `ttl` seconds, built on a miss; emptied whole at `max_entries`."""

    def __init__(self, ttl: float, max_entries: int = 5000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict = {}

    def get_or_build(self, key, build):
        now = time.monotonic()
        hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = build()
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key] = (now + self.ttl, value)
        return value

    def clear(self) -> None:
        self._entries.clear()


_options = ProcessCache(OPTIONS_TTL)


def clear_option_cache() -> None:
    _options.clear()


def cached_options(key: str, build) -> list[tuple]:
    """`build()`'s (value, label) pairs for `key` in the current language, labels escaped and marked safe."""
    # Escaped once here, not on every page view (QuickSelect leaves safe labels alone).
    return _options.get_or_build(
        f"{key}:{get_language()}",
        lambda: [("" if value is None else str(value), mark_safe(escape(str(label)))) for value, label in build()],  # noqa: S308  # nosec B308 B703
    )


class QuickSelect(forms.Select):
    """A <select> rendered in Python: Django's widget templates cost ~0.2 ms per option.

    The queue page carries a few hundred options (areas, mediators, departments);
    with the template renderer they took most of the page's time.
    """

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        chosen = {str(v) for v in (value if isinstance(value, list | tuple) else [value]) if v not in (None, "")}
        options = []
        for option_value, label in self.choices:
            text = "" if option_value is None else str(option_value)
            selected = " selected" if text in chosen else ""
            shown = label if hasattr(label, "__html__") else escape(str(label))
            options.append(f'<option value="{escape(text)}"{selected}>{shown}</option>')
        # Every value and label is escaped above.
        return mark_safe(f"<select{flatatt(final)}>{''.join(options)}</select>")  # noqa: S308  # nosec B308 B703


def quick_selects(form, choices: dict | None = None) -> None:
    """Swap each single <select> for a QuickSelect; `choices` gives some fields' options ready-made."""
    choices = choices or {}
    for name, bound in form.fields.items():
        if isinstance(bound.widget, forms.Select) and not isinstance(bound.widget, forms.SelectMultiple):
            widget = QuickSelect(attrs=bound.widget.attrs)
            widget.choices = choices.get(name) or bound.choices
            widget.is_required = bound.widget.is_required
            bound.widget = widget
