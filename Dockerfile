# SeedUI as a Docker Space (or any GPU host) on the official vLLM image.
#
#   docker build -t seedui .
#   docker run --gpus all --ipc=host -p 7860:7860 -v ~/.cache/huggingface:/home/user/.cache/huggingface seedui
#   docker run --gpus all --ipc=host -p 7860:7860 -e SEEDUI_CONFIG=examples/configs/seed-coder-24gb.yaml seedui   # 24 GB GPU
#
# vLLM comes with the image (its own Python packages, CUDA, `vllm` on PATH); SeedUI gets a venv of its own
# so that neither pins the other's versions. SeedUI starts and supervises one `vllm serve` per model.
# On a Space: README front matter `sdk: docker` and `app_port: 7860`, GPU hardware, and the config chosen
# with the variable SEEDUI_CONFIG (any setting works as a SEEDUI_* variable, see app.py --help).
ARG VLLM_IMAGE=vllm/vllm-openai:v0.32.0
FROM ${VLLM_IMAGE}

# The image's entry point is `vllm serve`; here SeedUI is the entry point and starts vLLM itself.
ENTRYPOINT []

# Spaces run containers as uid 1000 with a writable home: /home/user, whatever uid 1000 is called here.
COPY scripts/container_user.sh /tmp/container_user.sh
RUN sh /tmp/container_user.sh && rm /tmp/container_user.sh
USER 1000
ENV HOME=/home/user \
    HF_HOME=/home/user/.cache/huggingface \
    PYTHONUNBUFFERED=1
WORKDIR /app

# The app's runtime without torch/transformers: with every lane on vLLM the app never loads a model itself.
COPY --chown=1000:1000 requirements.txt ./
RUN python3 -m venv /opt/seedui \
    && grep -vE '^(torch|transformers|accelerate|gguf)\b' requirements.txt > /tmp/requirements-vllm.txt \
    && /opt/seedui/bin/pip install --no-cache-dir -r /tmp/requirements-vllm.txt

COPY --chown=1000:1000 app.py ./
COPY --chown=1000:1000 seedui ./seedui
COPY --chown=1000:1000 examples ./examples

# Listen where a Space expects it; run the three Seed-Coder lanes on one 80 GB GPU unless told otherwise.
# (A 24 GB GPU: examples/configs/seed-coder-24gb.yaml; several GPUs: seed-coder-multi-gpu.yaml.)
ENV SEEDUI_HOST=0.0.0.0 \
    SEEDUI_PORT=7860 \
    SEEDUI_CONFIG=examples/configs/seed-coder-80gb.yaml
EXPOSE 7860

# SIGTERM (docker stop, a Space restart) stops the app, which stops its vLLM servers.
CMD ["/opt/seedui/bin/python", "app.py"]
