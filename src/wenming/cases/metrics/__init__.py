"""Rectification metrics, defined once (``figures``), and the metrics page (``views``)."""
