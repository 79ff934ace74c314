"""Documentation pages: the incident list, recording an incident after an interview, an incident's page
and its actions, sources, the register of perpetrators and places, and the vocabularies. Views stay thin.

Every view declares its roles; a view that names a sealed record opens it through its door before
anything else, so an incident one may not open answers exactly like one that does not exist."""

from __future__ import annotations

from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ferry.accounts.http import StaffRequest
from ferry.accounts.models import Role
from ferry.core.actions import form_action
from ferry.core.errors import FerryError, NotFound
from ferry.core.permissions import require, roles
from ferry.core.text import decimal_number
from ferry.incidents import forms, selectors, services, vocabulary
from ferry.incidents.forms import dates_initial
from ferry.incidents.models import Incident, Perpetrator, Place, Term, Vocabulary
from ferry.incidents.services import ActData, InvolvementData
from ferry.intake.places import place_label
from ferry.vault import keysets

READERS = (Role.DOCUMENTER, Role.ANALYST)
REGISTER_PAGE = 500  # names the register page shows at once; finding reaches every other
WRITERS = (Role.DOCUMENTER,)


def _filters(request: StaffRequest) -> tuple[forms.FilterForm, selectors.Filters]:
    # Sent by POST: words typed into search must not end up in the address bar or the browser's history.
    form = forms.FilterForm(request.POST or None)
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        return form, selectors.Filters(
            query=d["q"] or "",
            verification=d["verification"] or "",
            country=d["country"] or "",
            subdivision=d["subdivision"] or "",
            act_type=d["act_type"],
            method=d["method"],
            perpetrator_type=d["perpetrator_type"],
            perpetrator=d["perpetrator"],
            place=d["place"],
            since=d["since"],
            until=d["until"],
            page=d["page"] or 1,
        )
    return form, selectors.Filters()


@require_http_methods(["GET", "POST"])
@roles(*READERS)
def incident_list(request: StaffRequest) -> HttpResponse:
    form, filters = _filters(request)
    if form.is_bound and form.errors:
        # A filter that could not be read (a name the register has several of): say so, and list nothing
        # rather than everything.
        result = selectors.ListPage(rows=[], page=1, has_next=False, total=None)
        return render(request, "incidents/list.html", {"result": result, "filter_form": form}, status=400)
    result = selectors.incident_list(ring=request.ring, filters=filters)
    return render(request, "incidents/list.html", {"result": result, "filter_form": form, "filters": filters})


@require_http_methods(["GET", "POST"])
@roles(*WRITERS)
def incident_new(request: StaffRequest) -> HttpResponse:
    colleagues = selectors.colleagues_for_sharing(request.user)
    form = forms.InterviewForm(request.POST or None, colleagues=colleagues)
    if request.method == "POST" and form.is_valid():
        try:
            incident = _record_interview(request, form)
        except NotFound:
            raise
        except FerryError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Incident recorded."))
            return HttpResponseRedirect(reverse("incidents:detail", args=[incident.reference]))
    return render(request, "incidents/new.html", {"form": form}, status=400 if form.is_bound else 200)


@transaction.atomic
def _record_interview(request: StaffRequest, form: forms.InterviewForm) -> Incident:
    """The incident, its first victim and what was done to them, all or nothing."""
    d = form.cleaned_data
    incident, _key = services.incident_create(
        staff=request.user, data=form.data_object(), restricted=d["restricted"], share_with=d["share_with"]
    )
    victim_data = form.victim()
    if any(getattr(victim_data, name) for name in victim_data.__dataclass_fields__) or d["act_type"]:
        ring = request.ring
        ring.forget()  # the new key set's grant is not in the session's cache yet
        victim = services.victim_add(ring=ring, staff=request.user, reference=incident.reference, data=victim_data)
        if d["act_type"]:
            involvements: tuple[InvolvementData, ...] = ()
            if d["perpetrator_type"]:
                involvements = (InvolvementData(perpetrator_type=d["perpetrator_type"]),)
            services.act_add(
                ring=ring,
                staff=request.user,
                reference=incident.reference,
                data=ActData(
                    victim_id=victim.pk,
                    act_type=d["act_type"],
                    method=d["method"],
                    start=form.start(),
                    end=form.end(),
                    involvements=involvements,
                ),
            )
    return incident


def _page(request: StaffRequest, reference: str, status: int = 200, **overrides: Any) -> HttpResponse:
    incident, key = services.access_incident(ring=request.ring, staff=request.user, reference=reference, audit=True)
    view = selectors.incident_view(ring=request.ring, incident=incident, key=key)
    victims = [(str(v.victim.pk), _victim_label(v)) for v in view.victims]
    sources = [
        (s.reference, f"{s.reference} · {who.get('name') or s.get_kind_display()}")
        for s, who in selectors.sources_openable(request.ring)
    ]
    context: dict[str, Any] = {
        "incident": incident,
        "where": place_label(incident.country, incident.subdivision),
        "view": view,
        "is_author": incident.author_id == request.user.pk,
        "can_write": request.user.has_role(Role.DOCUMENTER),
        "edit_form": forms.IncidentEditForm(initial=_edit_initial(incident, view)),
        "verify_form": forms.VerifyForm(initial={"version": incident.version, "status": incident.verification}),
        "victim_form": forms.VictimForm(),
        "act_form": forms.ActForm(victims=victims),
        "information_form": forms.InformationForm(sources=sources),
        "intervention_form": forms.InterventionForm(),
        "share_form": forms.ShareForm(colleagues=view.share_candidates),
    }
    context.update(overrides)
    return render(request, "incidents/detail.html", context, status=status)


def _victim_label(v: selectors.VictimView) -> str:
    name = (v.identity or {}).get("name") or ""
    return f"{_('Victim')} {v.victim.position}" + (f" · {name}" if name else "")


def _edit_initial(incident: Incident, view: selectors.IncidentView) -> dict[str, Any]:
    return {
        **dates_initial(incident),
        "version": incident.version,
        "title": view.title,
        "country": incident.country,
        "subdivision": incident.subdivision,
        "place_precision": incident.place_precision,
        "place": incident.place_id,
        "victim_count": incident.victim_count,
        "narrative": view.narrative,
        "location": view.location,
        "notes": view.notes,
    }


@require_GET
@roles(*READERS)
def incident_detail(request: StaffRequest, reference: str) -> HttpResponse:
    return _page(request, reference)


def _act(
    request: StaffRequest,
    reference: str,
    *,
    form: django_forms.Form,
    form_name: str,
    action: Any,
    done: str,
) -> HttpResponse:
    """An action on an incident: through its door first, then the shared valid → service → redirect shape."""
    services.access_incident(ring=request.ring, staff=request.user, reference=reference)
    return form_action(
        request,
        form=form,
        action=action,
        done=done,
        success_url=reverse("incidents:detail", args=[reference]),
        again=lambda f: _page(request, reference, status=400, **{form_name: f}),
    )


def _who(request: StaffRequest, reference: str) -> dict[str, Any]:
    return {"ring": request.ring, "staff": request.user, "reference": reference}


@require_POST
@roles(*WRITERS)
def incident_edit(request: StaffRequest, reference: str) -> HttpResponse:
    form = forms.IncidentEditForm(request.POST)

    def action(d: dict[str, Any]) -> None:
        services.incident_update(**_who(request, reference), version=d["version"], data=form.data_object())

    return _act(request, reference, form=form, form_name="edit_form", action=action, done=_("Incident saved."))


@require_POST
@roles(*WRITERS)
def incident_verify(request: StaffRequest, reference: str) -> HttpResponse:
    form = forms.VerifyForm(request.POST)

    def action(d: dict[str, Any]) -> None:
        services.incident_verify(**_who(request, reference), version=d["version"], status=d["status"])

    return _act(
        request, reference, form=form, form_name="verify_form", action=action, done=_("Verification status saved.")
    )


@require_POST
@roles(*WRITERS)
def victim_add(request: StaffRequest, reference: str) -> HttpResponse:
    form = forms.VictimForm(request.POST)
    return _act(
        request,
        reference,
        form=form,
        form_name="victim_form",
        action=lambda d: services.victim_add(**_who(request, reference), data=form.victim()),
        done=_("Victim added."),
    )


@require_POST
@roles(*WRITERS)
def act_add(request: StaffRequest, reference: str) -> HttpResponse:
    incident = services.access_incident(ring=request.ring, staff=request.user, reference=reference).record
    victims = [(str(pk), str(pk)) for pk in incident.victims.values_list("pk", flat=True)]
    form = forms.ActForm(request.POST, victims=victims)

    def action(d: dict[str, Any]) -> None:
        services.act_add(
            **_who(request, reference),
            data=ActData(
                victim_id=d["victim"],
                act_type=d["act_type"],
                method=d["method"],
                consequence=d["consequence"],
                start=form.start(),
                end=form.end(),
                notes=d["notes"],
                involvements=form.involvements(),
            ),
        )

    return _act(request, reference, form=form, form_name="act_form", action=action, done=_("Act recorded."))


@require_POST
@roles(*WRITERS)
def information_add(request: StaffRequest, reference: str) -> HttpResponse:
    sources = [(s.reference, s.reference) for s, _who_ in selectors.sources_openable(request.ring, identities=False)]
    form = forms.InformationForm(request.POST, sources=sources)

    def action(d: dict[str, Any]) -> None:
        services.information_add(
            **_who(request, reference),
            source_reference=d["source"],
            credibility=d["credibility"],
            received_on=d["received_on"],
            summary=d["summary"],
        )

    return _act(
        request, reference, form=form, form_name="information_form", action=action, done=_("Information added.")
    )


@require_POST
@roles(*WRITERS)
def intervention_add(request: StaffRequest, reference: str) -> HttpResponse:
    form = forms.InterventionForm(request.POST)

    def action(d: dict[str, Any]) -> None:
        services.intervention_add(**_who(request, reference), kind=d["kind"], on=d["on"], detail=d["detail"])

    return _act(
        request, reference, form=form, form_name="intervention_form", action=action, done=_("Intervention recorded.")
    )


@require_POST
@roles(*WRITERS)
def incident_share(request: StaffRequest, reference: str) -> HttpResponse:
    incident = services.access_incident(ring=request.ring, staff=request.user, reference=reference).record
    _holders, candidates = selectors.holders_and_candidates(incident)
    form = forms.ShareForm(request.POST, colleagues=candidates)

    def action(d: dict[str, Any]) -> None:
        services.incident_share(**_who(request, reference), colleague_id=d["colleague"])

    return _act(request, reference, form=form, form_name="share_form", action=action, done=_("Incident shared."))


@require_POST
@roles(*WRITERS)
def incident_unshare(request: StaffRequest, reference: str) -> HttpResponse:
    form = forms.UnshareForm(request.POST)

    def action(d: dict[str, Any]) -> None:
        services.incident_unshare(**_who(request, reference), staff_id=d["staff_id"])

    return _act(
        request,
        reference,
        form=form,
        form_name="share_form",
        action=action,
        done=_("Access removed; the incident was re-keyed."),
    )


@require_GET
@roles(Role.DOCUMENTER, Role.ANALYST, Role.CASEWORKER, Role.COORDINATOR)
def victim_detail(request: StaffRequest, victim_id: str) -> HttpResponse:
    """A victim on their own: what a caseworker who linked them to a case may read, without the incident."""
    victim, key = services.access_victim(ring=request.ring, staff=request.user, victim_id=victim_id)
    identity = keysets.open_json(key, victim, "identity")
    link = keysets.open_field(key, victim, "case_link") or ""
    acts = victim.acts.select_related("act_type").order_by("start_date")
    return render(
        request, "incidents/victim.html", {"victim": victim, "identity": identity, "case_link": link, "acts": acts}
    )


# -------------------------------------------------------------------------------------------- sources


@require_http_methods(["GET", "POST"])
@roles(*WRITERS)
def source_list(request: StaffRequest) -> HttpResponse:
    form = forms.SourceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            source, _key = services.source_create(staff=request.user, data=form.data_object())
        except FerryError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Source %(reference)s recorded.") % {"reference": source.reference})
            return HttpResponseRedirect(reverse("incidents:sources"))
    rows = selectors.sources_openable(request.ring)
    return render(request, "incidents/sources.html", {"rows": rows, "form": form}, status=400 if form.is_bound else 200)


# -------------------------------------------------------------------------------------- the register


def _register_page(
    request: StaffRequest, form: django_forms.Form, *, create: Any, done: str, template: str, extra: dict[str, Any]
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            create(form.cleaned_data)
        except FerryError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, done)
            return HttpResponseRedirect(request.path)
    return render(request, template, {"form": form, **extra}, status=400 if form.is_bound else 200)


@require_http_methods(["GET", "POST"])
@roles(*READERS)
def perpetrator_list(request: StaffRequest) -> HttpResponse:
    # Finding is sent by POST, as the list's search is: names typed stay out of addresses and history.
    find = None
    if request.method == "POST" and "find" in request.POST:
        # (a NUL names nothing, and PostgreSQL refuses it in text: the rest of what was typed is looked for)
        find = request.POST["find"].replace("\x00", "")[:200].strip()
    if find is not None:
        found = selectors.register_matches(find, limit=REGISTER_PAGE) if find else []
        context = {"form": forms.PerpetratorForm(), "rows": found[:REGISTER_PAGE], "find": find}
        return render(request, "incidents/perpetrators.html", context | {"more": len(found) > REGISTER_PAGE})
    form = forms.PerpetratorForm(request.POST or None)
    if request.method == "POST":
        require(request.user, Role.DOCUMENTER)
    rows = list(Perpetrator.objects.select_related("perpetrator_type").order_by("name_original")[: REGISTER_PAGE + 1])
    return _register_page(
        request,
        form,
        create=lambda d: services.perpetrator_create(staff=request.user, data=form.data_object()),
        done=_("Added to the register."),
        template="incidents/perpetrators.html",
        extra={"rows": rows[:REGISTER_PAGE], "more": len(rows) > REGISTER_PAGE, "find": None},
    )


def _perpetrator(perpetrator_id: int) -> Perpetrator:
    found = Perpetrator.objects.select_related("perpetrator_type").filter(pk=perpetrator_id).first()
    if found is None:
        raise NotFound(_("No such perpetrator."))
    return found


def _page_number(request: StaffRequest) -> int:
    number = decimal_number(request.GET.get("page", "1"))
    return number if number is not None and 0 < number < 100_000 else 1


@require_GET
@roles(*READERS)
def perpetrator_detail(request: StaffRequest, perpetrator_id: int) -> HttpResponse:
    return _perpetrator_page(request, _perpetrator(perpetrator_id))


def _perpetrator_page(
    request: StaffRequest, perpetrator: Perpetrator, status: int = 200, **forms_: Any
) -> HttpResponse:
    context = {
        "perpetrator": perpetrator,
        "timeline": selectors.perpetrator_timeline(perpetrator, _page_number(request)),
        "positions": perpetrator.positions.select_related("unit"),
        "members": perpetrator.members.select_related("perpetrator"),
        "links_out": perpetrator.links_out.select_related("target"),
        "links_in": perpetrator.links_in.select_related("source"),
        "position_form": forms_.get("position_form") or forms.PositionForm(),
        "link_form": forms_.get("link_form") or forms.LinkForm(),
    }
    return render(request, "incidents/perpetrator.html", context, status=status)


@require_POST
@roles(*WRITERS)
def perpetrator_position(request: StaffRequest, perpetrator_id: int) -> HttpResponse:
    perpetrator = _perpetrator(perpetrator_id)
    form = forms.PositionForm(request.POST)
    return form_action(
        request,
        form=form,
        action=lambda d: services.position_add(
            staff=request.user,
            perpetrator=perpetrator,
            unit_id=d["unit"],
            title=d["title"],
            rank=d["rank"],
            start=d["start"],
            end=d["end"],
        ),
        done=_("Position added."),
        success_url=reverse("incidents:perpetrator", args=[perpetrator.pk]),
        again=lambda f: _perpetrator_page(request, perpetrator, status=400, position_form=f),
    )


@require_POST
@roles(*WRITERS)
def perpetrator_link(request: StaffRequest, perpetrator_id: int) -> HttpResponse:
    perpetrator = _perpetrator(perpetrator_id)
    form = forms.LinkForm(request.POST)
    return form_action(
        request,
        form=form,
        action=lambda d: services.perpetrator_link_add(
            staff=request.user, source=perpetrator, target_id=d["target"], kind=d["kind"]
        ),
        done=_("Link added."),
        success_url=reverse("incidents:perpetrator", args=[perpetrator.pk]),
        again=lambda f: _perpetrator_page(request, perpetrator, status=400, link_form=f),
    )


@require_http_methods(["GET", "POST"])
@roles(*READERS)
def place_list(request: StaffRequest) -> HttpResponse:
    form = forms.PlaceForm(request.POST or None)
    if request.method == "POST":
        require(request.user, Role.DOCUMENTER)
    return _register_page(
        request,
        form,
        create=lambda d: services.place_create(staff=request.user, **d),
        done=_("Place added."),
        template="incidents/places.html",
        extra={"rows": Place.objects.order_by("country", "name")[:500]},
    )


@require_GET
@roles(*READERS)
def place_detail(request: StaffRequest, place_id: int) -> HttpResponse:
    place = Place.objects.filter(pk=place_id).first()
    if place is None:
        raise NotFound(_("No such place."))
    timeline = selectors.place_timeline(place, _page_number(request))
    return render(request, "incidents/place.html", {"place": place, "timeline": timeline})


# ------------------------------------------------------------------------------------------ vocabularies


def _vocabulary_name(name: str) -> str:
    if name not in Vocabulary.values:
        raise NotFound(_("No such vocabulary."))
    return name


@require_http_methods(["GET", "POST"])
@roles(Role.ADMINISTRATOR)
def vocabulary_page(request: StaffRequest, name: str) -> HttpResponse:
    name = _vocabulary_name(name)
    form = forms.TermForm(request.POST or None, vocabulary_name=name)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            vocabulary.term_add(
                staff=request.user,
                vocabulary=name,
                code=d["code"],
                label_en=d["label_en"],
                label_ru=d["label_ru"],
                parent_id=d["parent"],
            )
        except FerryError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Term added."))
            return HttpResponseRedirect(request.path)
    context = {
        "name": name,
        "title": Vocabulary(name).label,
        "vocabularies": Vocabulary.choices,
        "rows": vocabulary.tree(name),
        "form": form,
    }
    return render(request, "incidents/vocabulary.html", context, status=400 if form.is_bound else 200)


def _term_of(name: str, term_id: int) -> Term:
    term = Term.objects.filter(vocabulary=_vocabulary_name(name), pk=term_id).first()
    if term is None:
        raise NotFound(_("No such term."))
    return term


@require_POST
@roles(Role.ADMINISTRATOR)
def term_change(request: StaffRequest, name: str, term_id: int) -> HttpResponse:
    """Rename, deprecate, restore or delete one term (the button pressed says which)."""
    term = _term_of(name, term_id)
    back = HttpResponseRedirect(reverse("incidents:vocabulary", args=[name]))
    try:
        if "rename" in request.POST:
            form = forms.TermRenameForm(request.POST)
            if not form.is_valid():
                raise services.DocumentationError(_("Give the label in English and in Russian."))
            vocabulary.term_rename(staff=request.user, term=term, **form.cleaned_data)
            messages.success(request, _("Term renamed."))
        elif "deprecate" in request.POST:
            vocabulary.term_deprecate(staff=request.user, term=term, deprecated=True)
            messages.success(request, _("Term deprecated: it is no longer offered."))
        elif "restore" in request.POST:
            vocabulary.term_deprecate(staff=request.user, term=term, deprecated=False)
            messages.success(request, _("Term offered again."))
        elif "delete" in request.POST:
            vocabulary.term_delete(staff=request.user, term=term)
            messages.success(request, _("Term deleted."))
    except NotFound:
        raise
    except FerryError as exc:
        messages.error(request, str(exc))
    return back
