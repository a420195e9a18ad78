"""Personal data never enters the immutable audit log in clear; one masking implementation."""

from wenming.core import audit, masking
from wenming.core.models import AuditEvent

ID_NUMBER = "11010519491231002X"  # the GB 11643 example: a valid check character


def test_mask_phone_and_name():
    assert [masking.mask_phone(v) for v in ("13812345678", "138-1234-5678", "0571-88886666", "110", "")] == [
        "138****5678", "138****5678", "0571-88****66", "****", ""]
    assert [masking.mask_name(n) for n in ("王志强", "王五", "王", "", "  李 ")] == ["王**", "王*", "王*", "", "李*"]


def test_id_numbers_are_recognised_by_checksum_and_birth_date():
    assert masking.is_id_number(ID_NUMBER)
    assert not masking.is_id_number("110105194912310021")  # wrong check character
    assert not masking.is_id_number("110105194913310020")  # month 13
    assert masking.mask_id_number(ID_NUMBER) == "110***********002X"


def test_mask_text_masks_mobiles_and_id_numbers_only():
    text = f"联系人13812345678，身份证{ID_NUMBER}；网格330102001001001，信用代码11330100MB0000001X，编号WT2026-000123"
    assert masking.mask_text(text) == (
        "联系人138****5678，身份证110***********002X；网格330102001001001，信用代码11330100MB0000001X，编号WT2026-000123")
    assert masking.mask_text("电话 138123456789") == "电话 138123456789"  # 12 digits: not a mobile


def test_audit_record_masks_personal_data_in_detail_and_target(db):
    event = audit.record("test.pii", username="cli", target="导入 13912345678.xlsx",
                         detail={"changed": {"phone": ["13800001234", "13912345678"]},
                                 "note": f"证件号{ID_NUMBER.lower()}", "mobile": 13512345678, "rows": 3,
                                 "codes": ["330102001001001", "DW-0001"]})
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.detail == {"changed": {"phone": ["138****1234", "139****5678"]}, "note": "证件号110***********002x",
                             "mobile": "135****5678", "rows": 3, "codes": ["330102001001001", "DW-0001"]}
    assert stored.target == "导入 139****5678.xlsx"
    assert "13912345678" not in stored.detail_json and ID_NUMBER.lower() not in stored.detail_json
    assert audit.verify_chain().ok


def test_the_template_filters_are_the_one_implementation():
    from wenming.core.templatetags import wenming as filters

    assert filters.mask_name is masking.mask_name and filters.mask_phone is masking.mask_phone


def test_services_mask_phones_they_record(personas, org):
    """A landline is not caught by the safety net: the services mask the phones they know of."""
    from wenming.org import services

    office = personas["office_city"]
    services.unit_update(actor=office, unit=org["street_a1"], name="甲一街道", population=60_000,
                         contact_name="联系人", contact_phone="0571-88886666", head_name="", is_active=True)
    event = AuditEvent.objects.filter(action="org.unit_update").get()
    assert event.detail["changed"]["contact_phone"] == ["139****5678", "0571-88****66"]
    services.account_update(actor=office, user=personas["handler_street_a1"], full_name="王志强",
                            phone="13698765432", post="科员")
    event = AuditEvent.objects.filter(action="org.account_update").get()
    assert event.detail["changed"]["phone"] == ["138****1234", "136****5432"]
    assert "88886666" not in "".join(AuditEvent.objects.values_list("detail_json", flat=True))
