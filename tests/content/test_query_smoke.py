def test_filters_sort_and_cursor_walk_the_list(api, make_type, make_entry):
    make_type("author", [{"name": "name", "type": "string"}])
    make_type("post", [{"name": "title", "type": "string", "indexed": True},
                       {"name": "views", "type": "integer"}, {"name": "day", "type": "date"},
                       {"name": "author", "type": "relation", "target": "author"},
                       {"name": "tags", "type": "relation", "target": "author", "many": True}])
    ann = make_entry("author", publish=True, name="Ann")
    bob = make_entry("author", publish=True, name="Bob")
    for i in range(7):
        make_entry("post", publish=True, title=f"Post {i}", views=i % 3 if i != 4 else None,
                   day=f"2024-01-0{i + 1}", author=(ann if i % 2 else bob)["id"], tags=[ann["id"]])
    r = api.get("/api/content/post?filter[views][gte]=1&sort=-views,title&per_page=2", token=None)
    assert r.status_code == 200, r.json
    seen = [e["title"] for e in r.json["data"]]
    while r.json["meta"]["next_cursor"]:
        r = api.get(f"/api/content/post?filter[views][gte]=1&sort=-views,title&per_page=2&cursor={r.json['meta']['next_cursor']}", token=None)
        assert r.status_code == 200, r.json
        seen += [e["title"] for e in r.json["data"]]
    assert seen == ["Post 2", "Post 5", "Post 1"]
    r = api.get("/api/content/post?filter[author.name]=Ann&fields=title&sort=title", token=None)
    assert [e["title"] for e in r.json["data"]] == ["Post 1", "Post 3", "Post 5"]
    assert set(r.json["data"][0]) >= {"id", "title"} and "views" not in r.json["data"][0]
    r = api.get("/api/content/post?filter[or][0][views]=0&filter[or][1][title][startswith]=Post 4&sort=day&count=false", token=None)
    assert [e["title"] for e in r.json["data"]] == ["Post 0", "Post 3", "Post 4", "Post 6"]
    assert r.json["meta"]["total"] is None
    r = api.get("/api/content/post?sort=views&per_page=3", token=None)
    assert [e["views"] for e in r.json["data"]] == [None, 0, 0]
    r = api.get(f"/api/content/post?filter[tags][in]={ann['id']},{bob['id']}&filter[day][lt]=2024-01-03", token=None)
    assert r.json["meta"]["total"] == 2
    r = api.get("/api/content/post?filter[title][icontains]=POST 1", token=None)
    assert r.json["meta"]["total"] == 1
    r = api.get("/api/content/post?filter[title][contains]=POST", token=None)
    assert r.json["meta"]["total"] == 0
    for bad in ("filter[views][gt]=abc", "filter[nope]=1", "filter[views][like]=1", "sort=author",
                "filter[title.name]=x", "cursor=garbage", "filter[author.name.x.y]=1", "per_page=1000000000"):
        r = api.get(f"/api/content/post?{bad}", token=None)
        assert r.status_code == 400, (bad, r.json)
