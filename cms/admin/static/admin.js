// Folio admin: small enhancements. Every page works without this file.
"use strict";

(function () {
  const token = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

  // fetch with the session's CSRF token, for scripts that call /api
  window.folioFetch = (url, options = {}) => {
    const headers = new Headers(options.headers || {});
    if (options.method && options.method.toUpperCase() !== "GET") headers.set("X-CSRF-Token", token());
    return fetch(url, { credentials: "same-origin", ...options, headers });
  };

  // forms marked data-guard ask before leaving with unsaved changes
  document.addEventListener("DOMContentLoaded", () => {
    for (const form of document.querySelectorAll("form[data-guard]")) {
      let dirty = false;
      form.addEventListener("input", () => { dirty = true; });
      form.addEventListener("submit", () => { dirty = false; });
      window.addEventListener("beforeunload", (event) => {
        if (dirty) { event.preventDefault(); event.returnValue = ""; }
      });
    }
    // buttons marked data-confirm ask first
    document.addEventListener("click", (event) => {
      const button = event.target.closest("[data-confirm]");
      if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
    });
  });
})();
