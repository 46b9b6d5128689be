# Example instance settings for Living Wiki. Copy to instance/config.py (the wiki creates that
# file with a generated SECRET_KEY on first start) and change what you need. Every setting can
# also come from an environment variable with the prefix WIKI_, e.g. WIKI_PUBLIC_READ=false.

# SECRET_KEY = "a long random string"          # generated on first start
# SITE_NAME = "Living Wiki"
# PUBLIC_READ = True                           # False: everything but the login page needs a login
# CONTENT_REPO = "/srv/wiki/content.git"      # default: <instance>/content.git
# USER_DATABASE = "/srv/wiki/users.sqlite3"   # default: <instance>/users.sqlite3
# CONTENT_SEED = "content"                     # pages imported into a new content repository
# GROUPS = {                                   # stakeholder groups: slug -> display name
#     "governments": "Governments",
#     "private-sector": "Private sector",
#     "civil-society": "Civil society",
#     "technical-academic": "Technical and academic community",
#     "international-organizations": "International organizations",
# }
# SEED_GROUP = "international-organizations"   # group of the import commit
# MAX_PAGE_BYTES = 1_000_000                   # larger pages are refused with 413
# MAX_PUSH_BYTES = 100_000_000                 # largest pack a `git push` to /content.git may send
# MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024      # larger uploads are refused with 413
# SEARCH_DATABASE = "/srv/wiki/search.sqlite3" # default: <instance>/search.sqlite3
# ANCHOR_DATABASE = "/srv/wiki/anchors.sqlite3" # default: <instance>/anchors.sqlite3 (places of threads)
# ANCHOR_BUDGET_SECONDS = 0.5                  # what one request may spend placing threads and rendering
# ANCHOR_BUDGET_WORK = 10_000_000              # comments; the rest is shown "not placed yet" / as typed
# ANCHOR_BACKGROUND = True                     # and done by a thread of each worker between requests
# SEARCH_PAGE_SIZE = 20
# HISTORY_PAGE_SIZE = 50
# LIMIT_THREADS_PER_HOUR = 30                  # per person (admins excepted); 0: no limit
# LIMIT_REPLIES_PER_HOUR = 120
# LIMIT_PROPOSALS_PER_HOUR = 10
# LIMIT_UPLOADS_PER_HOUR = 60                  # attachments and documents to import
# LIMIT_EXPORTS_PER_HOUR = 60
# SITE_URL = "https://wiki.example.org"        # where exported files and mail link to (never a request's Host)
# MAIL_SERVER = "smtp.example.org"             # notifications by e-mail (unset: none; needs SITE_URL)
# MAIL_PORT = 587
# MAIL_USE_TLS = True                          # STARTTLS; or MAIL_USE_SSL = True (port 465)
# MAIL_USERNAME = "wiki"
# MAIL_PASSWORD = "..."
# MAIL_FROM = "wiki@example.org"               # default: COMMITTER_EMAIL
# MAIL_RETRY_SECONDS = 60                      # a refused mail waits this long, then twice as long each time
# MAIL_MAX_ATTEMPTS = 10
# SCHEDULER_SECONDS = 60                       # each worker runs the due jobs (mail, digests, deadlines) this often,
#                                              # one at a time; 0: only `flask --app wiki scheduled` (cron)
# EXPORT_WAIT_SECONDS = 20                     # a request waits this long for a conversion (0-25), then a progress page
# EXPORT_WORKERS = 2                           # conversions running at once, across all workers
# JOBS_QUEUED = 16                             # export and import jobs waiting or running at once, in all
# JOBS_PER_CLIENT = 2                          # ... of one person or one anonymous address (429 past that)
# JOBS_ANONYMOUS = 4                           # ... of all visitors who are not logged in together
# IMPORT_STAGED_PER_USER = 10                  # uploaded documents one person may have waiting to be imported
# IMPORT_STAGED_BYTES_PER_USER = 100 * 1024 * 1024
# LIMITS_DATABASE = "/srv/wiki/limits.sqlite3" # default: <instance>/limits.sqlite3 (or DATABASE_URL's database)
# SECURE_COOKIES = False                       # True behind HTTPS: Secure cookies and HSTS
# COMMITTER_NAME = "Living Wiki"
# COMMITTER_EMAIL = "wiki@living-wiki.invalid"
# TRUSTED_PROXIES = 1                          # behind one nginx (deploy/nginx/): client address and scheme from it
# LOG_FORMAT = "json"                          # "text" (default) or "json": one JSON object per log line
# METRICS_TOKEN = "a long random string"       # /-/metrics also answers Authorization: Bearer <this>
# REPLICA_READY_SECONDS = 60                   # on a replica: /-/ready is 503 when the last fetch is older
