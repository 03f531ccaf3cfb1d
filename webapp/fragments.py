"""Render one named block of a page template: the fragment htmx asks for."""

from __future__ import annotations

from typing import Any

from jinja2_fragments import render_block_async
from quart import current_app
from quart.globals import app_ctx


async def render_block(template_name: str, block_name: str, **context: Any) -> str:
    """Render `block_name` of a template with the same context processors as a whole page."""
    # jinja2_fragments.quart calls update_template_context(context), a signature
    # Quart 0.23 no longer has (it takes the app context first), so do its job here.
    await current_app.update_template_context(app_ctx._get_current_object(), context)
    return await render_block_async(current_app.jinja_env, template_name, block_name, **context)
