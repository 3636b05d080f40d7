"""Submission packages: the format, safe reading of zips and folders, verification, import."""
