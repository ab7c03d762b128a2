from huey.contrib.djhuey import db_task

from . import services


@db_task()
def process_version(resource_code: str, version: int) -> None:
    """Rebuild the master or link a resource after a new lake version (off the request path)."""
    services.process_version(resource_code, version)
