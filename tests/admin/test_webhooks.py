"""Webhooks in the admin: private addresses refused, the secret shown once (and on rotation), the
delivery log of real deliveries by the worker, redelivery, and permissions."""

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.admin.conftest import check_accessibility, sign_in


@pytest.fixture(autouse=True)
def fresh_limits(site):
    site.app.extensions["folio.limiter"].reset()


@pytest.fixture
def receiver(site, monkeypatch):
    """A loopback HTTP receiver the site may call; yields its URL and the bodies it got."""
    bodies = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            bodies.append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            self.send_response(200)
            self.send_header("Content-Length", "8")
            self.end_headers()
            self.wfile.write(b"thanks!!")

        def log_message(self, *_args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setitem(site.app.config, "WEBHOOK_ALLOW", ["127.0.0.1/32"])
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks", bodies
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def article(site):
    response = site.api().post("/api/content-types", json={"name": "news", "fields": [{"name": "title", "type": "string"}]})
    assert response.status_code == 201, response.json
    return "news"


def work(site):
    from cms.jobs.worker import Worker

    return Worker(site.app, name="admin-test-worker").run(until_idle=True)



def test_a_private_address_is_refused_beside_the_url(page, site):
    sign_in(page)
    page.goto("/admin/webhooks/new")
    page.get_by_label("Name").fill("local")
    page.get_by_label("URL").fill("http://127.0.0.1/hooks")
    page.get_by_role("button", name="Add the webhook").click()
    assert "Webhooks may not call 127.0.0.1" in page.locator("#url-error").inner_text()
    assert page.get_by_label("URL").input_value() == "http://127.0.0.1/hooks"
    assert site.api().get("/api/webhooks").json["data"] == []


def test_a_webhook_is_added_rotated_delivered_and_redelivered(page, site, receiver, article):
    url, bodies = receiver
    sign_in(page)
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Webhooks").click()
    page.get_by_role("link", name="Add a webhook").click()
    page.get_by_label("Name").fill("Site <i>rebuild</i>")
    page.get_by_label("URL").fill(url)
    page.get_by_label("Every event", exact=True).uncheck()
    page.get_by_label("Every entry event").check()
    page.get_by_label("news").check()
    check_accessibility(page, "webhook-editor")
    page.get_by_role("button", name="Add the webhook").click()
    assert "shown only once" in page.get_by_role("alert").inner_text()
    first = page.get_by_label("Signing secret").input_value()
    assert first.startswith("whsec_")
    page.reload()
    assert first not in page.content()

    [hook] = site.api().get("/api/webhooks").json["data"]
    assert hook["events"] == ["entry.*"] and hook["content_types"] == ["news"] and hook["enabled"] is True
    page.goto("/admin/webhooks")
    check_accessibility(page, "webhooks")
    page.get_by_role("link", name="Site <i>rebuild</i>", exact=True).click()  # the name is text, not markup
    assert first[-4:] in page.get_by_text("The current secret ends in").inner_text()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Rotate the secret").click()
    second = page.get_by_label("Signing secret").input_value()
    assert second.startswith("whsec_") and second != first
    assert site.api().get(f"/api/webhooks/{hook['id']}").json["data"]["secret_hint"] == second[-4:]

    response = site.api().post("/api/content/news", json={"title": "Hello"})
    assert response.status_code == 201
    work(site)
    assert len(bodies) == 1
    page.goto(f"/admin/webhooks/{hook['id']}")
    page.get_by_role("link", name="Delivery log").click()
    page.wait_for_url(re.compile(r"/deliveries$"))
    delivery = page.locator("section.delivery").first
    assert "entry.created" in delivery.inner_text() and "done" in delivery.inner_text()
    assert "200" in delivery.get_by_role("table").inner_text() and "thanks!!" in delivery.inner_text()
    check_accessibility(page, "webhook-deliveries")

    delivery.get_by_role("button", name=re.compile("Send again")).click()
    assert "queued again" in page.get_by_role("status").inner_text()
    work(site)
    assert len(bodies) == 2
    page.reload()
    assert page.locator("section.delivery").count() == 2

    page.get_by_role("link", name="The webhook").click()
    page.get_by_label("Enabled (send deliveries)").uncheck()
    page.get_by_label("Every content type event").check()
    page.get_by_role("button", name="Save").click()
    assert "is saved" in page.get_by_role("status").inner_text()
    saved = site.api().get(f"/api/webhooks/{hook['id']}").json["data"]
    assert saved["enabled"] is False and saved["events"] == ["content_type.*", "entry.*"]
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete the webhook").click()
    assert "is deleted" in page.get_by_role("status").inner_text()
    assert site.api().get(f"/api/webhooks/{hook['id']}").status_code == 404
    assert page.errors == []


def test_editors_are_refused_the_webhook_pages(page, site):
    sign_in(page, site.user("editor"))
    assert page.get_by_role("navigation", name="Sections").get_by_role("link", name="Webhooks").count() == 0
    assert page.goto("/admin/webhooks").status == 403
    assert page.goto("/admin/webhooks/new").status == 403
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    posted = page.request.post(f"{site.url}/admin/webhooks/new", form={
        "csrf_token": token, "name": "sneaky", "url": "https://example.com/hook", "events": "*"})
    assert posted.status == 403
    assert all(hook["name"] != "sneaky" for hook in site.api().get("/api/webhooks").json["data"])
