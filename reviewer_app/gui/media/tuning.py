"""How long the media engine waits for libvlc, and how many frames it replays.

Measured with libvlc 3.0.24 on the demo video (H.264 with B-frames, 25 fps); the notes in
player.py and the engine's rooms say what each wait is for.
"""

from __future__ import annotations

TICK_MS = 40                 # seek bar and watchdog poll
END_QUIET_S = 0.3            # after libvlc's "end reached", the last pictures come within this
SETTLE_S = 0.12              # a pause is settled once no new picture came for this long
FIRST_FRAME_TIMEOUT_S = 6.0  # a video that shows no picture by then cannot be played
SEEK_RETRY_S = 0.25          # paused seek: ask again if no picture came
SEEK_GIVE_UP_S = 0.7         # ... then restart the input at the target instead
STEP_TIMEOUT_S = 0.35        # next_frame that shows nothing: capture instead
CAPTURE_MARGIN_FRAMES = 6    # a capture starts this many frames before the frame on screen
CAPTURE_MAX_FRAMES = 40
PREFETCH_DELAY_S = 0.15      # after a paused seek, once idle, decode the frames around it
PREFETCH_AHEAD = 3           # ... this many past the frame on screen
EXACT_ATTEMPTS = 3           # a doubtful count starts again from the key frame, this often
EXACT_STALL_S = 1.5          # ... or when no picture came for this long
EXACT_DIRECT_S = 0.6         # a paused start on the frame itself that shows nothing by then
QUICK_WAIT_S = 0.4           # libvlc's count starts anyway if PyAV's decode is not done by then
PREPARE_IDLE_S = 0.25        # prepare only once nothing else happened for this long
