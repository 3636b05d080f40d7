"""Window settings (layout, shortcuts) in an INI file in the data folder.

Kept beside the data rather than in the platform's registry so that ``--data-dir`` moves
them too, and tests get their own.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

SETTINGS_VERSION = 1


def open_settings(data_dir: Path) -> QSettings:
    settings = QSettings(str(data_dir / "settings.ini"), QSettings.Format.IniFormat)
    if int(settings.value("settings_version", 0) or 0) < SETTINGS_VERSION:
        settings.setValue("settings_version", SETTINGS_VERSION)
    return settings
