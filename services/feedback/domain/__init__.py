"""Feedback's pure rules: the fold of a case's facts into figures, periods, statistics rows."""
