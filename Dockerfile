# One image for web and worker. GPU workers: build with TORCH_INDEX set to a CUDA wheel index.
FROM python:3.11-slim
WORKDIR /srv/memdash
COPY pyproject.toml README.md ./
COPY app app
COPY core core
COPY memdash memdash
COPY worker worker
COPY templates templates
COPY static static
# The worker extra too: the web validates uploaded checkpoints, workers run models.
RUN pip install --no-cache-dir -e '.[worker]'
ENV MEMDASH_DATA_DIR=/data
VOLUME /data
EXPOSE 8000
CMD ["memdash", "serve", "--host", "0.0.0.0", "--workers", "0"]
