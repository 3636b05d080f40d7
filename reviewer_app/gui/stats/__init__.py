"""The agreement statistics window (lead assessors): figures, explanations and charts."""

from reviewer_app.gui.stats.window import StatsWindow, open_stats_window

__all__ = ["StatsWindow", "open_stats_window"]
