"""The wiki's rules, between the ways in and the store.

The ways in (web views, the JSON API, the CLI, the push hooks) read their request, build an
:class:`Actor` for whoever acts, call one action and shape the answer. An action takes the actor
and plain values, enforces every rule of the wiki once, calls the store and returns values or
raises a :class:`~wiki.errors.WikiError` (each carrying its HTTP code and a translatable message).
Nothing here reads the request or ``current_user``; the app's store and settings are read through
:mod:`.context`.

- ``pages``: save, rename, delete, revert, language versions; where proposals are required;
- ``proposals``: start, draft, take a group's position, comment, update, merge, close; the lists;
- ``comments``: start a thread on a passage, reply, resolve, reopen; the lists;
- ``reading``: what a reader sees (the page in which language, a page's text at a revision);
- ``imports``: a converted office document saved as a page or as a proposal.
"""

from .context import Actor

__all__ = ["Actor"]
