"""Outbound connections (出网管控): every address the platform reaches on a department's behalf.

Four channels connect where a department tells them to: table docking (a database URL), interface
pulls, webhook subscriptions and the API proxy. Without a guard each of them is a way to make the
platform read itself (its own SQLite file, the huey queue, the lake) or reach machines behind it
(loopback, the intranet, cloud metadata at 169.254.169.254). ``check_url`` is the one rule for all
four; it runs when an address is saved and again right before every pull, delivery and call.

An address is refused when it is a local file, a database driver without a network host, or a host
any of whose addresses is loopback / private / link-local / unspecified / multicast / reserved, unless
the platform admin has put it on the allow-list: the ``REGSHARE_EGRESS_ALLOW`` setting plus the
``EgressAllow`` table. Entries are ``host``, ``host:port``, an address or CIDR (``10.8.0.0/16``,
``[fd00::1]:8443``) or an absolute directory whose files may serve as SQLite sources. The platform's own
databases, queue file and data directories stay refused even when allow-listed.

HTTP goes through ``http_client``: it re-checks the address at the moment of connecting and connects
to the very address it checked, so a DNS answer that changes after the check (DNS rebinding) or a
redirect to an inner address cannot slip through; redirects are not followed at all.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError

from regshare.core.lazy import lazy_module

httpcore = lazy_module("httpcore")
httpx = lazy_module("httpx")

CODE = "egress_forbidden"
HINT = "如确需访问,请平台管理员将其加入出网白名单"

# Databases SQLAlchemy opens from a file path rather than over the network.
FILE_BACKENDS = frozenset({"sqlite", "duckdb"})
DEFAULT_PORTS = {"http": 80, "https": 443, "postgresql": 5432, "mysql": 3306, "mariadb": 3306, "mssql": 1433,
                 "oracle": 1521}
# URL query parameters that cannot move a connection elsewhere (libpq's host/hostaddr/service,
# MySQL's unix_socket, SQLite's uri=true and the like all could).
SAFE_DB_PARAMS = frozenset({"sslmode", "connect_timeout", "charset", "application_name", "driver", "encrypt",
                            "trustservercertificate", "service_name", "timeout"})
# Kernel views: /proc/self/fd/N would hand over whatever file the platform holds open.
SYSTEM_ROOTS = (Path("/proc"), Path("/dev"), Path("/sys"))
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class EgressForbidden(ValidationError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code=CODE)


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class AllowEntry:
    text: str
    host: str = ""
    port: int | None = None
    network: IPNetwork | None = None
    path: Path | None = None

    def admits_name(self, host: str, port: int | None) -> bool:
        return bool(self.host) and self.host == host and self.port in (None, port)

    def admits_address(self, address: IPAddress, port: int | None) -> bool:
        return self.network is not None and address in self.network and self.port in (None, port)


def parse_entry(text: str) -> AllowEntry:
    """One allow-list line; a ValidationError with a Chinese message when it is not one of the forms."""
    raw = (text or "").strip()
    bad = ValidationError(f"白名单条目格式不正确:{raw or '(空)'};应为 主机、主机:端口、IP、网段(CIDR)或绝对目录",
                          code="bad_allow_entry")
    if not raw or any(c.isspace() for c in raw) or "://" in raw:
        raise bad
    if raw.startswith("/"):
        return AllowEntry(raw, path=Path(os.path.normpath(raw)))
    host, port = raw, None
    if raw.startswith("["):
        host, closed, rest = raw[1:].partition("]")
        if not closed:
            raise bad
        if rest:
            if not rest.startswith(":"):
                raise bad
            port = _port(rest[1:], bad)
    elif raw.count(":") == 1:
        host, port_text = raw.split(":")
        port = _port(port_text, bad)
    try:
        network = ipaddress.ip_network(host, strict=False)
    except ValueError:
        network = None
    if network is not None:
        return AllowEntry(raw, port=port, network=network)
    name = host.lower().rstrip(".")
    if not name or not all(part and len(part) < 64 and all(c.isalnum() or c in "-_" for c in part)
                           for part in name.split(".")):
        raise bad
    return AllowEntry(raw, host=name, port=port)


def _port(text: str, bad: ValidationError) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise bad
    return int(text)


def allow_entries() -> list[AllowEntry]:
    """The setting's entries and the admin's table; a malformed setting entry is skipped, never widened."""
    from .models import EgressAllow

    configured = getattr(settings, "REGSHARE_EGRESS_ALLOW", ())
    if isinstance(configured, str):
        configured = configured.split(",")
    texts = [t for t in configured if t.strip()]
    texts += list(EgressAllow.objects.filter(active=True).values_list("entry", flat=True))
    entries = []
    for text in texts:
        try:
            entries.append(parse_entry(text))
        except ValidationError:
            continue
    return entries


# ----------------------------------------------------------------------------- addresses


def is_internal(address: IPAddress) -> bool:
    """Not a public unicast address, looking through IPv6 forms that carry an IPv4 address inside."""
    if (not address.is_global or address.is_multicast or address.is_reserved or address.is_loopback
            or address.is_link_local or address.is_private or address.is_unspecified):
        return True
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if inner is None and (address in IPV4_COMPATIBLE or any(address in net for net in NAT64)):
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is not None:
            return is_internal(inner)
    return False


def resolve(host: str, port: int | None) -> list[str]:
    """Every address the name resolves to (a numeric host in any spelling, 0x7f.1 included, resolves to itself)."""
    infos = socket.getaddrinfo(host, port or 0, type=socket.SOCK_STREAM)
    seen: dict[str, None] = {}
    for info in infos:
        seen.setdefault(str(info[4][0]).split("%")[0], None)
    return list(seen)


def allowed_addresses(host: str, port: int | None, purpose: str,
                      entries: list[AllowEntry] | None = None) -> list[str]:
    """The addresses of ``host`` the platform may connect to; refuses when any one of them is internal
    and not allow-listed (checking only the first would let a name with two answers through)."""
    entries = allow_entries() if entries is None else entries
    name = (host or "").strip().strip("[]").lower().rstrip(".")
    if not name:
        raise EgressForbidden(f"{purpose}地址缺少主机名,不允许访问")
    try:
        addresses = resolve(name, port)
    except (OSError, UnicodeError) as exc:
        raise EgressForbidden(f"{purpose}主机 {name} 无法解析,不能确认其是否允许访问") from exc
    if not addresses:
        raise EgressForbidden(f"{purpose}主机 {name} 无法解析,不能确认其是否允许访问")
    if any(entry.admits_name(name, port) for entry in entries):
        return addresses
    for text in addresses:
        address = ipaddress.ip_address(text)
        if is_internal(address) and not any(entry.admits_address(address, port) for entry in entries):
            shown = name if name == text else f"{name}(解析为 {text})"
            raise EgressForbidden(f"{purpose}地址 {shown} 是本机、内网或保留地址,不允许访问;{HINT}")
    return addresses


# ----------------------------------------------------------------------------- the platform's own files


def _platform_paths() -> tuple[list[Path], list[Path]]:
    """(directories, files) that belong to the platform itself."""
    from django.db import connections

    roots = [Path(settings.DATA_DIR), Path(getattr(settings, "REGSHARE_LAKE_DIR", settings.DATA_DIR)),
             Path(settings.MEDIA_ROOT), *SYSTEM_ROOTS]
    files = []
    configs = [c for c in settings.DATABASES.values()] + [connections[a].settings_dict for a in connections]
    for config in configs:
        if "sqlite" in str(config.get("ENGINE", "")):
            names = [config.get("NAME"), (config.get("TEST") or {}).get("NAME")]
            files += [Path(str(n)) for n in names if n and str(n) != ":memory:" and not str(n).startswith("file:")]
    huey_file = (getattr(settings, "HUEY", None) or {}).get("filename")
    if huey_file:
        files.append(Path(huey_file))
    files = [f for base in files for f in (base, Path(f"{base}-wal"), Path(f"{base}-shm"), Path(f"{base}-journal"))]
    return [r.resolve() for r in roots], [f.resolve() for f in files]


def _is_under(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def check_path(path_text: str, purpose: str, entries: list[AllowEntry] | None = None) -> Path:
    """A local database file may be a source only inside an allow-listed directory, and never the platform's."""
    if not path_text or path_text == ":memory:" or path_text.startswith("file:"):
        raise EgressForbidden(f"{purpose}须指明数据库文件的绝对路径")
    raw = Path(path_text)
    if not raw.is_absolute():
        raise EgressForbidden(f"{purpose}的数据库文件须写绝对路径")
    real = raw.resolve()
    roots, files = _platform_paths()
    same_file = False
    if real.exists():
        target = real.stat()
        same_file = any(f.exists() and (f.stat().st_dev, f.stat().st_ino) == (target.st_dev, target.st_ino)
                        for f in files)
    if same_file or real in files or any(_is_under(real, root) for root in roots):
        raise EgressForbidden(f"{purpose}不能指向平台自身的数据库、任务队列或数据目录")
    entries = allow_entries() if entries is None else entries
    if not any(e.path is not None and _is_under(real, e.path.resolve()) for e in entries):
        raise EgressForbidden(f"{purpose}不能读取本机文件 {raw.name};{HINT}")
    return real


# ----------------------------------------------------------------------------- URLs


@dataclass(frozen=True)
class Target:
    """What a checked URL connects to: a host with the addresses checked, or a local file."""

    host: str = ""
    port: int | None = None
    addresses: tuple[str, ...] = ()
    path: Path | None = None


def check_url(url: str, *, purpose: str) -> Target:
    """Refuse (``EgressForbidden``, code ``egress_forbidden``) an HTTP(S) or SQLAlchemy URL that points
    at the platform itself, a local file or an internal address not on the allow-list.

    ``purpose`` names the channel in the message (库表对接、接口拉取、回调地址、代理接口)."""
    text = (url or "").strip()
    scheme = text.split(":", 1)[0].lower()
    if scheme in ("http", "https"):
        return _check_http(text, purpose)
    if scheme == "file":
        raise EgressForbidden(f"{purpose}不能读取本机文件(file://)")
    return _check_database(text, purpose)


def _check_http(text: str, purpose: str) -> Target:
    try:
        parsed = httpx.URL(text)
    except (httpx.InvalidURL, ValueError) as exc:
        raise ValidationError(f"{purpose}地址格式不正确", code="bad_url") from exc
    port = parsed.port or DEFAULT_PORTS[parsed.scheme]
    addresses = allowed_addresses(parsed.host, port, purpose)
    return Target(host=parsed.host, port=port, addresses=tuple(addresses))


def _check_database(text: str, purpose: str) -> Target:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(text)
        backend = parsed.get_backend_name()
    except (ArgumentError, ValueError, TypeError) as exc:
        raise ValidationError(f"{purpose}连接串格式不正确", code="bad_url") from exc
    unsafe = sorted(k for k in parsed.query if k.lower() not in SAFE_DB_PARAMS)
    if unsafe:
        raise EgressForbidden(f"{purpose}连接串不允许带参数 {', '.join(unsafe)}(可能改变实际连接的主机或文件)")
    if backend in FILE_BACKENDS:
        if parsed.host:
            raise EgressForbidden(f"{purpose}:{backend} 连接串不应含主机名")
        return Target(path=check_path(parsed.database or "", purpose))
    if not parsed.host:
        raise EgressForbidden(f"{purpose}连接串须指明网络主机(不允许本机套接字或无主机的驱动)")
    port = parsed.port or DEFAULT_PORTS.get(backend)
    addresses = allowed_addresses(parsed.host, port, purpose)
    if _is_platform_database(backend, parsed.database or "", port, addresses):
        raise EgressForbidden(f"{purpose}不能指向平台自身的数据库")
    return Target(host=parsed.host, port=port, addresses=tuple(addresses))


def _is_platform_database(backend: str, database: str, port: int | None, addresses: list[str]) -> bool:
    """Same server (address or loopback), same port and same database name as one the platform uses."""
    from django.db import connections

    configs = list(settings.DATABASES.values()) + [connections[a].settings_dict for a in connections]
    for config in configs:
        engine = str(config.get("ENGINE", ""))
        if "sqlite" in engine or backend.split("+")[0] not in engine:
            continue
        names = {config.get("NAME"), (config.get("TEST") or {}).get("NAME")}
        if database not in names:
            continue
        own_port = int(config.get("PORT") or DEFAULT_PORTS.get(backend) or 0)
        if port != own_port:
            continue
        own_host = config.get("HOST") or "localhost"
        try:
            own = set(resolve(own_host, own_port)) if not own_host.startswith("/") else set()
        except OSError:
            own = set()
        # A loopback source and a local platform database are the same server whatever the spelling.
        loopback_source = any(ipaddress.ip_address(a).is_loopback for a in addresses)
        local_platform = not own or any(ipaddress.ip_address(a).is_loopback for a in own)
        if own & set(addresses) or (loopback_source and local_platform):
            return True
    return False


def pinned_database_url(url: str, target: Target):
    """The SQLAlchemy URL bound to the address just checked, so a second DNS answer is never used."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if target.path is not None:
        # The resolved path: a symlink put in place after the check is not followed again.
        return parsed.set(database=str(target.path))
    if not target.addresses:
        return parsed
    if parsed.get_backend_name() == "postgresql":
        # libpq connects to hostaddr and keeps host for TLS verification and .pgpass.
        return parsed.update_query_dict({"hostaddr": target.addresses[0]})
    return parsed.set(host=target.addresses[0])


# ----------------------------------------------------------------------------- HTTP


@functools.cache
def _guarded_backend() -> type:
    """The network backend class, defined on first use: httpcore is imported only when HTTP is used."""

    class _GuardedBackend(httpcore.SyncBackend):
        def __init__(self, purpose: str) -> None:
            self.purpose = purpose

        def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                        socket_options=None) -> httpcore.NetworkStream:
            addresses = allowed_addresses(host, port, self.purpose)
            error: Exception | None = None
            for address in addresses:
                try:
                    return super().connect_tcp(address, port, timeout, local_address, socket_options)
                except httpcore.ConnectError as exc:
                    error = exc
            raise error or httpcore.ConnectError(f"cannot connect to {host}")

        def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options=None):
            raise EgressForbidden(f"{self.purpose}不允许连接本机套接字")

    return _GuardedBackend


def http_client(*, purpose: str, timeout: float, headers: dict | None = None) -> httpx.Client:
    """An httpx client that checks every connection against the rule above at the moment it opens.

    Environment proxies are ignored (``trust_env=False``): through a proxy the check would see the
    proxy's address instead of the department's."""
    transport = httpx.HTTPTransport()
    # httpx offers no public hook for name resolution; its pool accepts a network backend.
    transport._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(),
                                              network_backend=_guarded_backend()(purpose))
    return httpx.Client(transport=transport, timeout=timeout, headers=headers, follow_redirects=False,
                        trust_env=False)
