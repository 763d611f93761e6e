"""Where customers write from: channels (widget, web links, messaging platforms, email), their
webhooks and inbound events, and the outbound delivery of staff replies."""
