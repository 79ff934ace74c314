"""The public intake pages: the request form, the receipt, and the requester's mailbox.

No cookies: the request form carries a signed single-use token, and an opened mailbox travels in a
hidden form field from page to page (every mailbox page is the answer to a POST, never a URL).
No script is needed; the quick exit uses one where the browser runs it. The language can be changed on every
page but the receipt without losing anything: the switch re-posts the page's form to itself in the other language.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.signals import setting_changed
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from ferry.core.health import space_low
from ferry.core.uploads import refused_uploads, uploads_sent
from ferry.intake import errors, forms, mailbox, puzzle, submission
from ferry.intake.models import FormNonce
from ferry.intake.uploads import CleanFile, Refused, clean_upload
from ferry.vault import codewords

FILES_FIELD = "files"


def public(view: Any) -> Any:
    """Open to anyone, no CSRF cookie (forms carry their own token), never cached."""
    return login_not_required(csrf_exempt(never_cache(view)))


def _render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    # The shell's language links (a GET of the same address) would lose what the page holds after a POST: each
    # intake page brings its own switch.
    context["hide_languages"] = True
    # Every variable the intake templates read is always set: nothing for the template logger to report.
    for name in ("notice", "problem", "code_problem"):
        context.setdefault(name, "")
    context.setdefault("max_files", settings.FERRY_UPLOAD_MAX_FILES)
    context.setdefault("max_file_mb", settings.FERRY_UPLOAD_MAX_FILE_BYTES // (1024 * 1024))
    return render(request, template, context, status=status)


def _front(
    request: HttpRequest,
    *,
    form: forms.RequestForm | None = None,
    code_form: forms.CodeForm | None = None,
    problem: str = "",
    code_problem: str = "",
    status: int = 200,
) -> HttpResponse:
    return _render(
        request,
        "intake/front.html",
        {
            "form": form or forms.RequestForm(),
            "code_form": code_form or forms.CodeForm(),
            "form_token": forms.form_token_new(),
            "puzzle_bits": _puzzle_bits(),
            "problem": problem,
            "code_problem": code_problem,
        },
        status=status,
    )


def _puzzle_bits() -> int:
    return puzzle.bits() if puzzle.flood_on() else 0


# Pages the same for every visitor in one language but for a few values (tokens, codes), each rendered once with a
# slot for each value. A slot is no valid token or code: were one left in a page, that page's form would be
# refused as too old and its code would open nothing, never shared by two people.
_PAGES: dict[tuple[object, ...], bytes] = {}
_FORM_TOKEN_SLOT = "FORM-TOKEN-SLOT"  # noqa: S105 - a placeholder, never a valid token
_OPEN_TOKEN_SLOT = "OPEN-TOKEN-SLOT"  # noqa: S105 - a placeholder, never a valid token
_CODE_SLOT, _WORDS_SLOT = "RECEIPT-CODE-SLOT", "RECEIPT-WORDS-SLOT"
_DURESS_CODE_SLOT, _DURESS_WORDS_SLOT = "DURESS-CODE-SLOT", "DURESS-WORDS-SLOT"
_SLOTS = (_FORM_TOKEN_SLOT, _OPEN_TOKEN_SLOT, _CODE_SLOT, _WORDS_SLOT, _DURESS_CODE_SLOT, _DURESS_WORDS_SLOT)
# One pass over the page: a value filled in is never searched for another slot.
_SLOT_RE = re.compile("|".join(_SLOTS).encode())


def _page(
    request: HttpRequest, key: tuple[object, ...], template: str, context: Callable[[], dict[str, Any]], slots: set[str]
) -> bytes:
    """The shared page of this key in the active language, rendered with its slots the first time and checked to
    hold each of them once. Nothing of the visitor's request may enter it: no messages for a staff browser; the
    page holds only settings, translations, the empty forms and the slots."""
    full_key = (*key, get_language() or "")
    page = _PAGES.get(full_key)
    if page is None:
        page = _render(request, template, {**context(), "messages": ()}).content
        if any(page.count(slot.encode()) != (1 if slot in slots else 0) for slot in _SLOTS):
            raise RuntimeError(f"{template} must hold each of its slots once")
        _PAGES[full_key] = page
    return page


def _slotted(
    request: HttpRequest,
    key: tuple[object, ...],
    template: str,
    context: Callable[[], dict[str, Any]],
    values: dict[str, str],
) -> HttpResponse:
    """The page of this key (see _page), each slot filled with its value, escaped."""
    page = _page(request, key, template, context, set(values))
    filled = {slot.encode(): escape(value).encode() for slot, value in values.items()}
    return HttpResponse(
        _SLOT_RE.sub(lambda found: filled[found.group(0)], page), content_type="text/html; charset=utf-8"
    )


def _code_form_slotted() -> forms.CodeForm:
    code_form = forms.CodeForm()
    code_form.fields["open_token"].initial = _OPEN_TOKEN_SLOT
    return code_form


def _front_slotted() -> dict[str, Any]:
    return {"form": forms.RequestForm(), "code_form": _code_form_slotted(), "form_token": _FORM_TOKEN_SLOT}


@public
@require_GET
def front(request: HttpRequest) -> HttpResponse:
    """The empty request form, rendered once per language and puzzle: each copy gets only its own single-use
    tokens. Most of what a request costs the server is then the derivation of its receipt code."""
    bits = _puzzle_bits()
    tokens = {_FORM_TOKEN_SLOT: forms.form_token_new(), _OPEN_TOKEN_SLOT: forms.form_token_new()}
    return _slotted(
        request, ("front", bits), "intake/front.html", lambda: {**_front_slotted(), "puzzle_bits": bits}, tokens
    )


@receiver(setting_changed)
def _pages_forget(**kwargs: Any) -> None:
    """Pages made once hold the organisation's settings (its name, the intake's title, the upload limits)."""
    _PAGES.clear()
    _BUSY_PAGES.clear()


def _upload_limits(request: HttpRequest) -> list[str]:
    """The refusals that need no file opened: too many files, a file too large. Checked before any is decoded."""
    problems = [
        _("“%(name)s” is too large. Each file may be up to %(mb)s MB, all together up to %(total)s MB.")
        % {
            "name": name,
            "mb": settings.FERRY_UPLOAD_MAX_FILE_BYTES // (1024 * 1024),
            "total": settings.FERRY_UPLOAD_MAX_TOTAL_BYTES // (1024 * 1024),
        }
        for name in refused_uploads(request)
    ]
    if uploads_sent(request) > settings.FERRY_UPLOAD_MAX_FILES:
        count = settings.FERRY_UPLOAD_MAX_FILES
        problems.append(
            ngettext("Send at most %(count)s file at a time.", "Send at most %(count)s files at a time.", count)
            % {"count": count}
        )
    return problems


def _uploads(request: HttpRequest) -> tuple[list[CleanFile], list[str]]:
    """Accepted files and, for the others, one message each in the person's language. Nothing is decoded when
    the limits already refuse the form: its files are sent again anyway."""
    problems = _upload_limits(request)
    if problems:
        return [], problems
    accepted = []
    for upload in request.FILES.getlist(FILES_FIELD):
        try:
            accepted.append(clean_upload(upload.name or "", upload.read()))
        except Refused as exc:
            problems.append(f"“{upload.name}”: {exc}")
    return accepted, problems


def _no_space(request: HttpRequest) -> str:
    """The server's disk is nearly full (see ferry.core.health.space_low): nothing new is taken, the text stays.
    An empty answer when there is room."""
    incoming = sum(upload.size or 0 for upload in request.FILES.getlist(FILES_FIELD))
    if not space_low(incoming):
        return ""
    message = _(
        "We cannot take new messages at the moment because of a technical problem on our side. "
        "Your text is still here: please try again later."
    )
    return " ".join(p for p in (message, _files_again(request)) if p)


def _files_again(request: HttpRequest) -> str:
    """A browser cannot be given chosen files back: say so when a page comes back without them."""
    return _("Nothing was sent. Choose the files again and send.") if request.FILES else ""


def _front_in_language(request: HttpRequest) -> HttpResponse:
    """The language switch of the request form: the form comes back in the other language with what was typed;
    nothing is checked, sent or spent. If it was already refused once, its messages come back too."""
    if request.POST.get("checked"):
        form = forms.RequestForm(request.POST)
        problem = "" if form.is_valid() else _("Please check the highlighted fields.")
    else:
        form, problem = forms.RequestForm(initial=request.POST.dict()), ""
    return _front(request, form=form, problem=" ".join(p for p in (problem, _files_again(request)) if p))


@public
@require_POST
def send(request: HttpRequest) -> HttpResponse:
    return _front_in_language(request) if "relang" in request.POST else _send(request)


def _send_refused(request: HttpRequest, form: forms.RequestForm, nonce: str | None) -> HttpResponse | None:
    """The form back with what was typed, when its fields, its token or its files' number or sizes refuse it."""
    if not form.is_valid():
        problem = " ".join(p for p in (_("Please check the highlighted fields."), _files_again(request)) if p)
        return _front(request, form=form, problem=problem, status=400)
    if nonce is None:
        return _front(
            request,
            form=form,
            problem=_(
                "This page was open too long, or was not sent from this site. "
                "Nothing was sent: check it and send again."
            ),
            status=400,
        )
    if FormNonce.objects.filter(digest=nonce).exists():
        return _replayed(request, form)
    no_space = _no_space(request)
    if no_space:
        return _front(request, form=form, problem=no_space, status=503)
    return None


def _replayed(request: HttpRequest, form: forms.RequestForm) -> HttpResponse:
    return _front(
        request,
        form=form,
        problem=_(
            "This form was already sent once. If you did not see your code then, send it again now: "
            "your text is still here (choose any files again)."
        ),
        status=409,
    )


def _send(request: HttpRequest) -> HttpResponse:
    form = forms.RequestForm(request.POST)
    nonce = forms.form_token_nonce(request.POST.get("form_token", ""))
    refused = _send_refused(request, form, nonce)
    if refused is not None:
        return refused
    # The token and the limits were checked before any file is opened: a forged form decodes nothing.
    uploads, upload_problems = _uploads(request)
    if upload_problems:
        problem = " ".join(upload_problems) + " " + _("Nothing was sent. Choose the files again and send.")
        return _front(request, form=form, problem=problem, status=400)
    assert nonce is not None  # noqa: S101 - _send_refused answered a missing one
    _receipt_pages_ready(request)
    data = form.cleaned_data
    try:
        receipt = submission.submission_create(
            data=submission.Submission(
                name=data["name"],
                phone=data["phone"],
                handle=data["handle"],
                email=data["email"],
                country=data["country"],
                region=data["region"],
                place=data["place"],
                story=data["story"],
                needs=data["needs"],
                urgency=data["urgency"],
            ),
            uploads=uploads,
            want_duress=data["want_duress"],
            nonce=nonce,
            ranked=puzzle.solved(request.POST.get("form_token", ""), request.POST.get("puzzle", "")),
        )
    except errors.Replayed:
        return _replayed(request, form)
    except errors.StorageFull as exc:
        return _front(request, form=form, problem=str(exc) + " " + _("Your text is still here."), status=507)
    except errors.NotReady as exc:
        return _front(
            request,
            form=form,
            problem=str(exc) + " " + _("Your text is still here: please try again in a few minutes."),
            status=503,
        )
    return _receipt_page(request, receipt)


def _receipt_context(duress: bool) -> Callable[[], dict[str, Any]]:
    def slotted() -> dict[str, Any]:
        return {
            "receipt": submission.Receipt(code=_CODE_SLOT, duress_code=_DURESS_CODE_SLOT if duress else None),
            "words": _WORDS_SLOT,
            "duress_words": _DURESS_WORDS_SLOT if duress else "",
            "code_form": _code_form_slotted(),
        }

    return slotted


def _receipt_slots(duress: bool) -> set[str]:
    return {_CODE_SLOT, _WORDS_SLOT, _OPEN_TOKEN_SLOT} | ({_DURESS_CODE_SLOT, _DURESS_WORDS_SLOT} if duress else set())


def _receipt_pages_ready(request: HttpRequest) -> None:
    """Make (and check) both receipt pages of this language before a request is stored: were one unable to show
    its codes, the server fails while nothing is saved, never after a request whose codes nobody saw."""
    for duress in (False, True):
        _page(request, ("receipt", duress), "intake/receipt.html", _receipt_context(duress), _receipt_slots(duress))


def _receipt_page(request: HttpRequest, receipt: submission.Receipt) -> HttpResponse:
    """The codes, shown once. No language switch here: a page in another language could not show them again.
    Rendered once per language, with or without a duress code; each answer fills in its codes and token."""
    duress = receipt.duress_code is not None
    values = {_CODE_SLOT: receipt.code, _WORDS_SLOT: _in_words(receipt.code), _OPEN_TOKEN_SLOT: forms.form_token_new()}
    if receipt.duress_code is not None:
        values |= {_DURESS_CODE_SLOT: receipt.duress_code, _DURESS_WORDS_SLOT: _in_words(receipt.duress_code)}
    return _slotted(request, ("receipt", duress), "intake/receipt.html", _receipt_context(duress), values)


def _in_words(code: str | None) -> str:
    """The code as seven words of the page's language (the same code: its digits open the same mailbox)."""
    if not code:
        return ""
    language = "ru" if (get_language() or "").startswith("ru") else "en"
    return codewords.to_words(code.replace(" ", ""), language)


# --- the mailbox ----------------------------------------------------------------------------------------


def _mailbox(request: HttpRequest, state: mailbox.MailboxState, token: str, **extra: Any) -> HttpResponse:
    context = {
        "token": token,
        "thread": mailbox.mailbox_thread(state),
        "last_checkin": mailbox.mailbox_last_checkin(state),
        "message_form": extra.pop("message_form", None) or forms.MessageForm(),
        **extra,
    }
    return _render(request, "intake/mailbox.html", context, status=extra.get("status", 200))


def _code_page(request: HttpRequest, problem: str, status: int, form: forms.CodeForm | None = None) -> HttpResponse:
    """A small page with the code form alone: cheap to answer, even to a flood of guesses."""
    return _render(
        request, "intake/code.html", {"code_form": form or forms.CodeForm(), "code_problem": problem}, status
    )


_BUSY_PAGES: dict[tuple[str, str], tuple[bytes, bytes]] = {}
_TYPED = "TYPED-CODE-GOES-HERE"


def _busy_page(request: HttpRequest, problem: str, typed: str) -> HttpResponse:
    """The "wait and try again" page is rendered once per language and text, so answering a flood of guesses
    costs next to nothing. Only its form's single-use token is new each time, and the code as it was typed."""
    key = (request.LANGUAGE_CODE, problem)
    if key not in _BUSY_PAGES:
        form = forms.CodeForm(initial={"code": _TYPED})
        token = str(form.fields["open_token"].initial).encode()
        _BUSY_PAGES[key] = (_code_page(request, problem, 429, form=form).content, token)
    page, token = _BUSY_PAGES[key]
    page = page.replace(token, forms.form_token_new().encode()).replace(_TYPED.encode(), escape(typed).encode())
    return HttpResponse(page, status=429, content_type="text/html; charset=utf-8")


def _spent(form: forms.CodeForm) -> bool:
    """Record the form's single-use token; True when it is missing, forged, too old or was used before."""
    nonce = forms.form_token_nonce(form.submitted_token)
    if nonce is None:
        return True
    try:
        with transaction.atomic():
            FormNonce.objects.create(digest=nonce, day=timezone.now().date())
    except IntegrityError:
        return True
    return False


@public
@require_POST
def mailbox_open(request: HttpRequest) -> HttpResponse:
    code_form = forms.CodeForm(request.POST)
    if _spent(code_form):
        # Sent again (from history, after a quick exit), forged or too old: nothing is tried, nothing said.
        return _code_page(request, _("This page has expired. Enter your code to open your mailbox."), 400)
    if not code_form.is_valid():
        return _code_page(request, "", 400, form=code_form)
    try:
        access = mailbox.mailbox_open(code_form.cleaned_data["code"])
    except errors.Busy as exc:
        return _busy_page(request, str(exc), str(code_form.data.get("code", "")))
    except errors.IntakeError as exc:
        # The code comes back as it was typed, to be corrected rather than typed again (24 digits or seven
        # words, often on a phone). A page sent again from history shows it no more: its token is spent, and
        # that page is blank.
        return _code_page(request, str(exc), 400, form=code_form)
    state = mailbox.mailbox_state(access.token)
    return _mailbox(request, state, access.token)


def _with_state(request: HttpRequest) -> tuple[mailbox.MailboxState, str] | HttpResponse:
    """The open mailbox, under a fresh token: every page answers with a new one and the one it was sent with
    stops working, so a page sent again from the browser's history opens nothing."""
    token = request.POST.get("box", "")
    try:
        state = mailbox.mailbox_state(token)
        return state, mailbox.mailbox_rotate(state)
    except errors.MailboxClosed as exc:
        return _code_page(request, str(exc), 400)


@public
@require_POST
def mailbox_view(request: HttpRequest) -> HttpResponse:
    """The mailbox again; also the language switch, which posts the message form here: the text comes back."""
    found = _with_state(request)
    if isinstance(found, HttpResponse):
        return found
    state, token = found
    draft = forms.MessageForm(initial={"text": request.POST.get("text", "")})
    return _mailbox(request, state, token, message_form=draft, problem=_files_again(request))


@public
@require_POST
def mailbox_send(request: HttpRequest) -> HttpResponse:
    found = _with_state(request)
    if isinstance(found, HttpResponse):
        return found
    state, token = found
    form = forms.MessageForm(request.POST)
    if not form.is_valid():
        return _mailbox(request, state, token, message_form=form, problem=_files_again(request), status=400)
    uploads, problems = _uploads(request)
    if problems:
        problem = " ".join(problems) + " " + _("Nothing was sent. Choose the files again and send.")
        return _mailbox(request, state, token, message_form=form, problem=problem, status=400)
    no_space = _no_space(request)
    if no_space:
        return _mailbox(request, state, token, message_form=form, problem=no_space, status=503)
    try:
        mailbox.mailbox_send(state, text=form.cleaned_data["text"], uploads=uploads)
    except errors.StorageFull as exc:
        problem = str(exc) + " " + _("Your text is still here.")
        return _mailbox(request, state, token, message_form=form, problem=problem, status=507)
    return _mailbox(request, state, token, notice=_("Your message was sent."))


@public
@require_POST
def mailbox_checkin(request: HttpRequest) -> HttpResponse:
    found = _with_state(request)
    if isinstance(found, HttpResponse):
        return found
    state, token = found
    mailbox.mailbox_checkin(state)
    return _mailbox(request, state, token, notice=_("Thank you. We know you are safe now."))


@public
@require_POST
def mailbox_close(request: HttpRequest) -> HttpResponse:
    mailbox.mailbox_close(request.POST.get("box", ""))
    lang = request.GET.get("lang", "")
    query = f"?lang={lang}" if lang in dict(settings.LANGUAGES) else ""
    return redirect(reverse("intake:front") + query)
