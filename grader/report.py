"""The `report` a check fills in: its parts, each passed or not, with feedback.

A check with parts scores its weight times the weighted fraction of parts
passed; a check with no parts scores all or nothing by its outcome.
"""
from .compare import describe_mismatch


class Report:
    def __init__(self):
        self.parts = []   # (name, passed, message, weight)
        self.notes = []

    def part(self, name, passed, message="", weight=1.0):
        """Record one part of the check; `message` is shown to the student."""
        self.parts.append((name, bool(passed), message, float(weight)))
        return passed

    def compare(self, name, got, want, rtol, weight=1.0):
        """A part that passes when array `got` matches `want` within `rtol`."""
        problem = describe_mismatch(name, got, want, rtol)
        return self.part(name, problem is None, problem or f"{name} is right", weight)

    def note(self, message):
        """Feedback that does not change the score (a hint)."""
        self.notes.append(message)

    def fraction(self):
        """Weighted fraction of parts passed, or None if there are no parts."""
        total = sum(weight for *_, weight in self.parts)
        if not total:
            return None
        return sum(weight for _, passed, _, weight in self.parts if passed) / total

    def feedback(self):
        failed = [message for _, passed, message, _ in self.parts if not passed]
        passed = [name for name, ok, _, _ in self.parts if ok]
        lines = list(failed)
        if failed and passed:
            lines.append(f"Right: {', '.join(passed)}.")
        return "\n".join(lines + self.notes)
