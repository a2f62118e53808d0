"""core.form_renderer writes common widgets in Python: the HTML must be Django's, byte for byte."""

import datetime

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from core.form_renderer import PlainWidgetRenderer

CHOICES = [("", "---------"), ("a", "A & <b>"), (1, "一"), ('x"y', mark_safe("<i>safe</i>"))]  # noqa: S308
GROUPED = [("", "—"), ("Fruit <1>", [("apple", "Apple"), ("pear", "Pear")]), ("Veg", [("leek", "Leek")])]


class Everything(forms.Form):
    text = forms.CharField(max_length=10, help_text="help")
    optional = forms.CharField(required=False, widget=forms.TextInput(attrs={"placeholder": 'say "hi" <now>'}))
    number = forms.IntegerField(min_value=0)
    decimal = forms.DecimalField(max_digits=5, decimal_places=2, required=False)
    email = forms.EmailField(required=False)
    url = forms.URLField(required=False)
    password = forms.CharField(widget=forms.PasswordInput(render_value=True), required=False)
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), required=False)
    when = forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"), required=False
    )
    time = forms.TimeField(required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2, "autofocus": True, "disabled": False}))
    empty_notes = forms.CharField(widget=forms.Textarea, required=False)
    choice = forms.ChoiceField(choices=CHOICES)
    typed = forms.TypedChoiceField(choices=[(1, "one"), (2, "two")], coerce=int, required=False)
    grouped = forms.ChoiceField(choices=GROUPED, required=False)
    many = forms.MultipleChoiceField(choices=CHOICES[1:], required=False)
    lazy = forms.ChoiceField(choices=[("z", gettext_lazy("Reason"))], label=gettext_lazy("Reason"), required=False)
    # Not on the fast path: rendered through the templates by both.
    check = forms.BooleanField(required=False)
    radio = forms.ChoiceField(choices=CHOICES[1:], widget=forms.RadioSelect, required=False)


VALUES = [
    None,
    {
        "text": "<script>&",
        "optional": "",
        "number": "7",
        "decimal": "3.50",
        "email": "bad",
        "url": "http://example.com/?a=1&b=2",
        "password": 'p"w',
        "hidden": "h<>",
        "date": "2026-11-29",
        "when": "2026-11-29T10:30",
        "time": "10:30",
        "notes": 'line one\nline <two> & "three"',
        "choice": "a",
        "typed": "2",
        "grouped": "pear",
        "many": ["a", "1"],
        "lazy": "z",
        "check": "on",
        "radio": "a",
    },
    {"number": "-1", "choice": "nope", "notes": ""},
]


def prefixed(data):
    return None if data is None else {f"p-{name}": value for name, value in data.items()}


def render_all(form: forms.Form, renderer) -> dict[str, str]:
    form.renderer = renderer
    return {name: str(form[name]) for name in form.fields}


@pytest.mark.parametrize("data", VALUES, ids=["unbound", "bound", "invalid"])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_same_html_as_the_templates(data, language):
    with override(language):
        initial = {
            "date": datetime.date(2026, 1, 2),
            "when": datetime.datetime(2026, 1, 2, 3, 4, tzinfo=datetime.UTC),
            "number": 1234,
        }
        plain = render_all(Everything(prefixed(data), initial=initial, prefix="p"), PlainWidgetRenderer())
        stock = render_all(Everything(prefixed(data), initial=initial, prefix="p"), DjangoTemplates())
    assert plain == stock
    # The comparison saw real content: escaped values, attributes and options.
    if data and data.get("text"):
        assert "&lt;script&gt;&amp;" in plain["text"]
        assert '<option value="pear" selected>' in plain["grouped"]
        assert 'value="a" selected' in plain["many"] and 'value="1" selected' in plain["many"]
        assert "line &lt;two&gt;" in plain["notes"]


def test_the_fast_path_is_taken():
    """The widgets it covers never reach the template engine (this would fail if they fell back)."""

    class NoTemplates(PlainWidgetRenderer):
        def get_template(self, template_name):
            if template_name.endswith(("textarea.html", "select.html", "input.html", "text.html")):
                raise AssertionError(f"{template_name} went through the template engine")
            return super().get_template(template_name)

    renderer = NoTemplates()
    renderer._stock = True  # the check against overrides loads the templates once; skip it here
    form = Everything(prefix="p")
    form.renderer = renderer
    for name in ("text", "notes", "choice", "grouped", "number"):
        assert str(form[name])
