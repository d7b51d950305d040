"""Words core says to a person (a checklist reason, why a URL is refused) in English, keeping
the template and its values so the web layer can say them in the staff member's language
(fulfillment.web.i18n.say; the templates are catalog messages, extracted by `make i18n`)."""

from __future__ import annotations


class Reason(str):
    """`template % params`, in English, that remembers its template and values (a value may
    itself be a Reason: "BASE_URL is not public: <why>")."""

    template: str
    params: dict[str, str]


def N_(template: str, **params: object) -> Reason:
    """A Reason; named `N_` so `make i18n` extracts the template."""
    values = {k: v if isinstance(v, str) else str(v) for k, v in params.items()}
    reason = Reason(template % values if values else template)
    reason.template, reason.params = template, values
    return reason
