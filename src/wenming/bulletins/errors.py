"""The bulletin renderer's refusals, in the one error tree (core/errors.py; docs/api.md lists the
codes). Messages are Chinese and shown as is."""

from __future__ import annotations

from wenming.core.errors import ServiceError


class TemplateError(ServiceError):
    """The Word template (the default one or one an office uploaded) cannot be used: not a .docx,
    a broken ``{{ }}``/``{% %}`` tag, an unknown field, no place for the body. ``errors["template"]``
    lists every problem found."""

    code = "template_unusable"
    default_message = "模板无法使用"

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("模板无法使用：" + "；".join(self.problems), errors={"template": self.problems})


class PdfUnavailable(ServiceError):
    """LibreOffice (``soffice``) is not installed on the server: the .docx still works."""

    code = "pdf_unavailable"
    status = 503
    default_message = "未安装 LibreOffice，无法生成 PDF"


class PdfFailed(ServiceError):
    """LibreOffice ran but gave no PDF (it failed, or ran past the time limit)."""

    code = "pdf_failed"
    status = 503
    default_message = "PDF 生成失败，请稍后重试；如反复出现请联系管理员"
