"""Python code generated from ``ui/*.ui`` by ``pyside6-uic`` (``make ui``). Do not edit:
change the .ui file in Qt Designer and regenerate; a test checks they agree."""
