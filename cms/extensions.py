"""Unbound extensions; ``create_app`` binds them. Nothing here connects or registers on import."""

from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy

from cms.core.db import Base

db = SQLAlchemy(model_class=Base, session_options={"join_transaction_mode": "create_savepoint"})
login_manager = LoginManager()
