"""Coach and admin accounts: argon2 passwords, login with lockout, console sessions (cookie
token + CSRF token) and bearer tokens for the JSON API. Only hashes of secrets are stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from resources_db.coaching import ROLES, ApiToken, CoachSession, CoachUser

MAX_FAILED_LOGINS = 5  # then the account is locked for LOCKOUT
LOCKOUT = dt.timedelta(minutes=15)
SESSION_LIFETIME = dt.timedelta(hours=12)  # one working day
TOKEN_LIFETIME = dt.timedelta(days=30)
MIN_PASSWORD_CHARS = 12

_hasher = PasswordHasher()
# Verified when the email is unknown, so a login takes as long either way.
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")


class AccountError(ValueError):
    """A clear, user-facing reason an account operation was refused."""


@dataclass(frozen=True)
class Coach:
    """The signed-in person, as routes see them (no password hash)."""

    id: int
    email: str
    display_name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class ConsoleLogin:
    coach: Coach
    csrf_token: str


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    # SQLite gives naive datetimes back; they were written in UTC.
    return moment.replace(tzinfo=dt.UTC) if moment is not None and moment.tzinfo is None \
        else moment


def hash_secret(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def as_coach(user: CoachUser) -> Coach:
    return Coach(id=user.id, email=user.email, display_name=user.display_name, role=user.role)


def normal_email(email: str) -> str:
    return email.strip().lower()


def add_coach(session: Session, email: str, password: str, role: str = "coach",
              display_name: str | None = None) -> Coach:
    email = normal_email(email)
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if "@" not in email or len(email) > 254:
        raise AccountError("that does not look like an email address")
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"the password needs at least {MIN_PASSWORD_CHARS} characters")
    if session.scalar(select(CoachUser).where(CoachUser.email == email)) is not None:
        raise AccountError(f"{email} already has an account")
    user = CoachUser(email=email, display_name=(display_name or email.split("@")[0])[:80],
                     password_hash=_hasher.hash(password), role=role, active=True,
                     failed_logins=0)
    session.add(user)
    session.commit()
    return as_coach(user)


def disable_coach(session: Session, email: str) -> None:
    user = session.scalar(select(CoachUser).where(CoachUser.email == normal_email(email)))
    if user is None:
        raise AccountError(f"no account for {normal_email(email)}")
    user.active = False
    # Signed-in sessions and tokens stop working at once.
    session.execute(delete(CoachSession).where(CoachSession.coach_id == user.id))
    session.execute(delete(ApiToken).where(ApiToken.coach_id == user.id))
    session.commit()


def authenticate(session: Session, email: str, password: str) -> Coach:
    """The coach for these credentials; AccountError with a reason a person can act on."""
    user = session.scalar(select(CoachUser).where(CoachUser.email == normal_email(email)))
    if user is None or not user.active:
        try:
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        raise AccountError("wrong email or password")
    now = _now()
    locked_until = _aware(user.locked_until)
    if locked_until is not None and locked_until > now:
        raise AccountError("too many failed logins: this account is locked for a few minutes")
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until, user.failed_logins = now + LOCKOUT, 0
        session.commit()
        raise AccountError("wrong email or password") from None
    user.failed_logins, user.locked_until = 0, None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    session.commit()
    return as_coach(user)


def start_console_session(session: Session, coach: Coach) -> tuple[str, str]:
    """(cookie token, CSRF token) for a fresh console login."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.execute(delete(CoachSession).where(CoachSession.expires_at < _now()))
    session.add(CoachSession(token_hash=hash_secret(token), coach_id=coach.id, csrf_token=csrf,
                             expires_at=_now() + SESSION_LIFETIME))
    session.commit()
    return token, csrf


def console_login(session: Session, token: str | None) -> ConsoleLogin | None:
    if not token:
        return None
    row = session.get(CoachSession, hash_secret(token))
    if row is None or _aware(row.expires_at) < _now():
        return None
    user = session.get(CoachUser, row.coach_id)
    if user is None or not user.active:
        return None
    return ConsoleLogin(as_coach(user), row.csrf_token)


def end_console_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(CoachSession).where(CoachSession.token_hash == hash_secret(token)))
        session.commit()


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected, given)


def issue_api_token(session: Session, coach: Coach) -> tuple[str, dt.datetime]:
    token = "nav_" + secrets.token_urlsafe(32)
    expires = _now() + TOKEN_LIFETIME
    session.add(ApiToken(token_hash=hash_secret(token), coach_id=coach.id, expires_at=expires))
    session.commit()
    return token, expires


def bearer_coach(session: Session, token: str | None) -> Coach | None:
    if not token:
        return None
    row = session.get(ApiToken, hash_secret(token))
    if row is None or _aware(row.expires_at) < _now():
        return None
    user = session.get(CoachUser, row.coach_id)
    return as_coach(user) if user is not None and user.active else None


def coach_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(CoachUser)) or 0
