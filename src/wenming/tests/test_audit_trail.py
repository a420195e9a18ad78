"""The audit trail's wiring across layers: the `wenming` commands, and the one masking
implementation used above core (core's own tests may not import the apps above it)."""


def test_the_wenming_command_offers_anchor_and_verify(monkeypatch):
    from wenming import cli

    called = []
    monkeypatch.setattr(cli, "manage", lambda argv: called.append(argv) or 0)
    assert cli.main(["audit-anchor", "--file", "a.jsonl"]) == 0
    assert cli.main(["audit-verify", "--anchor", "a.jsonl"]) == 0
    assert called == [["audit_anchor", "--file", "a.jsonl"], ["audit_verify", "--anchor", "a.jsonl"]]
    assert "audit-anchor [--file PATH]" in cli.__doc__


def test_the_ledger_masks_names_with_cores_mask_name():
    from wenming.cases.ledger import transfer
    from wenming.core import masking

    assert transfer.mask_name is masking.mask_name
