"""Feedback's tables (`models`) and the SQL over them (`facts`)."""
