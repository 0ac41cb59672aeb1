"""Accounts' use cases: sign-in and sessions (`signin`), administrators' verbs (`admin`)."""
