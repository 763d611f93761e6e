"""Models of the robot app."""
