"""The web UI: one page and its script and style, served by the API app (no build step).

The page holds no data: the script calls the API like any other client, with the key the user
pastes (kept in the browser's session storage), or without one in open access mode.
"""

from __future__ import annotations

import html
from importlib import resources

from company_reviewer.serve.config import ServeSettings


def mount_ui(app, settings: ServeSettings) -> None:
    from fastapi.responses import HTMLResponse, Response
    from fastapi.staticfiles import StaticFiles

    package = resources.files("company_reviewer.serve")
    page = (package / "templates" / "index.html").read_text(encoding="utf-8")
    page = page.replace("{{open_access}}", html.escape("true" if settings.open_access else "false"))

    @app.get("/", include_in_schema=False)
    def index() -> HTMLResponse:
        return HTMLResponse(page)

    icon = (package / "static" / "favicon.svg").read_bytes()

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:  # what browsers ask for on pages without <link rel=icon> (/docs)
        return Response(icon, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})

    app.mount("/static", StaticFiles(directory=str(package / "static")), name="static")


def mount_docs(app) -> None:
    """``/docs``: the OpenAPI description as a plain HTML page. FastAPI's Swagger UI loads its
    script from a CDN, which offline machines cannot reach; this page needs nothing but the server."""
    from fastapi.responses import HTMLResponse

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(render_openapi(app.openapi()))


def _schema_name(schema: dict) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"list of {_schema_name(schema.get('items', {}))}"
    if "anyOf" in schema:
        return " or ".join(_schema_name(s) for s in schema["anyOf"])
    return schema.get("type", "object")


def render_openapi(spec: dict) -> str:
    esc = html.escape
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{esc(spec['info']['title'])} API"
             "</title><link rel='stylesheet' href='/static/app.css'></head><body><main>",
             f"<h1>{esc(spec['info']['title'])} API {esc(spec['info']['version'])}</h1>",
             f"<p>{esc(spec['info'].get('description', ''))}</p>",
             "<p>Machine-readable: <a href='/openapi.json'>/openapi.json</a>. Errors are JSON "
             "<code>{\"detail\": \"...\"}</code>: 401 no key, 403 bad or revoked key, 413 body too large, "
             "422 invalid input, 429 rate limited (see <code>Retry-After</code>).</p>"]
    schemas = spec.get("components", {}).get("schemas", {})
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            parts.append(f"<section class='panel'><h2><code>{esc(method.upper())} {esc(path)}</code></h2>"
                         f"<p>{esc(op.get('summary', ''))}</p>")
            params = op.get("parameters", [])
            if params:
                parts.append("<table><tr><th>parameter</th><th>in</th><th>type</th><th>required</th></tr>")
                for p in params:
                    parts.append(f"<tr><td>{esc(p['name'])}</td><td>{esc(p['in'])}</td>"
                                 f"<td>{esc(_schema_name(p.get('schema', {})))}</td>"
                                 f"<td>{p.get('required', False)}</td></tr>")
                parts.append("</table>")
            body = op.get("requestBody", {}).get("content", {})
            for media, content in body.items():
                name = _schema_name(content.get("schema", {}))
                parts.append(f"<p>Body ({esc(media)}): <strong>{esc(name)}</strong></p>")
                fields = schemas.get(name, {}).get("properties", {})
                if fields:
                    parts.append("<table><tr><th>field</th><th>type</th><th>description</th></tr>")
                    for field, schema in fields.items():
                        parts.append(f"<tr><td>{esc(field)}</td><td>{esc(_schema_name(schema))}</td>"
                                     f"<td>{esc(schema.get('description', ''))}</td></tr>")
                    parts.append("</table>")
            ok = next((r for code, r in op.get("responses", {}).items() if code.startswith("2")), {})
            for content in ok.get("content", {}).values():
                parts.append(f"<p>Returns: <strong>{esc(_schema_name(content.get('schema', {})))}</strong></p>")
            parts.append("</section>")
    parts.append("</main></body></html>")
    return "".join(parts)
