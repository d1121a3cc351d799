"""Password hashing (argon2id) and the rules a new password must follow."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from cms.core.errors import ValidationFailed

MIN_LENGTH, MAX_LENGTH = 10, 1024
_hasher = PasswordHasher()
_dummy = {}


def hash_password(password):
    return _hasher.hash(password)


def verify_password(user, password):
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def spend_verification_time(password):
    """Verify against a throwaway hash: an unknown email costs what a wrong password costs."""
    hasher = _hasher
    if _dummy.get("hasher") is not hasher:  # built lazily with the current cost settings
        _dummy.update(hasher=hasher, hash=hasher.hash("not the password of anybody"))
    try:
        hasher.verify(_dummy["hash"], password)
    except (VerificationError, InvalidHashError):
        pass
    return False


def needs_rehash(user):
    return _hasher.check_needs_rehash(user.password_hash)


def check_new_password(password, email=None, key="password"):
    """Refuse a password that is not a string, too short or long, or the email itself (422)."""
    if not isinstance(password, str):
        raise ValidationFailed({key: ["Send the password as a string."]})
    if len(password) < MIN_LENGTH:
        raise ValidationFailed({key: [f"Use at least {MIN_LENGTH} characters."]})
    if len(password) > MAX_LENGTH:
        raise ValidationFailed({key: [f"Use at most {MAX_LENGTH} characters."]})
    if email is not None and password.strip().lower() == email.strip().lower():
        raise ValidationFailed({key: ["Do not use your email as the password."]})
