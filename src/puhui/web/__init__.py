"""Web pages 网页: the server-rendered borrower app and the simple staff pages.

Owns HTML only: Jinja2 templates (``templates/``), the static assets (``static/``: one CSS file,
two small scripts, htmx and Apache ECharts vendored from the npm registry), the message catalogue
(``i18n`` — zh-CN by default, English on request) and the page routes mounted at ``/`` by the API
app factory (``mount.install``).

Rules: every UI string comes from ``i18n``; every page that touches a record asks
``puhui.api.authz`` (``authorize``/``visible``) — the one place for authorisation; money is shown
with ``money.format_yuan`` from integer fen; every form carries a CSRF token and every
money-moving form an idempotency key made when the form is rendered; a domain error is shown as
its sentence next to the field, never as a stack trace.
May import: ``services``, ``api`` (sessions, authorisation, response shapes, the listing
queries) and read functions of ``store``; never SQL of its own. Nothing imports ``web`` except
the app factory.
"""
