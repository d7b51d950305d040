"""Amazon Alexa (custom skill, JSON over HTTPS, signed by Amazon): the skill endpoint, its
verification, the ask SDK models, the interaction-model export and the Customer Profile and
Reminders API clients. See docs/assistants.md."""
