"""gunicorn settings for Workforce, read from the working directory (``make run`` starts
gunicorn from the repository root; elsewhere pass ``--config gunicorn.conf.py``).

Threaded workers: a client that sends its request slowly holds one thread, not a whole
worker, so two slow connections no longer stall every other request as they did with the
sync workers (issue 19). Production still puts nginx in front (deploy/nginx/workforce.conf),
which reads whole requests before passing them on.
"""

#: One thread per request in flight; a slow client ties up one of them at most.
worker_class = "gthread"
threads = 8
#: A worker silent this long is killed and replaced. Every database retry budget ends well
#: inside it (docs/operations.md, "Faults"): 3 attempts x SQLITE_BUSY_TIMEOUT_MS (5 s).
timeout = 30
graceful_timeout = 30
#: Idle keep-alive connections are closed after this many seconds.
keepalive = 5
