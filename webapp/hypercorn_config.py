"""Hypercorn settings for every web process: `hypercorn --config python:webapp.hypercorn_config`."""

# Serve in the hypercorn process itself rather than in one spawned worker: it then gets
# SIGTERM/SIGINT directly and shuts down gracefully (a spawned worker dies at once when a
# platform or a supervisor signals the whole process group). Scale by running more web
# processes.
workers = 0
# Ping websockets so a dead client is found without waiting for a write to fail.
websocket_ping_interval = 20.0
# A connection that sends nothing for this long, not even the pongs to two pings, is dead
# (or will never answer a closing handshake): let it go, so it cannot hold up a shutdown.
read_timeout = 45
# An idle keep-alive connection is closed as soon as a shutdown starts (Hypercorn's idle
# wait ends on it), whatever this says; it only bounds how long a quiet browser holds one.
keep_alive_timeout = 5.0
# On a stop, what still runs this long after the listening socket closed is cancelled
# (Python >= 3.12 first waits for every connection to close, hypercorn#308, so the app
# closes its websockets itself; see webapp/serve.py). Under the 3 s after which
# `paddock dev` or a platform's process manager would SIGKILL the process.
graceful_timeout = 2.0
# Requests are logged by the app (webapp.observability), as JSON with a request id.
accesslog = None
