"""Rendering that must not run on the GUI thread or even in its process (PyMuPDF); no Qt."""
