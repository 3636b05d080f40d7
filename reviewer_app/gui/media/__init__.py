"""Video and audio evidence, played by libvlc (python-vlc)."""
