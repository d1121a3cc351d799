"""Signing in and out, password reset and change, in the admin."""

from flask import current_app, flash, redirect, request, session, url_for
from flask_login import login_user, logout_user

from cms.admin.core import bp, caller, done, field_errors, render, safe_next
from cms.auth import limits
from cms.auth.loaders import new_csrf_token
from cms.auth.services import sessions
from cms.core.errors import ApiError
from cms.extensions import db


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if caller().is_authenticated and getattr(caller(), "via", None) == "session":
            return redirect(safe_next(request.args.get("next")))
        return render("admin/login.html", email="", next=request.args.get("next", ""))
    email, password = request.form.get("email", "").strip(), request.form.get("password", "")
    try:
        limits.check_address("login")
        limits.count_attempt(email)
        user = sessions.authenticate(email, password)
        limits.clear_failures(email)
    except ApiError as error:
        db.session.commit()  # a rehash or a counted attempt is kept; nothing else was written
        status = error.status if error.status in (401, 429) else 400
        message = error.message if error.status == 429 else "The email or password is not right."
        return render("admin/login.html", status=status, email=email, next=request.form.get("next", ""),
                      error=message)
    session.clear()  # nothing from before the sign-in survives it
    signed_in = sessions.start_session(user, request.remote_addr, request.headers.get("User-Agent", ""))
    login_user(signed_in)
    new_csrf_token()
    db.session.commit()
    return redirect(safe_next(request.form.get("next")))


@bp.post("/logout")
def logout():
    user = caller()
    if getattr(user, "via", None) == "session":
        sessions.end_session(user.session_key)
        db.session.commit()
    logout_user()
    session.clear()
    flash("You are signed out.", "success")
    return redirect(url_for("admin.login"))


@bp.route("/reset-password", methods=["GET", "POST"])
def reset_request():
    token = request.args.get("token")
    if token:
        return redirect(url_for("admin.reset_confirm", token=token))
    if request.method == "GET":
        return render("admin/reset_request.html")
    try:
        limits.check_address("reset")
    except ApiError as error:
        return render("admin/reset_request.html", status=429, error=error.message)
    link = current_app.config["PASSWORD_RESET_URL"] or url_for("admin.reset_request", _external=True)
    sessions.request_reset(request.form.get("email", "").strip(), link)
    db.session.commit()
    return render("admin/reset_request.html", sent=True)


@bp.route("/reset-password/confirm", methods=["GET", "POST"])
def reset_confirm():
    token = request.values.get("token", "")
    if request.method == "GET":
        return render("admin/reset_confirm.html", token=token)
    try:
        limits.check_address("reset")
        if request.form.get("password", "") != request.form.get("password_again", ""):
            raise _mismatch("password_again")
        sessions.confirm_reset(token, request.form.get("password", ""))
    except ApiError as error:
        db.session.rollback()
        return render("admin/reset_confirm.html", status=error.status, token=token, error=error.message,
                      errors=field_errors(error))
    db.session.commit()
    flash("Your password is changed. Sign in with it.", "success")
    return redirect(url_for("admin.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    if request.method == "GET":
        return render("admin/password.html")
    try:
        limits.check_address("password")
        if request.form.get("new_password", "") != request.form.get("new_password_again", ""):
            raise _mismatch("new_password_again")
        sessions.change_password(caller(), request.form.get("current_password", ""),
                                 request.form.get("new_password", ""))
    except ApiError as error:
        db.session.rollback()
        return render("admin/password.html", status=error.status, error=error.message, errors=field_errors(error))
    db.session.commit()
    return done("Your password is changed. Your other sessions were signed out.", "admin.dashboard")


def _mismatch(field):
    from cms.core.errors import ValidationFailed

    return ValidationFailed({field: ["The two passwords differ."]}, "The two passwords differ.")
