"""Pages of the security-incident register. Thin: each view calls services and renders."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from regshare.core import workflow
from regshare.core.pages import page_of
from regshare.core.permissions import has_perm, page_permission, principal_of

from . import services
from .forms import CloseForm, IncidentForm, ReasonForm, ReportForm, RevokeForm, StepForm, split_codes
from .models import Grade, Incident, IncidentStatus, ReportLevel


@page_permission("incidents.view")
def incident_list(request):
    principal = principal_of(request)
    items = Incident.objects.visible_to(principal).filtered(request.GET)
    return render(request, "incidents/list.html", {
        "page": page_of(request, items, 20), **Incident.objects.filter_values(request.GET), "now": timezone.now(),
        "grades": Grade.choices, "statuses": IncidentStatus.choices,
        "can_register": has_perm(principal, "incidents.register")})


@page_permission("incidents.register")
def new(request):
    form = IncidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = services.register_incident(principal_of(request), services.IncidentInput(
                title=data["title"], grade=data["grade"], description=data["description"],
                discovered_at=data["discovered_at"], discoverer=data["discoverer"],
                resource_codes=split_codes(data["resources"]), grant_ids=data["grants"],
                department_codes=split_codes(data["departments"])))
            messages.success(request, f"事件 {incident.number} 已登记,请在报告期限前完成报告。")
            return redirect("incidents:detail", incident.pk)
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(request, "incidents/new.html", {"form": form})


ACTIONS = {
    "step": (StepForm, lambda p, i, d: services.add_step(p, i, d["description"], d["happened_at"]), "处置记录已登记。"),
    "report": (ReportForm, lambda p, i, d: services.report(p, i, d["level"], d["recipient"], d["content"]),
               "报告已登记。"),
    "cut": (ReasonForm, lambda p, i, d: services.cut_channel(p, i, d["reason"]), "共享通道已切断。"),
    "revoke": (RevokeForm, lambda p, i, d: services.revoke_grant(p, i, d["grant"], d["reason"]), "授权已收回。"),
    "close": (CloseForm, lambda p, i, d: services.close(p, i, d["review"]), "事件已结案。"),
}


@page_permission("incidents.view")
def detail(request, incident_id: int):
    principal = principal_of(request)
    item = get_object_or_404(Incident.objects.visible_to(principal), pk=incident_id)
    if request.method == "POST" and request.POST.get("action") in ACTIONS:
        form_class, act, done = ACTIONS[request.POST["action"]]
        form = form_class(request.POST)
        if form.is_valid():
            try:
                act(principal, item, form.cleaned_data)
                messages.success(request, done)
                return redirect("incidents:detail", item.pk)
            except ValidationError as exc:
                messages.error(request, ";".join(exc.messages))
        else:
            messages.error(request, ";".join(f"{form.fields[k].label if k in form.fields else ''}{'、'.join(v)}"
                                            for k, v in form.errors.items()))
    open_ = item.status != IncidentStatus.CLOSED
    reported = set(item.reports.values_list("level", flat=True))
    now = timezone.now()
    return render(request, "incidents/detail.html", {
        "item": item, "overdue": item.report_overdue(now), "steps": item.steps.select_related("actor"),
        "reports": item.reports.select_related("reported_by"), "grants": services.channel_grants(item),
        "open_channels": {g.pk for g in services.open_channels(item)},
        "can_handle": open_ and has_perm(principal, "incidents.handle"),
        "can_report": open_ and has_perm(principal, "incidents.handle") and len(reported) < len(ReportLevel.values),
        "can_cut": open_ and has_perm(principal, "incidents.cut"),
        "can_close": open_ and workflow.acting_refusal(principal, item, "close") is None,
        "step_form": StepForm(), "report_form": ReportForm(), "reason_form": ReasonForm(),
        "revoke_form": RevokeForm(), "close_form": CloseForm()})
