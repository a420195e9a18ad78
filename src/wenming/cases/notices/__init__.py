"""督办单 / 督办函: numbering and issuing (``services``), who may read them (``selectors``), the
official document layout and .docx (``documents``) and their pages (``views``)."""
