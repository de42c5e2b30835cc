# copy: build wheels in a full image, COPY them into the slim one, pip install them there.
# Claim tested: the COPY layer keeps every wheel in the final image, even though nothing needs them after install.
ARG BUILD_IMAGE=python:3.11
ARG FINAL_IMAGE=python:3.11-slim

FROM ${BUILD_IMAGE} AS build
# Where pip finds packages; bench passes its local index here. Unset: pip's default index.
ARG PIP_INDEX_URL
COPY requirements.txt .
RUN pip wheel -r requirements.txt --wheel-dir /whl --no-cache-dir

FROM ${FINAL_IMAGE}
COPY --from=build /whl/*.whl /whl/
RUN pip install --no-deps /whl/*.whl
