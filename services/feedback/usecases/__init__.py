"""Feedback's use cases: record what an event says (`recording`), answer rating states (`ratings`) and
statistics (`statistics`)."""
