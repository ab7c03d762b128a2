"""The cockpit stores nothing of its own: every figure is computed from the other apps' data."""
