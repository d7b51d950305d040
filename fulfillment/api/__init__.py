"""The shop API: API-key authenticated JSON for shops and their stores."""
