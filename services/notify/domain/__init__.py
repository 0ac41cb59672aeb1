"""Notify's pure rules: what agencies and citizens are told, templates, retry schedule, quiet hours,
signing."""
