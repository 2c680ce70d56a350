"""RQ side of transfergen: queue access (TF-free), the job function, the worker entry point.

`worker.queue`, `worker.settings` and `worker.connection` never import TensorFlow, so the API
process and the worker parent stay light; only `worker.jobs.train_job` imports models.training,
inside the forked work horse.
"""
