"""The HTTP API (FastAPI): `create_app()` in api.app; `kgqa serve` runs it with uvicorn."""
