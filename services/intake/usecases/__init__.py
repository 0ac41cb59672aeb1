"""Intake's use cases: plain functions over explicit collaborators (unit of work, settings, caller), one
module per actor or flow."""
