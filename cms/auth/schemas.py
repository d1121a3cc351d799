"""What the auth routes return. Password hashes, token hashes and session keys never appear."""

from cms.core.db import isoformat


def user_out(user):
    return {
        "id": user.id, "email": user.email, "name": user.name, "role": user.role, "active": user.active,
        "created_at": isoformat(user.created_at), "updated_at": isoformat(user.updated_at),
        "last_login_at": isoformat(user.last_login_at),
    }


def role_out(role, users=None):
    out = {
        "name": role.name, "label": role.label, "description": role.description, "builtin": role.builtin,
        "permissions": role.permissions, "version": role.version,
        "created_at": isoformat(role.created_at), "updated_at": isoformat(role.updated_at),
    }
    if users is not None:
        out["users"] = users
    return out


def token_out(token):
    return {
        "id": token.id, "name": token.name, "kind": token.kind, "role": token.role,
        "permissions": token.permissions, "prefix": token.prefix,
        "user": {"id": token.user.id, "email": token.user.email},
        "created_at": isoformat(token.created_at), "expires_at": isoformat(token.expires_at),
        "last_used_at": isoformat(token.last_used_at), "revoked_at": isoformat(token.revoked_at),
    }


def caller_out(caller):
    """``GET /api/auth/me``: who is calling and what they may do."""
    grants = caller.grants
    out = {"authenticated": bool(caller.is_authenticated), "via": getattr(caller, "via", "anonymous"),
           "user": user_out(caller.user) if getattr(caller, "user", None) is not None else None,
           "permissions": [p.to_json() for p in grants.permissions]}
    if getattr(caller, "token", None) is not None:
        out["token"] = {"id": caller.token.id, "name": caller.token.name, "kind": caller.token.kind}
    return out
