"""How the app is served: the embedded one-process server and gunicorn."""
