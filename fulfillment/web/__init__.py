"""Pages people use: the console, the dashboard, invite links, health."""
