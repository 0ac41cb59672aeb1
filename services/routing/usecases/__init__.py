"""Routing's use cases over the unit of work: route and re-route cases, track their clocks, administer the
directory, explain."""
