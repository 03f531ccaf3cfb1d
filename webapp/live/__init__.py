"""Live pages: one pub/sub listener per process fanning events out to open sockets."""
