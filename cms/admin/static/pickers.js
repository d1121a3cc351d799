// Relation and media pickers. The id input stays the form's value (and works without this file);
// these add a search, a chosen list with Remove buttons, and for media an upload with progress.
"use strict";

(function () {
  const TITLE_NAMES = ["title", "name", "headline", "heading", "label"];

  const titleOf = (entry) => {
    for (const name of TITLE_NAMES) if (typeof entry[name] === "string" && entry[name].trim()) return entry[name].trim();
    for (const [key, value] of Object.entries(entry)) {
      if (!["id", "type", "locale", "status"].includes(key) && typeof value === "string" && value.trim() && !/_at$/.test(key)) return value.trim();
    }
    return entry.id;
  };

  const el = (tag, props = {}, ...children) => {
    const node = Object.assign(document.createElement(tag), props);
    node.append(...children);
    return node;
  };

  const idsOf = (input) => input.value.split(/[\s,]+/).filter(Boolean);

  function setup(input, kind) {
    const many = input.dataset.many === "true";
    const label = document.querySelector(`label[for="${input.id}"]`)?.textContent.trim() || "item";
    const chosen = document.querySelector(`[data-chosen-for="${input.id}"]`);
    const names = new Map();  // id → title or file name, for the chosen list
    const images = new Set();
    for (const li of chosen?.querySelectorAll("li[data-id]") || []) {
      names.set(li.dataset.id, li.querySelector("span")?.textContent || li.textContent.trim());
      if (li.querySelector("img")) images.add(li.dataset.id);
    }

    const setIds = (ids) => {
      input.value = ids.join(", ");
      input.dispatchEvent(new Event("input", { bubbles: true }));  // the unsaved-changes guard notices
      drawChosen();
    };
    const choose = (id, name, image) => {
      names.set(id, name);
      if (image) images.add(id);
      const ids = idsOf(input).filter((other) => other !== id);
      setIds(many ? [...ids, id] : [id]);
    };

    function drawChosen() {
      if (!chosen) return;
      chosen.replaceChildren(...idsOf(input).map((id) => {
        const name = names.get(id) || id;
        const item = el("li");
        item.dataset.id = id;
        if (kind === "media" && images.has(id)) {
          item.append(el("img", { src: `/api/media/${encodeURIComponent(id)}/image?w=128&h=128&fit=cover`, alt: name, width: 64, height: 64 }));
        }
        const remove = el("button", { type: "button", className: "small" }, `Remove ${name}`);
        remove.addEventListener("click", () => setIds(idsOf(input).filter((other) => other !== id)));
        item.append(el("span", {}, name), remove);
        return item;
      }));
    }

    const box = el("div", { className: "picker" });
    const searchId = `${input.id}-search`;
    const search = el("input", { type: "search", id: searchId, autocomplete: "off" });
    const go = el("button", { type: "button", className: "small" }, "Search");
    go.setAttribute("aria-label", `Search for ${label}`);
    const results = el("ul", { className: "picker-results" });
    const status = el("p", { className: "hint" });
    status.setAttribute("aria-live", "polite");
    box.append(el("label", { htmlFor: searchId }, `Find ${kind === "media" ? "media" : "entries"} for ${label}`),
               el("div", { className: "picker-row" }, search, go), status, results);

    const run = async () => {
      const q = search.value.trim();
      const url = kind === "media"
        ? `/api/media?per_page=12${q ? `&q=${encodeURIComponent(q)}` : ""}`
        : `/api/content/${encodeURIComponent(input.dataset.relationPicker)}?status=draft&per_page=12${q ? `&q=${encodeURIComponent(q)}` : ""}`;
      status.textContent = "Searching…";
      try {
        const response = await window.folioFetch(url);
        const body = await response.json();
        if (!response.ok) { status.textContent = body.error?.message || "The search failed."; return; }
        status.textContent = body.data.length ? `${body.data.length} found.` : "Nothing found.";
        results.replaceChildren(...body.data.map((item) => {
          const name = kind === "media" ? item.filename : titleOf(item);
          const image = kind === "media" && String(item.mime || "").startsWith("image/");
          const button = el("button", { type: "button", className: "small" });
          if (image) button.append(el("img", { src: `/api/media/${encodeURIComponent(item.id)}/image?w=128&h=128&fit=cover`, alt: "" }));
          button.append(`Choose ${name}`);
          button.addEventListener("click", () => choose(item.id, name, image));
          return el("li", {}, button);
        }));
      } catch (_error) { status.textContent = "The search failed: check the connection."; }
    };
    go.addEventListener("click", run);
    search.addEventListener("keydown", (event) => { if (event.key === "Enter") { event.preventDefault(); run(); } });

    if (kind === "media") {
      const fileId = `${input.id}-upload`;
      const file = el("input", { type: "file", id: fileId });
      const progress = el("progress", { max: 100, value: 0, hidden: true });
      progress.setAttribute("aria-label", `Upload progress for ${label}`);
      box.append(el("label", { htmlFor: fileId }, `Upload a new file for ${label}`), file, progress);
      file.addEventListener("change", () => {
        if (!file.files.length) return;
        const body = new FormData();
        body.append("file", file.files[0]);
        const request = new XMLHttpRequest();
        request.open("POST", "/api/media");
        request.setRequestHeader("X-CSRF-Token", document.querySelector('meta[name="csrf-token"]')?.content || "");
        request.responseType = "json";
        progress.hidden = false;
        progress.value = 0;
        status.textContent = `Uploading ${file.files[0].name}…`;
        request.upload.addEventListener("progress", (event) => {
          if (event.lengthComputable) progress.value = Math.round((event.loaded / event.total) * 100);
        });
        request.addEventListener("load", () => {
          const answer = request.response || {};
          if (request.status === 200 || request.status === 201) {
            progress.value = 100;
            const item = answer.data;
            choose(item.id, item.filename, String(item.mime || "").startsWith("image/"));
            status.textContent = `Uploaded ${item.filename}.`;
          } else {
            const fields = answer.error?.details?.fields || {};
            status.textContent = (fields.file || [answer.error?.message || "The upload failed."]).join(" ");
          }
          file.value = "";
        });
        request.addEventListener("error", () => { status.textContent = "The upload failed: check the connection."; });
        request.send(body);
      });
    }
    (chosen || input).after(box);
    drawChosen();
    input.addEventListener("change", drawChosen);
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const input of document.querySelectorAll("input[data-relation-picker]")) setup(input, "relation");
    for (const input of document.querySelectorAll("input[data-media-picker]")) setup(input, "media");
  });
})();
