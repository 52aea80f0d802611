# One image for the API and the Celery workers.
FROM python:3.11-slim-bookworm
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      tesseract-ocr tesseract-ocr-vie tesseract-ocr-osd poppler-utils qpdf ghostscript softhsm2 \
      fonts-liberation2 fonts-dejavu-core curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY ingest ingest
COPY ocr ocr
COPY signing signing
COPY storage storage
COPY api api
RUN pip install --no-cache-dir .
ENV OMP_THREAD_LIMIT=1 SOHOA_DATA_DIR=/var/lib/sohoa
# /var/lib/sohoa-metrics: the volume the API and the workers share for Prometheus (ingest/metrics.py); made here
# so a new named volume starts owned by sohoa
RUN useradd --system --home /var/lib/sohoa sohoa && mkdir -p /var/lib/sohoa /var/lib/sohoa-metrics \
    && chown sohoa /var/lib/sohoa /var/lib/sohoa-metrics
USER sohoa
EXPOSE 8000
CMD ["sohoa", "serve", "--host", "0.0.0.0"]
