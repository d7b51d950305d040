"""Alexa Reminders API: a weekly reminder on the customer's own Alexa devices, when they
granted the skill the reminders permission. Our own message on their channel is sent
either way; this only adds Alexa's chime. 401/403 mean no permission yet: the dialog then
asks for it with a permissions card."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

import requests

from voice.turn import DeviceReminder, DeviceReminderStatus

log = logging.getLogger(__name__)
PATH = "/v1/alerts/reminders"
PERMISSION = "alexa::alerts:reminders:skill:readwrite"
AMAZON_API_SUFFIX = ".amazonalexa.com"
BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class CreatedStatus(StrEnum):
    CREATED = "created"
    NO_PERMISSION = "no_permission"  # the customer has not allowed reminders for the skill
    FAILED = "failed"


@dataclass(frozen=True)
class Created:
    status: CreatedStatus
    alert_token: str | None = None


def weekly_body(*, weekday: int, local_time: str, timezone: str, locale: str, text: str,
                first: datetime, now: datetime) -> dict[str, object]:
    """The documented request: SCHEDULED_ABSOLUTE at the first local occurrence, repeating
    weekly on that day (RFC 5545 rule), spoken in the customer's locale."""
    hour, minute = (int(p) for p in local_time.split(":"))
    local_first = first.strftime("%Y-%m-%dT%H:%M:%S.000")
    return {
        "requestTime": now.strftime("%Y-%m-%dT%H:%M:%S.000"),
        "trigger": {"type": "SCHEDULED_ABSOLUTE", "scheduledTime": local_first,
                    "timeZoneId": timezone,
                    "recurrence": {"startDateTime": local_first, "recurrenceRules": [
                        f"FREQ=WEEKLY;BYDAY={BYDAY[weekday]};BYHOUR={hour};"
                        f"BYMINUTE={minute};BYSECOND=0"]}},
        "alertInfo": {"spokenInfo": {"content": [{"locale": locale, "text": text}]}},
        "pushNotification": {"status": "ENABLED"},
    }


@dataclass
class RemindersClient:
    """`allowed_hosts` lets tests point apiEndpoint at a local server; in production the
    endpoint must be Amazon's."""

    timeout: float = 2.0
    allowed_hosts: tuple[str, ...] = ()
    session: requests.Session = field(default_factory=requests.Session)

    def _allowed(self, endpoint: str) -> bool:
        parts = urlsplit(endpoint)
        host = parts.hostname or ""
        if f"{host}:{parts.port}" in self.allowed_hosts or host in self.allowed_hosts:
            return True
        return parts.scheme == "https" and host.endswith(AMAZON_API_SUFFIX)

    def create(self, endpoint: str, token: str, body: dict[str, object]) -> Created:
        if not self._allowed(endpoint):
            log.warning("refusing Alexa reminders call to %s", endpoint)
            return Created(CreatedStatus.FAILED)
        try:
            response = self.session.post(endpoint.rstrip("/") + PATH, json=body,
                                         timeout=self.timeout,
                                         headers={"Authorization": f"Bearer {token}"})
        except requests.RequestException as exc:
            log.info("Alexa reminders API unreachable: %s", exc)
            return Created(CreatedStatus.FAILED)
        if response.status_code in (401, 403):
            return Created(CreatedStatus.NO_PERMISSION)
        if response.status_code not in (200, 201):
            log.info("Alexa reminders API answered %s", response.status_code)
            return Created(CreatedStatus.FAILED)
        try:
            alert = response.json().get("alertToken")
        except (ValueError, AttributeError):
            alert = None
        if not alert:
            return Created(CreatedStatus.FAILED)
        return Created(CreatedStatus.CREATED, str(alert))

    def delete(self, endpoint: str, token: str, alert_token: str) -> bool:
        if not self._allowed(endpoint):
            return False
        try:
            response = self.session.delete(f"{endpoint.rstrip('/')}{PATH}/{alert_token}",
                                           timeout=self.timeout,
                                           headers={"Authorization": f"Bearer {token}"})
        except requests.RequestException:
            return False
        return response.status_code in (200, 204, 404)


@dataclass
class BoundReminders:
    """The client with this request's endpoint and token: the Turn's device-reminders
    capability (voice.turn.DeviceReminders)."""

    client: RemindersClient
    endpoint: str
    token: str
    permission: str = PERMISSION

    def create(self, *, weekday: int, local_time: str, timezone: str, locale: str, text: str,
               first: datetime, now: datetime) -> DeviceReminder:
        created = self.client.create(self.endpoint, self.token, weekly_body(
            weekday=weekday, local_time=local_time, timezone=timezone, locale=locale,
            text=text, first=first, now=now))
        return DeviceReminder(DeviceReminderStatus(created.status.value), created.alert_token)

    def delete(self, alert_token: str) -> bool:
        return self.client.delete(self.endpoint, self.token, alert_token)
