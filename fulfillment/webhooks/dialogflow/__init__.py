"""Dialogflow ES/CX: Google ID-token check and the fulfillment route."""
