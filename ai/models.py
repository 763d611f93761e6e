"""Models of the ai app."""
