"""Annual country reports: the data model, charts, rendering (HTML, Markdown, PDF) and publishing
(Atom feed, mailing list). Rendering takes already-filtered data; it runs no queries."""
