// Living Wiki: progressive enhancements only; every page works without this file.
"use strict";

(() => {
  // ---- Editing helpers: change the textarea the way typing would, so Undo still works ----

  /** Replace the selection with `text`, then select `[from, to)` inside the inserted text. */
  function insert(area, text, from, to) {
    const start = area.selectionStart;
    area.focus();
    let done = false;
    try {
      done = document.execCommand("insertText", false, text);
    } catch {
      done = false;
    }
    if (!done) {
      area.setRangeText(text, area.selectionStart, area.selectionEnd, "end");
      area.dispatchEvent(new Event("input", { bubbles: true }));
    }
    if (from !== undefined) area.setSelectionRange(start + from, start + to);
  }

  /** Wrap the selection in `before`/`after`, or unwrap it when it is wrapped already. */
  /** The interface's words for this script, in the reader's language (data-* of #js-messages). */
  const MESSAGES = { boldText: "bold text", italicText: "italic text", linkText: "link text", pageName: "Page name",
    column: "Column", text: "Text", updating: "(updating…)", notLoggedIn: "(not available: are you still logged in?)",
    notAvailable: "(not available: {error})", copied: "Copied to the clipboard.",
    editorHolds: "The editor now holds this text (Ctrl+Z in the editor brings the merged text back)." };
  const messageData = document.getElementById("js-messages");
  if (messageData) Object.assign(MESSAGES, messageData.dataset);

  function wrap(area, before, after, placeholder) {
    const { selectionStart: s, selectionEnd: e, value } = area;
    if (s >= before.length && value.slice(s - before.length, s) === before
        && value.slice(e, e + after.length) === after && e > s) {
      const inner = value.slice(s, e);
      area.setSelectionRange(s - before.length, e + after.length);
      insert(area, inner, 0, inner.length);
      return;
    }
    const selected = value.slice(s, e) || placeholder;
    insert(area, before + selected + after, before.length, before.length + selected.length);
  }

  /** Apply `change(lines)` to every line the selection touches. */
  function changeLines(area, change) {
    const { value } = area;
    const start = value.lastIndexOf("\n", area.selectionStart - 1) + 1;
    let end = value.indexOf("\n", Math.max(area.selectionEnd, area.selectionStart));
    if (area.selectionEnd > area.selectionStart && value[area.selectionEnd - 1] === "\n") {
      end = area.selectionEnd - 1;
    }
    if (end < 0) end = value.length;
    const text = change(value.slice(start, end).split("\n")).join("\n");
    area.setSelectionRange(start, end);
    insert(area, text, 0, text.length);
  }

  const CONFLICT_MARKERS = ["<<<<<<< your version", ">>>>>>> their version"];
  const BULLET = /^(\s*)[-*+] /;
  const NUMBER = /^(\s*)\d+[.)] /;

  const ACTIONS = {
    heading: (area) => changeLines(area, (lines) => lines.map((line) => {
      if (/^#{6} /.test(line)) return line.replace(/^#+ /, "");
      if (/^#{1,5} /.test(line)) return "#" + line;
      return "## " + line;
    })),
    bold: (area) => wrap(area, "**", "**", MESSAGES.boldText),
    italic: (area) => wrap(area, "*", "*", MESSAGES.italicText),
    link: (area) => {
      const selected = area.value.slice(area.selectionStart, area.selectionEnd);
      if (/^https?:\/\/\S+$/.test(selected)) {
        insert(area, `[${MESSAGES.linkText}](${selected})`, 1, 1 + MESSAGES.linkText.length);
      } else {
        const label = selected || MESSAGES.linkText;
        insert(area, `[${label}](https://)`, label.length + 3, label.length + 11);
      }
    },
    wikilink: (area) => wrap(area, "[[", "]]", MESSAGES.pageName),
    bullets: (area) => changeLines(area, (lines) => (lines.every((l) => BULLET.test(l))
      ? lines.map((l) => l.replace(BULLET, "$1"))
      : lines.map((l) => "- " + l.replace(NUMBER, "$1")))),
    numbers: (area) => changeLines(area, (lines) => (lines.every((l) => NUMBER.test(l))
      ? lines.map((l) => l.replace(NUMBER, "$1"))
      : lines.map((l, i) => `${i + 1}. ` + l.replace(BULLET, "$1")))),
    table: (area) => {
      const before = area.value.slice(0, area.selectionStart);
      const lead = before === "" || before.endsWith("\n\n") ? "" : (before.endsWith("\n") ? "\n" : "\n\n");
      const first = `${MESSAGES.column} 1`;
      const table = `| ${first} | ${MESSAGES.column} 2 |\n| --- | --- |\n| ${MESSAGES.text} | ${MESSAGES.text} |\n`;
      insert(area, lead + table, lead.length + 2, lead.length + 2 + first.length);
    },
  };

  /** Toolbar buttons, with one tab stop and arrow keys between the buttons (ARIA toolbar). */
  function setupToolbar(toolbar, area) {
    const buttons = [...toolbar.querySelectorAll("button[data-md]")];
    buttons.forEach((button, i) => { button.tabIndex = i === 0 ? 0 : -1; });
    toolbar.hidden = false;
    toolbar.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-md]");
      if (button) ACTIONS[button.dataset.md](area);
    });
    toolbar.addEventListener("keydown", (event) => {
      const index = buttons.indexOf(document.activeElement);
      const moves = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: buttons.length - 1 };
      if (index < 0 || !(event.key in moves)) return;
      event.preventDefault();
      const next = (moves[event.key] + buttons.length) % buttons.length;
      buttons[index].tabIndex = -1;
      buttons[next].tabIndex = 0;
      buttons[next].focus();
    });
    area.addEventListener("keydown", (event) => {
      if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
      const action = { b: "bold", i: "italic", k: "link" }[event.key.toLowerCase()];
      if (action) {
        event.preventDefault();
        ACTIONS[action](area);
      }
    });
  }

  /** The live preview: the server renders the text with the page renderer and sanitizer. */
  function setupPreview(editor, area) {
    const section = editor.querySelector(".editor-preview");
    const target = section.querySelector("[data-preview]");
    const status = section.querySelector("[data-preview-status]");
    const token = area.form.elements.csrf_token.value;
    let timer = null;
    let controller = null;
    let sent = null;
    section.hidden = false;
    editor.classList.add("with-preview");

    async function refresh() {
      if (area.value === sent) return;
      sent = area.value;
      if (controller) controller.abort();
      controller = new AbortController();
      status.textContent = MESSAGES.updating;
      try {
        const response = await fetch(editor.dataset.previewUrl, {
          method: "POST",
          body: new URLSearchParams({ text: sent }),
          headers: { "X-CSRFToken": token, Accept: "application/json" },
          credentials: "same-origin",
          redirect: "error",
          signal: controller.signal,
        });
        const data = await response.json();
        if (!response.ok) throw new Error(data.error || response.statusText);
        target.innerHTML = data.html; // sanitized by the server, as on the page itself
        status.textContent = "";
        section.dataset.previewState = "ready";
      } catch (error) {
        if (error.name === "AbortError") return;
        sent = null;
        status.textContent = error instanceof TypeError
          ? MESSAGES.notLoggedIn
          : MESSAGES.notAvailable.replace("{error}", error.message);
      }
    }

    area.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(refresh, 300);
    });
    // Keep the preview level with the text while scrolling the textarea.
    area.addEventListener("scroll", () => {
      const range = area.scrollHeight - area.clientHeight;
      if (range > 0) target.scrollTop = (area.scrollTop / range) * (target.scrollHeight - target.clientHeight);
    });
    refresh();
  }

  /** Warn before leaving with unsaved changes; Ctrl+S / Cmd+S saves. */
  function setupUnsavedWarning(area) {
    const form = area.form;
    const original = area.hasAttribute("data-unsaved-from-start") ? null : area.value;
    let submitting = false;
    const markerWarning = form.querySelector("[data-marker-warning]");
    form.addEventListener("submit", (event) => {
      const marker = area.value.indexOf(CONFLICT_MARKERS[0]);
      if (markerWarning && marker >= 0 && area.value.includes(CONFLICT_MARKERS[1])) {
        // The server refuses this too; stopping here keeps both full texts on the screen.
        event.preventDefault();
        markerWarning.hidden = false;
        area.focus();
        area.setSelectionRange(marker, marker + CONFLICT_MARKERS[0].length);
        return;
      }
      submitting = true;
    });
    window.addEventListener("pageshow", () => { submitting = false; });
    window.addEventListener("beforeunload", (event) => {
      if (!submitting && (original === null || area.value !== original)) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
    document.addEventListener("keydown", (event) => {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "s") {
        event.preventDefault();
        form.requestSubmit();
      }
    });
  }

  /** The conflict screen: copy either full text, or put it in the editor (Undo brings the merge back). */
  function setupConflictTexts() {
    for (const actions of document.querySelectorAll(".copy-actions")) actions.hidden = false;
    document.addEventListener("click", async (event) => {
      const button = event.target.closest("[data-copy], [data-use]");
      if (!button) return;
      const source = document.getElementById(button.dataset.copy || button.dataset.use);
      const status = button.parentElement.querySelector("[data-copy-status]");
      if (button.dataset.copy) {
        try {
          await navigator.clipboard.writeText(source.value);
        } catch {
          source.focus();
          source.select();
          document.execCommand("copy");
        }
        status.textContent = MESSAGES.copied;
      } else {
        const editor = document.getElementById("text");
        editor.focus();
        editor.select();
        insert(editor, source.value, 0, 0);
        editor.scrollIntoView({ block: "center" });
        status.textContent = MESSAGES.editorHolds;
      }
    });
  }

  /** History: only sensible pairs can be picked (older "from", newer "to"); the range is highlighted. */
  function setupHistory(table) {
    const rows = [...table.querySelectorAll("tbody tr")].filter((row) => row.querySelector('input[name="to"]'));
    const update = () => {
      const fromIndex = rows.findIndex((row) => row.querySelector('input[name="from"]').checked);
      const toIndex = rows.findIndex((row) => row.querySelector('input[name="to"]').checked);
      rows.forEach((row, i) => {
        const from = row.querySelector('input[name="from"]');
        const to = row.querySelector('input[name="to"]');
        from.classList.toggle("not-comparable", toIndex >= 0 && i <= toIndex);
        to.classList.toggle("not-comparable", fromIndex >= 0 && i >= fromIndex);
        const inRange = toIndex >= 0 && fromIndex >= 0 && i >= toIndex && i <= fromIndex;
        row.classList.toggle("in-range", inRange);
      });
    };
    table.addEventListener("change", update);
    update();
  }

  /** Diff: n / j jumps to the next change, p / k to the previous one. */
  function setupDiffKeys(changes) {
    for (const hint of document.querySelectorAll("[data-diff-keys]")) hint.hidden = false;
    document.addEventListener("keydown", (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.target.closest("input, textarea, select, button, [contenteditable]")) return;
      const step = { n: 1, j: 1, p: -1, k: -1 }[event.key];
      if (!step) return;
      let current = changes.findIndex((change) => change.contains(document.activeElement));
      if (current < 0 && location.hash) current = changes.findIndex((change) => `#${change.id}` === location.hash);
      const next = current < 0 ? (step > 0 ? 0 : changes.length - 1) : current + step;
      if (next < 0 || next >= changes.length) return;
      event.preventDefault();
      changes[next].focus({ preventScroll: true });
      changes[next].scrollIntoView({ block: "start" });
      history.replaceState(null, "", `#${changes[next].id}`);
    });
  }

  // ---- Comments: selecting a passage of the page opens the comment form with it quoted ----

  const normalize = (text) => text.replace(/\s+/g, " ");

  /** The selection's offset in the page's plain text, as the server counts it (a hint: the server
   *  takes the nearest occurrence of the quote). */
  function selectionOffset(blocks, range) {
    let offset = 0;
    for (const block of blocks) {
      const text = normalize(block.textContent).trim();
      if (block.contains(range.startContainer)) {
        const before = document.createRange();
        before.setStart(block, 0);
        before.setEnd(range.startContainer, range.startOffset);
        return offset + normalize(before.toString()).trimStart().length;
      }
      if (text) offset += text.length + 1;
    }
    return 0;
  }

  function setupCommentOnSelection(panel) {
    const blocks = [...document.querySelectorAll(".passage-text")];
    const quote = panel.querySelector("textarea[name=quote]");
    const position = panel.querySelector("input[name=position]");
    const text = panel.querySelector("textarea[name=text]");
    const open = () => {
      const selection = document.getSelection();
      if (!selection || selection.isCollapsed || !selection.rangeCount) return;
      const range = selection.getRangeAt(0);
      if (!blocks.some((block) => block.contains(range.startContainer))) return;
      const quoted = normalize(selection.toString()).trim();
      if (!quoted) return;
      quote.value = quoted;
      position.value = String(selectionOffset(blocks, range));
      panel.hidden = false;
      // Keep the passage in view: scroll it above the panel (which takes at most half the window).
      const passage = range.getBoundingClientRect();
      const panelTop = panel.getBoundingClientRect().top;
      if (passage.bottom > panelTop - 8) window.scrollBy(0, passage.bottom - panelTop + 16);
      else if (passage.top < 0) window.scrollBy(0, passage.top - 16);
    };
    document.querySelector(".passages").addEventListener("mouseup", () => setTimeout(open, 0));
    document.querySelector(".passages").addEventListener("keyup", (event) => {
      if (event.shiftKey) open();
    });
    for (const button of panel.querySelectorAll("[data-close-panel]")) {
      button.hidden = false;
      button.addEventListener("click", () => { panel.hidden = true; });
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const selectionPanel = document.getElementById("comment-on-selection");
    if (selectionPanel && document.querySelector(".passages")) setupCommentOnSelection(selectionPanel);
    for (const area of document.querySelectorAll("textarea[data-unsaved-warning]")) {
      setupUnsavedWarning(area);
      const editor = area.closest(".editor");
      if (editor) {
        const toolbar = editor.querySelector(".md-toolbar");
        if (toolbar) setupToolbar(toolbar, area);
        if (editor.dataset.previewUrl) setupPreview(editor, area);
      }
    }
    if (document.querySelector(".copy-actions")) setupConflictTexts();
    const historyTable = document.querySelector("table[data-compare-form]");
    if (historyTable) setupHistory(historyTable);
    const changes = [...document.querySelectorAll("[data-change]")];
    if (changes.length) setupDiffKeys(changes);
  });
})();
