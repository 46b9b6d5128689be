"""Writing and sending mail: each queued row becomes a message in its recipient's interface
language, threaded per proposal, thread or page, with absolute links and RFC 8058 one-click
unsubscribe; :func:`send_due` hands what is due to the SMTP server (``smtplib``).

Links are absolute, to ``SITE_URL`` (required with ``MAIL_SERVER``), never to a request's ``Host``.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from flask import Flask, g
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..store.call_model import call_path
from ..users import LANGUAGES, User
from . import texts
from .activity import REASONS
from .outbox import Mail, Outbox

logger = logging.getLogger(__name__)
UNSUBSCRIBE_SALT = "wiki-unsubscribe"
CONFIRM_SALT = "wiki-confirm-email"
UNSUBSCRIBE_MAX_AGE = 180 * 24 * 3600  # an unsubscribe link works for half a year
CONFIRM_MAX_AGE = 2 * 24 * 3600  # a confirmation link for two days
SMTP_TIMEOUT = 20


class BadLink(Exception):
    """A forged, damaged or expired signed link."""


@dataclass(frozen=True)
class MailSettings:
    server: str | None
    port: int
    use_tls: bool
    use_ssl: bool
    username: str | None
    password: str | None
    sender: str
    site_url: str | None
    site_name: str

    @classmethod
    def from_config(cls, config: Any) -> MailSettings:
        return cls(server=config.get("MAIL_SERVER") or None, port=int(config.get("MAIL_PORT") or 0),
                   use_tls=bool(config.get("MAIL_USE_TLS")), use_ssl=bool(config.get("MAIL_USE_SSL")),
                   username=config.get("MAIL_USERNAME") or None, password=config.get("MAIL_PASSWORD") or None,
                   sender=config.get("MAIL_FROM") or config["COMMITTER_EMAIL"],
                   site_url=config.get("SITE_URL") or None, site_name=config["SITE_NAME"])

    @property
    def enabled(self) -> bool:
        return bool(self.server)


# --------------------------------------------------------------------------- signed links


def signer(app: Flask, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=salt)


def unsubscribe_token(app: Flask, user_id: int, kinds: list[str]) -> str:
    """The signed link's token: it stops (or slows) these kinds of mail for this user."""
    return signer(app, UNSUBSCRIBE_SALT).dumps([user_id, ",".join(kinds)])


def read_unsubscribe_token(app: Flask, token: str) -> tuple[int, list[str]]:
    """``(user id, kinds)`` of a valid link; :class:`BadLink` otherwise."""
    try:
        user_id, joined = signer(app, UNSUBSCRIBE_SALT).loads(token, max_age=UNSUBSCRIBE_MAX_AGE)
        kinds = joined.split(",")
    except (BadSignature, ValueError, TypeError, AttributeError):
        raise BadLink from None
    if not isinstance(user_id, int) or not kinds or any(kind not in REASONS for kind in kinds):
        raise BadLink
    return user_id, kinds


def confirm_token(app: Flask, user_id: int, address: str) -> str:
    return signer(app, CONFIRM_SALT).dumps([user_id, address])


def read_confirm_token(app: Flask, token: str) -> tuple[int, str]:
    try:
        user_id, address = signer(app, CONFIRM_SALT).loads(token, max_age=CONFIRM_MAX_AGE)
    except (BadSignature, ValueError, TypeError):
        raise BadLink from None
    if not isinstance(user_id, int) or not isinstance(address, str):
        raise BadLink
    return user_id, address


# --------------------------------------------------------------------------- writing


class Writer:
    """Turns a queued row into a message for its recipient."""

    def __init__(self, app: Flask, settings: MailSettings) -> None:
        self.app = app
        self.settings = settings
        self.domain = settings.sender.rpartition("@")[2] or "living-wiki.invalid"

    def url(self, site: str, endpoint: str, anchor: str = "", **values: object) -> str:
        path = self.app.url_map.bind("localhost").build(endpoint, values)
        return site.rstrip("/") + path + anchor

    def site(self, mail: Mail) -> str:
        return self.settings.site_url or "http://localhost"

    def write(self, mail: Mail, user: User) -> EmailMessage:
        """The message for ``mail`` in ``user``'s interface language."""
        language = user.language if user.language in LANGUAGES else "en"
        g.mail_language = language  # force_locale needs a non-empty g outside requests
        with force_locale(language):
            kind = mail.payload.get("type")
            if kind == "confirm":
                return self._confirm(mail, user)
            if kind == "password":
                return self._password(mail, user)
            if kind == "digest":
                return self._digest(mail, user)
            return self._activity(mail, user)

    def _message(self, to: str, subject: str, body: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self.domain)
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(body)
        return message

    def _unsubscribe(self, message: EmailMessage, site: str, user: User, kinds: list[str]) -> str:
        """One-click unsubscribe (RFC 8058) from the kinds of mail this one is."""
        link = self.url(site, "mail.unsubscribe", token=unsubscribe_token(self.app, user.id, kinds))
        message["List-Unsubscribe"] = f"<{link}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        return link

    def _thread(self, message: EmailMessage, subject: str) -> None:
        """Every mail about one proposal, thread or page refers to one root id: mail clients thread them."""
        root = f"<{subject.replace('/', '.').replace(' ', '_')}@{self.domain}>"
        message["In-Reply-To"] = root
        message["References"] = root

    def link(self, site: str, payload: dict[str, object]) -> str:
        subject = str(payload.get("subject", ""))
        kind, _sep, rest = subject.partition("/")
        if kind == "proposal":
            return self.url(site, "proposals.show", number=int(rest))
        if kind == "thread":
            return self.url(site, "comments.page_comments", f"#thread-{rest}", page=payload["page"],
                            proposal=payload.get("proposal"))
        if kind == "call":
            return site.rstrip("/") + call_path(rest)
        return self.url(site, "pages.view", page=payload.get("page") or rest)

    def sentence(self, payload: dict[str, object]) -> str:
        template = texts.ACTIVITIES.get(str(payload.get("activity")), texts.ACTIVITIES["edited"])
        return _(template, actor=payload.get("actor") or _(texts.WIKI), title=payload.get("title", ""))

    def _heading(self, payload: dict[str, object]) -> str:
        subject = str(payload.get("subject", ""))
        kind, _sep, rest = subject.partition("/")
        if kind == "proposal":
            return _("Proposal %(number)s: %(title)s", number=rest, title=payload.get("title", ""))
        if kind == "thread":
            return _("Thread %(number)s on %(page)s", number=rest, page=payload.get("page", ""))
        if kind == "call":
            return _("Call for input: %(title)s", title=payload.get("title", ""))
        return str(payload.get("title", ""))

    def _footer(self, site: str, unsubscribe: str) -> str:
        return "\n".join(["", "-- ", _("Change how often you get mail: %(url)s",
                                       url=self.url(site, "auth.account", "#notifications")),
                          _("Stop these mails: %(url)s", url=unsubscribe)])

    def _activity(self, mail: Mail, user: User) -> EmailMessage:
        payload = mail.payload
        site = self.site(mail)
        reason = str(payload.get("reason", "watching"))
        message = self._message(user.email, f"[{self.settings.site_name}] {self._heading(payload)}", "")
        unsubscribe = self._unsubscribe(message, site, user, [reason])
        self._thread(message, str(payload.get("subject", "")))
        body = [self.sentence(payload), "", f"{_(texts.REASONS.get(reason, texts.REASONS['watching']))}: "
                f"{self.link(site, payload)}", self._footer(site, unsubscribe)]
        message.set_content("\n".join(body))
        return message

    def _digest(self, mail: Mail, user: User) -> EmailMessage:
        payload = mail.payload
        site = self.site(mail)
        period = str(payload.get("period", ""))
        weekly = period.startswith("weekly")
        heading = _("Your weekly digest") if weekly else _("Your daily digest")
        message = self._message(user.email, f"[{self.settings.site_name}] {heading}", "")
        kinds = [str(kind) for kind in _list(payload.get("kinds"))]
        unsubscribe = self._unsubscribe(message, site, user, kinds or ["watching"])  # every kind of the digest
        lines = [heading, ""]
        for item in _list(payload.get("items")):
            if not isinstance(item, dict):
                continue
            lines.append(f"- {self.sentence(item)}")
            lines.append(f"  {_(texts.REASONS.get(item.get('reason'), texts.REASONS['watching']))}: "
                         f"{self.link(site, item)}")
        lines.append(self._footer(site, unsubscribe))
        message.set_content("\n".join(lines))
        return message

    def _confirm(self, mail: Mail, user: User) -> EmailMessage:
        address = str(mail.payload.get("to", ""))
        site = self.site(mail)
        link = self.url(site, "mail.confirm_email", token=str(mail.payload.get("token", "")))
        body = "\n".join([_("Confirm that %(address)s is your address for mail from %(site)s by opening this link "
                            "within two days:", address=address, site=self.settings.site_name), "", link, "",
                          _("If you did not ask for this, ignore this mail.")])
        return self._message(address, f"[{self.settings.site_name}] {_('Confirm your e-mail address')}", body)


    def _password(self, mail: Mail, user: User) -> EmailMessage:
        """A password-set link: asked for on the login page, or issued by an administrator."""
        link = self.url(self.site(mail), "accounts.set_password", secret=str(mail.payload.get("secret", "")))
        hours = int(str(mail.payload.get("hours", 72)))
        if mail.payload.get("reason") == "reset":
            opening = _("Someone asked to set a new password for your account %(username)s on %(site)s. Open this "
                        "link within %(hours)s hours to choose one; it works once:", username=user.username,
                        site=self.settings.site_name, hours=hours)
            closing = _("If it was not you, ignore this mail: your password stays as it is.")
        else:
            opening = _("An administrator of %(site)s gave you this link to set the password of your account "
                        "%(username)s. Open it within %(hours)s hours; it works once:", username=user.username,
                        site=self.settings.site_name, hours=hours)
            closing = _("Then log in with your user name, %(username)s, and that password.", username=user.username)
        body = "\n".join([opening, "", link, "", closing])
        return self._message(user.email, f"[{self.settings.site_name}] {_('Set your password')}", body)


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


# --------------------------------------------------------------------------- sending


def send(settings: MailSettings, message: EmailMessage) -> None:
    """Hand one message to the SMTP server; raises ``smtplib.SMTPException`` or ``OSError``."""
    if settings.use_ssl:
        client: smtplib.SMTP = smtplib.SMTP_SSL(settings.server or "", settings.port or 465, timeout=SMTP_TIMEOUT,
                                                context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(settings.server or "", settings.port or 25, timeout=SMTP_TIMEOUT)
    with client:
        if settings.use_tls and not settings.use_ssl:
            client.starttls(context=ssl.create_default_context())
        if settings.username:
            client.login(settings.username, settings.password or "")
        client.send_message(message)


def send_due(app: Flask, outbox: Outbox, settings: MailSettings) -> int:
    """Send every due mail this process can claim (inside an app context); how many were sent."""
    if not settings.enabled:
        return 0
    writer = Writer(app, settings)
    users = app.extensions["wiki_users"]
    owner = f"{socket.gethostname()}:{os.getpid()}"
    sent = 0
    while batch := outbox.claim(owner):
        for index, mail in enumerate(batch):
            user = users.get(mail.user_id)
            if user is None or not (user.email or mail.payload.get("type") == "confirm"):
                outbox.failed(mail, "the account or its address is gone", permanent=True)
                continue
            try:
                message = writer.write(mail, user)
                send(settings, message)
            except smtplib.SMTPRecipientsRefused as error:
                outbox.failed(mail, f"refused: {error}", permanent=True)
            except (smtplib.SMTPException, OSError) as error:
                outbox.failed(mail, f"{type(error).__name__}: {error}")
                logger.warning("mail: cannot send %s: %s", mail.message_key, error)
                outbox.release(batch[index + 1:])  # the server is away: the rest waits for the next round
                return sent
            else:
                outbox.sent(mail)
                sent += 1
    return sent
