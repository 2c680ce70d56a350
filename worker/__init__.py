"""RQ side of transfergen: queue access (TF-free), the job function, the worker entry point.

`worker.queue`, `worker.settings` and `worker.connection` never import TensorFlow, so the API
process and the worker parent stay light; only `worker.jobs.train_job` imports models.training,
inside the forked work horse. Job records (status, progress, events) live on disk
(`worker.records`); leases (`worker.lease`) and the sweep (`worker.recovery`) bring back jobs whose
worker was lost; `worker.webhooks` is the outbox the API's dispatcher sends from.
"""
