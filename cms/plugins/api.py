"""HTTP API of the plugins: /api/plugins (what is installed, enabled and healthy in this process)."""

from dataclasses import asdict

from flask import Blueprint, current_app, jsonify
from flask_login import current_user

from cms.core.errors import NotFound
from cms.core.http import query_args
from cms.core.policy import authorize

bp = Blueprint("plugins_api", __name__, url_prefix="/api/plugins")


def _statuses():
    authorize(current_user._get_current_object(), "plugins.read")
    return current_app.extensions["folio.plugins"].status


def plugin_out(status):
    return {"type": "plugin", **asdict(status)}


@bp.get("")
def list_plugins():
    query_args(())
    statuses = _statuses()
    return jsonify({"data": [plugin_out(statuses[name]) for name in sorted(statuses)],
                    "meta": {"strict": current_app.config["PLUGINS_STRICT"]}})


@bp.get("/<name>")
def get_plugin(name):
    query_args(())
    status = _statuses().get(name)
    if status is None:
        raise NotFound(f"No plugin named {name!r} is installed.")
    return jsonify({"data": plugin_out(status)})
