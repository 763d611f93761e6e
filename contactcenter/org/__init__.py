"""The bottom layer: staff, tags, destinations, organisation settings, sign-in and sessions,
plus what every app shares (errors, events, realtime fan-out, text checks, limits, background work)."""
