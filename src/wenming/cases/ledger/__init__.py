"""The lists of problems: the ledger and its filters, a unit's problems, the verify and to-do
lists, notifications, 结单公示; the ledger's Excel export (a background job) and the problem
import (``transfer``, ``jobs``)."""
