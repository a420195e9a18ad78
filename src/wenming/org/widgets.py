"""Name-search pickers as form widgets: a unit or a person is chosen by typing part of a name and
clicking one of the matches (HTMX asks org:unit_search / org:person_search); the form receives the
unit's code or the account's username in a hidden field, so nobody types codes or usernames.

The fields that use them (org.forms.UnitCodeField, PersonField) still validate what comes back
against the user's scope; the widget shows the chosen name only for what the user may see.
"""

from __future__ import annotations

import json

from django import forms
from django.urls import reverse

from wenming.core import access


class NamePicker(forms.Widget):
    template_name = "org/widgets/name_picker.html"
    search_url_name = ""
    query_name = "q"
    placeholder = "输入名称查找"

    def __init__(self, attrs=None, *, search_params: dict | None = None):
        super().__init__(attrs)
        self.search_params = search_params or {}
        self.scope_user = None

    def id_for_label(self, id_):
        """The label names the search box people type into (the value itself is hidden)."""
        return f"{id_}-q" if id_ else id_

    def chosen_label(self, value: str) -> str | None:
        raise NotImplementedError

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        value = context["widget"]["value"]
        context["widget"].update({
            "chosen": self.chosen_label(value) if value else None,
            "search_url": reverse(self.search_url_name),
            "search_vals": json.dumps(self.search_params, ensure_ascii=False) if self.search_params else "",
            "query_name": self.query_name,
            "placeholder": self.placeholder,
        })
        return context


class UnitPicker(NamePicker):
    search_url_name = "org:unit_search"
    query_name = "uq"
    placeholder = "输入单位名称查找"

    def chosen_label(self, value):
        from .models import Unit

        unit = Unit.objects.filter(code=str(value).strip()).select_related("parent").first()
        if unit is None or self.scope_user is None or not access.scope_for(self.scope_user).sees_unit(unit):
            return None
        return f"{unit.name}（{unit.parent.name}）" if unit.parent_id else unit.name


class PersonPicker(NamePicker):
    search_url_name = "org:person_search"
    query_name = "pq"
    placeholder = "输入姓名查找"

    def chosen_label(self, value):
        from .selectors import people_pickable, person_label

        if self.scope_user is None:
            return None
        user = people_pickable(self.scope_user, self.search_params.get("role", ""),
                               self.search_params.get("above") == "1").filter(username=str(value).strip()).first()
        return person_label(user, self.scope_user) if user else None
