"""Warm-up while the reviewer looks at the queue, so the first workspace opens at once.

The viewer modules are imported and libvlc is started on a worker thread (libvlc's start
alone holds the calling thread for about 170 ms), and the PDF renderer processes are
started. Nothing here is needed for correctness: a workspace opened earlier does the same
work itself.
"""

from __future__ import annotations

import logging

from reviewer_app.gui.tasks import run_task

log = logging.getLogger(__name__)


def _warm(job) -> None:  # noqa: ANN001 - a Job
    import reviewer_app.gui.media.media_pane
    import reviewer_app.gui.pdf.pdf_pane
    import reviewer_app.gui.workspace.window  # noqa: F401  (imported for its side: loading)
    from reviewer_app.gui.media import player, vlc_loader

    player.start_timing_reader()
    try:
        vlc_loader.get_instance()
    except Exception as exc:  # noqa: BLE001 - no libvlc: the media pane says how to install it
        log.info("libvlc not started: %s", exc)


def prewarm():  # noqa: ANN201 - the Task
    from reviewer_app.gui.pdf.render_client import shared_client

    shared_client().warm_up()
    return run_task(_warm, on_error=lambda exc: log.info("warm-up failed: %s", exc))
