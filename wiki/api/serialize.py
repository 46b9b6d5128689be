"""The store's values as the JSON the OpenAPI document describes (plain dicts; no Flask but
``url_for`` for next-page links)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from flask import g, request

from .. import names
from ..diffs import Diff
from ..search import Hit
from ..store import Blame, Change, CommitInfo, PageComparison, PageEndorsements, Version, VersionState
from ..store.proposals import Consensus, Event, Proposal


def iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def commit(info: CommitInfo) -> dict[str, Any]:
    return {"id": info.id, "author_name": info.author_name, "author_email": info.author_email,
            "timestamp": info.timestamp, "time": iso(info.timestamp), "subject": info.subject, "group": info.group,
            "username": info.username, "parents": list(info.parents), "path": info.path, "proposal": info.proposal}


def page_summary(page: str) -> dict[str, Any]:
    return {"page": page, "title": names.page_title(page)}


def page_of(whole: Sequence[Any], shape: Callable[[Any], dict[str, Any]], *, offset: int, limit: int,
            ) -> dict[str, Any]:
    """The page ``offset``..``offset + limit`` of the whole list ``whole``, each item shaped by ``shape``."""
    return paged([shape(item) for item in whole[offset:offset + limit]], offset=offset, limit=limit, total=len(whole))


def paged(items: Sequence[Any], *, offset: int, limit: int, total: int | None = None, more: bool | None = None
          ) -> dict[str, Any]:
    """One page of a list: ``items`` are already the page's; ``more`` says whether any follow
    (else ``total`` does). Sets the next link for the ``Link`` header too."""
    if more is None:
        more = total is not None and offset + limit < total
    following = None
    if more:
        query = {key: value for key, value in request.args.items() if key != "offset"}
        query["offset"] = str(offset + limit)
        query["limit"] = str(limit)
        following = request.base_url + "?" + urlencode(query)
    g.api_next = following
    result: dict[str, Any] = {"items": list(items), "offset": offset, "limit": limit, "next": following}
    if total is not None:
        result["total"] = total
    return result


def diff(page: str, result: Diff, from_commit: str | None, to_commit: str) -> dict[str, Any]:
    return {"page": page, "from": from_commit, "to": to_commit, "added": result.added, "removed": result.removed,
            "truncated": result.truncated, "coarse": result.coarse,
            "hunks": [[{"kind": line.kind, "old_number": line.old_number, "new_number": line.new_number,
                        "segments": [{"text": s.text, "changed": s.changed} for s in line.segments]}
                       for line in hunk] for hunk in result.hunks]}


def blame(result: Blame) -> dict[str, Any]:
    return {"page": result.page, "revision": result.commit, "total_lines": result.total_lines,
            "shares": [{"group": s.group, "lines": s.lines, "percent": s.percent} for s in result.shares],
            "blocks": [{"commit": commit(b.commit), "start": b.start, "lines": list(b.lines)} for b in result.blocks]}


def change(item: Change) -> dict[str, Any]:
    return {"commit": commit(item.commit),
            "files": [{"status": f.status, "page": f.page, "old_page": f.old_page} for f in item.files]}


def compared(item: PageComparison) -> dict[str, Any]:
    return {"status": item.change.status, "page": item.change.page, "old_page": item.change.old_page,
            "groups": list(item.groups), "old_blob": item.old_blob, "new_blob": item.new_blob}


def hit(item: Hit) -> dict[str, Any]:
    return {"page": item.page, "title": item.title, "section": item.section, "language": item.language,
            "snippet": [{"text": text, "highlighted": highlighted} for text, highlighted in item.snippet]}


def version(item: Version) -> dict[str, Any]:
    return {"name": item.name, "title": item.title, "commit": item.commit, "tagger": item.tagger,
            "timestamp": item.timestamp, "group": item.group, "username": item.username}


def endorsements(state: PageEndorsements) -> dict[str, Any]:
    return {"page": state.page, "status": state.status, "consensus": state.consensus,
            "last_consensus": state.last_consensus, "missing": list(state.missing),
            "not_endorsing": list(state.not_endorsing),
            "groups": [{"group": group.group, "current": group.current, "commit": group.endorsement.commit,
                        "username": group.endorsement.username, "timestamp": group.endorsement.timestamp,
                        "action": group.endorsement.action} for group in state.groups]}


def translation(state: VersionState) -> dict[str, Any]:
    return {"page": state.page, "language": state.language, "state": state.state, "blob": state.blob,
            "source_commit": state.source.commit if state.source else None,
            "source_blob": state.source.blob if state.source else None}


def consensus(state: Consensus) -> dict[str, Any]:
    return {"holds": state.holds, "endorsing": list(state.endorsing), "missing": list(state.missing),
            "stale": list(state.stale),
            "objecting": [{"group": p.group, "reason": p.event.text} for p in state.objecting]}


def event(item: Event) -> dict[str, Any]:
    return {"kind": item.kind, "user": item.user, "group": item.group, "time": item.time, "head": item.head,
            "text": item.text}


def proposal(item: Proposal, state: Consensus) -> dict[str, Any]:
    return {"number": item.number, "title": item.title, "state": item.state, "author": item.author,
            "group": item.group, "created": item.created, "base": item.base, "head": item.head,
            "merged_commit": item.merged_commit, "closed_reason": item.closed_reason, "consensus": consensus(state),
            "deadline": item.deadline or None, "procedure": item.procedure}
