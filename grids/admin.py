"""Admin for the area tree, departments and staff.

Cases keep a copy of their grid's tree path (`Dispute.area_path`) so that
"this area and below" is one indexed prefix match. Moving or reordering a node
rewrites the paths of the node, its descendants and its later siblings, and
every case filed under them would silently fall out of its area's jurisdiction.
So the admin only ever *appends* areas (as the last child of a parent, or as a
new root) and never moves an existing one: the position fields are not shown
when editing, and the drag-and-drop move view refuses.
"""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseBadRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from treebeard.admin import TreeAdmin
from treebeard.forms import MoveNodeForm, movenodeform_factory

from grids.models import Area, AreaLevel, Department, StaffProfile

TREE_FIELDS = ("treebeard_position", "treebeard_ref_node")
APPEND = "last-child"


class AreaForm(MoveNodeForm):
    """New areas are appended under a parent; existing areas keep their place."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance._state.adding:
            position = self.fields["treebeard_position"]
            position.choices = [(APPEND, _("Last child of"))]
            position.initial = APPEND
            position.widget = forms.HiddenInput()
            position.label = _("Place in the tree")
            parent = self.fields["treebeard_ref_node"]
            parent.label = _("Parent area")
            parent.empty_label = _("-- none: a new top-level area --")
            parent.help_text = _("The new area is added below this one, after its existing children.")
            # Grids are the leaves of the tree.
            parent.queryset = parent.queryset.exclude(level=AreaLevel.GRID)
        else:
            for name in TREE_FIELDS:
                self.fields.pop(name, None)

    def clean(self):
        cleaned = super().clean()
        level = cleaned.get("level")
        if level is None:
            return cleaned
        if self.instance._state.adding:
            parent = cleaned.get("treebeard_ref_node")
        else:
            parent = Area.objects.get_parent(self.instance)
            deeper = [child.level for child in Area.objects.get_children(self.instance)]
            if deeper and level >= min(deeper):
                self.add_error("level", _("An area must be at a level above the areas below it."))
        if parent is not None and level <= parent.level:
            self.add_error(
                "level",
                _("An area must be at a level below its parent (a village under a township, a grid under a village)."),
            )
        return cleaned

    def save(self, commit=True):
        if not self.instance._state.adding:
            # A plain model save: never treebeard's move.
            return forms.ModelForm.save(self, commit=commit)
        parent = self.cleaned_data.pop("treebeard_ref_node", None)
        self.cleaned_data.pop("treebeard_position", None)
        # add_child / add_root append after the existing nodes, so no other path changes.
        if parent is not None:
            self.instance = Area.objects.add_child(parent, instance=self.instance)
        else:
            self.instance = Area.objects.add_root(instance=self.instance)
        # The node is stored; this saves nothing new but sets up save_m2m for the admin.
        return forms.ModelForm.save(self, commit=commit)


@admin.register(Area)
class AreaAdmin(TreeAdmin):
    form = movenodeform_factory(Area, form=AreaForm)
    list_display = ("name", "code", "level", "population", "poster")
    list_filter = ("level",)
    search_fields = ("name", "name_en", "code")

    @admin.display(description=_("QR poster"))
    def poster(self, obj: Area) -> str:
        # Townships, villages, communities and grids have a poster (grids.views.place_poster).
        if obj.level < AreaLevel.TOWNSHIP:
            return "—"
        url = reverse("grids:place_poster", kwargs={"code": obj.code})
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, _("Print"))

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None:
            fields = [f for f in fields if f not in TREE_FIELDS]
        return fields

    def move_node(self, request):
        """Drag-and-drop moves would rewrite paths that cases keep a copy of: refuse them."""
        messages.error(request, _("Areas cannot be moved: the cases filed under them would leave their area."))
        return HttpResponseBadRequest("Areas cannot be moved.")


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "area", "kind", "phone", "is_active", "poster")
    list_filter = ("kind", "is_active", "area__level")
    list_select_related = ("area",)
    search_fields = ("name", "name_en", "area__name", "area__code")
    autocomplete_fields = ("area",)

    @admin.display(description=_("QR poster"))
    def poster(self, obj: Department) -> str:
        url = reverse("grids:department_poster", kwargs={"pk": obj.pk})
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, _("Print"))


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "display_name", "role", "area", "department")
    list_filter = ("role",)
    list_select_related = ("user", "area", "department")
    search_fields = ("user__username", "display_name", "area__name", "department__name")
    autocomplete_fields = ("user", "area", "department")
    filter_horizontal = ("specialties",)
