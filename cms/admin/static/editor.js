// Entry editor: "Use their version" buttons of the conflict view copy the other writer's text into the field.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  document.documentElement.classList.add("js");
  for (const button of document.querySelectorAll("[data-use-theirs]")) {
    const field = document.getElementById(button.dataset.useTheirs);
    const theirs = document.querySelector(`[data-theirs-for="${button.dataset.useTheirs}"]`);
    if (!field || !theirs) continue;
    button.hidden = false;
    button.addEventListener("click", () => {
      field.value = theirs.textContent === "(empty)" ? "" : theirs.textContent;
      field.dispatchEvent(new Event("input", { bubbles: true }));
      field.focus();
    });
  }
});
