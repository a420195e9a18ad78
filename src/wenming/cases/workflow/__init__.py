"""One problem through the loop: the state machine (``machine``), the actions (``services``),
where a problem should go (``routing``), the generated table of actions (``docs``) and the
problem page with its action buttons (``views``)."""
