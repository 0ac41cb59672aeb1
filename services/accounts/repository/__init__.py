"""Accounts' tables (`models`) and the SQL over them (`staff`)."""
