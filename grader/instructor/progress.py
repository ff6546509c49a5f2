"""A progress bar on stderr: redrawn in place on a terminal, one plain line per item otherwise."""

import sys
import time


class Progress:
    def __init__(self, total, stream=None, width=30):
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.width = width
        self.started = time.monotonic()
        self.live = self.stream.isatty()

    def advance(self, label):
        """Count one finished item; ``label`` says which and how it went."""
        self.done += 1
        elapsed = time.monotonic() - self.started
        if not self.live:
            print(f"[{self.done}/{self.total}] {label}", file=self.stream, flush=True)
            return
        filled = self.width * self.done // max(self.total, 1)
        left = elapsed / self.done * (self.total - self.done)
        bar = "#" * filled + "-" * (self.width - filled)
        line = f"\r[{bar}] {self.done}/{self.total}  {elapsed:.0f}s elapsed, ~{left:.0f}s left  {label}"
        self.stream.write(line[: 120].ljust(120))
        if self.done == self.total:
            self.stream.write("\n")
        self.stream.flush()
