"""What the merchant pages' navigation names (fulfillment/templates/merchant_nav.html)."""

from core.assistants import ASSISTANTS

PLATFORM_NAMES = {v.key: v.label for a in ASSISTANTS for v in a.variants}
