# transfergen: API + training worker. One image, three ways to run it:
#   docker run --gpus all -p 8000:8000 -v transfergen:/data IMAGE        (all in one: python -m app.serve,
#                                                                         embedded Redis in /data/redis)
#   command: python -m worker                                            (a worker, with REDIS_URL set)
#   command: uvicorn app.main:create_app --factory --host 0.0.0.0        (the API, with REDIS_URL set)
# See docker-compose.yml for the split setup. HOST is 0.0.0.0 here, so the API needs an API key before it
# starts (README, "Security"); all in one, make it on the same volume first:
#   docker run --rm -v transfergen:/data IMAGE python -m jobs.keys create --name admin --role admin
FROM python:3.11-slim

# GPU build by default: CUDA and cuDNN come as pip wheels; the host needs only the NVIDIA driver and
# the container toolkit. For a CPU-only image: --build-arg TF_PACKAGE="tensorflow-cpu==2.21.*".
ARG TF_PACKAGE="tensorflow[and-cuda]==2.21.*"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=8000

WORKDIR /srv/transfergen

# Dependencies first (cached while only code changes): everything pyproject.toml lists except its
# TensorFlow line, which TF_PACKAGE replaces, so only one TensorFlow build is installed.
COPY pyproject.toml ./
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; \
print('\n'.join(d for d in deps if not d.startswith('tensorflow')))" > /tmp/requirements.txt \
 && pip install "$TF_PACKAGE" -r /tmp/requirements.txt

COPY app ./app
COPY jobs ./jobs
COPY worker ./worker
COPY models ./models
RUN pip install --no-deps . \
 && useradd --create-home --uid 1000 transfergen \
 && mkdir -p /data && chown transfergen:transfergen /data

USER transfergen
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz', timeout=4)" || exit 1
CMD ["python", "-m", "app.serve"]
