"""Analyses run beside the warehouse, each checked against truth: the churn model and the
forecasts."""
