"""Helpers shared by the tests; no test module imports another.

- ``app``: the test app with one user per role, logins, the edit form, the git command line.
- ``servers``: free ports, gunicorn on 127.0.0.1 (a context manager), waiting for an answer.
- ``browser``: one user's cookie jar over http.client, for servers in other processes.
- ``git_http``: a wiki served from a thread with werkzeug, and a git client with its own HOME.
- ``postgres``: a throwaway PostgreSQL for the session; the ``backend`` fixture (SQLite and PostgreSQL).
- ``matrix``: the route table's placeholders and calls (access matrix, headers, HTML validity).
- ``gitrepo``: commits made with git fast-import; a process's git children.
- ``webhooks``: a receiving HTTP server and the fast webhook settings.
- ``mail``: a real SMTP server on 127.0.0.1 (aiosmtpd) and the messages it received.
- ``imports``: the import form through HTTP (upload, save the preview) and the imported page's article.
- ``nginx``: Debian's nginx running deploy/nginx/living-wiki.conf.template with test ports and paths.
"""
