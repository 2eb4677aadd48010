# socialmetrics: one image for every Airflow component of docker-compose.yml.
#
# Base: Debian 12 (bookworm) Python 3.11 slim, not apache/airflow. The official Airflow image ships
# Airflow with its own constraint set and dozens of providers; installing requirements.lock over it
# would mix two dependency sets (and `--no-deps` could not tell). Here the image holds exactly the
# versions of requirements.lock, the same set CI tests natively (tests/test_celery_e2e.py runs this
# topology on PostgreSQL, Redis and two Celery workers). Python 3.11 is the lock's --python-version.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
FROM ${PYTHON_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    AIRFLOW_HOME=/opt/airflow \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/socialmetrics/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=False

# chromium + fonts-dejavu-core: the weekly report is printed to PDF by headless Chromium.
# curl: the health checks of docker-compose.yml.
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium fonts-dejavu-core curl \
    && rm -rf /var/lib/apt/lists/*

# uid 50000, gid 0: the convention of Airflow's reference images (group-writable volumes).
RUN useradd --uid 50000 --gid 0 --home-dir /opt/airflow --create-home --shell /bin/bash airflow \
    && mkdir -p /opt/airflow/logs /opt/airflow/auth \
        /opt/socialmetrics/data /opt/socialmetrics/landing /opt/socialmetrics/reports /opt/socialmetrics/imports \
    && chown -R airflow:0 /opt/airflow /opt/socialmetrics

WORKDIR /opt/socialmetrics

# The pinned dependency set first (its own layer: rebuilt only when the lock changes).
COPY requirements.lock ./
RUN pip install --no-deps -r requirements.lock

# The project itself, without resolving anything again. Editable, because the DAG (dags/) is read from the
# project folder; the SQL models (sql/) are read from there too (a wheel ships them as socialmetrics/sql/).
COPY --chown=airflow:0 pyproject.toml README.md ./
COPY --chown=airflow:0 connectors ./connectors
COPY --chown=airflow:0 socialmetrics ./socialmetrics
COPY --chown=airflow:0 sql ./sql
COPY --chown=airflow:0 dags ./dags
COPY --chown=airflow:0 config ./config
RUN pip install --no-deps -e . \
    && python -c "import airflow, socialmetrics, connectors.registry; print('airflow', airflow.__version__)" \
    && python -m socialmetrics.run.airflow_preload /opt/airflow \
    && chown -R airflow:0 /opt/airflow/config
# (the last two: schedulers and Celery workers import the task code once, so the task processes they fork
# start warm; see socialmetrics/run/airflow_preload.py)

USER airflow
ENTRYPOINT ["airflow"]
CMD ["version"]
