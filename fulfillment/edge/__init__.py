"""HTTP safety that wraps every request: input limits and security headers."""
