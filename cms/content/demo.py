"""The demo blog that `folio seed demo` (and so `make run`) creates: a content model and its content.

Everything is created through the content services, in the caller's transaction. Pictures are
generated (a gradient per name, no downloads) and added to the media library; the definitions below
name them ``demo-…`` and the seeding swaps in the media ids.
"""

import copy
import inspect

from cms.content import services
from cms.core.errors import Conflict
from cms.core.policy import SYSTEM

ALREADY_THERE = "Demo content is already there."

TYPES = [
    {"name": "author", "label": "Author", "fields": [
        {"name": "name", "type": "string", "required": True, "max_length": 120},
        {"name": "email", "type": "email", "unique": True},
        {"name": "bio", "type": "richtext"},
        {"name": "avatar", "type": "media"},
    ]},
    {"name": "category", "label": "Category", "fields": [
        {"name": "name", "type": "string", "required": True, "unique": True, "max_length": 80},
        {"name": "slug", "type": "slug", "source": "name"},
        {"name": "description", "type": "text"},
    ]},
    {"name": "tag", "label": "Tag", "fields": [
        {"name": "name", "type": "string", "required": True, "max_length": 60},
        {"name": "slug", "type": "slug", "source": "name"},
    ]},
    {"name": "article", "label": "Article", "fields": [
        {"name": "title", "type": "string", "required": True, "max_length": 200, "indexed": True},
        {"name": "slug", "type": "slug", "source": "title"},
        {"name": "excerpt", "type": "text"},
        {"name": "body", "type": "richtext"},
        {"name": "cover", "type": "media"},
        {"name": "published_on", "type": "date", "indexed": True},
        {"name": "reading_minutes", "type": "integer", "min": 1},
        {"name": "featured", "type": "boolean", "default": False},
        {"name": "author", "type": "relation", "target": "author", "on_delete": "restrict"},
        {"name": "category", "type": "relation", "target": "category"},
        {"name": "tags", "type": "relation", "target": "tag", "many": True},
        {"name": "seo", "type": "component", "fields": [
            {"name": "meta_title", "type": "string"},
            {"name": "meta_description", "type": "text", "max_length": 300},
        ]},
        {"name": "sections", "type": "blocks", "blocks": {
            "quote": [{"name": "text", "type": "text"}, {"name": "attribution", "type": "string"}],
            "callout": [{"name": "tone", "type": "enum", "values": ["info", "warning", "success"]},
                        {"name": "body", "type": "richtext"}],
            "gallery": [{"name": "caption", "type": "string"}, {"name": "images", "type": "media", "many": True}],
        }},
    ]},
    {"name": "site_settings", "label": "Site settings", "kind": "singleton", "options": {"draft_publish": False},
     "fields": [
        {"name": "site_name", "type": "string", "required": True},
        {"name": "tagline", "type": "string"},
        {"name": "footer", "type": "richtext"},
        {"name": "social", "type": "component", "repeatable": True, "fields": [
            {"name": "network", "type": "enum", "values": ["mastodon", "bluesky", "github", "linkedin", "rss"]},
            {"name": "url", "type": "url"},
        ]},
    ]},
]

AUTHORS = {
    "maya": {"name": "Maya Lindqvist", "email": "maya@fieldnotes.example", "avatar": "demo-avatar-maya",
             "bio": "Backend engineer. Writes about **PostgreSQL**, Python and keeping systems boring."},
    "daniel": {"name": "Daniel Okafor", "email": "daniel@fieldnotes.example", "avatar": "demo-avatar-daniel",
               "bio": "Frontend developer who thinks most pages need less JavaScript than they ship."},
    "priya": {"name": "Priya Raman", "email": "priya@fieldnotes.example", "avatar": "demo-avatar-priya",
              "bio": "Runs the infrastructure. Fond of checklists, runbooks and quiet pagers."},
}

CATEGORIES = {
    "backend": {"name": "Backend", "description": "Databases, APIs and the code between them."},
    "frontend": {"name": "Frontend", "description": "HTML, CSS and the parts of the web people touch."},
    "operations": {"name": "Operations", "description": "Deploying, monitoring and recovering."},
    "practice": {"name": "Practice", "description": "How we work together: reviews, on-call, writing."},
}

TAGS = ["Python", "PostgreSQL", "CSS", "Testing", "Performance", "Deployment"]


def _md(text):
    return inspect.cleandoc(text)


def _quote(text, attribution):
    return {"type": "quote", "value": {"text": text, "attribution": attribution}}


def _callout(tone, body):
    return {"type": "callout", "value": {"tone": tone, "body": body}}


def _gallery(caption, *images):
    return {"type": "gallery", "value": {"caption": caption, "images": list(images)}}


def _article(title, author, category, tags, published_on, excerpt, body, **extra):
    return {"title": title, "author": author, "category": category, "tags": tags, "published_on": published_on,
            "excerpt": excerpt, "body": _md(body), **extra}


ARTICLES = [
    _article("Why we keep our schema migrations boring", "maya", "backend", ["PostgreSQL", "Deployment"],
             "2025-01-14", "Small, reversible, one-idea migrations have saved us more nights than any tool.", """
        Every team has a migration story. Ours involved a column rename, a Friday and a very long table lock.

        ## The rules we settled on
        - One idea per migration: add a column *or* backfill it *or* drop the old one, never all three.
        - Every migration runs while the old code is still serving traffic.
        - Backfills run in batches, outside the migration.

        ```sql
        ALTER TABLE articles ADD COLUMN summary text;  -- fast: no rewrite, no default
        ```

        The PostgreSQL manual explains which
        [ALTER TABLE forms take which locks](https://www.postgresql.org/docs/current/sql-altertable.html).
        Read it once; it pays for itself the first time you avoid an outage.
        """, featured=True,
        sections=[_callout("warning", "Adding a column with a volatile default rewrites the table.")]),
    _article("Indexing JSON columns in PostgreSQL", "maya", "backend", ["PostgreSQL", "Performance"],
             "2025-02-03", "Expression indexes make filters on JSON values as fast as on ordinary columns.", """
        Storing documents as `jsonb` is convenient until the first slow filter shows up in the logs.

        ## Two kinds of index
        1. A **GIN** index answers containment queries (`@>`) on the whole document.
        2. An **expression** index on one key answers equality and range filters on that key.

        ```sql
        CREATE INDEX ix_entries_title ON entries ((data ->> 'title'));
        ```

        The second is usually what you want for sorting and filtering. See the manual's
        [jsonb indexing section](https://www.postgresql.org/docs/current/datatype-json.html#JSON-INDEXING).
        """),
    _article("One transaction per test", "maya", "backend", ["Python", "Testing"],
             "2025-02-20", "Fast, isolated database tests without recreating the schema for every test.", """
        Our test suite used to drop and recreate every table per test. It took eleven minutes.

        ## The trick
        Open one connection, begin a transaction, bind the session to it, and roll back at the end:

        ```python
        connection = engine.connect()
        outer = connection.begin()
        yield session_bound_to(connection)
        outer.rollback()
        ```

        - Application code may still call `commit()`: it commits a savepoint.
        - Nothing leaks between tests, and the schema is built once per run.

        SQLAlchemy documents the pattern as [joining a session into an external
        transaction](https://docs.sqlalchemy.org/en/20/orm/session_transaction.html).
        """, sections=[_quote("Make it work, make it right, make it fast.", "Kent Beck")]),
    _article("Container queries in production", "daniel", "frontend", ["CSS"],
             "2025-03-05", "Components that respond to their own width, not the viewport's.", """
        Media queries ask how wide the *window* is. A card in a sidebar does not care about the window.

        ## What changed for us
        - Cards lay themselves out from the width of their container.
        - The same component works in the sidebar, the grid and the article footer.

        ```css
        .card-list { container-type: inline-size; }
        @container (min-width: 30rem) { .card { display: grid; grid-template-columns: 8rem 1fr; } }
        ```

        MDN has a clear
        [guide to container queries](https://developer.mozilla.org/en-US/docs/Web/CSS/CSS_containment/Container_queries).
        """, sections=[_gallery("The same card at two container widths", "demo-gallery-card-1", "demo-gallery-card-2")]),
    _article("Shipping less JavaScript", "daniel", "frontend", ["Performance", "CSS"],
             "2025-03-26", "Progressive enhancement is not nostalgia; it is the fastest page you can ship.", """
        We audited our pages and found that most of the JavaScript we shipped did things HTML already does.

        ## What we replaced
        - Custom dropdowns with `<details>` and `<summary>`.
        - A modal library with the `<dialog>` element.
        - Client-side form validation with `required` and `pattern`.

        ```html
        <dialog id="confirm"><form method="dialog"><button>Close</button></form></dialog>
        ```

        The result: a third of the bytes and pages that work before the scripts load. MDN explains
        [progressive enhancement](https://developer.mozilla.org/en-US/docs/Glossary/Progressive_Enhancement) well.
        """, featured=True, sections=[_callout("success", "Our largest page went from 410 kB of script to 96 kB.")]),
    _article("The accessible forms checklist we actually use", "daniel", "frontend", ["Testing", "CSS"],
             "2025-04-10", "Seven checks that catch most form problems before a screen reader user does.", """
        Accessibility audits find the same form problems again and again, so we wrote them down.

        ## The checklist
        1. Every input has a visible `<label>` tied to it with `for`.
        2. Errors are announced, not only coloured red.
        3. Required fields say so in text.
        4. The form works with a keyboard alone.

        ```html
        <label for="email">Email (required)</label>
        <input id="email" type="email" required aria-describedby="email-help">
        ```

        The W3C's [forms tutorial](https://www.w3.org/WAI/tutorials/forms/) covers each point in depth.
        """),
    _article("Zero-downtime deploys with gunicorn", "priya", "operations", ["Deployment", "Python"],
             "2025-04-29", "Rolling restarts, health checks and why the load balancer must know first.", """
        A deploy should be a non-event. Ours were not, until we changed the order of three steps.

        ## The order that works
        1. Take one instance out of the load balancer and wait for its connections to drain.
        2. Restart it and wait until `/readyz` answers 200.
        3. Put it back, then move on to the next instance.

        ```bash
        kill -HUP "$(cat /run/gunicorn.pid)"  # graceful reload of the workers
        ```

        Gunicorn's [signal handling](https://docs.gunicorn.org/en/stable/signals.html) page explains
        what each signal does.
        """, featured=True, sections=[_quote("Deploys should be boring enough to do on a Friday.", "Priya Raman")]),
    _article("Our first month of on-call", "priya", "practice", ["Deployment"],
             "2025-05-15", "What we changed after thirty days of being paged.", """
        We started an on-call rotation in April. Here is what a month of pages taught us.

        ## What we changed
        - Every alert links to a runbook, or it is deleted.
        - Alerts fire on symptoms users see, not on CPU graphs.
        - The person on call owns no feature work that week.

        ```yaml
        alert: HighErrorRate
        expr: rate(http_requests_total{status=~"5.."}[5m]) > 0.05
        ```

        Google's SRE book has a thoughtful chapter on [being on-call](https://sre.google/sre-book/being-on-call/).
        """),
    _article("Backups you have actually restored", "priya", "operations", ["PostgreSQL", "Deployment"],
             "2025-06-02", "A backup nobody has restored is a hope, not a backup.", """
        We take backups every night. Until last spring, we had never restored one on purpose.

        ## Our monthly drill
        1. Restore last night's base backup to a fresh machine.
        2. Replay the write-ahead log to a chosen point in time.
        3. Run the smoke tests against it and record how long it all took.

        ```bash
        pg_basebackup -D /restore/base -X stream -P
        ```

        The manual's chapter on
        [continuous archiving](https://www.postgresql.org/docs/current/continuous-archiving.html)
        is the reference for point-in-time recovery.
        """, sections=[_callout("info", "Our last drill restored 40 GB in 23 minutes.")]),
    _article("Review comments people want to read", "daniel", "practice", ["Testing"],
             "2025-06-18", "Code review is a conversation; write your half of it well.", """
        A review comment is read by someone who worked hard on the change. Write it that way.

        ## Habits that help
        - Say *why*, not just *what*: "this query runs per row" beats "fix this".
        - Mark optional suggestions as optional.
        - Praise the good parts; it tells people what to keep doing.

        ```diff
        - for user in users: load_orders(user)
        + orders = load_orders_for(users)
        ```

        Google's [guide to review comments](https://google.github.io/eng-practices/review/reviewer/comments.html)
        is short and worth sharing.
        """),
    _article("Caching strategies for a headless CMS", "maya", "backend", ["Performance"],
             None, "ETags, cache headers and when to purge a CDN.", """
        Draft: a headless CMS serves the same published content to many readers, so caching matters.

        ## Layers
        - `ETag` and `If-None-Match` so clients revalidate cheaply.
        - `Cache-Control` with a short `max-age` for public content.
        - A CDN purge when an entry is published.

        ```http
        Cache-Control: public, max-age=60, stale-while-revalidate=300
        ```

        TODO: measurements.
        Background reading: [HTTP caching on MDN](https://developer.mozilla.org/en-US/docs/Web/HTTP/Caching).
        """, draft=True),
    _article("A week without a framework", "daniel", "frontend", ["CSS", "Performance"],
             None, "Building a small site with web components and no build step.", """
        Draft: for one week I built our internal status page with no framework and no bundler.

        ## First impressions
        - Web components cover more than I expected.
        - I missed a router less than I expected.

        ```js
        customElements.define("status-badge", class extends HTMLElement {});
        ```

        More to come.
        Reference: [web components on MDN](https://developer.mozilla.org/en-US/docs/Web/API/Web_components).
        """, draft=True),
]

SITE_SETTINGS = {
    "site_name": "Field Notes",
    "tagline": "Notes on building and running small, durable web software.",
    "footer": "© 2025 Field Notes. Written by humans; served by [Folio](https://fieldnotes.example/about).",
    "social": [
        {"network": "mastodon", "url": "https://mastodon.example/@fieldnotes"},
        {"network": "github", "url": "https://github.example/fieldnotes"},
        {"network": "rss", "url": "https://fieldnotes.example/feed.xml"},
    ],
}


def demo_model_present(actor=SYSTEM):
    """Return True if the demo model exists, False if none of it does; raise Conflict otherwise."""
    existing = {row.name: row for row in services.list_types(actor)}
    found = [definition for definition in TYPES if definition["name"] in existing]
    for definition in found:
        problem = _mismatch(definition, existing[definition["name"]])
        if problem:
            raise Conflict(f"A content type named {definition['name']!r} exists and is not the demo's ({problem}); "
                           "nothing was changed.")
    if found and len(found) < len(TYPES):
        missing = ", ".join(d["name"] for d in TYPES if d["name"] not in existing)
        raise Conflict(f"Only part of the demo model exists (missing: {missing}); nothing was changed.")
    return bool(found)


def _mismatch(definition, row):
    """Describe how an existing type differs in shape from the demo's definition, or return None."""
    kind = definition.get("kind", "collection")
    if row.kind != kind:
        return f"it is a {row.kind}, not a {kind}"
    fields = {field["name"]: field for field in row.fields}
    for wanted in definition["fields"]:
        have = fields.get(wanted["name"])
        if have is None:
            return f"it has no field {wanted['name']!r}"
        if have["type"] != wanted["type"] or have.get("target") != wanted.get("target"):
            return f"its field {wanted['name']!r} is a {have['type']}, not a {wanted['type']}"
    return None


def seed_demo(actor=SYSTEM):
    """Create the demo model and content; return counts, or None if the demo is already there."""
    if demo_model_present(actor):
        return None
    pictures = {}
    for definition in TYPES:
        services.create_type(copy.deepcopy(definition), actor)
    authors = {key: _create("author", values, actor, pictures=pictures) for key, values in AUTHORS.items()}
    categories = {key: _create("category", values, actor) for key, values in CATEGORIES.items()}
    tags = {name: _create("tag", {"name": name}, actor) for name in TAGS}
    drafts = 0
    for index, article in enumerate(ARTICLES, start=1):
        values = _article_values(article, index, authors, categories, tags)
        _create("article", values, actor, publish=not article.get("draft"), pictures=pictures)
        drafts += bool(article.get("draft"))
    _create("site_settings", SITE_SETTINGS, actor, pictures=pictures)
    return {"types": len(TYPES), "pictures": len(pictures), "authors": len(authors), "categories": len(categories), "tags": len(tags),
            "articles": len(ARTICLES), "drafts": drafts}


def _article_values(article, index, authors, categories, tags):
    values = {key: value for key, value in article.items() if key != "draft" and value is not None}
    values["author"] = authors[article["author"]]
    values["category"] = categories[article["category"]]
    values["tags"] = [tags[name] for name in article["tags"]]
    values["cover"] = f"demo-cover-{index:02d}"
    values["reading_minutes"] = max(1, round(len(article["body"].split()) / 200))
    values["seo"] = {"meta_title": f"{article['title']} | Field Notes", "meta_description": article["excerpt"]}
    return values


def _picture(name, actor, pictures):
    """Return the media id of the generated picture ``name`` (made once; the same bytes are stored once)."""
    if name not in pictures:
        import hashlib
        import io

        from PIL import Image

        from cms.media import services as media

        hue = hashlib.sha256(name.encode()).digest()
        start, end = (hue[0], hue[1], hue[2]), (hue[3], hue[4], hue[5])
        image = Image.linear_gradient("L").resize((480, 300)).convert("RGB")
        image = Image.merge("RGB", [channel.point(lambda v, a=a, b=b: a + (b - a) * v // 255)
                                    for channel, a, b in zip(image.split(), start, end, strict=True)])
        out = io.BytesIO()
        image.save(out, "PNG")
        out.seek(0)
        item, _created = media.upload(out, f"{name.removeprefix('demo-')}.png", actor,
                                      {"alt": name.removeprefix("demo-").replace("-", " ").capitalize(),
                                       "folder": "/demo"})
        pictures[name] = item.id
    return pictures[name]


def _with_pictures(value, actor, pictures):
    """Swap every ``demo-…`` placeholder in ``value`` for the id of its generated picture."""
    if isinstance(value, str) and value.startswith("demo-"):
        return _picture(value, actor, pictures)
    if isinstance(value, list):
        return [_with_pictures(item, actor, pictures) for item in value]
    if isinstance(value, dict):
        return {key: _with_pictures(item, actor, pictures) for key, item in value.items()}
    return value


def _create(type_name, values, actor, publish=True, pictures=None):
    """Create one entry (published unless told otherwise) and return its id."""
    values = _with_pictures(copy.deepcopy(values), actor, {} if pictures is None else pictures)
    compiled, entry = services.create_entry(type_name, values, actor)
    if publish and compiled.draft_publish:
        services.publish_entry(type_name, entry.id, actor)
    return entry.id
