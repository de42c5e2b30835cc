# single-full: one stage, pip install into the full image (compilers, headers).
# Claim tested: always builds, but ships the whole toolchain: by far the largest image.
ARG BUILD_IMAGE=python:3.11
ARG FINAL_IMAGE=python:3.11-slim

FROM ${BUILD_IMAGE}
# Where pip finds packages; bench passes its local index here. Unset: pip's default index.
ARG PIP_INDEX_URL
COPY requirements.txt .
RUN pip install -r requirements.txt --no-cache-dir
