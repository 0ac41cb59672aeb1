"""Pure rules of intake: the case workflow, access, duplicates, rate limits, tokens and sealing, the
geofence."""
