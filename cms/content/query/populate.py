"""``populate=author,tags,author.avatar`` and ``populate[<path>][fields]=a,b``: relations to fill.

The parameters become a tree of ``PopulateNode``s, checked against the type definitions before
any entry is read: every segment must be a top-level relation field the caller may see, into a
type the caller may read, and no path may be longer than the configured depth.
"""

import re
from dataclasses import dataclass, field

from cms.core.errors import parameter_error

_NAME = r"[a-z][a-z0-9_]{0,63}"
_PATH = re.compile(rf"^{_NAME}(\.{_NAME})*\Z")
_PATHS = re.compile(rf"^{_NAME}(\.{_NAME})*(,{_NAME}(\.{_NAME})*)*\Z")
_NAMES = re.compile(rf"^{_NAME}(,{_NAME})*\Z")
_KEY = re.compile(r"^populate\[([^\[\]]*)\]\[([^\[\]]*)\]\Z")
OPTIONS = ("fields",)


@dataclass
class PopulateNode:
    """One relation field to fill, the type it points at, and what to deliver of its entries."""

    path: str
    spec: object  # the relation's FieldSpec
    target: object  # the CompiledType it points at (None: a media field)
    access: object  # the caller's policy.Access to the target type (fields shown, owner; None for media)
    fields: tuple | None = None  # field names asked for (None: all the caller may read)
    children: list = field(default_factory=list)

    @property
    def name(self):
        return self.spec.name

    @property
    def many(self):
        return bool(self.spec["many"])



def parse_populate(args, compiled, readable, load_type, max_depth=3, fields=None):
    """Return the populate tree (a tuple of root PopulateNodes) of a request's arguments; 400 on misuse.

    ``readable(compiled) -> policy.Access``;
    ``load_type(name) -> CompiledType``; ``fields``: the entry's own field selection, if any.
    """
    options = _options(args)
    raw = args.get("populate")
    if raw is None:
        if options:
            key = next(iter(options.values()))[0]
            raise parameter_error(key, "List the path in populate as well, e.g. populate=author&populate[author][fields]=name.")
        return ()
    if len(args.getlist("populate")) > 1:
        raise parameter_error("populate", "Give this parameter once.")
    if not _PATHS.match(raw):
        raise parameter_error("populate", "List relation fields separated by commas, e.g. populate=author,tags,author.avatar.")
    roots, nodes = [], {}
    for path in dict.fromkeys(raw.split(",")):
        segments = path.split(".")
        if len(segments) > max_depth:
            raise parameter_error("populate", f"{path}: populate at most {max_depth} levels deep.")
        owner, siblings, access = compiled, roots, readable(compiled)
        for depth, name in enumerate(segments, start=1):
            prefix = ".".join(segments[:depth])
            if owner is None:
                raise parameter_error("populate", f"{path}: {segments[depth - 2]!r} holds media, which has no "
                                                  "relations to follow.")
            node = nodes.get(prefix)
            if node is None:
                node = nodes[prefix] = _resolve(owner, name, prefix, access, readable, load_type)
                siblings.append(node)
            owner, siblings, access = node.target, node.children, node.access
    for path, (key, names) in options.items():
        node = nodes.get(path)
        if node is None:
            raise parameter_error(key, f"{path!r} is not listed in populate.")
        node.fields = _check_fields(node, names, key)
    _check_selected(roots, fields, "fields")
    for node in nodes.values():
        _check_selected(node.children, node.fields, f"populate[{node.path}][fields]")
    return tuple(roots)


def _options(args):
    """Return ``{path: (key, field names)}`` of the ``populate[<path>][<option>]`` parameters."""
    found = {}
    for key in args:
        if not key.startswith("populate["):
            continue
        match = _KEY.match(key)
        if not match:
            raise parameter_error(key, "Write options as populate[<path>][fields]=a,b.")
        path, option = match.groups()
        if not _PATH.match(path):
            raise parameter_error(key, f"{path!r} is not a relation field or a dotted path of them.")
        if option not in OPTIONS:
            raise parameter_error(key, f"Unknown option {option!r}; use one of: {', '.join(OPTIONS)}.")
        values = args.getlist(key)
        if len(values) > 1:
            raise parameter_error(key, "Give this parameter once.")
        if not _NAMES.match(values[0]):
            raise parameter_error(key, "List field names separated by commas, e.g. name,email.")
        found[path] = (key, tuple(dict.fromkeys(values[0].split(","))))
    return found


def _resolve(owner, name, path, access, readable, load_type):
    spec = owner.by_name.get(name)
    if spec is None or not access.shows(spec):
        raise parameter_error("populate", f"{path}: {owner.name!r} has no field {name!r} you can populate.")
    if spec.type.name == "media":  # delivered as media objects (url, mime, size, dimensions, alt)
        return PopulateNode(path, spec, None, None)
    if spec.type.name != "relation":
        raise parameter_error("populate", f"{path}: {name!r} is a {spec.type.name} field; only relations can be populated.")
    target = load_type(spec["target"])
    target_access = readable(target)
    if not target_access.allowed:
        raise parameter_error("populate", f"{path}: you cannot read entries of {target.name!r}.")
    return PopulateNode(path, spec, target, target_access)


def _check_fields(node, names, key):
    if node.target is None:
        raise parameter_error(key, f"{node.path!r} holds media, which is delivered whole.")
    unknown = [name for name in names if name not in node.target.by_name
               or not node.access.shows(node.target.by_name[name])]
    if unknown:
        raise parameter_error(key, f"{node.target.name!r} has no field(s) {', '.join(unknown)}.")
    return names


def _check_selected(children, fields, key):
    """Refuse populating a relation that a field selection leaves out."""
    if fields is None:
        return
    left_out = [child.path for child in children if child.name not in fields]
    if left_out:
        raise parameter_error("populate", f"{', '.join(left_out)}: populated but not selected by {key}.")
