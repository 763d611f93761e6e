"""The socket gateway, above every app: staff and visitor WebSocket consumers, their routing
and the per-process socket writer that group-commits the messages they post."""
