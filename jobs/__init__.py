"""Training jobs, TF-free: what the API and the worker share.

A job is a typed record on disk (`jobs.record`, stored by `jobs.store` with its event log) plus an
RQ job of the same id that carries it through the queue (`jobs.queue`, the API's door to jobs).
Its status and the moves between statuses are defined once (`jobs.status`); what users see of it is
`jobs.views.JobView`, for the API and for webhooks (`jobs.webhooks`). Settings, the Redis connection
and the embedded Redis live here too, so `app/` never imports `worker/`, and `worker/` (the runner:
the job function, its hooks, leases, recovery, the RQ worker) builds on this package.

Nothing here imports TensorFlow, fastapi or the training code.
"""
