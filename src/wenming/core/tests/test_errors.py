"""The error tree (core/errors.py): each class its stable code and status; the page handlers'
Django exceptions are the same classes."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from wenming.core import errors
from wenming.core.photos import PhotoError


def test_every_code_is_unique_and_has_one_status():
    codes = errors.all_codes()
    assert codes == {
        "error": 400, "rule_refused": 400, "validation_failed": 400, "malformed_request": 400, "conflict": 409,
        "unauthenticated": 401, "token_invalid": 401, "forbidden": 403, "csrf_failed": 403,
        "token_not_allowed": 403, "not_found": 404, "method_not_allowed": 405, "payload_too_large": 413,
        "internal_error": 500,
        # the apps' own codes (their classes join the tree when the app is loaded)
        "template_unusable": 400, "pdf_unavailable": 503, "pdf_failed": 503}


def test_service_errors_keep_working_and_carry_their_class_status():
    refused = errors.ServiceError("须填写理由", field="reason")
    assert (refused.message, refused.field, refused.status, refused.code) == ("须填写理由", "reason", 400, "rule_refused")
    assert refused.as_json() == {"code": "rule_refused", "message": "须填写理由", "errors": {"reason": ["须填写理由"]}}
    stale = errors.Conflict("可能已有他人处理，请刷新后查看")
    assert isinstance(stale, errors.ServiceError) and stale.status == 409 and stale.errors == {}
    photo = PhotoError("只能上传 JPEG 或 PNG 照片")
    assert isinstance(photo, errors.ServiceError) and photo.status == 400


def test_several_fields_at_once():
    failed = errors.ValidationFailed(errors={"title": "标题不能为空", "area": ["区域无效", "不在范围内"]})
    assert failed.message == "提交的内容有误"
    assert failed.errors == {"title": ["标题不能为空"], "area": ["区域无效", "不在范围内"]}


@pytest.mark.parametrize("cls,django", [(errors.Forbidden, PermissionDenied), (errors.CsrfFailed, PermissionDenied),
                                        (errors.TokenNotAllowed, PermissionDenied), (errors.NotFound, Http404)])
def test_refusals_are_also_djangos_exceptions(cls, django):
    error = cls()
    assert isinstance(error, django) and isinstance(error, errors.WenmingError) and "\u4e00" <= error.message[0] <= "\u9fff"


@pytest.mark.django_db
def test_access_refusals_raise_the_trees_classes(personas):
    """core.access refuses with the tree's NotFound and Forbidden: the pages' 404/403 handlers and
    the API's JSON errors answer the same exception."""
    from wenming.core import access

    with pytest.raises(errors.NotFound) as hidden:
        access.refuse_not_found(personas["citizen"], "unit")
    with pytest.raises(errors.Forbidden) as refused:
        access.refuse_forbidden(personas["citizen"], "org.view")
    assert (hidden.value.status, refused.value.status) == (404, 403)


def test_bare_statuses_map_to_the_general_class():
    assert [errors.for_status(s).code for s in (400, 401, 403, 404, 405, 409, 413, 429, 500, 503)] == [
        "malformed_request", "unauthenticated", "forbidden", "not_found", "method_not_allowed", "conflict",
        "payload_too_large", "error", "internal_error", "internal_error"]
