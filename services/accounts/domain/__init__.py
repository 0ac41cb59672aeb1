"""Accounts' pure rules: passwords, the second factor, throttles, refusals, views."""
