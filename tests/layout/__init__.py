"""Tests of the tree's shape: every service laid out the same way."""
