"""`folio types export|diff|import`: move a content model between environments."""

import json
import os

import click
from flask.cli import with_appcontext

from cms.content.services import contract, model_io
from cms.core.errors import ApiError, ValidationFailed
from cms.core.policy import SYSTEM
from cms.extensions import db

_EXTENSIONS = {".json": "json", ".yaml": "yaml", ".yml": "yaml"}
_FORMAT = click.option("--format", "fmt", type=click.Choice(model_io.FORMATS),
                       help="File format (default: from the file extension; JSON for '-').")


class DiffFailed(click.ClickException):
    """A failure of `types diff`: exit 2, so that 1 keeps meaning "there are changes"."""

    exit_code = 2


@click.group("types")
def group():
    """Export, compare and import content types (JSON or YAML model files)."""


@group.command("export")
@click.argument("names", nargs=-1)
@click.option("-o", "--output", default="-", show_default=True, help="File to write, '-' for stdout.")
@_FORMAT
@with_appcontext
def export(names, output, fmt):
    """Write the definitions of NAMES (default: every type) with their field ids."""
    fmt = _format_of(output, fmt)
    try:
        document = model_io.export_model(list(names), actor=SYSTEM)
    except ApiError as exc:
        raise click.ClickException(_reason(exc)) from None
    finally:
        db.session.rollback()
    text = model_io.dump_model(document, fmt)
    if output == "-":
        click.echo(text, nl=False)
        return
    try:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise click.ClickException(f"Cannot write {output}: {exc.strerror}.") from None
    total = len(document["types"])
    click.echo(f"Exported {total} type{'' if total == 1 else 's'} to {output}.", err=True)


@group.command("diff")
@click.argument("file")
@_FORMAT
@click.option("--exit-code", is_flag=True, help="Exit 1 when importing FILE would change something.")
@with_appcontext
def diff(file, fmt, exit_code):
    """Show what importing FILE would change (exit 2 on errors)."""
    try:
        plan = model_io.plan_import(_read(file, fmt), SYSTEM)
    except (ApiError, click.ClickException) as exc:
        raise DiffFailed(exc.message if isinstance(exc, click.ClickException) else _reason(exc)) from None
    finally:
        db.session.rollback()
    changed = _echo_plan(plan)
    if not changed:
        click.echo("No changes.")
    if exit_code and changed:
        raise SystemExit(1)


@group.command("import")
@click.argument("file")
@_FORMAT
@click.option("--dry-run", is_flag=True, help="Check and report, then roll everything back.")
@with_appcontext
def import_(file, fmt, dry_run):
    """Create and update the types in FILE; types not in FILE are left alone."""
    document = _read(file, fmt)
    try:
        report = model_io.import_model(document, SYSTEM, dry_run=dry_run)
    except ApiError as exc:
        db.session.rollback()
        raise click.ClickException(_reason(exc)) from None
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    changed = _echo_plan(report)
    for item in report:
        if item.get("invalid_count"):
            click.echo(f"{item['type']}: {item['invalid_count']} entries no longer validate; fix them or the type.")
    counts = {action: sum(item["action"] == action for item in report) for action in ("create", "update", "unchanged")}
    summary = f"{counts['create']} created, {counts['update']} updated, {counts['unchanged']} unchanged"
    if dry_run:
        click.echo(f"Dry run ({summary}): nothing was changed." if changed else "Dry run: no changes.")
    else:
        click.echo(f"Imported: {summary}." if changed else "No changes.")


@group.command("typescript")
@click.option("-o", "--output", default="-", show_default=True, metavar="FILE",
              type=click.Path(dir_okay=False, writable=True, allow_dash=True),
              help="Where to write the declarations; - is stdout.")
@with_appcontext
def typescript_(output):
    """Write TypeScript interfaces of the whole content model (as GET /api/types.ts gives them)."""
    source = contract.typescript_source(SYSTEM)
    with click.open_file(output, "w", encoding="utf-8") as stream:
        stream.write(source)


def _format_of(path, fmt):
    if fmt:
        return fmt
    if path == "-":
        return "json"
    extension = os.path.splitext(path)[1].lower()
    if extension not in _EXTENSIONS:
        raise click.ClickException(f"Cannot tell the format of {path!r} from its extension; pass --format json|yaml.")
    return _EXTENSIONS[extension]


def _read(path, fmt):
    fmt = _format_of(path, fmt)
    try:
        with click.open_file(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise click.ClickException(f"Cannot read {path}: {exc.strerror}.") from None
    except UnicodeDecodeError:
        raise click.ClickException(f"Cannot read {path}: it is not UTF-8 text.") from None
    try:
        return model_io.read_model(text, fmt)
    except ApiError as exc:
        raise click.ClickException(_reason(exc)) from None


def _reason(exc):
    """Return one line: the message, then each field error as ``path: message``."""
    if not isinstance(exc, ValidationFailed):
        return exc.message
    problems = "; ".join(f"{path}: {message}" for path, message in _flatten(exc.details.get("fields")))
    return f"{exc.message} {problems}".strip() if problems else exc.message


def _flatten(messages, prefix=""):
    if isinstance(messages, dict):
        for key, value in messages.items():
            yield from _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(messages, list) and all(isinstance(item, str) for item in messages):
        yield prefix or "file", " ".join(messages)
    elif isinstance(messages, list):
        for index, value in enumerate(messages):
            yield from _flatten(value, f"{prefix}.{index}" if prefix else str(index))
    else:
        yield prefix or "file", str(messages)


def _echo_plan(report):
    """Print one line per operation; return whether anything would change."""
    changed = False
    for item in report:
        name, action = item["type"], item["action"]
        if action == "not_in_file":
            click.echo(f"{name}: not in the file (left alone)")
            continue
        if action == "create":
            click.echo(f"{name}: create type")
        else:
            for operation in item["changes"]:
                click.echo(f"{name}: {describe(operation)}")
        changed = changed or action in ("create", "update")
    return changed


def describe(operation):
    """Return a readable line for one operation of ``changes.plan_changes``."""
    op = operation["op"]
    if op == "create_type":
        return "create type"
    if op == "change_type":
        return "change " + ", ".join(_change(key, value) for key, value in operation["changes"].items())
    if op == "add_field":
        return f"add field {operation['field']} ({operation['field_type']})"
    if op == "rename_field":
        return f"rename field {operation['from']} -> {operation['to']}"
    if op == "change_field":
        details = ", ".join(_change(key, value) for key, value in operation["changes"].items())
        return f"change field {operation['field']}: {details}"
    if op == "remove_field":
        return f"remove field {operation['field']}"
    if op == "reorder_fields":
        return "reorder fields: " + ", ".join(operation["order"])
    return json.dumps(operation, sort_keys=True)


def _change(key, value):
    before, after = (json.dumps(value[side], ensure_ascii=False) for side in ("from", "to"))
    return f"{key} {before} -> {after}"
