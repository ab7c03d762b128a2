"""Who may provide data for a resource and see its loads."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet

from regshare.catalog.models import Resource, Status
from regshare.core.models import Role, User
from regshare.core.permissions import Principal, is_data_bureau, require

from ..models import Load
from ..rules import FieldSpec


def _principal(actor) -> Principal | None:
    """A Principal to check, or None for the system itself (CLI, demo, scheduled pulls)."""
    if isinstance(actor, Principal):
        return actor
    if isinstance(actor, User):
        return Principal.for_user(actor)
    return None


def _user_of(actor) -> User | None:
    principal = _principal(actor)
    return principal.user if principal is not None else None


def check_can_provide(actor, resource: Resource) -> None:
    """Only the provider department's liaison/admin (or a platform admin) loads a resource's data."""
    principal = _principal(actor)
    if principal is None:
        return
    require(principal, "ingest.upload")
    if Role.PLATFORM_ADMIN in principal.roles:
        return
    if principal.department is None or principal.department.pk != resource.provider_id:
        raise PermissionDenied(f"只有提供部门({resource.provider.name})可以归集该资源的数据")


def check_can_view_load(principal: Principal, load: Load) -> None:
    require(principal, "ingest.view")
    if is_data_bureau(principal):
        return
    if principal.department is None or principal.department.pk != load.department_id:
        raise PermissionDenied("只能查看本部门的归集记录")


def resources_providable_by(principal: Principal) -> QuerySet[Resource]:
    resources = Resource.objects.select_related("provider").exclude(status=Status.OFFLINE)
    if Role.PLATFORM_ADMIN in principal.roles:
        return resources
    if principal.department is None:
        return resources.none()
    return resources.filter(provider=principal.department)


def visible_resource(principal: Principal, code: str) -> Resource:
    """The resource for a page or API call, or 404 when the principal may not know of it: another
    department's draft is invisible here exactly as in the catalog."""
    from regshare.catalog.services import get_visible

    return get_visible(principal, code)


def get_resource(resource: Resource | str) -> Resource:
    if isinstance(resource, Resource):
        return resource
    found = Resource.objects.filter(code=str(resource).strip()).select_related("provider").first()
    if found is None:
        raise ValidationError(f"数据资源 {resource} 不存在", code="unknown_resource")
    return found


def field_specs(resource: Resource) -> list[FieldSpec]:
    specs = [FieldSpec.of(f) for f in resource.fields.order_by("position", "id")]
    if not specs:
        raise ValidationError(f"数据资源 {resource.code} 尚未定义数据项,无法归集", code="no_fields")
    return specs
