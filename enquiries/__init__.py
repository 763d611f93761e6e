"""The enquiry lifecycle: visitors and their tokens, where a customer's message goes (intake),
routing, alerts, pick-up, transfer, resolve and close, supervision, posting rules, deadlines."""
