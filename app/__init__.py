"""HTTP API of transfergen (FastAPI). Entry point: `uvicorn --factory app.main:create_app`.

The API never trains: it enqueues jobs through `worker.queue` and loads finished generators
through `models.loading`.
"""
