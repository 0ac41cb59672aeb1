"""Shared runtime code: nameko dependency providers (database, outbox, inbox, object store), boot, testing.

This is the edge where nameko and eventlet live; domain modules never import it.
"""
