"""The loop's configuration the city office edits — categories, SLA table, working calendar,
督办 ladder, routing rules — its starting values (``defaults``), the per-process cache every
intake reads (``config``), and the settings page (``views``, ``services``)."""
