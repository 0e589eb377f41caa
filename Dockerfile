# Self-hosting ML101 Explorables: CPU-only PyTorch, non-root, health-checked.
# tests/e2e/test_dockerfile.py runs these same steps in a virtual environment (no container
# engine needed), and .ci/run lints this file with hadolint.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1

WORKDIR /app
COPY requirements.txt .
# The CPU wheel of torch (about 200 MB) instead of PyPI's CUDA build (several GB).
RUN pip install --no-cache-dir --extra-index-url https://download.pytorch.org/whl/cpu \
        "torch==2.13.0+cpu" \
    && pip install --no-cache-dir -r requirements.txt

COPY . .
# A numeric user, so the host (and Kubernetes' runAsNonRoot) can tell it is not root.
RUN useradd --create-home --uid 10001 learner && chown -R 10001 /app
USER 10001

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).status == 200 else 1)"]

CMD ["streamlit", "run", "app.py", "--server.address=0.0.0.0", "--server.port=8501"]
