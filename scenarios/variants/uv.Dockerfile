# uv: wheels built as in mount; uv (from PyPI, kept in the build stage) installs them, with a cache mount.
# Claim tested: uv installs faster than pip and leaves nothing behind; bytecode compiled as pip does, for fairness.
ARG BUILD_IMAGE=python:3.11
ARG FINAL_IMAGE=python:3.11-slim

FROM ${BUILD_IMAGE} AS build
# Where pip finds packages; bench passes its local index here. Unset: pip's default index.
ARG PIP_INDEX_URL
COPY requirements.txt .
RUN pip install --no-cache-dir --target /opt/uv uv \
 && pip wheel -r requirements.txt --wheel-dir /whl --no-cache-dir

FROM ${FINAL_IMAGE}
RUN --mount=type=bind,target=/whl,source=/whl,from=build \
    --mount=type=bind,target=/opt/uv,source=/opt/uv,from=build \
    --mount=type=cache,target=/root/.cache/uv \
    /opt/uv/bin/uv pip install --system --no-deps --compile-bytecode /whl/*.whl
