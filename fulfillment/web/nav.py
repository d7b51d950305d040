"""What the merchant pages' navigation names (fulfillment/templates/merchant_nav.html)."""

PLATFORM_NAMES = {"alexa": "Alexa", "dialogflow-es": "Dialogflow ES",
                  "dialogflow-cx": "Dialogflow CX", "alice": "Alice"}
