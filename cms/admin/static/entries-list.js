// Entries list: a "select all" checkbox for the bulk actions. The list works without this file.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-bulk]");
  const cell = form && form.querySelector("th[data-select-all]");
  if (!cell) return;
  const boxes = () => Array.from(form.querySelectorAll('input[type=checkbox][name="ids"]'));
  if (boxes().length === 0) return;

  const all = document.createElement("input");
  all.type = "checkbox";
  all.id = "select-all";
  all.setAttribute("aria-label", "Select all entries on this page");
  cell.replaceChildren(all);

  const sync = () => {
    const checked = boxes().filter((box) => box.checked).length;
    all.checked = checked > 0 && checked === boxes().length;
    all.indeterminate = checked > 0 && checked < boxes().length;
  };
  all.addEventListener("change", () => {
    for (const box of boxes()) box.checked = all.checked;
    sync();
  });
  form.addEventListener("change", (event) => {
    if (event.target !== all && event.target.name === "ids") sync();
  });
  sync();
});
