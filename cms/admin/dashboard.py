"""The dashboard: what changed lately, my drafts, what is scheduled, failed webhook deliveries."""

from cms.admin.core import allowed, bp, caller, render
from cms.content.services import overview


@bp.get("/")
def dashboard():
    user = caller()
    failed = []
    if allowed("webhooks.read"):
        from cms.webhooks.services import failed_deliveries

        failed = failed_deliveries(user, limit=10)
    return render("admin/dashboard.html", heading="Dashboard", recent=overview.recent_changes(user),
                  drafts=overview.my_drafts(user), scheduled=overview.scheduled(user), failed=failed)
