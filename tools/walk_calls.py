"""Walk a call for input as its users would, in a real browser, and keep what each of them saw.

    .venv/bin/python tools/walk_calls.py [--out /tmp/walk] [--languages en,ar] [--minutes 15]

A throwaway wiki (a temporary instance, gunicorn with two workers on 127.0.0.1 only) and Debian's
Chromium (/usr/bin/chromium, driven by Playwright; ``playwright install`` is never needed). For each
interface language, the secretariat opens a call (after some wrong input), a delegate drafts,
submits and changes a response (after some wrong input), another answers in Word (after uploading
wrong files), an invited guest answers without an account, the public reads the responses and the
secretariat downloads the files; then the deadline passes, a late response is accepted, the call is
closed and reopened. Each step is a screenshot at a wide and a phone width (390 px) in ``--out``,
and a line in ``--out``/walk.md: the address, the HTTP status, the messages shown, whether the page
scrolls sideways on the phone, and axe-core's serious and critical findings. The run is bounded
(``--minutes``); the server and the browser are stopped however it ends.
"""

from __future__ import annotations

import argparse
import io
import shutil
import signal
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from walk_harness import CHROMIUM, Walk, gunicorn, let_time_pass, make_instance  # noqa: E402

TEXTS = {
    "en": {"title": "Mapping of international Internet public policy issues",
           "description": "Please answer **by the deadline**. See the [[Home]] page.",
           "questions": [("Which gaps do you see in the current mapping?", "text", ""),
                         ("Your stakeholder category", "choice", "Government\nCivil society\nPrivate sector"),
                         ("Which issues matter most?", "choices", "Access\nSecurity\nHuman rights (HRC)")],
           "answer": "Jurisdiction over cross-border data flows is unclear.",
           "changed": "Jurisdiction over cross-border data flows is unclear; so is the role of ICANN.",
           "organization": "Digital Rights Org", "guest": "Gaston Guest"},
    "ar": {"title": "رسم خرائط قضايا السياسة العامة الدولية المتعلقة بالإنترنت",
           "description": "يرجى الرد **قبل الموعد النهائي**. انظر صفحة [[Home]].",
           "questions": [("ما الثغرات التي ترونها في الخريطة الحالية (مثل WSIS+20)؟", "text", ""),
                         ("فئتكم من أصحاب المصلحة", "choice", "حكومة\nمجتمع مدني\nقطاع خاص"),
                         ("ما القضايا الأهم؟", "choices", "النفاذ\nالأمن\nحقوق الإنسان (HRC)")],
           "answer": "الولاية القضائية على تدفقات البيانات عبر الحدود غير واضحة.",
           "changed": "الولاية القضائية على تدفقات البيانات عبر الحدود غير واضحة، وكذلك دور ICANN منذ 2016.",
           "organization": "منظمة الحقوق الرقمية (DRO)", "guest": "غاستون الضيف"},
}


# --------------------------------------------------------------------------- the walk


def in_days(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def fill_call(page: object, texts: dict[str, object], *, deadline: str, title: str | None = None) -> None:
    page.locator("#title").fill(texts["title"] if title is None else title)
    page.locator("#description").fill(texts["description"])
    page.locator("#deadline").fill(deadline)
    page.locator("#audience-invited").check()
    for index, (question, kind, options) in enumerate(texts["questions"]):
        page.locator(f"#question-{index}-text").fill(question)
        page.locator(f"#question-{index}-kind").select_option(kind)
        page.locator(f"#question-{index}-options").fill(options)


def open_call(walk: Walk, texts: dict[str, object]) -> str:
    """The secretariat opens the call, after three mistakes; the call's address."""
    sec = walk.person("sec")
    sec.goto(f"{walk.base}/-/calls")
    walk.step("sec", "the list of calls")
    sec.locator("a.button[href$='/-/calls/new']").click()
    walk.step("sec", "the new call form")
    sec.locator("button.primary").click()  # nothing filled in: the browser's own checks stop it
    walk.note("sent empty: the browser stops it (required title and deadline): "
              + sec.locator("#title").evaluate("e => e.validationMessage"))
    fill_call(sec, texts, deadline="next friday")
    sec.locator("button.primary").click()
    walk.step("sec", "a deadline in words")
    fill_call(sec, texts, deadline=(datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%d"))
    sec.locator("button.primary").click()
    walk.step("sec", "a deadline in the past")
    fill_call(sec, texts, deadline=in_days(14))
    sec.locator("#question-1-options").fill("Government")
    sec.locator("button.primary").click()
    walk.step("sec", "a choice with one option")
    fill_call(sec, texts, deadline=in_days(14), title="x" * 199 + "yz")
    sec.locator("#title").evaluate("(e) => e.removeAttribute('maxlength')")
    sec.locator("#title").fill("x" * 250)
    sec.locator("button.primary").click()
    walk.step("sec", "a title too long")
    fill_call(sec, texts, deadline=in_days(14))
    sec.locator("button[name=add]").click()
    walk.step("sec", "add a question")
    fill_call(sec, texts, deadline=in_days(14))
    sec.locator("button.primary").click()
    walk.step("sec", "the call is open")
    return sec.url.split("#")[0]


def answer_as_delegate(walk: Walk, texts: dict[str, object], call: str) -> None:
    amina = walk.person("amina")
    amina.goto(call)
    walk.step("amina", "the call, before answering")
    amina.locator("button[value=submit]").click()
    walk.step("amina", "submit with nothing filled in")
    amina.locator("#answer-q1").fill(texts["answer"])
    amina.locator("button[value=submit]").click()
    walk.step("amina", "submit without saying whether it may be cited")
    amina.locator("#answer-q1").fill(texts["answer"] * (100_000 // len(texts["answer"].encode()) + 1))  # > 100 kB
    amina.locator("#consent-cite").check()
    amina.locator("button[value=submit]").click()
    walk.step("amina", "an answer too long")
    amina.locator("#answer-q1").fill(texts["answer"])
    amina.locator("#answer-q2-2").check()
    amina.locator("#answer-q3-1").check()
    amina.locator("#answer-q3-3").check()
    amina.locator("#organization").fill(texts["organization"])
    amina.locator("button[value=draft]").click()
    walk.step("amina", "draft saved")
    amina.locator("#consent-aggregate").check()
    amina.locator("button[value=submit]").click()
    walk.step("amina", "response submitted")
    amina.locator("#answer-q1").fill(texts["changed"])
    amina.locator("button[value=submit]").click()
    walk.step("amina", "response changed")
    amina.locator("button[value=submit]").click()
    walk.step("amina", "submitted again unchanged")


def filled_form(template: bytes, texts: dict[str, object]) -> bytes:
    """The Word form filled in as a delegation would: an answer under the first heading, one option
    marked in the second, the others kept or deleted in the third."""
    import docx
    from docx.oxml import OxmlElement
    from docx.text.paragraph import Paragraph

    document = docx.Document(io.BytesIO(template))
    questions = texts["questions"]
    paragraphs = list(document.paragraphs)
    for paragraph in paragraphs:
        text = paragraph.text.strip()
        if paragraph.style.name.startswith("Heading") and text == questions[0][0]:
            answer = OxmlElement("w:p")  # Enter at the end of the heading: a new paragraph below it
            paragraph._p.addnext(answer)
            Paragraph(answer, paragraph._parent).add_run(texts["answer"] + " (Word)")
        elif text == f"☐ {questions[1][2].splitlines()[0]}":
            paragraph.text = text.replace("☐", "☒")
        elif text in {f"☐ {option}" for option in questions[2][2].splitlines()[1:]}:
            paragraph._element.getparent().remove(paragraph._element)
    data = io.BytesIO()
    document.save(data)
    return data.getvalue()


def answer_in_word(walk: Walk, texts: dict[str, object], call: str) -> None:
    gov = walk.person("gov")
    gov.goto(call)
    gov.locator("details.call-word summary").click()
    walk.step("gov", "answer in Word, opened")
    with gov.expect_download() as download:
        gov.locator("details.call-word a[download]").click()
    template = Path(download.value.path()).read_bytes()
    (walk.out / f"{walk.language}-form.docx").write_bytes(template)
    walk.note(f"the Word form: {download.value.suggested_filename}, {len(template):,} bytes")
    uploads = [("a text file named .docx", "answers.docx", b"My answers: yes, no, maybe.\n"),
               ("a PDF", "answers.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"),
               ("the form unchanged", "form.docx", template),
               ("the form filled in", "form-filled.docx", filled_form(template, texts))]
    for what, name, data in uploads:
        gov.goto(call)
        gov.locator("details.call-word summary").click()
        gov.locator("#call-word-file").set_input_files(files=[{"name": name, "mimeType": "application/octet-stream",
                                                               "buffer": data}])
        gov.locator("details.call-word button[type=submit]").click()
        walk.step("gov", f"upload {what}")
    gov.locator("#consent-cite").check()
    gov.locator("button[value=submit]").click()
    walk.step("gov", "the Word answers submitted")


def answer_as_guest(walk: Walk, texts: dict[str, object], call: str) -> None:
    sec = walk.pages["sec"]
    sec.goto(call)
    invitation = sec.locator(".call-manage a[dir=ltr]").first.get_attribute("href")
    anonymous = walk.person("anonymous", login=False)
    anonymous.goto(call)
    walk.step("anonymous", "the call without the invitation")
    guest = walk.person("guest", login=False)
    guest.goto(invitation)
    walk.step("guest", "the call from the invitation link")
    guest.locator("#answer-q1").fill(texts["answer"])
    guest.locator("#consent-cite").check()
    guest.locator("button[value=submit]").click()
    walk.step("guest", "submitted without a name")
    guest.locator("#name").fill(texts["guest"])
    guest.locator("#group").select_option("technical-academic")
    guest.locator("button[value=submit]").click()
    walk.step("guest", "submitted")


def read_responses(walk: Walk, call: str) -> None:
    reader = walk.person("public", login=False)
    reader.goto(call)
    walk.step("public", "the call as the public sees it")
    reader.locator("a[href*='/responses?by=question']").first.click()
    walk.step("public", "responses by question")
    reader.locator(".call-question-nav a").nth(1).click()
    walk.step("public", "responses to the choice question")
    reader.locator(".call-question-nav a").nth(2).click()
    walk.step("public", "responses to the multiple choice question")
    reader.goto(f"{call}/responses?by=respondent")
    walk.step("public", "responses by respondent")
    reader.locator("#r-group").select_option("civil-society")
    reader.locator(".filters button").click()
    walk.step("public", "filtered by a group")
    reader.locator("#r-group").select_option("")
    reader.locator("#r-q").fill("zzzz-nothing")
    reader.locator(".filters button").click()
    walk.step("public", "words that match nothing")
    reader.goto(call + "/responses?by=respondent")
    reader.locator(".call-response a[href$='/history']").first.click()
    walk.step("public", "the history of a response")
    sec = walk.pages["sec"]
    sec.goto(f"{call}/responses?by=respondent")
    walk.step("sec", "responses by respondent (the secretariat)")
    for label, url, extension in (("compilation", "/compilation?format=docx", "docx"),
                                  ("compilation", "/compilation?format=pdf", "pdf"),
                                  ("compilation", "/compilation?format=md", "md"),
                                  ("responses", "/responses.xlsx", "xlsx"), ("responses", "/responses.csv", "csv"),
                                  ("form", "/template.docx", "docx")):
        answer = sec.request.get(call + url, timeout=120_000)
        body = answer.body()
        walk.note(f"download {label} .{extension}: HTTP {answer.status}, {answer.headers.get('content-type')}, "
                  f"{len(body):,} bytes, {answer.headers.get('content-disposition', '')[:100]}")
        (walk.out / f"{walk.language}-{label}.{extension}").write_bytes(body)


def run_the_call(walk: Walk, texts: dict[str, object], call: str, instance: Path) -> None:
    sec = walk.pages["sec"]
    sec.goto(call)
    walk.step("sec", "run the call")
    sec.locator("#new-deadline").fill((datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    sec.locator("button[value=deadline]").click()
    walk.step("sec", "move the deadline into the past")
    sec.locator("#new-deadline").fill(in_days(21))
    sec.locator("button[value=deadline]").click()
    walk.step("sec", "move the deadline three weeks on")
    amina = walk.pages["amina"]
    amina.goto(call)  # her page open while the deadline passes
    amina.locator("#answer-q1").fill(texts["changed"] + " " + texts["answer"])
    let_time_pass(instance, call.rsplit("/", 1)[-1])
    walk.note("the deadline passes (moved a minute into the past in the repository)")
    amina.locator("button[value=submit]").click()
    walk.step("amina", "a change sent after the deadline")
    amina.goto(call)
    walk.step("amina", "the call after its deadline")
    biz = walk.person("biz")
    biz.goto(call)
    walk.step("biz", "a first response after the deadline, the form")
    biz.locator("#answer-q1").fill(texts["answer"])
    biz.locator("#consent-cite").check()
    biz.locator("button[value=submit]").click()
    walk.step("biz", "a late response sent")
    sec.goto(call)
    walk.step("sec", "a late response to accept")
    sec.locator(".call-manage button[value=accept]").first.click()
    walk.step("sec", "the late response accepted")
    sec.goto(f"{walk.base}/-/calls")
    walk.step("sec", "the list of calls after the deadline")
    sec.goto(call)
    sec.locator("#new-deadline").fill(in_days(7))
    sec.locator("button[value=reopen]").click()
    walk.step("sec", "reopened for a week")
    sec.locator("button[value=close]").click()
    walk.step("sec", "closed")
    amina.goto(call)
    walk.step("amina", "the closed call")
    sec.goto(f"{walk.base}/-/calls")
    walk.step("sec", "the list with a closed call")
    sec.goto(call)
    sec.locator("#new-deadline").fill("2020-01-01")
    sec.locator("button[value=reopen]").click()
    walk.step("sec", "reopen until a past date")


def walk_language(browser: object, base: str, out: Path, language: str, instance: Path) -> list[str]:
    walk = Walk(base, out, language, browser)
    texts = TEXTS[language]
    try:
        call = open_call(walk, texts)
        answer_as_delegate(walk, texts, call)
        answer_in_word(walk, texts, call)
        answer_as_guest(walk, texts, call)
        read_responses(walk, call)
        run_the_call(walk, texts, call, instance)
    except Exception as error:  # noqa: BLE001 - the walk reports where it stopped, and goes on
        walk.lines.append(f"**The walk stopped: {type(error).__name__}: {str(error)[:800]}**\n")
        print(f"stopped: {error}", flush=True)
        for name, page in walk.pages.items():
            try:
                page.screenshot(path=str(out / f"{language}-stopped-{name}.png"), full_page=True, timeout=10_000)
            except Exception:  # noqa: BLE001 - a page that cannot be shot is left out of the report
                walk.lines.append(f"(no screenshot of {name}'s page)")
    finally:
        for page in walk.pages.values():
            page.context.close()
    return [f"## {language}\n", *walk.lines]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/walk"))
    parser.add_argument("--languages", default="en,ar")
    parser.add_argument("--minutes", type=float, default=15)
    options = parser.parse_args()
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError("the walk took too long")))
    signal.alarm(int(options.minutes * 60))
    from playwright.sync_api import sync_playwright

    shutil.rmtree(options.out, ignore_errors=True)
    options.out.mkdir(parents=True)
    report = ["# A call for input, walked\n"]
    with tempfile.TemporaryDirectory(prefix="walk-calls-") as folder:
        instance = Path(folder) / "instance"
        make_instance(instance)
        with gunicorn(instance, Path(folder) / "gunicorn.log") as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"])
            try:
                for language in options.languages.split(","):
                    report += walk_language(browser, base, options.out, language, instance)
            finally:
                browser.close()
                log = (Path(folder) / "gunicorn.log").read_text(errors="replace")
                if "Traceback" in log:
                    report.append("## Server errors\n\n```\n" + log[-6000:] + "\n```\n")
                (options.out / "walk.md").write_text("\n".join(report), encoding="utf-8")
    print(f"{options.out / 'walk.md'}: {len(report)} lines")


if __name__ == "__main__":
    main()
