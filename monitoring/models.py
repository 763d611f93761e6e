# Supervision keeps no tables of its own: reports are computed from the enquiry event log.
