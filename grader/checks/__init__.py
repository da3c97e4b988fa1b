"""The hidden checks: pytest tests run by grader.plugin, never shipped to students."""
