"""Sber Salute (SmartApp API, developers.sber.ru/docs/ru/va/api): a secret path token and the
SmartApp Studio project id instead of a signature, our local NLU on `original_text`, Russian
forms that agree with the assistant's gender. See docs/assistants.md and docs/salute.md."""
