// Live Markdown preview: the server renders through the rich-text sanitizer (scripts and handlers removed).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const url = document.querySelector("[data-markdown-url]")?.dataset.markdownUrl || "/admin/markdown-preview";
  for (const area of document.querySelectorAll("textarea[data-markdown-preview]")) {
    const pane = document.getElementById(area.dataset.markdownPreview);
    if (!pane) continue;
    let timer = null;
    let asked = 0;
    const refresh = async () => {
      const mine = ++asked;
      const body = new FormData();
      body.append("markdown", area.value);
      try {
        const response = await window.folioFetch(url, { method: "POST", body });
        if (!response.ok || mine !== asked) return;
        const html = await response.text();
        const parsed = new DOMParser().parseFromString(html, "text/html");  // sanitized already; parsed inertly
        pane.replaceChildren(...parsed.body.childNodes);
      } catch (_error) { /* offline: the preview waits for the next change */ }
    };
    area.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(refresh, 300); });
    if (area.value && !pane.childNodes.length) refresh();
  }
});
