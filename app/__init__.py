"""HTTP API of transfergen (FastAPI). Entry point: `uvicorn --factory app.main:create_app`.

The API never trains and never imports `worker/`: it reaches jobs through the TF-free `jobs`
package (`jobs.queue`) and loads finished generators through `models.loading`.
"""
