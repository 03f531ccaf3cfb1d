"""Hypercorn settings for every web process: `hypercorn --config python:webapp.hypercorn_config`."""

# Serve in the hypercorn process itself rather than in one spawned worker: it then gets
# SIGTERM/SIGINT directly and shuts down gracefully (a spawned worker dies at once when a
# platform or honcho signals the whole process group). Scale by running more web processes.
workers = 0
# Ping websockets so a dead client is found without waiting for a write to fail.
websocket_ping_interval = 20.0
# A connection that sends nothing for this long, not even the pongs to two pings, is dead
# (or will never answer a closing handshake): let it go, so it cannot hold up a shutdown.
read_timeout = 45
# Hypercorn ignores this on Python >= 3.12 (hypercorn#308): the app closes its own
# websockets on after_serving so that open sockets cannot hold up a shutdown.
graceful_timeout = 5.0
# Requests are logged by the app (webapp.observability), as JSON with a request id.
accesslog = None
