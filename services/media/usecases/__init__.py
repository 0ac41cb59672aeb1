"""Media's use cases: plain functions over a `Media` context (unit of work, bucket, settings, intake
proxy)."""
