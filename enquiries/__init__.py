"""The enquiry lifecycle: visitors and their tokens, opening and routing, alerts, pick-up, transfer,
resolve and close, supervision (join, take over), ratings, notes and the deadline sweep."""
