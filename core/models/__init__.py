"""Every table, imported in one place so metadata and Alembic see them all."""

from core.models.base import Base
from core.models.console import ConsoleSession, ConsoleTurn, LoginThrottle, StaffSession
from core.models.customers import Customer, PairingChallenge, VoiceIdentity
from core.models.images import ExternalImage, ImageStatus
from core.models.invites import ASSISTANTS, CHANNELS, Click, ReferralCode, Share
from core.models.messaging import Message, MessageStatus, ReportStatus, Suppression
from core.models.oauth import OAuthClient, OAuthCode, OAuthToken
from core.models.privacy import DigestSubscription, ErasureRequest, ErasureStatus, Reminder
from core.models.rewards import (
    Conversion,
    EntryStatus,
    LedgerEntry,
    OutboundStatus,
    OutboundWebhook,
    Referral,
    ReferralStatus,
    ShopEvent,
)
from core.models.shops import Program, Shop, ShopCredential, StaffUser
from core.models.status import AssistantStatus, CacheInvalidation
from core.models.stores import (
    InboxStatus,
    ShopifyInstall,
    StoreConnection,
    StoreJob,
    StoreJobStatus,
    StoreWebhook,
)
from core.models.voice_sessions import VoiceSession
from core.models.webhooks import WEBHOOK_EVENT_TYPES, WebhookEndpoint

__all__ = [
    "ASSISTANTS",
    "CHANNELS",
    "WEBHOOK_EVENT_TYPES",
    "AssistantStatus",
    "Base",
    "CacheInvalidation",
    "Click",
    "ConsoleSession",
    "ConsoleTurn",
    "Conversion",
    "Customer",
    "DigestSubscription",
    "EntryStatus",
    "ErasureRequest",
    "ErasureStatus",
    "ExternalImage",
    "ImageStatus",
    "InboxStatus",
    "LedgerEntry",
    "LoginThrottle",
    "Message",
    "MessageStatus",
    "OAuthClient",
    "OAuthCode",
    "OAuthToken",
    "OutboundStatus",
    "OutboundWebhook",
    "PairingChallenge",
    "Program",
    "Referral",
    "ReferralCode",
    "ReferralStatus",
    "Reminder",
    "ReportStatus",
    "Share",
    "Shop",
    "ShopCredential",
    "ShopEvent",
    "ShopifyInstall",
    "StaffSession",
    "StaffUser",
    "StoreConnection",
    "StoreJob",
    "StoreJobStatus",
    "StoreWebhook",
    "Suppression",
    "VoiceIdentity",
    "VoiceSession",
    "WebhookEndpoint",
]
