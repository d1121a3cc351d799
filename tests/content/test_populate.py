"""Populating relations on the content delivery API: ?populate=author,tags,author.avatar."""

import pytest

from cms.content.models import Entry, Revision
from tests.conftest import table_count
from tests.helpers import error_of


@pytest.fixture
def model(make_type):
    """picture <- team <- person <- post -> tag, vault (not public); every relation top-level."""
    make_type("picture", [{"name": "url", "type": "string"}])
    make_type("team", [{"name": "name", "type": "string"},
                       {"name": "logo", "type": "relation", "target": "picture"}])
    make_type("person", [{"name": "name", "type": "string"}, {"name": "email", "type": "email"},
                         {"name": "notes", "type": "string", "private": True},
                         {"name": "avatar", "type": "relation", "target": "picture"},
                         {"name": "team", "type": "relation", "target": "team"},
                         {"name": "photo", "type": "media"}])
    make_type("tag", [{"name": "label", "type": "string"}])
    make_type("vault", [{"name": "code", "type": "string"}], options={"public": False})
    make_type("post", [{"name": "title", "type": "string"}, {"name": "views", "type": "integer"},
                       {"name": "author", "type": "relation", "target": "person"},
                       {"name": "editor", "type": "relation", "target": "person"},
                       {"name": "tags", "type": "relation", "target": "tag", "many": True},
                       {"name": "vault", "type": "relation", "target": "vault"},
                       {"name": "reviewer", "type": "relation", "target": "person", "private": True}])


@pytest.fixture
def content(model, make_entry):
    """One published post by Ann (with avatar and team), tagged b, a, c, and its targets."""
    logo = make_entry("picture", publish=True, url="https://example.com/logo.png")
    team = make_entry("team", publish=True, name="Core", logo=logo["id"])
    avatar = make_entry("picture", publish=True, url="https://example.com/ann.png")
    ann = make_entry("person", publish=True, name="Ann", email="ann@example.com", notes="likes tea",
                     avatar=avatar["id"], team=team["id"])
    tags = {label: make_entry("tag", publish=True, label=label) for label in ("a", "b", "c")}
    post = make_entry("post", publish=True, title="Hello", views=3, author=ann["id"], editor=ann["id"],
                      tags=[tags["b"]["id"], tags["a"]["id"], tags["c"]["id"]])
    return {"post": post, "ann": ann, "avatar": avatar, "team": team, "logo": logo, "tags": tags}


def get_data(api, path, **kwargs):
    response = api.get(path, **kwargs)
    assert response.status_code == 200, response.json
    return response.json["data"]


def test_a_list_delivers_populated_targets_exactly_as_their_own_get(api, content):
    post = get_data(api, "/api/content/post?populate=author,tags", token=None)[0]

    assert post["author"] == get_data(api, f"/api/content/person/{content['ann']['id']}", token=None)
    assert post["tags"][0] == get_data(api, f"/api/content/tag/{content['tags']['b']['id']}", token=None)
    assert post["author"]["avatar"] == {"id": content["avatar"]["id"], "type": "picture"}
    assert post["editor"] == {"id": content["ann"]["id"], "type": "person"}


def test_a_single_entry_populates_its_relations(api, content):
    post = get_data(api, f"/api/content/post/{content['post']['id']}?populate=author,tags", token=None)

    assert (post["title"], post["author"]["name"]) == ("Hello", "Ann")
    assert [tag["label"] for tag in post["tags"]] == ["b", "a", "c"]


def test_a_singleton_populates_its_relations(api, make_type, content):
    make_type("home", [{"name": "hero", "type": "relation", "target": "post"}], kind="singleton")
    assert api.put("/api/content/home", json={"hero": content["post"]["id"]}).status_code == 201
    assert api.post("/api/content/home/publish").status_code == 200

    home = get_data(api, "/api/content/home?populate=hero.author", token=None)

    assert home["hero"]["title"] == "Hello"
    assert home["hero"]["author"]["name"] == "Ann"


def test_nested_paths_populate_every_level_up_to_three_segments(api, content):
    post = get_data(api, "/api/content/post?populate=author.avatar,author.team.logo", token=None)[0]

    assert post["author"]["avatar"]["url"] == "https://example.com/ann.png"
    assert post["author"]["team"]["name"] == "Core"
    assert post["author"]["team"]["logo"] == get_data(api, f"/api/content/picture/{content['logo']['id']}",
                                                      token=None)
    assert post["editor"] == {"id": content["ann"]["id"], "type": "person"}


def test_per_path_fields_limit_what_each_populated_entry_delivers(api, content):
    post = get_data(api, "/api/content/post?fields=title,author,editor&populate=author,editor.team"
                         "&populate[author][fields]=name&populate[editor][fields]=email,team"
                         "&populate[editor.team][fields]=name", token=None)[0]

    system = {"id", "type", "locale", "status", "version", "created_at", "updated_at", "published_at"}
    assert set(post) == system | {"title", "author", "editor"}
    assert set(post["author"]) == system | {"name"}
    assert set(post["editor"]) == system | {"email", "team"}
    assert post["editor"]["team"] == {**{key: post["editor"]["team"][key] for key in system}, "name": "Core"}


def test_many_relations_keep_their_order(api, content, make_entry):
    tags = content["tags"]
    order = [tags["c"]["id"], tags["a"]["id"], tags["b"]["id"]]
    other = make_entry("post", publish=True, title="Other", tags=order)

    posts = get_data(api, "/api/content/post?populate=tags&sort=title", token=None)

    assert [[tag["label"] for tag in post["tags"]] for post in posts] == [["b", "a", "c"], ["c", "a", "b"]]
    assert [tag["id"] for tag in posts[1]["tags"]] == order and posts[1]["id"] == other["id"]


def test_published_reads_leave_out_targets_that_are_not_published(api, content, make_entry):
    hidden_tag = make_entry("tag", label="draft tag")
    hidden_author = make_entry("person", name="Draft Dan")
    tags = content["tags"]
    post = make_entry("post", publish=True, title="Mixed", author=hidden_author["id"],
                      tags=[tags["a"]["id"], hidden_tag["id"], tags["c"]["id"]])

    public = get_data(api, f"/api/content/post/{post['id']}?populate=author,tags", token=None)

    assert public["author"] is None
    assert [tag["label"] for tag in public["tags"]] == ["a", "c"]
    assert "Draft Dan" not in str(public) and "draft tag" not in str(public)


def test_published_reads_populate_the_published_snapshot_of_a_target(api, content):
    ann = content["ann"]
    assert api.patch(f"/api/content/person/{ann['id']}", json={"name": "Ann (unpublished edit)"}).status_code == 200

    published = get_data(api, "/api/content/post?populate=author", token=None)[0]
    draft = get_data(api, "/api/content/post?populate=author&status=draft")[0]

    assert (published["author"]["name"], published["author"]["status"]) == ("Ann", "published")
    assert (draft["author"]["name"], draft["author"]["status"]) == ("Ann (unpublished edit)", "changed")


def test_draft_reads_populate_working_copies_of_unpublished_targets(api, content, make_entry):
    dan = make_entry("person", name="Draft Dan")
    tag = make_entry("tag", label="draft tag")
    post = make_entry("post", title="Draft", author=dan["id"], tags=[tag["id"], content["tags"]["a"]["id"]])

    draft = get_data(api, f"/api/content/post/{post['id']}?status=draft&populate=author,tags")

    assert (draft["author"]["name"], draft["author"]["status"]) == ("Draft Dan", "draft")
    assert [tag["label"] for tag in draft["tags"]] == ["draft tag", "a"]
    assert error_of(api.get("/api/content/post?status=draft&populate=author", token=None), 401)


def test_private_fields_of_populated_entries_are_hidden_from_the_public(api, content):
    public = get_data(api, "/api/content/post?populate=author", token=None)[0]
    admin = get_data(api, "/api/content/post?populate=author")[0]

    assert "notes" not in public["author"]
    assert admin["author"]["notes"] == "likes tea"


def test_a_private_relation_populates_for_callers_with_private_access_only(api, content, make_entry):
    post = make_entry("post", publish=True, title="Reviewed", reviewer=content["ann"]["id"])

    admin = get_data(api, f"/api/content/post/{post['id']}?populate=reviewer")
    refused = error_of(api.get(f"/api/content/post/{post['id']}?populate=reviewer", token=None), 400, "bad_request")

    assert admin["reviewer"]["name"] == "Ann"
    assert "populate" in refused["details"]["parameters"]


def test_anonymous_populate_into_a_non_public_type_is_refused(api, content, make_entry):
    vault = make_entry("vault", publish=True, code="1234")
    post = make_entry("post", publish=True, title="Locked", vault=vault["id"])

    refused = error_of(api.get(f"/api/content/post/{post['id']}?populate=vault", token=None), 400, "bad_request")
    listed = error_of(api.get("/api/content/post?populate=vault", token=None), 400, "bad_request")

    assert "vault" in refused["details"]["parameters"]["populate"][0]
    assert listed["details"]["parameters"] == refused["details"]["parameters"]
    assert "1234" not in str(refused) + str(listed)
    assert get_data(api, f"/api/content/post/{post['id']}?populate=vault")["vault"]["code"] == "1234"


BAD_POPULATE = [
    ("populate=nope", "populate"),
    ("populate=title", "populate"),
    ("populate=author.photo.owner", "populate"),
    ("populate=reviewer", "populate"),
    ("populate=author.notes", "populate"),
    ("populate=author.team.logo.url", "populate"),
    ("populate=author..team", "populate"),
    ("populate=", "populate"),
    ("populate=Author", "populate"),
    ("populate=id", "populate"),
    ("populate=author&populate=tags", "populate"),
    ("populate[author][fields]=name", "populate[author][fields]"),
    ("populate=tags&populate[author][fields]=name", "populate[author][fields]"),
    ("populate=author&populate[author][only]=name", "populate[author][only]"),
    ("populate=author&populate[author]=name", "populate[author]"),
    ("populate=author&populate[author][fields]=", "populate[author][fields]"),
    ("populate=author&populate[author][fields]=name,,email", "populate[author][fields]"),
    ("populate=author&populate[author][fields]=nope", "populate[author][fields]"),
    ("populate=author&populate[author][fields]=notes", "populate[author][fields]"),
    ("populate=author&populate[author][fields]=name&populate[author][fields]=email", "populate[author][fields]"),
    ("populate=author&populate[author.][fields]=name", "populate[author.][fields]"),
    ("populate=author.avatar&populate[author][fields]=name", "populate"),
    ("populate=author&fields=title", "populate"),
]


@pytest.mark.parametrize("query, parameter", BAD_POPULATE)
def test_bad_populate_parameters_are_refused_before_any_entry_is_read(api, content, count_queries, query, parameter):
    post_id = content["post"]["id"]
    before = api.get(f"/api/content/post/{post_id}", token=None).json
    counts = (table_count(Entry), table_count(Revision))

    with count_queries() as statements:
        listed = api.get(f"/api/content/post?{query}", token=None)
    single = api.get(f"/api/content/post/{post_id}?{query}", token=None)

    assert parameter in error_of(listed, 400, "bad_request")["details"]["parameters"]
    assert parameter in error_of(single, 400, "bad_request")["details"]["parameters"]
    assert not [sql for sql in statements if "FROM entries" in sql]
    assert api.get(f"/api/content/post/{post_id}", token=None).json == before
    assert (table_count(Entry), table_count(Revision)) == counts


def test_the_same_target_under_two_paths_is_delivered_as_each_path_asks(api, content):
    post = get_data(api, "/api/content/post?populate=author,editor.avatar&populate[author][fields]=name",
                    token=None)[0]

    assert "email" not in post["author"] and post["author"]["name"] == "Ann"
    assert post["editor"]["email"] == "ann@example.com"
    assert post["editor"]["avatar"]["url"] == "https://example.com/ann.png"
    assert post["author"]["id"] == post["editor"]["id"]


def test_populating_runs_the_same_queries_for_one_entry_as_for_a_hundred(app, api, model, make_entry, count_queries,
                                                                         monkeypatch):
    monkeypatch.setitem(app.extensions, "folio.count_cache", None)  # every request counts, as the first one does
    pictures = [make_entry("picture", publish=True, url=f"https://example.com/{i}.png") for i in range(3)]
    teams = [make_entry("team", publish=True, name=f"Team {i}", logo=pictures[i]["id"]) for i in range(3)]
    people = [make_entry("person", publish=True, name=f"P{i}", avatar=pictures[i]["id"], team=teams[i]["id"])
              for i in range(3)]
    tags = [make_entry("tag", publish=True, label=f"t{i}") for i in range(4)]
    for i in range(100):
        make_entry("post", publish=True, title=f"Post {i:03}", author=people[i % 3]["id"],
                   tags=[tags[i % 4]["id"], tags[(i + 1) % 4]["id"]])
    populate = "populate=author,tags,author.avatar,author.team.logo"

    def run(per_page, query):
        with count_queries() as statements:
            response = api.get(f"/api/content/post?per_page={per_page}&{query}", token=None)
        assert response.status_code == 200, response.json
        return response.json["data"], len(statements)

    run(2, "")  # the first anonymous read also reads the Public role, which later ones find cached
    one, one_count = run(1, populate)
    hundred, hundred_count = run(100, populate)
    _plain, plain_count = run(100, "")

    assert (len(one), len(hundred)) == (1, 100)
    assert all(post["author"]["team"]["logo"]["url"].startswith("https://") for post in hundred)
    assert all(len(post["tags"]) == 2 and "label" in post["tags"][0] for post in hundred)
    assert one_count == hundred_count
    # person, tag, picture and team looked up once each; one query per level (3 levels)
    assert hundred_count - plain_count == 4 + 3
