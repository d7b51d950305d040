"""What the console and the CLI share: build, sign and send a turn, capture it."""
