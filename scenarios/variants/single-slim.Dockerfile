# single-slim: one stage, pip install straight into the slim image.
# Claim tested: the simplest Dockerfile is small, but fails when a package must compile (no compilers in slim).
ARG BUILD_IMAGE=python:3.11
ARG FINAL_IMAGE=python:3.11-slim

FROM ${FINAL_IMAGE}
# Where pip finds packages; bench passes its local index here. Unset: pip's default index.
ARG PIP_INDEX_URL
COPY requirements.txt .
RUN pip install -r requirements.txt --no-cache-dir
