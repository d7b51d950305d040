"""The straightforward implementations the benches measure ours against: the same work,
written the way the field's stack suggests (flask-ask-sdk's SkillAdapter, the SQLAlchemy
ORM with a session per request, one commit), on the same schema (core.models, created by
our migrations). Nothing of our request path is used: no prepared statements, no batching,
no edge guard. Each is its own WSGI app, so each worker's memory is that path's alone."""
