// The visual editor of /<page>/-/edit (issue 29): a formatted editing surface (Milkdown, which is
// ProseMirror reading and writing Markdown through remark) beside the Markdown textarea, which stays
// the form field. Bundled into wiki/static/visual-editor.js by `make static`; no inline script, no eval.
//
// Text the user did not touch is never rewritten: the page's top-level blocks are compared with
// those the editor started from, and only the run of blocks that changed is written back as Markdown;
// everything before and after it is kept byte for byte from the original text. Opening a page in
// visual mode and saving it untouched therefore changes nothing.
import { Editor, defaultValueCtx, editorViewCtx, editorViewOptionsCtx, remarkCtx, rootCtx, serializerCtx }
  from "@milkdown/kit/core";
import { history } from "@milkdown/kit/plugin/history";
import { listener, listenerCtx } from "@milkdown/kit/plugin/listener";
import {
  commonmark, insertImageCommand, toggleEmphasisCommand, toggleLinkCommand, toggleStrongCommand,
  wrapInBulletListCommand, wrapInHeadingCommand, wrapInOrderedListCommand,
} from "@milkdown/kit/preset/commonmark";
import { gfm, insertTableCommand } from "@milkdown/kit/preset/gfm";
import { callCommand } from "@milkdown/kit/utils";

const MODE_KEY = "living-wiki.editor-mode";

/** The source ranges of the top-level blocks of `markdown`, as remark (the editor's parser) sees them. */
function blockRanges(editor, markdown) {
  return editor.action((ctx) => {
    const tree = ctx.get(remarkCtx).parse(markdown);
    return tree.children.map((node) => [node.position.start.offset, node.position.end.offset]);
  });
}

/** `[[wiki links]]` and `[TOC]` as the wiki reads them: remark escapes their brackets as text. */
export function unescapeWikiSyntax(markdown) {
  return markdown
    .replace(/\\?\[\\?\[([^\]\n]+?)\\?\]\\?\]/g, (_, inner) => `[[${inner.replace(/\\([\\[\]_*])/g, "$1")}]]`)
    .replace(/^\\\[TOC\]$/gm, "[TOC]");
}

/** The Markdown of `nodes` (top-level blocks) as the editor writes it. */
function serialize(editor, doc, nodes) {
  return editor.action((ctx) => {
    const fragment = doc.type.create(null, nodes);
    return unescapeWikiSyntax(ctx.get(serializerCtx)(fragment).replace(/\n+$/, ""));
  });
}

/** `original` with only the blocks that differ between `before` and `after` written anew. */
export function mergedMarkdown(editor, original, ranges, before, after) {
  const n0 = before.childCount;
  const n1 = after.childCount;
  let prefix = 0;
  while (prefix < n0 && prefix < n1 && before.child(prefix).eq(after.child(prefix))) prefix += 1;
  if (prefix === n0 && prefix === n1) return original;
  let suffix = 0;
  while (suffix < n0 - prefix && suffix < n1 - prefix
         && before.child(n0 - 1 - suffix).eq(after.child(n1 - 1 - suffix))) suffix += 1;
  const middle = [];
  for (let i = prefix; i < n1 - suffix; i += 1) middle.push(after.child(i));
  if (!ranges || ranges.length !== n0) {  // blocks the editor does not map one to one: write it all
    const all = [];
    for (let i = 0; i < n1; i += 1) all.push(after.child(i));
    return `${serialize(editor, after, all)}\n`;
  }
  const text = middle.length ? serialize(editor, after, middle) : "";
  if (prefix < n0 - suffix) {  // some original blocks were replaced or removed
    let start = ranges[prefix][0];
    let end = ranges[n0 - suffix - 1][1];
    if (!text) {  // removed: take the blank lines after them too (or before, at the end)
      if (n0 - suffix < n0) end = ranges[n0 - suffix][0];
      else if (prefix > 0) start = ranges[prefix - 1][1];
    }
    return original.slice(0, start) + text + original.slice(end);
  }
  // only inserted: after the block before them (or before the first one)
  if (prefix > 0) {
    const at = ranges[prefix - 1][1];
    return `${original.slice(0, at)}\n\n${text}${original.slice(at)}`;
  }
  const at = n0 ? ranges[0][0] : 0;
  return `${original.slice(0, at)}${text}\n\n${original.slice(at)}`;
}

function setupVisualEditor(form, area) {
  const switcher = form.querySelector("[data-editor-modes]");
  const host = form.querySelector("[data-visual-host]");
  const toolbar = form.querySelector("[data-visual-toolbar]");
  const markdownToolbar = form.querySelector(".md-toolbar");
  const preview = form.querySelector(".editor-preview");
  const label = form.querySelector(`label[for="${area.id}"]`);
  if (!switcher || !host) return;
  let editor = null;
  let state = null;  // what the visual editor started from: {original, ranges, doc}

  const sync = () => {
    if (!editor || !state) return;
    const doc = editor.action((ctx) => ctx.get(editorViewCtx).state.doc);
    const text = mergedMarkdown(editor, state.original, state.ranges, state.doc, doc);
    if (text !== area.value) {
      area.value = text;
      area.dispatchEvent(new Event("input", { bubbles: true }));  // the unsaved-changes warning, the preview
    }
  };

  // The form under the toolbar that inserts a [[wiki link]] (page names completed as one types),
  // an attached image or a link to an attached file. Typing [[ in the text opens it too.
  const insert = form.querySelector("[data-visual-insert]");
  const target = insert && insert.querySelector("#visual-insert-target");
  const shown = insert && insert.querySelector("#visual-insert-text");
  const options = insert && insert.querySelector("datalist");
  let inserting = null;  // "wikilink", "image" or "attachment" while the form is open
  let attachments = null;  // this page's attachments, asked for once
  let asked = 0;

  const offer = (names) => {
    options.replaceChildren(...names.map((name) => Object.assign(document.createElement("option"), { value: name })));
  };
  const complete = async (typed) => {
    const number = ++asked;
    const url = new URL(insert.dataset.completeUrl, window.location.href);
    url.searchParams.set("q", typed);
    if (inserting !== "wikilink" && attachments === null) url.searchParams.set("page", insert.dataset.page);
    try {
      const answer = await (await fetch(url, { credentials: "same-origin" })).json();
      if (answer.attachments) attachments = answer.attachments;
      if (number !== asked || !inserting) return;
      if (inserting === "wikilink") offer(answer.pages || []);
      else {
        const files = (attachments || []).filter((file) => inserting === "attachment" || file.image);
        offer(files.map((file) => file.name));
        const none = insert.querySelector("[data-insert-none]");
        none.textContent = insert.dataset.none;
        none.hidden = files.length > 0;
      }
    } catch { /* offline: the name can still be typed */ }
  };
  const closeInsert = () => {
    if (!insert) return;
    insert.hidden = true;
    inserting = null;
    if (editor) editor.action((ctx) => ctx.get(editorViewCtx).focus());
  };
  const openInsert = (kind) => {
    if (!insert || !editor) return;
    inserting = kind;
    insert.querySelector("[data-insert-title]").textContent = insert.dataset[`title${kind[0].toUpperCase()}${kind.slice(1)}`];
    insert.querySelector("[data-insert-label]").textContent = insert.dataset[`label${kind[0].toUpperCase()}${kind.slice(1)}`];
    insert.querySelector("[data-insert-text-label]").textContent = insert.dataset[`text${kind[0].toUpperCase()}${kind.slice(1)}`];
    insert.querySelector("[data-insert-none]").hidden = true;
    const selected = editor.action((ctx) => {
      const { state } = ctx.get(editorViewCtx);
      return state.doc.textBetween(state.selection.from, state.selection.to, " ");
    });
    target.value = "";
    shown.value = selected;
    offer([]);
    insert.hidden = false;
    target.focus();
    complete("");
  };
  const attachmentUrl = (name) => `${insert.dataset.attachmentsUrl}/${encodeURIComponent(name)}`;
  const finishInsert = () => {
    const name = target.value.trim();
    const text = shown.value.trim();
    const kind = inserting;
    if (!name || !kind) { target.focus(); return; }
    closeInsert();
    editor.action((ctx) => {
      const view = ctx.get(editorViewCtx);
      const { state } = view;
      if (kind === "wikilink") {
        const page = name.replace(/ /g, "_");
        view.dispatch(state.tr.insertText(text && text !== page ? `[[${page}|${text}]]` : `[[${page}]]`));
      } else if (kind === "attachment") {
        const mark = state.schema.marks.link.create({ href: attachmentUrl(name) });
        view.dispatch(state.tr.replaceSelectionWith(state.schema.text(text || name, [mark]), false));
      }
    });
    if (kind === "image") editor.action(callCommand(insertImageCommand.key, { src: attachmentUrl(name), alt: text }));
    sync();
  };
  if (insert) {
    target.addEventListener("input", () => { if (inserting === "wikilink") complete(target.value); });
    for (const field of [target, shown]) {
      field.addEventListener("keydown", (event) => {
        if (event.key === "Enter") { event.preventDefault(); finishInsert(); }  // never submit the page
        if (event.key === "Escape") { event.preventDefault(); closeInsert(); }
      });
    }
    insert.querySelector("[data-insert-ok]").addEventListener("click", finishInsert);
    insert.querySelector("[data-insert-cancel]").addEventListener("click", closeInsert);
  }

  const command = (name) => {
    const commands = {
      bold: toggleStrongCommand.key, italic: toggleEmphasisCommand.key, heading: wrapInHeadingCommand.key,
      bullets: wrapInBulletListCommand.key, numbers: wrapInOrderedListCommand.key, table: insertTableCommand.key,
    };
    if (name === "wikilink" || name === "image" || name === "attachment") {
      openInsert(name);
      return;
    }
    if (name === "link") {
      const href = window.prompt(host.dataset.linkPrompt || "URL", "https://");
      if (href) editor.action(callCommand(toggleLinkCommand.key, { href }));
    } else if (name === "heading") {
      editor.action(callCommand(commands.heading, 2));
    } else if (commands[name]) {
      editor.action(callCommand(commands[name]));
    }
    editor.action((ctx) => ctx.get(editorViewCtx).focus());
  };

  const open = async () => {
    const original = area.value;
    host.hidden = false;
    host.replaceChildren();
    editor = await Editor.make()
      .config((ctx) => {
        ctx.set(rootCtx, host);
        ctx.set(defaultValueCtx, original);
        ctx.update(editorViewOptionsCtx, (options) => ({
          ...options,
          // [[ typed: the wiki link form opens (the first bracket is taken back, the second never typed)
          handleTextInput: (view, from, to, text) => {
            const { $from } = view.state.selection;
            if (text !== "[" || from !== to || $from.parent.type.spec.code || !insert) return false;
            if ($from.parent.textBetween(Math.max(0, $from.parentOffset - 1), $from.parentOffset) !== "[") return false;
            view.dispatch(view.state.tr.delete(from - 1, from));
            setTimeout(() => openInsert("wikilink"), 0);
            return true;
          },
          attributes: { class: "page-body visual-surface", dir: "auto", role: "textbox", "aria-multiline": "true",
                        "aria-label": host.dataset.label || "", spellcheck: "true" },
        }));
        ctx.get(listenerCtx).updated(() => sync());
      })
      .use(commonmark).use(gfm).use(history).use(listener)
      .create();
    const doc = editor.action((ctx) => ctx.get(editorViewCtx).state.doc);
    let ranges = null;
    try { ranges = blockRanges(editor, original); } catch { ranges = null; }
    state = { original, ranges, doc };
    host.dataset.ready = "1";
  };

  const close = async () => {
    if (insert) { insert.hidden = true; inserting = null; }
    sync();
    if (editor) await editor.destroy();
    editor = null;
    state = null;
    host.replaceChildren();
    host.hidden = true;
    delete host.dataset.ready;
  };

  // The choice is the account's (every browser opens it), and this browser's too for a moment
  // without the network.
  const rememberMode = (mode) => {
    try { localStorage.setItem(MODE_KEY, mode); } catch { /* private mode */ }
    const token = form.querySelector('input[name="csrf_token"]');
    if (!host.dataset.modeUrl || !token) return;
    const body = new URLSearchParams({ mode, csrf_token: token.value });
    fetch(host.dataset.modeUrl, { method: "POST", body, credentials: "same-origin" })
      .then((answer) => { if (answer.ok) host.dataset.accountMode = mode; })
      .catch(() => { /* offline: this browser still remembers it */ });
  };

  const choose = async (mode, remember) => {
    for (const button of switcher.querySelectorAll("[data-mode]")) {
      button.setAttribute("aria-pressed", String(button.dataset.mode === mode));
    }
    if (remember) rememberMode(mode);
    const visual = mode === "visual";
    area.hidden = visual;
    if (label) label.classList.toggle("visually-hidden", visual);  // it names the Markdown textarea
    if (markdownToolbar) markdownToolbar.classList.toggle("visually-hidden", visual);
    if (toolbar) toolbar.hidden = !visual;
    if (preview && visual) preview.hidden = true;
    if (visual && !editor) await open();
    if (!visual && editor) await close();
    if (visual) editor.action((ctx) => ctx.get(editorViewCtx).focus());
    else area.focus();
  };

  switcher.hidden = false;
  for (const button of switcher.querySelectorAll("[data-mode]")) {
    button.addEventListener("click", () => { choose(button.dataset.mode, true); });
  }
  if (toolbar) {
    for (const button of toolbar.querySelectorAll("[data-visual]")) {
      button.addEventListener("mousedown", (event) => event.preventDefault());  // keep the selection
      button.addEventListener("click", () => { if (editor) command(button.dataset.visual); });
    }
  }
  host.addEventListener("keydown", (event) => {
    if (!(event.ctrlKey || event.metaKey) || event.altKey) return;
    const key = event.key.toLowerCase();
    if (key === "s") {
      event.preventDefault();
      sync();
      form.requestSubmit();
    } else if (key === "k") {
      event.preventDefault();
      command("link");
    }
  });
  form.addEventListener("submit", () => sync());
  let saved = host.dataset.accountMode || "";  // the account's choice first
  if (!saved) { try { saved = localStorage.getItem(MODE_KEY) || "markdown"; } catch { /* private mode */ } }
  if (saved === "visual") choose("visual", false);
}

document.addEventListener("DOMContentLoaded", () => {
  const area = document.getElementById("text");
  const form = area && area.closest("form");
  if (form && area.closest(".editor")) setupVisualEditor(form, area);
});
