"""Who may see and edit which resources."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from regshare.core.models import Department, Role
from regshare.core.permissions import Principal, has_perm, is_data_bureau, require, sees_everything

from ..models import Resource


def is_bureau(principal: Principal) -> bool:
    """The data bureau's people or a platform admin: review, publish, see every draft."""
    return is_data_bureau(principal, people_only=True)


def sees_all(principal: Principal) -> bool:
    return sees_everything(principal, people_only=True)


def can_edit(principal: Principal, provider: Department) -> bool:
    if not has_perm(principal, "catalog.edit"):
        return False
    if Role.PLATFORM_ADMIN in principal.roles:
        return True
    return principal.department is not None and principal.department.pk == provider.pk


def _require_edit(principal: Principal, provider: Department) -> None:
    require(principal, "catalog.edit")
    if not can_edit(principal, provider):
        raise PermissionDenied(f"只有提供部门({provider.name})的数据联络员或部门管理员可以维护该资源")


def _require_bureau(principal: Principal) -> None:
    require(principal, "catalog.review")
    if not is_bureau(principal):
        raise PermissionDenied("只有数据管理部门(区数据管理局)可以审核、发布数据资源")


def get_visible(principal: Principal, code: str) -> Resource:
    from django.http import Http404

    resource = Resource.objects.visible_to(principal).filter(code=code).first()
    if resource is None:
        raise Http404(f"数据资源 {code} 不存在或无权查看")
    return resource
