"""`{{ field|as_field }}`: one form field with its label, help, errors and widget, written in Python.

Every form of the product lays out its fields the same way. Through a template
include each field cost a few tenths of a millisecond, and the staff case page
shows two dozen of them. The markup (tests/core/test_form_fields.py):

    <div class="field[ field--invalid]">
      <label for="…">Label[ <span class="optional">(optional)</span>]</label>
      [<p class="help" id="…_helptext">…</p>]
      [<p class="error" id="…_error">first error second error</p>]
      <widget>
    </div>

Checkboxes put the widget before their label (class "field field--check").
"(optional)" follows the label of a field that is not required unless the
field sets `optional_label = False`.
"""

from django import template
from django.forms import BoundField
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

register = template.Library()


def field_html(field: BoundField) -> SafeString:
    e = conditional_escape
    auto_id = e(str(field.auto_id))
    errors = field.errors
    invalid = " field--invalid" if errors else ""
    help_text = f'<p class="help" id="{auto_id}_helptext">{e(field.help_text)}</p>' if field.help_text else ""
    error = f'<p class="error" id="{auto_id}_error">{" ".join(e(m) for m in errors)}</p>' if errors else ""
    label_for = e(str(field.id_for_label))
    label = e(field.label)
    widget = str(field)  # as_widget(): already safe
    if field.widget_type == "checkbox":
        html = (
            f'<div class="field field--check{invalid}">\n'
            f'  {widget}<label for="{label_for}">{label}</label>\n'
            f"  {help_text}\n"
            f"  {error}\n"
            "</div>\n"
        )
    else:
        optional = ""
        if not field.field.required and getattr(field.field, "optional_label", None) is not False:
            marker = e(gettext("(optional)"))
            optional = f' <span class="optional">{marker}</span>'
        html = (
            f'<div class="field{invalid}">\n'
            f'  <label for="{label_for}">{label}{optional}</label>\n'
            f"  {help_text}\n"
            f"  {error}\n"
            f"  {widget}\n"
            "</div>\n"
        )
    return mark_safe(html)  # noqa: S308 - every value above is escaped or the widget's own safe HTML  # nosec B308 B703


@register.filter
def as_field(field: BoundField) -> SafeString:
    return field_html(field)
