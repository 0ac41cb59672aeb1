"""Routing's pure rules: the directory document, the decision, the work calendar, case clocks, escalation."""
