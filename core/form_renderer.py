"""A form renderer that writes the most common widgets in Python, byte for byte as Django's templates do.

Django renders every widget through its template (and every <option> and every
attribute list through one more include each). On the staff case page, with a
dozen small action forms and three department lists, that was more than half
of the page's CPU time. The widgets below are built directly instead, with the
same escaping and the same output as the stock templates
(tests/core/test_form_renderer.py compares the two); any other template, or a
project override of one of these (a file under templates/django/forms/), goes
through the templates as before.
"""

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime

WIDGETS = "django/forms/widgets/"
OPTION_TEMPLATE = WIDGETS + "select_option.html"
# Input widgets whose template is only `{% include "django/forms/widgets/input.html" %}`.
INPUT_TEMPLATES = frozenset(
    WIDGETS + f"{name}.html"
    for name in ("text", "number", "email", "url", "password", "hidden", "date", "datetime", "time", "search", "tel")
)


def _text(value) -> str:
    """`{{ value|stringformat:'s' }}` under autoescaping."""
    return conditional_escape(value if isinstance(value, str) else f"{value}")


def _shown(value) -> str:
    """`{{ value }}` under autoescaping: localised first, as the template engine does."""
    value = localize(template_localtime(value))
    return conditional_escape(value if isinstance(value, str) else str(value))


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {_shown(name)}" if value is True else f' {_shown(name)}="{_text(value)}"')
    return "".join(parts)


def _input(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{_text(widget["value"])}"'
    return f'<input type="{_shown(widget["type"])}" name="{_shown(widget["name"])}"{value}{_attrs(widget["attrs"])}>'


def _textarea(widget: dict) -> str:
    value = _shown(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


def _select(widget: dict) -> str | None:
    parts = [f'<select name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_shown(group_name)}">')
        for option in options:
            if option["template_name"] != OPTION_TEMPLATE:
                return None
            value, label = _text(option["value"]), _shown(option["label"])
            parts.append(f'\n  <option value="{value}"{_attrs(option["attrs"])}>{label}</option>\n')
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


class PlainWidgetRenderer(DjangoTemplates):
    """DjangoTemplates, with text-like inputs, textareas and selects written without the template engine."""

    _stock: bool | None = None

    def _all_stock(self) -> bool:
        """True unless an app template replaces one of Django's files that the fast path reproduces."""
        if self._stock is None:
            names = (*INPUT_TEMPLATES, *(WIDGETS + n for n in ("input.html", "attrs.html", "textarea.html")))
            names += (WIDGETS + "select.html", OPTION_TEMPLATE)
            self._stock = all(
                self.get_template(name).origin.name.replace("\\", "/").endswith("django/forms/templates/" + name)
                for name in names
            )
        return self._stock

    def render(self, template_name, context, request=None):
        widget = context.get("widget") if isinstance(context, dict) else None
        html = None
        if widget is not None and self._all_stock():
            if template_name in INPUT_TEMPLATES:
                html = _input(widget)
            elif template_name == WIDGETS + "textarea.html":
                html = _textarea(widget)
            elif template_name == WIDGETS + "select.html":
                html = _select(widget)
        if html is None:
            return super().render(template_name, context, request)
        return mark_safe(html)  # noqa: S308 - every value above went through conditional_escape  # nosec B308 B703
