"""Migration in: another Git wiki's repository imported with its history (issue 16).

- :mod:`.plan`: what the source's files become here and who belongs to which group (pure).
- :mod:`.command`: ``flask --app wiki import-repo``, which reads, reports and writes through the store.
"""
