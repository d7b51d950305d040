"""Alexa: signature check, envelope checks, the ASK SDK adapter, the route."""
