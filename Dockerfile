ARG BASE=python:3.12-slim
FROM ${BASE} AS build

# The package index as configured on the build machine, and the CA bundle pip should trust for it
# (a path inside the build, e.g. mounted with `podman build --volume`): pip reads these from the
# environment, empty means pip's default. They exist only in this build stage, not in the image.
ARG PIP_INDEX_URL=""
ARG PIP_EXTRA_INDEX_URL=""
ARG PIP_CERT=""

COPY . /src
RUN python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check --quiet /src

FROM ${BASE}

RUN useradd --system --uid 10001 --user-group --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin newsdigest \
    && mkdir -p /data \
    && chown newsdigest:newsdigest /data
COPY --from=build /opt/venv /opt/venv

ENV PATH=/opt/venv/bin:$PATH \
    NEWSDIGEST_DB=/data/newsdigest.db \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
VOLUME ["/data"]
WORKDIR /data
USER newsdigest

# --quick: settings and the database only; a full check would fetch every feed each time
HEALTHCHECK --interval=5m --timeout=30s --start-period=60s --retries=3 \
    CMD ["newsdigest", "check", "--quick"]
CMD ["newsdigest", "run"]
