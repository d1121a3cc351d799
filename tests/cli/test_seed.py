import sqlalchemy as sa

from cms.cli import cli
from cms.content import demo, services
from cms.content.models import ContentType, Entry, EntryRelation, Revision
from cms.core.policy import SYSTEM
from tests.conftest import table_count

DEMO_TYPES = {"author", "category", "tag", "article", "site_settings"}
DRAFT_TITLES = {article["title"] for article in demo.ARTICLES if article.get("draft")}


def seed(app):
    return app.test_cli_runner().invoke(cli, ["seed", "demo"])


def entries_per_type(db):
    rows = db.session.execute(
        sa.select(ContentType.name, sa.func.count(Entry.id)).join(Entry, Entry.type_id == ContentType.id)
        .group_by(ContentType.name)
    ).all()
    return dict(rows)


def snapshot():
    return {model.__name__: table_count(model) for model in (ContentType, Entry, Revision, EntryRelation)}


def test_seeding_creates_the_demo_types_and_entries(app, db):
    result = seed(app)

    assert result.exit_code == 0, result.output
    assert "12 articles (10 published, 2 drafts)" in result.output
    assert {row.name for row in services.list_types(SYSTEM)} == DEMO_TYPES
    assert entries_per_type(db) == {"author": 3, "category": 4, "tag": 6, "article": 12, "site_settings": 1}
    statuses = db.session.scalars(
        sa.select(Entry.status).join(ContentType, Entry.type_id == ContentType.id).where(ContentType.name == "article")
    ).all()
    assert statuses.count("draft") == 2 and statuses.count("published") == 10


def test_anonymous_readers_see_only_the_published_articles(app, db, client):
    seed(app)

    response = client.get("/api/content/article?per_page=100")

    assert response.status_code == 200, response.json
    titles = {item["title"] for item in response.json["data"]}
    assert response.json["meta"]["total"] == len(titles) == 10
    assert titles.isdisjoint(DRAFT_TITLES)
    assert all(item["status"] == "published" for item in response.json["data"])
    draft_ids = db.session.scalars(sa.select(Entry.id).where(Entry.status == "draft")).all()
    assert len(draft_ids) == 2
    assert all(client.get(f"/api/content/article/{entry_id}").status_code == 404 for entry_id in draft_ids)


def test_an_article_delivers_relations_as_stubs_and_richtext_as_markdown_and_html(app, db, client):
    seed(app)
    listing = client.get("/api/content/article?per_page=100").json["data"]
    summary = next(item for item in listing if item["title"] == "Zero-downtime deploys with gunicorn")

    response = client.get(f"/api/content/article/{summary['id']}")

    assert response.status_code == 200, response.json
    article = response.json["data"]
    assert article["slug"] == "zero-downtime-deploys-with-gunicorn"
    assert set(article["author"]) == {"id", "type"} and article["author"]["type"] == "author"
    assert set(article["category"]) == {"id", "type"} and article["category"]["type"] == "category"
    assert [stub["type"] for stub in article["tags"]] == ["tag", "tag"]
    assert client.get(f"/api/content/author/{article['author']['id']}").json["data"]["name"] == "Priya Raman"
    assert set(article["body"]) == {"markdown", "html"}
    assert article["body"]["markdown"].startswith("A deploy should be a non-event.")
    assert "<h2>The order that works</h2>" in article["body"]["html"]
    assert '<a href="https://docs.gunicorn.org/en/stable/signals.html"' in article["body"]["html"]
    assert article["sections"][0]["type"] == "quote"
    assert article["seo"]["meta_description"] == article["excerpt"]
    assert article["featured"] is True and article["reading_minutes"] >= 1


def test_site_settings_are_readable_anonymously(app, db, client):
    seed(app)

    response = client.get("/api/content/site_settings")

    assert response.status_code == 200, response.json
    settings = response.json["data"]
    assert settings["status"] == "published"
    assert settings["site_name"] == "Field Notes"
    assert set(settings["footer"]) == {"markdown", "html"}
    assert [link["network"] for link in settings["social"]] == ["mastodon", "github", "rss"]


def test_seeding_twice_duplicates_nothing(app, db):
    seed(app)
    before = snapshot()

    result = seed(app)

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Demo content is already there."
    assert snapshot() == before


def test_a_conflicting_article_type_makes_seeding_fail_and_changes_nothing(app, db):
    services.create_type({"name": "article", "fields": [{"name": "headline", "type": "string"}]}, SYSTEM)
    db.session.commit()
    before = snapshot()

    result = seed(app)

    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert "'article'" in result.output and "nothing was changed" in result.output
    assert snapshot() == before
    assert [row.name for row in services.list_types(SYSTEM)] == ["article"]
    assert [field["name"] for field in services.types.find_type("article").fields] == ["headline"]


def test_a_partial_demo_model_makes_seeding_fail_and_changes_nothing(app, db):
    services.create_type({"name": "tag", "fields": [{"name": "name", "type": "string"},
                                                    {"name": "slug", "type": "slug", "source": "name"}]}, SYSTEM)
    db.session.commit()
    before = snapshot()

    result = seed(app)

    assert result.exit_code == 1
    assert "missing: author, category, article, site_settings" in result.output
    assert snapshot() == before
