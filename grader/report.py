"""The `report` a check fills in: its parts, each with a credit in [0, 1] and feedback.

A check with parts scores its weight times the weighted mean credit of its
parts; a check with no parts scores all or nothing by its outcome.
"""
from .compare import describe_mismatch


class Report:
    def __init__(self):
        self.parts = []   # (name, credit in [0, 1], message, weight)
        self.notes = []

    def part(self, name, passed, message="", weight=1.0):
        """Record one part of the check, passed or not; `message` says what is wrong."""
        self.credit(name, 1.0 if passed else 0.0, message, weight)
        return passed

    def credit(self, name, credit, message="", weight=1.0):
        """Record a part that earns `credit` (0 to 1) of its weight."""
        self.parts.append((name, min(1.0, max(0.0, float(credit))), message, float(weight)))

    def compare(self, name, got, want, rtol, weight=1.0):
        """A part that passes when array `got` matches `want` within `rtol`."""
        problem = describe_mismatch(name, got, want, rtol)
        return self.part(name, problem is None, problem or f"{name} is right", weight)

    def note(self, message):
        """Feedback that does not change the score (a hint)."""
        self.notes.append(message)

    def fraction(self):
        """Weighted mean credit of the parts, or None if there are no parts."""
        total = sum(weight for *_, weight in self.parts)
        if not total:
            return None
        return sum(credit * weight for _, credit, _, weight in self.parts) / total

    def feedback(self):
        """The failed parts' messages, a case that failed as an earlier one did (the same
        error, the same traceback) in one line; then the parts that passed, and the notes."""
        failed = [(name, message) for name, credit, message, _ in self.parts if credit < 1 and message]
        passed = [name for name, credit, _, _ in self.parts if credit == 1]
        lines, seen = [], set()
        for name, message in failed:
            head, _, trace = message.partition("\n")
            cause = head[len(name) + 2:] if head.startswith(f"{name}: ") else None
            if cause is not None and trace and (cause, trace) in seen:
                lines.append(f"{name}: the same error as above.")
                continue
            seen.add((cause, trace))
            lines.append(message)
        if failed and passed:
            lines.append(f"Right: {', '.join(passed)}.")
        return "\n".join(lines + self.notes)
