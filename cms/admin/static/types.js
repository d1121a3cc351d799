// Content-type builder: move field rows in the page (no round trip), keeping focus on the moved row.
// Without this file the Move buttons post the form and the server moves the row instead.
"use strict";

(function () {
  const own = (row, selector) => row.querySelector(`:scope > fieldset > ${selector}`);

  const renumber = (list) => {
    const rows = [...list.querySelectorAll(":scope > [data-row]")];
    rows.forEach((row, index) => {
      const name = own(row, ".row-grid input[id$='-name']")?.value || "";
      const legend = own(row, "legend");
      if (legend) legend.firstChild.textContent = `Field ${index + 1}: `;
      const title = legend?.querySelector("[data-row-title]");
      if (title) title.textContent = name || "(no name yet)";
      const up = own(row, ".row-buttons > [data-move='up']");
      const down = own(row, ".row-buttons > [data-move='down']");
      if (up) { up.disabled = index === 0; up.setAttribute("aria-label", `Move up: field ${index + 1} ${name}`); }
      if (down) { down.disabled = index === rows.length - 1; down.setAttribute("aria-label", `Move down: field ${index + 1} ${name}`); }
    });
    return rows;
  };

  const setup = (form) => {
    const status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    form.append(status);

    form.addEventListener("click", (event) => {
      const button = event.target.closest("[data-move]");
      if (!button) return;
      const row = button.closest("[data-row]");
      const list = row.parentElement;
      const up = button.dataset.move === "up";
      const other = up ? row.previousElementSibling : row.nextElementSibling;
      if (!other || !other.matches("[data-row]")) return;
      event.preventDefault();
      if (up) other.before(row); else other.after(row);
      const rows = renumber(list);
      const target = button.disabled ? own(row, `.row-buttons > [data-move='${up ? "down" : "up"}']`) : button;
      target.focus();
      const name = own(row, ".row-grid input[id$='-name']")?.value || "the field";
      status.textContent = `Moved ${name} to position ${rows.indexOf(row) + 1} of ${rows.length}.`;
      form.dispatchEvent(new Event("input", { bubbles: true }));  // unsaved changes: leaving asks first
    });
  };

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("form[data-builder]").forEach(setup);
    // a builder shown again after one of its buttons holds changes not saved yet: leaving asks first
    document.querySelectorAll("form[data-builder][data-unsaved]").forEach((form) => form.dispatchEvent(new Event("input")));
    // after a builder button posted the form: back to the control that was used (autofocus is not always honoured)
    const focused = document.querySelector("form[data-builder] [autofocus]");
    if (focused && document.activeElement !== focused) focused.focus();
  });
})();
