"""Messages core raises that merchant pages show (form field errors, refused links): core
says them in English and knows nothing of the staff member's language, so they are listed
here for `make i18n`; pages translate them where shown (`|tr`, fulfillment.web.i18n). A
message missing here stays English: tests/test_merchant_languages.py walks the pages."""

from __future__ import annotations

from fulfillment.web.i18n import N_

MESSAGES = (
    # core.signed_tokens, core.staff_accounts
    N_("This link is not valid."), N_("This link has expired; ask for a new one."),
    N_("This link was already used or is no longer valid."),
    N_("Use 1-64 lowercase letters, digits and dashes (not starting or ending with a dash)."),
    N_("An account with this email exists; sign in or reset the password."),
    N_("Choose owner, manager or support."), N_("This person already has an account."),
    N_("That address is taken; choose another."),
    N_("Only an owner can invite another owner."), N_("No such member of this shop."),
    N_("A shop keeps at least one owner."), N_("Enter a valid email address."),
    N_("Choose English, Deutsch or Русский."),
    # core.password_policy (MIN_LENGTH 12, MAX_LENGTH as said there)
    N_("Use at least 12 characters."), N_("Use at most 256 characters."),
    N_("Do not use your email address in the password."),
    N_("That password is one of the most common ones; choose another."),
    # core.shop_settings, core.credentials, core.webhook_settings, core.url_guard
    N_("Give the shop a name (up to 200 characters)."),
    N_("Choose a currency in use (ISO 4217), such as USD, EUR or RUB."),
    N_("Use a time zone name such as Europe/Berlin."),
    N_("Use a colour like #1a7f5a (# and six hex digits)."),
    N_("This shop no longer exists."),
    N_("Use 2-50 letters and spaces (the words people say to open the skill)."),
    N_("Choose manager (read and write) or support (read only)."),
    N_("Unknown event type."), N_("Set a URL for this event first."),
    # core.programs and the program form (fulfillment/web/program/forms.py)
    N_("Not a valid value."), N_("A whole number."), N_("An amount like 10.00"),
    N_("An amount like 10.0"), N_("An amount like 10.000"),
    N_("An amount like 50.00, or 0 for no minimum."),
    N_("One of 0, 7, 14, 30, 60, 90 days."),
    N_("At most 300 characters, for a locale like en or de-DE."),
    N_("A whole number from 1 to 999999."),
    N_("Choose one of: points, percent_discount, fixed_discount, gift_card, cash."),
    # fulfillment.web.forms, auth, settings
    N_("Please try again"),
    N_("This form expired or did not come from this site. Reload the page and send it again."),
    N_("Not your shop."), N_("Shop deleted"),
    # the assistants' connect forms (voice/platforms/*/connect.py) and their shown-once keys
    N_("An Alexa skill id looks like amzn1.ask.skill.1a2b3c4d-…; copy it from the developer "
       "console (Build → Endpoint)."),
    N_("An Alice skill id is a UUID like 1a2b3c4d-0000-4000-8000-123456789abc (Яндекс Диалоги "
       "→ your skill → Общие сведения)."),
    N_("An OAuth token from oauth.yandex.ru: 20–200 letters, digits, _ . -"),
    N_("Needed to upload QR images to Alice."), N_("Set a header secret, basic auth, or both."),
    N_("The audience the ID token is issued for: usually this shop's webhook URL above."),
    N_("service-<PROJECT_NUMBER>@gcp-sa-dialogflow.iam.gserviceaccount.com (IAM → Service "
       "agents in your Google Cloud project)."),
    N_("Letters, digits and dashes only, and not a standard header (Authorization, Host …)."),
    N_("A user name without spaces or colons."),
    N_("At least 24 characters; leave it empty and we make one."), N_("Unknown assistant."),
    N_("dialogflow_es_secret"), N_("client_id"), N_("client_secret"),
    N_("salute_path_token"),
    N_("A SmartApp Studio project id is a UUID like 3fa85f64-5717-4562-b3fc-2c963f66afa6 "
       "(Studio → your project → Настройки → ID проекта)."),
    # the program editor's preview (voice/platforms/*/preview.py block titles)
    N_("Alexa (SSML)"), N_("Alice (TTS)"), N_("Alice (text on screen)"),
    N_("Dialogflow (text)"), N_("Salute (SSML)"), N_("Salute (bubble on screen)"),
    # werkzeug's descriptions for an abort() without one (fulfillment/errors.py shows them)
    N_("The browser (or proxy) sent a request that this server could not understand."),
    N_("The server could not verify that you are authorized to access the URL "
       "requested. You either supplied the wrong credentials (e.g. a bad password), or"
       " your browser doesn't understand how to supply the credentials required."),
    N_("You don't have the permission to access the requested resource. It is either "
       "read-protected or not readable by the server."),
    N_("The requested URL was not found on the server. If you entered the URL manually"
       " please check your spelling and try again."),
    N_("The method is not allowed for the requested URL."),
    N_("The data value transmitted exceeds the capacity limit."),
    N_("This user has exceeded an allotted request count. Try again later."),
    N_("The request was well-formed but was unable to be followed due to semantic "
       "errors."),
    N_("Something went wrong on our side."),
)
