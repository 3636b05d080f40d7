"""The Qt window. Only this package imports PySide6; it calls ``reviewer_app.services``
and never the database directly, and runs long work through ``tasks.run_task``."""
