# venv-copy: install into a virtualenv in the full image, then COPY the whole virtualenv into the slim one.
# Claim tested: one COPY of installed packages, no wheels shipped; needs the same Python path in both images.
ARG BUILD_IMAGE=python:3.11
ARG FINAL_IMAGE=python:3.11-slim

FROM ${BUILD_IMAGE} AS build
# Where pip finds packages; bench passes its local index here. Unset: pip's default index.
ARG PIP_INDEX_URL
COPY requirements.txt .
RUN python -m venv /venv && /venv/bin/pip install -r requirements.txt --no-cache-dir

FROM ${FINAL_IMAGE}
COPY --from=build /venv /venv
ENV PATH=/venv/bin:$PATH
