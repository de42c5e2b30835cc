# copy-rm: like copy, then delete the wheels with RUN rm -rf /whl in a later step.
# Claim tested: deleting files in a later layer does not shrink the image; the COPY layer still ships them.
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
RUN rm -rf /whl
