"""Render Django form fields with Bootstrap 5 classes, keeping Django's accessibility attributes.

Django already adds `aria-invalid` and `aria-describedby` (pointing at `<id>_helptext` and
`<id>_error`) when a bound field is rendered; these filters only add CSS classes, and
partials/form_field_extras.html gives the help text and error elements those ids.
"""

from django import forms, template
from django.forms import BoundField

register = template.Library()


def _widget_class(field: BoundField) -> str:
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
        return "form-check-input"
    # Select also covers SelectMultiple, NullBooleanSelect and django-countries' LazySelect.
    if isinstance(widget, forms.Select):
        return "form-select"
    if field.widget_type == "range":
        return "form-range"
    if field.widget_type == "color":
        return "form-control form-control-color"
    return "form-control"


def _render_with_class(field: BoundField, css_class: str) -> str:
    existing = field.field.widget.attrs.get("class", "")
    classes = " ".join(part for part in (existing, css_class) if part)
    if field.errors:
        classes += " is-invalid"
    return field.as_widget(attrs={"class": classes})


@register.filter
def add_class(field, css_class: str):
    """`{{ field|add_class:"form-control" }}`: the widget with extra classes (and is-invalid)."""
    if not isinstance(field, BoundField):
        return field
    return _render_with_class(field, css_class)


@register.filter
def bootstrap_widget(field):
    """The widget with the Bootstrap class its type calls for."""
    if not isinstance(field, BoundField):
        return field
    return _render_with_class(field, _widget_class(field))


@register.filter
def is_checkbox(field) -> bool:
    return isinstance(field, BoundField) and isinstance(field.field.widget, forms.CheckboxInput)


@register.filter
def is_choice_list(field) -> bool:
    """Radio buttons or checkbox lists: rendered one option at a time inside a fieldset."""
    return isinstance(field, BoundField) and isinstance(field.field.widget, forms.RadioSelect)
