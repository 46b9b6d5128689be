// Living Wiki: progressive enhancements only; every page works without this file.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Warn before leaving the editor with unsaved changes.
  for (const area of document.querySelectorAll("textarea[data-unsaved-warning]")) {
    const form = area.form;
    const original = area.value;
    let submitting = false;
    form.addEventListener("submit", () => { submitting = true; });
    window.addEventListener("beforeunload", (event) => {
      if (!submitting && area.value !== original) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
    // Ctrl+S / Cmd+S saves.
    document.addEventListener("keydown", (event) => {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
        event.preventDefault();
        submitting = true;
        form.requestSubmit();
      }
    });
  }
});
