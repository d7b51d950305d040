"""Yandex Alice (Yandex Dialogs webhook protocol): the skill-id check, the grammars export;
QR images are uploaded by core.alice_images. See docs/assistants.md."""
