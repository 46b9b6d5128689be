"""What a notification says, in English templates marked for translation: the inbox and the mails
translate them in the reader's language when shown (``gettext(template) % values``)."""

from __future__ import annotations

from ..errors import N_

ACTIVITIES = {
    "proposed": N_("%(actor)s proposed “%(title)s”"),
    "drafted": N_("%(actor)s changed the text of proposal “%(title)s”"),
    "commented": N_("%(actor)s commented on proposal “%(title)s”"),
    "endorsed": N_("%(actor)s endorsed proposal “%(title)s” for their group"),
    "objected": N_("%(actor)s objected to proposal “%(title)s” for their group"),
    "withdrew": N_("%(actor)s withdrew their group's position on proposal “%(title)s”"),
    "merged": N_("%(actor)s merged proposal “%(title)s” into the agreed text"),
    "closed": N_("%(actor)s closed proposal “%(title)s”"),
    "reopened": N_("%(actor)s reopened proposal “%(title)s”"),
    "deadline": N_("The deadline for positions on proposal “%(title)s” is in less than a day"),
    "adopted": N_("Proposal “%(title)s” was adopted under the silence procedure"),
    "silence_broken": N_("%(actor)s broke the silence on proposal “%(title)s”: it stays open for consensus"),
    "thread": N_("%(actor)s started a thread on %(title)s"),
    "replied": N_("%(actor)s replied in a thread on %(title)s"),
    "resolved": N_("%(actor)s resolved a thread on %(title)s"),
    "reopened_thread": N_("%(actor)s reopened a thread on %(title)s"),
    "edited": N_("%(actor)s changed %(title)s"),
    "call_opened": N_("%(actor)s opened the call for input “%(title)s”"),
    "responded": N_("%(actor)s responded to the call for input “%(title)s”"),
    "responded_unnamed": N_("Someone who asked not to be named responded to the call for input “%(title)s”"),
    "call_deadline": N_("The deadline of the call for input “%(title)s” is in less than a day"),
}
REASONS = {
    "awaiting": N_("Awaits your group"),
    "mention": N_("You were mentioned"),
    "mine": N_("Yours"),
    "watching": N_("You watch it"),
}
KINDS = {  # the kinds of mail on /-/account, in the order shown
    "awaiting": N_("Proposals awaiting my group"),
    "mine": N_("My proposals and threads"),
    "watching": N_("Pages and proposals I watch"),
    "mention": N_("Mentions of me or my group"),
}
FREQUENCIES = {
    "immediately": N_("Immediately"),
    "daily": N_("Daily digest"),
    "weekly": N_("Weekly digest"),
    "never": N_("Never"),
}
WIKI = N_("The wiki")  # the actor of what the wiki does itself (deadlines)
