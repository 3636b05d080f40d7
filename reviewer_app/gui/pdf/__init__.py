"""PDF evidence: the pane, and the client of the out-of-process renderer."""
