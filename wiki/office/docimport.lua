-- pandoc filter for imports (wiki/docimport.py): plain images (no size attributes, which would make
-- pandoc write raw <img> HTML), footnotes without the block quote ODF indentation turns into, and a
-- real header row for tables whose first row Word did not mark as one (the wiki's tables need it).
function Image(el)
  el.attributes = {}
  el.classes = {}
  el.identifier = ""
  return el
end

function Note(el)
  local blocks = {}
  for _, block in ipairs(el.content) do
    if block.t == "BlockQuote" then
      for _, inner in ipairs(block.content) do table.insert(blocks, inner) end
    else
      table.insert(blocks, block)
    end
  end
  el.content = blocks
  return el
end

function Table(tbl)
  for _, row in ipairs(tbl.head.rows) do
    for _, cell in ipairs(row.cells) do
      if #cell.contents > 0 then return tbl end
    end
  end
  if #tbl.bodies > 0 and #tbl.bodies[1].body > 0 then
    tbl.head.rows = {table.remove(tbl.bodies[1].body, 1)}
  end
  return tbl
end

-- A captioned image (Word's picture with a caption) becomes a paragraph with the image: the wiki's
-- Markdown has no figures, and markdown_strict would write them as raw HTML.
function Figure(fig)
  local blocks = {}
  for _, block in ipairs(fig.content) do
    if block.t == "Plain" then
      table.insert(blocks, pandoc.Para(block.content))
    else
      table.insert(blocks, block)
    end
  end
  return blocks
end

-- Word's Title and Subtitle paragraphs are read as the document's metadata, which the Markdown
-- would drop. The Subtitle opens the page as a paragraph; the Title is the page's title, not its
-- text: it comes first as one raw line that starts with the marker the caller passed
-- (living-wiki-title-marker), which docimport.py takes off the text.
function Pandoc(doc)
  local title, subtitle = doc.meta.title, doc.meta.subtitle
  local marker = doc.meta["living-wiki-title-marker"]
  if subtitle then
    table.insert(doc.blocks, 1, pandoc.Para(pandoc.Inlines(subtitle)))
  end
  if title and marker then
    local plain = pandoc.utils.stringify(title):gsub("%s+", " ")
    table.insert(doc.blocks, 1, pandoc.RawBlock("markdown", pandoc.utils.stringify(marker) .. " " .. plain))
  end
  doc.meta.title, doc.meta.subtitle = nil, nil
  doc.meta["living-wiki-title-marker"] = nil
  return doc
end

-- Bookmarks (an exported file's heading anchors, Writer's "anchor" marks) are empty spans: the
-- page's Markdown has no use for them, and they would change every line they open.
function Span(el)
  if #el.content == 0 then return {} end
  return el
end
