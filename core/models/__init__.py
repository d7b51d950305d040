"""Every table, imported in one place so metadata and Alembic see them all."""

from core.models.base import Base
from core.models.console import ConsoleSession, ConsoleTurn, LoginThrottle
from core.models.customers import Customer, PairingChallenge, VoiceIdentity
from core.models.images import ExternalImage
from core.models.invites import ASSISTANTS, CHANNELS, Click, ReferralCode, Share
from core.models.messaging import Message, Suppression
from core.models.privacy import DigestSubscription, ErasureRequest, Reminder
from core.models.rewards import (
    Conversion,
    LedgerEntry,
    OutboundWebhook,
    Referral,
    ShopEvent,
)
from core.models.shops import Program, Shop, ShopCredential, StaffUser
from core.models.status import AssistantStatus
from core.models.stores import StoreConnection, StoreJob, StoreWebhook
from core.models.webhooks import WEBHOOK_EVENT_TYPES, WebhookEndpoint

__all__ = [
    "ASSISTANTS",
    "CHANNELS",
    "WEBHOOK_EVENT_TYPES",
    "AssistantStatus",
    "Base",
    "Click",
    "ConsoleSession",
    "ConsoleTurn",
    "Conversion",
    "Customer",
    "DigestSubscription",
    "ErasureRequest",
    "ExternalImage",
    "LedgerEntry",
    "LoginThrottle",
    "Message",
    "OutboundWebhook",
    "PairingChallenge",
    "Program",
    "Referral",
    "ReferralCode",
    "Reminder",
    "Share",
    "Shop",
    "ShopCredential",
    "ShopEvent",
    "StaffUser",
    "StoreConnection",
    "StoreJob",
    "StoreWebhook",
    "Suppression",
    "VoiceIdentity",
    "WebhookEndpoint",
]
