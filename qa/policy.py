"""When to answer: signals in, a decision and a reason a person can read out.

The pipeline and `qa eval --calibrate` share this object, so a threshold means the same in both.
"""

from __future__ import annotations

from dataclasses import dataclass

from qa.settings import Settings

# each signal -> the setting that holds its threshold (abstain when the signal is below it)
SIGNALS = {
    "evidence": "min_score",
    "fit": "min_fit",
    "coverage": "min_coverage",
    "novelty": "min_novelty",
}
# settings that never abstain
OFF = {"min_score": -1.0, "min_fit": -1.0, "min_coverage": 0.0, "min_novelty": 0.0,
       "min_score_followup": -1.0}  # fmt: skip
REASONS = {
    "evidence": "no passage is close enough to the question",
    "fit": "no candidate is the kind of thing the question asks for",
    "coverage": "the cited line holds too little of the question",
    "novelty": "the reply only repeats words of the question",
}


@dataclass
class Policy:
    """Thresholds on the signals, and the names the articles must mention."""

    min_score: float
    min_fit: float
    min_coverage: float
    min_novelty: float = 0.0
    unknown_names: bool = True
    min_score_followup: float | None = None  # None: min_score

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        """The thresholds the settings hold."""
        return cls(
            settings.min_score,
            settings.min_fit,
            settings.min_coverage,
            settings.min_novelty,
            settings.unknown_names,
            settings.min_score_followup,
        )

    def before_reading(
        self, signals: dict[str, float], unknown: list[str], followup: bool = False
    ) -> str:
        """Why not to read at all ('' to go on): lines too far from the question, or the question
        names something no article mentions. followup: the question was resolved against the
        conversation (its own threshold, min_score_followup)."""
        least = self.min_score
        if followup and self.min_score_followup is not None:
            least = self.min_score_followup
        if signals.get("evidence", -1.0) < least:
            return REASONS["evidence"]
        if self.unknown_names and unknown:
            return f"the articles never mention {', '.join(unknown)}"
        return ""

    def after_reading(self, signals: dict[str, float]) -> str:
        """Why not to give the answer that was read ('' to give it)."""
        for signal in ("fit", "coverage", "novelty"):
            threshold = getattr(self, SIGNALS[signal])
            if signal in signals and signals[signal] < threshold:
                return REASONS[signal]
        return ""
