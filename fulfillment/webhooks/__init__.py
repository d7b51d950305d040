"""Assistant and provider webhooks: each verifies its caller, then only translates."""
