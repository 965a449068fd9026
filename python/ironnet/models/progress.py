"""What fit prints: verbose=1 a live bar per epoch (tqdm: ETA, rate, running loss), verbose=2 one
line per epoch (logs, notebooks), verbose=0 nothing; 'auto' is 1."""
from __future__ import annotations

from typing import Any, Dict, Optional, Union


def _line(logs: Dict[str, float]) -> str:
    return " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())


class ProgressReporter:
    def __init__(self, verbose: Union[int, str], epochs: int, steps: int):
        if verbose == "auto":
            verbose = 1
        if verbose not in (0, 1, 2):
            raise ValueError(f"fit: verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
        self.verbose, self.epochs, self.steps = verbose, epochs, steps
        self._bar: Optional[Any] = None

    def epoch_begin(self, epoch: int) -> None:
        if self.verbose == 1:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=self.steps, desc=f"Epoch {epoch + 1}/{self.epochs}", unit="step",
                             dynamic_ncols=True, leave=True)

    def batch_end(self, step: int, logs: Dict[str, float]) -> None:
        if self._bar is not None:
            self._bar.update(1)
            if step % 10 == 0 or step == self.steps - 1:  # refreshing every step would cost more than a small step
                self._bar.set_postfix_str(_line(logs), refresh=False)

    def epoch_end(self, epoch: int, logs: Dict[str, float], seconds: float) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(_line(logs), refresh=True)
            self._bar.close()
            self._bar = None
        elif self.verbose == 2:
            print(f"Epoch {epoch + 1}/{self.epochs} - {seconds:.1f}s - {_line(logs)}", flush=True)
