"""The application factory's own choices."""

from __future__ import annotations

import inspect

from quart import Quart
from quart.typing import TestClientProtocol


async def test_no_template_context_processor_runs_in_a_thread(app: Quart) -> None:
    # Quart runs a sync context processor in a worker thread on every template rendered:
    # Flask's own one, left on each blueprint, did so on every page while adding nothing.
    for processors in app.template_context_processors.values():
        for processor in processors:
            assert inspect.iscoroutinefunction(processor), processor


async def test_pages_still_get_the_request_and_the_user_in_their_templates(
    client: TestClientProtocol,
) -> None:
    response = await client.get("/leaderboard?page=2")
    html = await response.get_data(as_text=True)
    # The layout reads `request.path` (the log-in link comes back here) and `current_user`.
    assert 'href="/login?next=/leaderboard"' in html
    assert "Log in" in html
