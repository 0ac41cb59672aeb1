"""Notify's tables (`models`), the SQL over them (`deliveries`), and its state gauge (`gauges`)."""
