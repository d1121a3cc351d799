ARTICLE = [
    {"name": "title", "type": "string", "required": True, "max_length": 200, "indexed": True},
    {"name": "slug", "type": "slug", "source": "title"},
    {"name": "body", "type": "richtext"},
    {"name": "views", "type": "integer", "min": 0, "default": 0, "indexed": True},
    {"name": "author", "type": "relation", "target": "author", "many": False, "on_delete": "restrict"},
    {"name": "tags", "type": "relation", "target": "tag", "many": True},
    {"name": "cover", "type": "media"},
    {"name": "seo", "type": "component", "fields": [{"name": "description", "type": "text"}]},
    {"name": "sections", "type": "blocks", "blocks": {"quote": [{"name": "text", "type": "text"}]}},
]


def test_design_example_round_trip(api, make_type, make_entry):
    make_type("author", [{"name": "name", "type": "string", "required": True}])
    make_type("tag", [{"name": "name", "type": "string"}])
    article = make_type("article", ARTICLE)
    assert [f["name"] for f in article["fields"]] == [f["name"] for f in ARTICLE]
    ann = make_entry("author", publish=True, name="Ann")
    tag = make_entry("tag", name="python")
    entry = make_entry("article", publish=True, title="Hello Wörld", body="# Hi <script>x</script>",
                       author=ann["id"], tags=[tag["id"]], seo={"description": "d"},
                       sections=[{"type": "quote", "value": {"text": "q"}}])
    assert entry["slug"] == "hello-world"
    assert entry["author"] == {"id": ann["id"], "type": "author"}
    assert "<script>" not in entry["body"]["html"]
    public = api.get(f"/api/content/article/{entry['id']}", token=None)
    assert public.status_code == 200, public.json
    assert public.json["data"]["title"] == "Hello Wörld"
    listing = api.get("/api/content/article", token=None)
    assert listing.json["meta"]["total"] == 1
    # a GET body can be PUT back unchanged
    put = api.put(f"/api/content/article/{entry['id']}", json=public.json["data"],
                  headers={"If-Match": public.headers["ETag"]})
    assert put.status_code == 200, put.json
