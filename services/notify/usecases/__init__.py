"""Notify's use cases: plan deliveries from events (`planner`), perform due deliveries (`sweep`)."""
