# venv-copy: install into a virtualenv in the full image, then COPY the whole virtualenv into the slim one.
# Claim tested: one COPY of installed packages, no wheels shipped; needs the same Python path in both images.
ARG BUILD_IMAGE=python:3.11
ARG FINAL_IMAGE=python:3.11-slim

FROM ${BUILD_IMAGE} AS build
# Where pip finds packages; bench passes its local index here. Unset: pip's default index.
ARG PIP_INDEX_URL
COPY requirements.txt .
# --without-pip: the virtualenv holds only the packages; the build image's pip fills it (pip >= 22.3),
# so no second copy of pip and setuptools ships in the final image.
RUN python -m venv --without-pip /venv \
 && pip --python /venv/bin/python install -r requirements.txt --no-cache-dir

FROM ${FINAL_IMAGE}
COPY --from=build /venv /venv
ENV PATH=/venv/bin:$PATH
