"""HTTP only: the Flask app, its blueprints by surface, request verification, the CLI."""
