"""Google Dialogflow, ES (v2) and CX (v3) webhooks on one URL: ID-token or header-secret
authentication, the agents' exports. See docs/assistants.md."""
