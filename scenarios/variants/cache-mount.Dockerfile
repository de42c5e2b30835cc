# cache-mount: like mount, with pip's cache on a BuildKit cache mount while building the wheels.
# Claim tested: a cache mount speeds up repeated builds only; a cold build gains nothing, and nothing ships.
ARG BUILD_IMAGE=python:3.11
ARG FINAL_IMAGE=python:3.11-slim

FROM ${BUILD_IMAGE} AS build
# Where pip finds packages; bench passes its local index here. Unset: pip's default index.
ARG PIP_INDEX_URL
COPY requirements.txt .
RUN --mount=type=cache,target=/root/.cache/pip pip wheel -r requirements.txt --wheel-dir /whl

FROM ${FINAL_IMAGE}
RUN --mount=type=bind,target=/whl,source=/whl,from=build pip install --no-deps /whl/*.whl
