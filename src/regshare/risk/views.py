"""Risk pages (thin): the risk map with the scores, the alert queue and an alert, the model card, the rules."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from regshare.core import audit, workflow
from regshare.core.dashboard import Figure, Series
from regshare.core.pages import page_of
from regshare.core.permissions import has_perm, page_permission, principal_of
from regshare.credit.models import RiskClass

from . import indicators, services
from .forms import RuleForm
from .models import Alert, AlertSource, AlertStatus, ModelVersion, RiskRule, RiskScore


@page_permission("risk.view")
def index(request):
    return redirect("risk:map")


@page_permission("risk.view")
def risk_map(request):
    principal = principal_of(request)
    items = RiskScore.objects.visible_to(principal).filtered(request.GET)
    audit.record(principal, "risk.scores_viewed", "risk:scores", RiskScore.objects.filter_values(request.GET))
    figures = services.risk_map()

    def chart(key: str, title: str, rows: list[dict]) -> dict:
        return Figure(key=key, title=title, kind="bar", categories=[r["key"] for r in rows], unit="平均风险分",
                      second_unit="主体数",
                      series=[Series("平均风险分", [r["average"] for r in rows]),
                              Series("较高及高风险主体数", [r["high"] for r in rows], axis=1)]).spec()

    return render(request, "risk/map.html", {
        "page": page_of(request, items, 20), **RiskScore.objects.filter_values(request.GET),
        "levels": RiskClass.choices, "figures": figures,
        "industry_chart": chart("risk-industry", "按行业", figures["industry"]),
        "area_chart": chart("risk-area", "按乡镇(街道)", figures["area"])})


@page_permission("risk.view")
def alerts(request):
    principal = principal_of(request)
    items = Alert.objects.visible_to(principal).filtered(request.GET)
    audit.record(principal, "risk.alerts_viewed", "risk:alerts", Alert.objects.filter_values(request.GET))
    return render(request, "risk/alerts.html", {
        "page": page_of(request, items, 20), **Alert.objects.filter_values(request.GET),
        "statuses": AlertStatus.choices, "sources": AlertSource.choices, "levels": RiskClass.choices})


@page_permission("risk.view")
def alert(request, pk: int):
    principal = principal_of(request)
    item = get_object_or_404(Alert.objects.visible_to(principal), pk=pk)
    if request.method == "POST":
        try:
            workflow.perform_posted(principal, item, request.POST)
            messages.success(request, "办理完成。")
        except ValidationError as exc:
            messages.error(request, ";".join(exc.messages))
        return redirect("risk:alert", item.pk)
    audit.record(principal, "risk.alert_viewed", item, {})
    return render(request, "risk/alert.html", {"item": item, "transitions": workflow.available(principal, item)})


@page_permission("risk.view")
def model_card(request):
    principal = principal_of(request)
    audit.record(principal, "risk.model_viewed", "risk:model", {})
    return render(request, "risk/model.html", {
        "active": services.active_model(), "versions": ModelVersion.objects.all()[:20],
        "indicators": indicators.INDICATORS, "by_rule": services.precision("rule"),
        "by_model": services.precision("model_version"), "lift": services.draw_lift(),
        "can_manage": has_perm(principal, "risk.manage")})


@require_POST
@page_permission("risk.manage")
def run(request):
    principal = principal_of(request)
    try:
        if request.POST.get("what") == "train":
            version = services.train(principal)
            messages.success(request, f"已训练模型 v{version.version},留出样本 AUC {version.auc or '—'}")
        else:
            result = services.score(principal)
            messages.success(request, f"评分完成,新预警 {result['alerts']} 条")
    except ValidationError as exc:
        messages.error(request, ";".join(exc.messages))
    return redirect("risk:model")


@page_permission("risk.view")
def rules(request):
    principal = principal_of(request)
    return render(request, "risk/rules.html", {
        "page": page_of(request, RiskRule.objects.select_related("department").order_by("code"), 20),
        "can_manage": has_perm(principal, "risk.manage")})


@page_permission("risk.manage")
def rule_edit(request, pk: int | None = None):
    principal = principal_of(request)
    rule = get_object_or_404(RiskRule, pk=pk) if pk else None
    form = RuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        audit.record(principal, "risk.rule_saved", saved, {k: str(v) for k, v in form.cleaned_data.items()})
        messages.success(request, f"已保存规则「{saved.name}」")
        return redirect("risk:rules")
    return render(request, "risk/rule_edit.html", {"form": form, "rule": rule})
