"""Contrast and accessibility of the workspace (issue 11, item 8), measured, not assumed.

Contrast is computed from RENDERED pixels: the rubric is grabbed as an image and, inside
each piece of text, the background (its most common colour) is compared with the ink (the
colour farthest from it, among colours drawn at least a few times), separately for neutral
and for coloured ink, so "Decision: Earned" checks both its words. WCAG 2.1 AA: 4.5:1 for
text, 3:1 for the chosen level's fill against what is next to it; in a locked (submitted)
review too. Disabled push buttons (Submit in a locked review) are inactive controls, which
WCAG exempts; the locked review's levels are not exempted: they must stay readable.
"""

from __future__ import annotations

from collections import Counter

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QAccessible, QColor, QImage
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QPlainTextEdit, QWidget

from reviewer_app.domain import ReviewStatus
from reviewer_app.gui.workspace.level_button import CHECK, LevelButton
from reviewer_app.gui.workspace.submit_summary import SubmitSummary
from reviewer_app.services import reviews

from workspace_support import make_workspace, wait_saved


def _lin(v: int) -> float:
    s = v / 255
    return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4


def luminance(c: QColor) -> float:
    return 0.2126 * _lin(c.red()) + 0.7152 * _lin(c.green()) + 0.0722 * _lin(c.blue())


def contrast(a: QColor, b: QColor) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def colours(image: QImage, rect: QRect) -> Counter:
    rect = rect.intersected(image.rect())
    return Counter(image.pixel(x, y) for y in range(rect.top(), rect.bottom() + 1)
                   for x in range(rect.left(), rect.right() + 1))


def _blend(a: QColor, b: QColor, c: QColor, slack: int = 14) -> bool:
    """Whether ``c`` lies (nearly) on the line from ``a`` to ``b``: an edge pixel."""
    pa, pb, pc = ((x.red(), x.green(), x.blue()) for x in (a, b, c))
    span = max(range(3), key=lambda i: abs(pb[i] - pa[i]))
    if pb[span] == pa[span]:
        return False
    t = (pc[span] - pa[span]) / (pb[span] - pa[span])
    return 0 <= t <= 1 and all(abs(pa[i] + t * (pb[i] - pa[i]) - pc[i]) <= slack for i in range(3))


def ink_contrasts(image: QImage, rect: QRect) -> dict[str, tuple[float, str, str]]:
    """{"neutral"|"coloured": (ratio, ink, background)} for the ink found in ``rect``."""
    counts = colours(image, rect)
    bg = QColor(counts.most_common(1)[0][0])
    found: dict[str, tuple[float, str, str]] = {}
    inked = [(QColor(rgb), n) for rgb, n in counts.items() if n >= 3 and contrast(QColor(rgb), bg) >= 1.5]
    neutral = [c for c, _ in inked if c.hsvSaturationF() < 0.15]
    darkest = max(neutral, key=lambda c: contrast(c, bg), default=None)
    for c, _n in inked:
        kind = "coloured" if c.hsvSaturationF() >= 0.3 else "neutral" if c.hsvSaturationF() < 0.15 else None
        if kind is None or (kind == "coloured" and darkest is not None and _blend(bg, darkest, c)):
            continue  # an anti-aliased edge between the background and the neutral ink
        ratio = contrast(c, bg)
        if kind not in found or ratio > found[kind][0]:
            found[kind] = (ratio, c.name(), bg.name())
    return found


def _in(widget: QWidget, root: QWidget) -> QRect:
    return QRect(widget.mapTo(root, QPoint(0, 0)), widget.size())


def text_widgets(root: QWidget) -> list[QWidget]:
    out = []
    for w in root.findChildren(QWidget):
        if not w.isVisibleTo(root) or w.width() < 4 or w.height() < 4:
            continue
        if isinstance(w, QLabel) and w.text().strip():
            out.append(w)
        elif isinstance(w, LevelButton) or (isinstance(w, QAbstractButton) and w.isEnabled()
                                             and w.text().strip()):
            out.append(w)
        elif isinstance(w, QPlainTextEdit) and w.toPlainText().strip():
            out.append(w.viewport())
    return out


def assert_readable(rubric: QWidget) -> int:
    """Every text in the rubric: the scrolled body (grabbed whole) and the footer."""
    return sum(_readable(root) for root in (rubric.scroll.widget(), rubric.decision_label.parentWidget()))


def _readable(root: QWidget) -> int:
    image = root.grab().toImage()
    checked, failures = 0, []
    for w in text_widgets(root):
        rect = _in(w, root)
        if isinstance(w, QAbstractButton):
            rect = rect.adjusted(4, 4, -4, -4)  # inside the border
        found = ink_contrasts(image, rect)
        assert found, f"no text found in {w.objectName() or type(w).__name__}"
        for kind, (ratio, ink, bg) in found.items():
            checked += 1
            if ratio < 4.5:
                failures.append(f"{w.objectName() or type(w).__name__} ({kind}): {ink} on {bg} "
                                f"is {ratio:.2f}:1")
    assert not failures, "text below 4.5:1:\n" + "\n".join(failures)
    return checked


def _score(ws) -> None:
    for key, level in [("learning-goals", 3), ("checks-for-understanding", 2), ("feedback", 3),
                       ("adjusting-instruction", 2)]:
        ws.editor.set_level(key, level)
    ws.editor.set_comment("learning-goals", "Goals on the board at 0:12.")
    ws.editor.set_feedback("Check every student's understanding before moving on.")


def _chosen_state(ws) -> None:
    """The chosen level's fill against the card around it and an unchosen level: 3:1."""
    card = ws.rubric.card("learning-goals")
    image = card.grab().toImage()
    chosen = card.findChild(LevelButton, "level-learning-goals-3")
    other = card.findChild(LevelButton, "level-learning-goals-2")
    assert chosen.isChecked() and not other.isChecked()
    assert chosen.text().startswith(CHECK) and not other.text().startswith(CHECK)  # not a shade alone
    fill = QColor(colours(image, _in(chosen, card).adjusted(4, 4, -4, -4)).most_common(1)[0][0])
    face = QColor(colours(image, _in(other, card).adjusted(4, 4, -4, -4)).most_common(1)[0][0])
    around = QColor(colours(image, QRect(0, _in(chosen, card).bottom() + 1, card.width(), 3)
                            ).most_common(1)[0][0])
    assert contrast(fill, around) >= 3, f"{fill.name()} next to {around.name()}"
    assert contrast(fill, face) >= 3, f"{fill.name()} next to {face.name()}"


def test_rubric_text_and_chosen_level_meet_wcag_aa_when_open_and_locked(qtbot, demo_ctx):
    ws = make_workspace(qtbot, demo_ctx, "DEMO-1002", 2)
    qtbot.waitUntil(ws.rubric.earlier.isVisible, timeout=10_000)
    _score(ws)
    wait_saved(qtbot, ws)
    assert "Not yet" in ws.rubric.decision_label.text()
    assert assert_readable(ws.rubric) > 40
    _chosen_state(ws)
    ws.rubric.submit()
    summary = ws.findChild(SubmitSummary, "submitSummary")
    with qtbot.waitSignal(ws.editor.submitted, timeout=10_000):
        summary.accept()
    assert ws.editor.locked
    assert reviews.get_review(demo_ctx, ws.editor.review.uid).status is ReviewStatus.SUBMITTED
    assert assert_readable(ws.rubric) > 40
    _chosen_state(ws)


def test_every_focusable_control_has_an_accessible_name(qtbot, demo_ctx):
    ws = make_workspace(qtbot, demo_ctx, "DEMO-1002", 2)
    qtbot.waitUntil(ws.rubric.earlier.isVisible, timeout=10_000)
    ws.docks["reflections"].raise_()
    unnamed, walked = [], 0
    for w in ws.findChildren(QWidget):
        if not w.focusPolicy() & Qt.FocusPolicy.TabFocus or not w.isVisibleTo(ws):
            continue
        walked += 1
        iface = QAccessible.queryAccessibleInterface(w)
        name = iface.text(QAccessible.Text.Name).strip() if iface is not None else ""
        if not name:
            unnamed.append(f"{type(w).__name__} {w.objectName()!r}")
    assert walked > 40
    assert unnamed == []


def test_a_whole_review_with_the_keyboard_alone(qtbot, demo_ctx):
    """Open to submit with key presses only, each sent to the widget that has the focus."""
    ws = make_workspace(qtbot, demo_ctx, "DEMO-1002", 2)
    ws.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is ws, timeout=5000)

    def press(key: Qt.Key, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
        target = QApplication.focusWidget() or ws
        qtbot.keyClick(target, key, modifiers)

    def typed(text: str) -> None:
        qtbot.keyClicks(QApplication.focusWidget(), text)

    # Levels: the number keys score the current criterion; Alt+Down moves to the next.
    press(Qt.Key.Key_Escape)
    for n, level in enumerate([3, 4, 3, 2]):
        if n:
            press(Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
        press(getattr(Qt.Key, f"Key_{level}"))
    # A comment on the current criterion (Ctrl+E) and the feedback (Ctrl+Shift+E).
    press(Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is ws.rubric.card("adjusting-instruction").comment
    typed("Regrouped after the exit ticket.")
    press(Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert QApplication.focusWidget() is ws.rubric.feedback
    typed("Keep the hinge questions.")
    # Submit (Ctrl+Enter), confirm in the summary (Enter).
    press(Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeWindow(), SubmitSummary), timeout=5000)
    assert QApplication.focusWidget() is QApplication.activeWindow().submit_button
    with qtbot.waitSignal(ws.editor.submitted, timeout=10_000):
        press(Qt.Key.Key_Return)
    review = reviews.get_review(demo_ctx, ws.editor.review.uid)
    assert review.status is ReviewStatus.SUBMITTED and review.decision.value == "earned"
    assert review.levels() == {"learning-goals": 3, "checks-for-understanding": 4, "feedback": 3,
                               "adjusting-instruction": 2}
    assert review.feedback == "Keep the hinge questions."
    comments = {s.criterion_key: s.comment for s in review.scores}
    assert comments["adjusting-instruction"] == "Regrouped after the exit ticket."
