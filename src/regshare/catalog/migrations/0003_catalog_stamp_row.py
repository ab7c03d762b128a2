"""Create the single CatalogStamp row up front, so concurrent first writers never race to insert it."""

import uuid

from django.db import migrations


def create_stamp(apps, schema_editor):
    CatalogStamp = apps.get_model("catalog", "CatalogStamp")
    CatalogStamp.objects.get_or_create(pk=1, defaults={"value": uuid.uuid4().hex})


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_resource_lifecycle_demands")]

    operations = [migrations.RunPython(create_stamp, migrations.RunPython.noop)]
