"""What every file a push adds or changes must be: a page (``wiki.texts``' rules) or an attachment
(``wiki.attachments``' rules), named canonically, no case twins, no version without its page."""

from __future__ import annotations

from collections.abc import Callable

from .. import attachments, names
from ..commits import RawCommit
from ..errors import WikiError
from ..gitserver import FileChange, HookRepository
from ..texts import has_conflict_markers, page_text_from_bytes
from .refs import PAGE_MODE, HookSettings


def files_to_check(commits: list[str], raw: dict[str, RawCommit], repo: HookRepository,
                    trusted_tips: list[str]) -> list[FileChange]:
    """The files of the pushed commits that no trusted parent already had, whatever the parent order.

    A parent is trusted when it is a pushed commit (checked here too) or was already on main or on
    the proposal branch pushed to (``trusted_tips``: checked when it came). A file identical to a
    trusted parent's is fine; every other file of a commit is checked, so a merge with a commit from
    anywhere else (``refs/notes/*``, an unrelated history, another proposal) cannot bring files in,
    whether that commit is its first parent or not.
    """
    new = set(commits)
    outside = {parent for commit in commits for parent in raw[commit].parents if parent not in new}
    untrusted = repo.outside_history(outside, trusted_tips)
    pairs: list[tuple[str, str | None]] = []
    for commit in commits:
        trusted = [parent for parent in raw[commit].parents if parent not in untrusted]
        pairs += [(commit, parent) for parent in dict.fromkeys(trusted)] or [(commit, None)]
    diffs = repo.changes_against(pairs)
    changes: list[FileChange] = []
    start = 0
    while start < len(pairs):
        commit = pairs[start][0]
        end = start
        while end < len(pairs) and pairs[end][0] == commit:
            end += 1
        # A file needs checking when it differs from every trusted parent.
        common = set.intersection(*({change.path for change in diff} for diff in diffs[start:end]))
        changes += [change for change in diffs[start] if change.path in common]
        start = end
    return changes



def check_files(changes: list[FileChange], repo: HookRepository, settings: HookSettings,
                 branch_tips: list[str]) -> list[str]:
    """The page and attachment rules for ``changes``; then, for each pushed branch tip (main, a
    proposal), no new page has a case twin or is a language version without its page there."""
    problems = []
    pages_by_blob: dict[str, str] = {}
    attachments_by_blob: dict[str, str] = {}
    new_pages: list[tuple[str, str]] = []  # (commit, path)
    for change in changes:
        where = f"commit {change.commit[:10]}"
        try:
            path = change.path.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(f"{where}: a file name is not valid UTF-8 ({change.path!r}).")
            continue
        if change.mode == PAGE_MODE and names.page_from_attachment_file(path) is not None:
            problem = _attachment_name_problem(path)
            if problem:
                problems.append(f"{where}: {path}: {problem}")
            else:
                attachments_by_blob.setdefault(change.blob, path)
            continue
        problem = _path_problem(path, change.mode)
        if problem:
            problems.append(f"{where}: {path}: {problem}")
            continue
        pages_by_blob.setdefault(change.blob, path)
        new_pages.append((change.commit, path))
    if problems:
        return problems
    sizes = repo.object_sizes({**pages_by_blob, **attachments_by_blob})
    small = []
    for blob, path in pages_by_blob.items():
        size = sizes.get(blob, 0)
        if size > settings.max_page_bytes:
            problems.append(f"{path}: {size:,} bytes; a page can have at most {settings.max_page_bytes:,} bytes.")
        else:
            small.append(blob)
    for blob, data in repo.read_blobs(small):
        try:
            text = page_text_from_bytes(data, settings.max_page_bytes)
        except WikiError as error:
            problems.append(f"{pages_by_blob[blob]}: {error.message}")
            continue
        if has_conflict_markers(text):
            problems.append(f"{pages_by_blob[blob]}: still contains conflict markers (<<<<<<< and >>>>>>>). "
                            "Choose the text to keep, remove the markers, and push again.")
    problems += _check_attachment_contents(attachments_by_blob, sizes, repo, settings)
    if new_pages and not problems:
        for tip in dict.fromkeys(branch_tips):
            # With several branches pushed at once, each is judged by the pages its own commits add.
            reachable = set(repo.new_commits([tip])) if len(branch_tips) > 1 else None
            paths = {path for commit, path in new_pages if reachable is None or commit in reachable}
            if paths:
                all_files = repo.all_files(tip)
                problems += _case_twins(paths, all_files)
                problems += _orphan_versions(paths, all_files)
    return list(dict.fromkeys(problems))


def _orphan_versions(new_paths: set[str], all_files: list[bytes]) -> list[str]:
    """Language versions (``<page>.<lang>.md``) pushed without their page ``<page>.md``."""
    present = {raw.decode("utf-8", "replace") for raw in all_files}
    problems = []
    for path in sorted(new_paths):
        version = names.version_from_file(path)
        if version is not None and names.page_file(version[0]) not in present:
            problems.append(f"{path}: the {version[1]!r} version of {version[0]!r}, which does not exist; "
                            f"push {names.page_file(version[0])} too.")
    return problems


def _attachment_name_problem(path: str) -> str | None:
    """Why ``path`` (``<page>.files/<name>``) cannot be an attachment, or ``None``."""
    return _name_problem(path.rpartition("/")[2], attachments.check_name, "attachment")


def _name_problem(name: str, canonical_form: Callable[[str], str], what: str, suffix: str = "") -> str | None:
    """Why ``name`` is not a ``what`` name as the wiki writes it (``canonical_form`` refuses it or
    spells it otherwise), or ``None``."""
    try:
        canonical = canonical_form(name)
    except WikiError as error:
        return f"not a valid {what} name: {error.message}"
    if canonical != name:
        return f"{what} names are written with underscores for spaces and in NFC; call it {canonical}{suffix}."
    return None


def _check_attachment_contents(by_blob: dict[str, str], sizes: dict[str, int], repo: HookRepository,
                               settings: HookSettings) -> list[str]:
    """The upload rules for pushed attachments: size, then the type checked by content."""
    problems = []
    within_limit = []
    for blob, path in by_blob.items():
        size = sizes.get(blob, 0)
        if size > settings.max_attachment_bytes:
            problems.append(f"{path}: {size:,} bytes; an attachment can have at most "
                            f"{settings.max_attachment_bytes:,} bytes.")
        else:
            within_limit.append(blob)
    for blob, data in repo.read_blobs(within_limit):
        path = by_blob[blob]
        try:
            attachments.check_content(path.rpartition("/")[2], data)
        except WikiError as error:
            problems.append(f"{path}: {error.message}")
    return problems


def _path_problem(path: str, mode: str) -> str | None:
    """Why ``path`` cannot be a page file, or ``None``."""
    if mode != PAGE_MODE:
        kinds = {"120000": "a symbolic link", "160000": "a submodule", "100755": "an executable file"}
        return f"only regular page files can be pushed, not {kinds.get(mode, 'mode ' + mode)}."
    if not path.endswith(names.PAGE_SUFFIX):
        return ("only pages (Markdown files named <Page name>.md), their language versions "
                "(<Page name>.<language>.md) and their attachments (<Page name>.files/<file name>) can be pushed.")
    if names.version_from_file(path) is not None:
        return None  # a language version: checked like a page (size, UTF-8)
    return _name_problem(path[: -len(names.PAGE_SUFFIX)], names.normalize_page_name, "page", names.PAGE_SUFFIX)


def _case_twins(new_pages: set[str], all_files: list[bytes]) -> list[str]:
    """New pages whose names differ only in case from another page (they clash on many file systems)."""
    by_fold: dict[str, list[str]] = {}
    for raw in all_files:
        path = raw.decode("utf-8", "replace")
        by_fold.setdefault(path.casefold(), []).append(path)
    problems = []
    for path in sorted(new_pages):
        twins = [other for other in by_fold.get(path.casefold(), []) if other != path]
        if twins:
            problems.append(f"{path}: differs only in case from {twins[0]}.")
    return problems


# --------------------------------------------------------------------------- post-receive
