"""通报 (bulletins): the document renderer — content dataclasses (``content``), the .docx from an
editable Word template and the PDF through LibreOffice (``documents``)."""
