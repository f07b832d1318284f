# One image for web and worker. GPU workers: build with TORCH_INDEX set to a CUDA wheel index.
# The first stage builds memdash's wheel from the repository's folders (memdash/ links to app/,
# core/ and worker/; app/ to templates/, static/ and docs/); the image installs that wheel, as a
# user would, so it serves with nothing of the checkout beside it.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app app
COPY core core
COPY docs docs
COPY memdash memdash
COPY static static
COPY templates templates
COPY worker worker
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
COPY --from=build /wheels /wheels
# The worker extra too: the web validates uploaded checkpoints, workers run models.
RUN pip install --no-cache-dir "$(ls /wheels/memdash-*.whl)[server,worker]" && rm -rf /wheels
ENV MEMDASH_DATA_DIR=/data
VOLUME /data
EXPOSE 8000
CMD ["memdash", "serve", "--host", "0.0.0.0", "--workers", "0"]
