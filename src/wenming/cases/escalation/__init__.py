"""Deadlines and the 督办 ladder: the SLA table and working calendar (``sla``), the pure ladder
(``ladder.next_step``) and the sweeper that takes its steps (``sweeper``)."""
