"""The MCP server (Streamable HTTP, the official SDK) and its OAuth 2.1 server (authlib)."""
