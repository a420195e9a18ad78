"""The inspection form on a phone, as the server renders it: items grouped by indicator with a jump
list and counts, each error at its item (with a summary linking to it), and the photos of a refused
form kept for the next try — the inspector's own only."""

import re

import pytest

from wenming.core.models import Photo
from wenming.inspections import services
from wenming.inspections.models import Inspection, ItemResult

from .test_pages import _form, _upload, rounds  # noqa: F401  (the fixture)


def _fieldset(page: str, item) -> str:
    """The opening tag and the content of the item's fieldset."""
    start = page.index(f'id="item-{item.pk}"')
    start = page.rindex("<fieldset", 0, start)
    return page[start:page.index("</fieldset>", start)]


def _summary(page: str) -> str:
    start = page.index('class="error-summary"')
    return page[start:page.index("</div>", start)]


@pytest.mark.django_db
def test_checklist_is_grouped_by_indicator_with_a_jump_list_and_counts(login, rounds):  # noqa: F811
    row = rounds["square"]                 # WHZ01 (indicator 0101 综合文化站), ZGD01 (02 市容环境)
    items = {item.code: item for item in services.items_for(row)}
    client = login("inspector")
    data = _form(items.values(), ZGD01={"count": "1"})
    assert client.post(f"/inspections/do/{row.pk}/", dict(data, intent="draft")).status_code == 302
    page = client.get(f"/inspections/do/{row.pk}/").content.decode()
    first, second = items["WHZ01"].indicator, items["ZGD01"].indicator
    start = page.index('class="jump-list"')
    nav = page[start:page.index("</nav>", start)]
    links = re.findall(r'<a href="#ind-(\d+)">([^<]+) <span class="group-count"[^>]*>([^<]+)</span>', nav)
    assert links == [(str(first.pk), "综合文化站", "0/1"), (str(second.pk), "市容环境", "1/1")]
    # each link leads to its indicator's heading, and the heading comes before its items
    for indicator in (first, second):
        assert f'<h2 class="item-group" id="ind-{indicator.pk}">' in page
    assert page.index(f'id="ind-{first.pk}"') < page.index(f'id="item-{items["WHZ01"].pk}"') \
        < page.index(f'id="ind-{second.pk}"') < page.index(f'id="item-{items["ZGD01"].pk}"')
    assert "已填 1/2" in page
    # what "其余全部符合" may mark: a verdict item 符合, a deduction item 0 found
    assert 'data-pass="verdict"' in _fieldset(page, items["WHZ01"])
    assert 'data-pass="count"' in _fieldset(page, items["ZGD01"])


@pytest.mark.django_db
def test_each_error_is_shown_at_its_item_and_the_summary_links_to_it(login, rounds):  # noqa: F811
    row = rounds["square"]
    items = {item.code: item for item in services.items_for(row)}
    client = login("inspector")
    data = _form(items.values(), WHZ01={"v": "na"}, ZGD01={"count": "-2", "note": "两处"})
    response = client.post(f"/inspections/do/{row.pk}/", data)
    assert response.status_code == 200
    page = response.content.decode()
    for code, text in (("WHZ01", "选择“不适用”须填写说明"), ("ZGD01", "发现的数量不能小于0")):
        item = items[code]
        fieldset = _fieldset(page, item)
        assert "has-error" in fieldset.split(">")[0] and f'aria-describedby="item-{item.pk}-error"' in fieldset
        assert f'<p class="field-error" id="item-{item.pk}-error">{text}</p>' in fieldset
        assert 'aria-invalid="true"' in fieldset
        assert f'<a href="#item-{item.pk}">{code} {text}</a>' in _summary(page)
    assert "有 2 个检查项需要修改" in _summary(page)
    assert ">两处</textarea>" in _fieldset(page, items["ZGD01"])   # what was typed stays
    row.refresh_from_db()
    assert row.status == "pending" and not ItemResult.objects.filter(inspection__round_point=row).exists()
    # an item without an error is not marked
    data = _form(items.values(), WHZ01={"v": "pass"})
    page = client.post(f"/inspections/do/{row.pk}/", data).content.decode()
    assert 'aria-invalid="true"' not in _fieldset(page, items["WHZ01"])
    assert f'<a href="#item-{items["ZGD01"].pk}">ZGD01 未填写</a>' in _summary(page)


@pytest.mark.django_db
def test_a_bad_photo_and_a_bad_answer_are_both_reported_at_their_items(login, rounds):  # noqa: F811
    row = rounds["square"]
    items = {item.code: item for item in services.items_for(row)}
    data = _form(items.values(), WHZ01={"v": "pass"})        # ZGD01 not answered
    data[f"photo_{items['WHZ01'].pk}"] = _upload("x.jpg", b"GIF89a not a photo")
    data[f"photo_{items['ZGD01'].pk}"] = _upload("ok.jpg")
    page = login("inspector").post(f"/inspections/do/{row.pk}/", data).content.decode()
    assert "WHZ01 照片：" in _summary(page) and "ZGD01 未填写" in _summary(page)
    assert 'class="field-error"' in _fieldset(page, items["WHZ01"])
    # the good photo of ZGD01 is kept for the next try
    assert len(re.findall(rf'name="kept_new_{items["ZGD01"].pk}"', page)) == 1


@pytest.mark.django_db
def test_kept_photos_are_the_inspectors_own_and_go_to_the_item_they_were_taken_for(login, personas, rounds,  # noqa: F811
                                                                                  settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    row = rounds["square"]
    items = {item.code: item for item in services.items_for(row)}
    client = login("inspector")
    data = _form(items.values(), ZGD01={"count": "1"})        # WHZ01 not answered
    data[f"photo_{items['ZGD01'].pk}"] = _upload("litter.jpg")
    page = client.post(f"/inspections/do/{row.pk}/", data).content.decode()
    [kept] = re.findall(rf'name="kept_new_{items["ZGD01"].pk}" value="(\d+)"', page)
    assert f'name="kept_photos" value="{kept}"' in _fieldset(page, items["ZGD01"])
    # a photo of someone else's, slipped into the form, is not taken
    other = Photo.objects.get(pk=kept)
    other.pk = None
    other.uploaded_by = personas["office_city"]
    other.save()
    # saved as a draft: the kept photo moves into the draft (it stays on ZGD01 from now on)
    data = _form(items.values(), ZGD01={"count": "1"})
    data.update({"intent": "draft", "kept_photos": [kept, str(other.pk)],
                 f"kept_new_{items['ZGD01'].pk}": [kept, str(other.pk)]})
    assert client.post(f"/inspections/do/{row.pk}/", data).status_code == 302
    draft = Inspection.objects.get(round_point=row).draft
    assert draft[str(items["ZGD01"].pk)]["photos"] == [int(kept)]
    assert draft[str(items["WHZ01"].pk)]["photos"] == []
    page = client.get(f"/inspections/do/{row.pk}/").content.decode()
    assert "kept_new_" not in page and f'name="kept_photos" value="{kept}"' in page


@pytest.mark.django_db
def test_a_photo_kept_at_one_point_is_not_taken_at_another(login, rounds, settings, tmp_path):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path
    row = rounds["square"]
    items = {item.code: item for item in services.items_for(row)}
    client = login("inspector")
    data = _form(items.values(), ZGD01={"count": "1"})
    data[f"photo_{items['ZGD01'].pk}"] = _upload("litter.jpg")
    page = client.post(f"/inspections/do/{row.pk}/", data).content.decode()
    [kept] = re.findall(rf'name="kept_new_{items["ZGD01"].pk}" value="(\d+)"', page)
    # the other point of the round (乙一文化站, another unit): the photo is not its unit's
    other = rounds["station"].__class__.objects.get(round=rounds["weekly"], point__code="P3")
    other_items = {item.code: item for item in services.items_for(other)}
    data = _form(other_items.values(), WHZ05={"v": "pass"}, WHZ01={"v": "pass"}, WHZ09={"c": ["1", "2", "3"]})
    data.update({"kept_photos": kept, f"kept_new_{other_items['WHZ01'].pk}": kept})
    assert client.post(f"/inspections/do/{other.pk}/", data).status_code == 302
    assert not ItemResult.objects.filter(inspection__round_point=other, photos__isnull=False).exists()
