"""Running a student's notebook for real and reading what it produced."""
