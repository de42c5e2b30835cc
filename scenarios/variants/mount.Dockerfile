# mount: build wheels in a full image, bind-mount them into the slim one for pip install, copy nothing.
# Claim tested: RUN --mount=type=bind installs the same wheels with no COPY layer, at no cost in build time.
ARG BUILD_IMAGE=python:3.11
ARG FINAL_IMAGE=python:3.11-slim

FROM ${BUILD_IMAGE} AS build
# Where pip finds packages; bench passes its local index here. Unset: pip's default index.
ARG PIP_INDEX_URL
COPY requirements.txt .
RUN pip wheel -r requirements.txt --wheel-dir /whl --no-cache-dir

FROM ${FINAL_IMAGE}
RUN --mount=type=bind,target=/whl,source=/whl,from=build pip install --no-deps /whl/*.whl
