"""The baseline of the saturation benchmark: Quart with one route and nothing else."""

from quart import Quart

app = Quart(__name__)


@app.get("/health")
async def health() -> dict[str, str]:
    """Answer as Paddock's /health does, with none of its hooks."""
    return {"status": "ok"}
