"""Word, OpenDocument and PDF for the wiki (issue 17), without Flask: shared by exports and imports.

- :mod:`.convert`: ``pandoc(source, from_format=, to_format=, args=, files=, limits=, sandbox=)``,
  ``html_to_pdf(html, stylesheets=, limits=)`` and ``run_limited(argv, cwd, limits)``: child processes
  under :class:`~.convert.Limits` (seconds, bytes of address space); failures raise
  :class:`~.convert.ConversionError` (422) or :class:`~.convert.ConversionLimitExceeded` (413).
- :mod:`.reference`: the styles of exported .docx/.odt (``reference_doc(kind)``, ``finish_docx``).
- :mod:`.document`: pages as the wiki renders them → one document's HTML (ids, headings, links,
  images, directions, footnotes) for WeasyPrint (``pdf_html``) and pandoc (``pandoc_html``).
- :mod:`.exporter`: ``export(document, fmt, images=, limits=, progress=)`` for docx, odt, pdf, md.
- :mod:`.docimport`: .docx/.odt uploads checked and converted to Markdown and images.
- :mod:`.jobs`: :class:`~.jobs.JobRunner`, background jobs keyed by ``job_key(...)`` whose state
  and files live on disk, so every worker sees every job.
"""
