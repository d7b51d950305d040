"""Dialogflow exports, one per variant: an ES agent ZIP and a CX agent."""

from __future__ import annotations

from voice.platforms.dialogflow import export_cx, export_es

EXPORTS = {"dialogflow-es": export_es.export, "dialogflow-cx": export_cx.export}
