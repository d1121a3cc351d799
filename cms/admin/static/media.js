// Folio admin, media: upload files one by one with progress (drop or choose), and pick a focal point
// by clicking the picture. Without this file the upload form posts every file and the focal point
// has two number inputs.
"use strict";

(function () {
  const token = () => document.querySelector('meta[name="csrf-token"]')?.content || "";
  const REASONS = {
    413: "The file is too large for this server.",
    415: "This kind of file is not accepted.",
    422: "The file was refused.",
  };

  function errorText(xhr) {
    try {
      const error = JSON.parse(xhr.responseText).error;
      const fields = error.details && error.details.fields;
      const details = fields ? Object.values(fields).flat().join(" ") : "";
      return details || error.message || REASONS[xhr.status] || `The upload failed (${xhr.status}).`;
    } catch (_) {
      return REASONS[xhr.status] || `The upload failed (${xhr.status || "no answer"}).`;
    }
  }

  function uploadOne(url, file, row) {
    return new Promise((resolve) => {
      const bar = row.querySelector("progress");
      const state = row.querySelector(".state");
      const xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("X-CSRF-Token", token());
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) bar.value = Math.round((event.loaded / event.total) * 100);
      });
      xhr.addEventListener("load", () => {
        const ok = xhr.status === 200 || xhr.status === 201;
        bar.value = 100;
        row.classList.add(ok ? "ok" : "failed");
        state.textContent = ok ? (xhr.status === 200 ? "Already in the library." : "Complete.") : errorText(xhr);
        resolve(ok);
      });
      xhr.addEventListener("error", () => {
        row.classList.add("failed");
        state.textContent = "The upload failed (no answer from the server).";
        resolve(false);
      });
      const body = new FormData();
      body.append("file", file, file.name);
      xhr.send(body);
    });
  }

  async function refreshResults() {
    const response = await fetch(window.location.href, { credentials: "same-origin" });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("media-results");
    const current = document.getElementById("media-results");
    if (fresh && current) current.replaceWith(fresh);
  }

  function setUpZone(zone) {
    const input = zone.querySelector('input[type="file"]');
    const list = zone.parentElement.querySelector(".upload-progress");
    const url = zone.dataset.uploadUrl;
    zone.classList.add("enhanced");
    zone.querySelector("[data-upload-submit]").hidden = true;

    async function send(files) {
      const rows = Array.from(files).map((file) => {
        const row = document.createElement("li");
        const name = document.createElement("span");
        name.className = "name";
        name.textContent = file.name; // text, never markup
        const bar = document.createElement("progress");
        bar.max = 100;
        bar.value = 0;
        bar.setAttribute("aria-label", `Upload of ${file.name}`);
        const state = document.createElement("span");
        state.className = "state";
        state.textContent = "Uploading…";
        row.append(name, bar, state);
        list.append(row);
        return [file, row];
      });
      let added = 0;
      const maxBytes = Number(zone.dataset.maxBytes) || Infinity;
      for (const [file, row] of rows) {
        if (file.size > maxBytes) { // refused here rather than after sending it all
          row.classList.add("failed");
          row.querySelector(".state").textContent = `${REASONS[413]} (at most ${maxBytes.toLocaleString()} bytes)`;
          continue;
        }
        if (await uploadOne(url, file, row)) added += 1;
      }
      input.value = "";
      if (added) await refreshResults();
      zone.dispatchEvent(new CustomEvent("folio:uploaded", { bubbles: true }));
    }

    input.addEventListener("change", () => { if (input.files.length) send(input.files); });
    zone.addEventListener("submit", (event) => {
      event.preventDefault();
      if (input.files.length) send(input.files);
    });
    zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("over"); });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("over");
      if (event.dataTransfer && event.dataTransfer.files.length) send(event.dataTransfer.files);
    });
  }

  function setUpFocal(picker) {
    const image = picker.querySelector("[data-focal-image]");
    const marker = picker.querySelector("[data-focal-marker]");
    const x = document.querySelector("[data-focal-x]");
    const y = document.querySelector("[data-focal-y]");
    const hint = document.querySelector("[data-focal-hint]");
    if (!x || !y) return; // read-only page
    if (hint) hint.hidden = false;
    picker.classList.add("enhanced");

    function place() {
      const fx = parseFloat(x.value);
      const fy = parseFloat(y.value);
      if (Number.isNaN(fx) || Number.isNaN(fy)) { marker.hidden = true; return; }
      marker.hidden = false;
      marker.style.left = `${fx * 100}%`;  // CSSOM, which the style-src policy allows
      marker.style.top = `${fy * 100}%`;
    }

    image.addEventListener("click", (event) => {
      const box = image.getBoundingClientRect();
      const round = (value) => Math.min(1, Math.max(0, Math.round(value * 1000) / 1000));
      x.value = round((event.clientX - box.left) / box.width);
      y.value = round((event.clientY - box.top) / box.height);
      x.dispatchEvent(new Event("input", { bubbles: true })); // marks the form as changed
      place();
    });
    x.addEventListener("input", place);
    y.addEventListener("input", place);
    place();
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("form.dropzone[data-upload-url]").forEach(setUpZone);
    document.querySelectorAll("[data-focal-picker]").forEach(setUpFocal);
  });
})();
