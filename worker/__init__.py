"""The runner: the RQ worker that trains jobs (`python -m worker`). Built on the TF-free `jobs` package.

`worker.training_worker` is RQ's Worker plus the lost-job sweep; `worker.jobs.train_job` is the job
function, run in the forked work horse (the only process that imports TensorFlow); `worker.hooks`
are the training loop's progress/abort hooks for one job; `worker.lease` says which horse trains a
job right now, and `worker.recovery` brings back jobs whose horse or worker was lost. The API never
imports this package: it reaches jobs through `jobs.queue`.
"""
