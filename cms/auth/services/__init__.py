"""Rules of the auth area: passwords, users, roles, tokens and sessions."""

from cms.auth.services.passwords import hash_password, verify_password  # noqa: F401
from cms.auth.services.tokens import TOKEN_PREFIX, create_token, hash_token  # noqa: F401
from cms.auth.services.users import administrator_exists, create_user, find_user  # noqa: F401
from cms.auth.services.tokens import caller_for_token  # noqa: F401


def create_token_for_email(email, name, role=None, delivery=False):
    """Create a token for the user with ``email`` (the CLI); return ``(token, secret)``."""
    from cms.auth.services.roles import find_role
    from cms.core.errors import NotFound

    user = find_user(email)
    if user is None:
        raise NotFound(f"No user with the email {email}.")
    return create_token(user, name, role=find_role(role).name if role else None,
                        kind="delivery" if delivery else "api")
