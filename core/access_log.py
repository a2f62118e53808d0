"""Access logs without what people typed: search terms, phone numbers and keys are cut from URLs.

Staff search the queue by a resident's name or phone (`/staff/queue/?q=张伟`,
`/api/v1/queue/?q=139...`); an access log that keeps the query string keeps those
names and numbers in clear for as long as the logs live, readable by whoever runs
the servers. The same URL comes back in the Referer of the next page and inside
`?next=` when a sign-in step redirects. So every URL a log line carries goes through
`redact_uri`: the values of the parameters below become `[redacted]`, everywhere,
and URLs nested in another parameter's value are redacted too. Other parameters
(page, status, cursor...) stay, as they help to read a log.

Used by gunicorn (`logger_class` in docker/gunicorn.conf.py) and, for the
development server, by the `django.server` logger's filter (config/settings.py).
"""

import logging
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

from gunicorn.glogging import Logger as GunicornLogger

# Parameter names (compared lower-case) whose values are never written to a log.
SECRET_PARAMETERS = frozenset(
    {
        "q",
        "query",
        "search",
        "term",
        "name",
        "phone",
        "id_number",
        "address",
        "tracking_number",
        "api_key",
        "key",
        "token",
        "password",
        "code",
    }
)
REDACTED = "[redacted]"


def redact_query(query: str) -> str:
    """A query string with the values of SECRET_PARAMETERS replaced, the rest as it was."""
    if not query:
        return query
    parts = []
    for part in query.split("&"):
        raw_name, equals, raw_value = part.partition("=")
        name = unquote_plus(raw_name).strip().lower().removesuffix("[]")
        if name in SECRET_PARAMETERS and (equals or raw_value):
            parts.append(f"{raw_name}={REDACTED}")
            continue
        value = unquote_plus(raw_value)
        if "?" in value:  # a URL inside a URL: ?next=/staff/queue/%3Fq%3D...
            parts.append(f"{raw_name}={quote(redact_uri(value), safe='/:')}")
            continue
        parts.append(part)
    return "&".join(parts)


def redact_uri(uri: str) -> str:
    """A path or absolute URL (`/staff/queue/?q=张伟&page=2`) with its secret parameters redacted."""
    if not uri or "?" not in uri:
        return uri
    try:
        scheme, netloc, path, query, fragment = urlsplit(uri)
    except ValueError:
        # Not even a URL: keep the part before the query only.
        return uri.split("?", 1)[0] + "?" + REDACTED
    return urlunsplit((scheme, netloc, path, redact_query(query), fragment))


def redact_request_line(line: str) -> str:
    """`GET /staff/queue/?q=张伟 HTTP/1.1` with the URL redacted."""
    method, space, rest = line.partition(" ")
    uri, space2, protocol = rest.rpartition(" ") if rest.count(" ") else (rest, "", "")
    return f"{method}{space}{redact_uri(uri)}{space2}{protocol}"


class AccessLogger(GunicornLogger):
    """gunicorn's logger, with URLs, query strings and referers redacted in every access-log atom."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["r"] = redact_request_line(atoms["r"])
        atoms["q"] = redact_query(atoms.get("q") or "")
        atoms["f"] = redact_uri(atoms.get("f") or "-")
        for key in ("{referer}i", "{raw_uri}e", "{query_string}e", "{http_referer}e", "{request_uri}e"):
            if key in atoms and isinstance(atoms[key], str):
                atoms[key] = redact_query(atoms[key]) if key == "{query_string}e" else redact_uri(atoms[key])
        return atoms


class RedactQueryFilter(logging.Filter):
    """For Django's development server (`django.server`): its message starts with the request line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args and isinstance(record.args[0], str):
            record.args = (redact_request_line(record.args[0]), *record.args[1:])
        return True
