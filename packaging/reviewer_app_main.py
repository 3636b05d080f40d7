"""The bundle's entry point: ``reviewer-app`` inside the PyInstaller bundle runs this.

It is ``reviewer_app.__main__`` plus two things a frozen app needs: ``freeze_support()``
(the PDF renderers are ``spawn`` processes, which start this same executable), and the
self-check ``packaging/bundle_probe.py`` uses when ``REVIEWER_APP_PROBE`` is set (the bundle
smoke test and the start-time measurement; it does nothing otherwise).
"""

import multiprocessing
import os
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # a renderer process runs its job here and exits
    if os.environ.get("REVIEWER_APP_PROBE"):
        import bundle_probe

        bundle_probe.install(os.environ["REVIEWER_APP_PROBE"])
    from reviewer_app.cli import main

    sys.exit(main())
