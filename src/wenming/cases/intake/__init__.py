"""Intake (报告问题): the report form and API, problem codes, the checks on a report, duplicates
and 反弹 at the same place, and the plain-SQL fast path every report takes."""
