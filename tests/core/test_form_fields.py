"""`{{ field|as_field }}` (core/templatetags/form_fields.py) writes each field's label, help, errors and widget."""

import pytest
from django import forms
from django.template import Context, Template
from django.utils.translation import gettext, override

from core.templatetags.form_fields import field_html
from tests.core.test_form_renderer import VALUES, Everything, prefixed

# The markup as a template, as the product wrote it before the filter: the filter must match it byte for byte.
REFERENCE = Template(
    '{% load i18n %}{% if field.widget_type == "checkbox" %}<div class="field field--check{% if field.errors %}'
    ' field--invalid{% endif %}">\n'
    '  {{ field }}<label for="{{ field.id_for_label }}">{{ field.label }}</label>\n'
    '  {% if field.help_text %}<p class="help" id="{{ field.auto_id }}_helptext">{{ field.help_text }}</p>'
    "{% endif %}\n"
    '  {% if field.errors %}<p class="error" id="{{ field.auto_id }}_error">{{ field.errors|join:" " }}</p>'
    "{% endif %}\n"
    '</div>{% else %}<div class="field{% if field.errors %} field--invalid{% endif %}">\n'
    '  <label for="{{ field.id_for_label }}">{{ field.label }}{% if not field.field.required and '
    'field.field.optional_label is not False %} <span class="optional">{% translate "(optional)" %}</span>'
    "{% endif %}</label>\n"
    '  {% if field.help_text %}<p class="help" id="{{ field.auto_id }}_helptext">{{ field.help_text }}</p>'
    "{% endif %}\n"
    '  {% if field.errors %}<p class="error" id="{{ field.auto_id }}_error">{{ field.errors|join:" " }}</p>'
    "{% endif %}\n"
    "  {{ field }}\n"
    "</div>{% endif %}\n"
)


class Extra(forms.Form):
    quiet = forms.CharField(required=False, label="No <marker>", help_text="Tom & Jerry")
    agree = forms.BooleanField(label="I agree", help_text="Say <yes>")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quiet"].optional_label = False


@pytest.mark.parametrize("data", VALUES, ids=["unbound", "bound", "invalid"])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_same_html_as_the_template(data, language):
    with override(language):
        form = Everything(prefixed(data), prefix="p")
        for name in form.fields:
            assert field_html(form[name]) == REFERENCE.render(Context({"field": form[name]})), name


@pytest.mark.parametrize("data", [None, {"quiet": "x"}, {"quiet": "<b>"}])
def test_checkbox_optional_label_and_errors(data):
    form = Extra(data)
    for name in form.fields:
        assert field_html(form[name]) == REFERENCE.render(Context({"field": form[name]})), name
    html = field_html(form["agree"])
    assert html.startswith('<div class="field field--check')
    assert "Say &lt;yes&gt;" in html
    assert "(optional)" not in field_html(form["quiet"])
    if data is not None:
        assert 'class="field field--check field--invalid"' in html
        assert 'id="id_agree_error"' in html


def test_chinese_optional_marker_and_escaped_errors():
    class F(forms.Form):
        name = forms.CharField(required=False, label="姓名")
        phone = forms.CharField(max_length=3, label="电话")

    with override("zh-hans"):
        form = F({"phone": "1234<"})
        marker = gettext("(optional)")
        assert marker != "(optional)"  # the Chinese catalogue is compiled
        assert f'<span class="optional">{marker}</span>' in field_html(form["name"])
        html = field_html(form["phone"])
        assert 'class="field field--invalid"' in html and "1234&lt;" in html
        assert html == REFERENCE.render(Context({"field": form["phone"]}))


def test_filter_in_a_template():
    form = Extra()
    rendered = Template("{% load form_fields %}{{ form.quiet|as_field }}").render(Context({"form": form}))
    assert rendered == field_html(form["quiet"])
