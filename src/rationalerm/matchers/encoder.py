"""A fast CPU encoder for the local matcher: the same all-MiniLM-L6-v2 transformer, run by ONNX Runtime.

It computes what the sentence-transformers pipeline of the model folder computes (the calibration of the local
matcher stays valid; the embeddings agree to cosine >= 0.9999, in fp32, no quantisation):

* the fast tokenizer of the folder (``tokenizer.json``), no fixed padding, truncated to ``max_seq_length`` of
  ``sentence_bert_config.json`` (256), after stripping each text as sentence-transformers does;
* the BERT transformer (input ids, attention mask, token type ids -> last hidden state), exported once to ONNX with
  ``torch.onnx`` and cached under ``$XDG_CACHE_HOME/rationalerm`` (or ``~/.cache/rationalerm``, or a temporary
  folder when neither is writable), keyed by a hash of the weights and the config; ORT applies all its graph
  optimisations when the session opens;
* mean pooling over the attention mask and L2 normalisation in numpy (``1_Pooling/config.json``, ``modules.json``).

Texts are sorted by token length and cut into batches (at most :attr:`OnnxEncoder.MAX_ROWS` texts each, however
large ``batch_size``) so little is spent on padding; on ``threads`` cores the
batches run on that many single-threaded workers of one session (faster than one intra-op-parallel run for
matrices this small). Exporting needs ``torch``, ``transformers`` and ``onnx``; once the file is cached, loading
needs only ``onnxruntime``, ``tokenizers`` and numpy.

:class:`TorchBF16Encoder` is the opt-in fast path for CPUs with native bfloat16 (AMX, AVX-512 BF16): the same
pooling, the transformer in torch with its matrix products in bf16 (embeddings within cosine 1e-4 of fp32), in
batches of one fixed shape per length bucket so that a text's embedding never depends on the other texts encoded
with it (the fp32 ONNX path gives the same bits in any batch as it is).
"""

from __future__ import annotations

import abc
import hashlib
import json
import math
import os
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

BACKEND = "onnxruntime"
# Bump when the export below changes what the cached file holds.
EXPORT_VERSION = "1"
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_HASHED_FILES = ("config.json", "model.safetensors")
_export_lock = threading.Lock()


def onnx_available() -> bool:
    """Whether the ONNX backend can run here (``onnxruntime`` and ``tokenizers`` importable)."""
    import importlib.util
    import sys

    def importable(name: str) -> bool:
        if name in sys.modules:  # None there means "blocked" (as tests do)
            return sys.modules[name] is not None
        return importlib.util.find_spec(name) is not None

    return all(importable(name) for name in ("onnxruntime", "tokenizers"))


def cache_dir() -> Path:
    """Where exported models are kept: ``$XDG_CACHE_HOME/rationalerm`` or ``~/.cache/rationalerm``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "rationalerm"


def model_key(model_dir: str | Path) -> str:
    """A hash of the files that determine the exported graph, and of the export code's version."""
    digest = hashlib.sha256(f"rationalerm-onnx-export-{EXPORT_VERSION}".encode())
    for name in _HASHED_FILES:
        path = Path(model_dir) / name
        digest.update(name.encode())
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 22), b""):
                digest.update(chunk)
    return digest.hexdigest()[:24]


def export_onnx(model_dir: str | Path, target: str | Path) -> Path:
    """Export the transformer of ``model_dir`` to ``target`` (written to a temporary file, then renamed)."""
    import torch
    from transformers import AutoModel

    target = Path(target)
    try:  # the weights' progress bar on stderr is noise
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover
        pass
    # Eager attention exports a plain, shape-generic graph (masked softmax) that ORT fuses well.
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager", local_files_only=True)
    model.eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            return self.inner(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=token_type_ids,
                return_dict=False,
            )[0]

    ids = torch.tensor([[101, 2023, 2003, 1037, 3231, 102], [101, 2178, 102, 0, 0, 0]], dtype=torch.long)
    mask = (ids != 0).long()
    dynamic = {name: {0: "batch", 1: "tokens"} for name in (*_INPUTS, "last_hidden_state")}
    fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        import warnings

        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                LastHiddenState(model),
                (ids, mask, torch.zeros_like(ids)),
                tmp,
                input_names=list(_INPUTS),
                output_names=["last_hidden_state"],
                dynamic_axes=dynamic,
                opset_version=17,
                do_constant_folding=True,
                dynamo=False,
            )
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def onnx_model_path(model_dir: str | Path, directory: str | Path | None = None) -> tuple[Path, bool]:
    """The cached ONNX file of ``model_dir`` (exported on first use) and whether it was exported by this call.

    Tries ``directory`` (default :func:`cache_dir`), then a per-user temporary folder when that is not writable.
    """
    model_dir = Path(model_dir)
    name = f"{model_dir.parent.name}-{model_dir.name}-{model_key(model_dir)}.onnx"
    candidates = [Path(directory) if directory else cache_dir()]
    candidates.append(
        Path(tempfile.gettempdir()) / f"rationalerm-{os.getuid() if hasattr(os, 'getuid') else 0}"
    )
    error: OSError | None = None
    for folder in candidates:
        path = folder / name
        if path.is_file():
            return path, False
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with _export_lock:
                if path.is_file():
                    return path, False
                return export_onnx(model_dir, path), True
        except OSError as exc:  # not writable: try the next folder
            error = exc
    raise OSError(f"cannot write the exported model anywhere: {error}")


class _BatchedEncoder(abc.ABC):
    """What the encoders share: the folder's tokenizer, length-sorted batches with no padding beyond each batch's
    longest text, mean pooling over the attention mask and L2 normalisation (in fp32 numpy)."""

    backend = "none"
    dimension = 384

    def __init__(self, model_dir: str | Path, *, batch_size: int, threads: int | None) -> None:
        from tokenizers import Tokenizer

        model_dir = Path(model_dir)
        self.model_dir = model_dir
        self.max_seq_length, self.normalize = _pipeline(model_dir)
        self.batch_size = max(1, int(batch_size))
        self.threads = max(1, int(threads or _cores()))
        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        tokenizer.no_padding()
        tokenizer.enable_truncation(self.max_seq_length)
        self._tokenizer = tokenizer

    @abc.abstractmethod
    def _hidden(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The transformer's last hidden state of one padded batch (fp32)."""

    def _batches(self, lengths: np.ndarray) -> list[np.ndarray]:
        order = np.argsort(-lengths, kind="stable")
        size = self._batch_size(len(order))
        return [order[start : start + size] for start in range(0, len(order), size)]

    def _width(self, longest: int) -> int:
        """The padded width of a batch whose longest text has ``longest`` tokens."""
        return longest

    def _rows(self, texts: int) -> int:
        """The rows of a batch of ``texts`` texts (more than ``texts``: filler rows, dropped from the output)."""
        return texts

    def _batch_size(self, texts: int) -> int:
        return self.batch_size

    def _map(self, run: Any, batches: list[np.ndarray]) -> Any:
        return map(run, batches)

    def __call__(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch([str(t).strip() for t in texts], add_special_tokens=True)
        lengths = np.array([len(e.ids) for e in encodings])
        batches = self._batches(lengths)

        def run(index: np.ndarray) -> np.ndarray:
            width = self._width(int(lengths[index].max()))
            rows = self._rows(len(index))
            ids = np.zeros((rows, width), dtype=np.int64)
            mask = np.zeros((rows, width), dtype=np.int64)
            for row, i in enumerate(index):
                ids[row, : lengths[i]] = encodings[i].ids
                mask[row, : lengths[i]] = 1
            ids[len(index) :], mask[len(index) :] = ids[0], mask[0]  # filler rows, when the shape is fixed
            return self._pool(self._hidden(ids, mask), mask)[: len(index)]

        for index, vectors in zip(batches, self._map(run, batches), strict=True):
            out[index] = vectors
        return out

    def _pool(self, hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
        weights = mask[..., None].astype(np.float32)
        summed = (hidden * weights).sum(axis=1)
        vectors = summed / np.clip(weights.sum(axis=1), 1e-9, None)
        if self.normalize:  # torch.nn.functional.normalize: x / max(||x||, 1e-12)
            vectors = vectors / np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)
        return vectors.astype(np.float32, copy=False)


class OnnxEncoder(_BatchedEncoder):
    """Texts -> unit-length fp32 embeddings, as the sentence-transformers model of ``model_dir`` computes them."""

    backend = BACKEND

    def __init__(
        self,
        model_dir: str | Path,
        *,
        batch_size: int = 32,
        threads: int | None = None,
        cache: str | Path | None = None,
    ) -> None:
        import onnxruntime as ort

        super().__init__(model_dir, batch_size=batch_size, threads=threads)
        self.path, self.exported = onnx_model_path(self.model_dir, cache)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = 1  # parallel over batches instead (see the module docstring)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        self.dimension = int(self._session.get_outputs()[0].shape[-1] or 384)
        self._workers = ThreadPoolExecutor(self.threads, "rationalerm-onnx") if self.threads > 1 else None

    # At most this many texts per run, whatever ``batch_size`` asks: on 2 shared cores the 4,103 texts of the
    # reward benchmark (98,485 tokens) took 8.2 s in runs of 16, 8.4 s in 32, 8.9 s in 64 and 9.7 s in 128 (smaller
    # runs keep a run's activations in cache). The embeddings are the same bits in any batch (measured: 4, 8, 16,
    # 32, 64, 128), so this changes speed only.
    MAX_ROWS = 16

    def _batch_size(self, texts: int) -> int:
        # Small enough that every worker gets a batch when there are few texts.
        return min(self.batch_size, self.MAX_ROWS, math.ceil(texts / self.threads))

    def _map(self, run: Any, batches: list[np.ndarray]) -> Any:
        return self._workers.map(run, batches) if self._workers is not None else map(run, batches)

    def _hidden(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return self._session.run(None, feeds)[0]

    def settings(self) -> dict[str, Any]:
        return {"backend": self.backend, "model_file": str(self.path), "threads": self.threads}


def native_bf16() -> bool:
    """Whether this CPU computes bf16 matrix products natively (AMX or AVX-512 BF16), as oneDNN sees it."""
    try:
        import torch

        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except Exception:  # no torch, or no such op in this build
        return False


class TorchBF16Encoder(_BatchedEncoder):
    """The same transformer in torch, its matrix products in bfloat16 (``torch.autocast``), everything else fp32.

    On a CPU with AMX or AVX-512 BF16 (recent Xeons and EPYCs) this is 1.5-2x as fast as the fp32 ONNX
    encoder, and its embeddings agree with fp32 to cosine >= 0.9999 (measured 0.99995 at worst on the demo
    reasons): a pair's graded score changes only if its similarity lies within about 1e-4 of a threshold. Without
    native bf16 it is slower than fp32: :func:`native_bf16` tells. Uses ``threads`` torch threads (a process-wide
    torch setting)."""

    backend = "torch-bf16"

    def __init__(self, model_dir: str | Path, *, batch_size: int = 128, threads: int | None = None) -> None:
        import torch
        from transformers import AutoModel

        super().__init__(model_dir, batch_size=batch_size, threads=threads)
        try:
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()
        except ImportError:  # pragma: no cover
            pass
        torch.set_num_threads(self.threads)
        self._torch = torch
        self._model = AutoModel.from_pretrained(str(self.model_dir), local_files_only=True).eval()
        self.dimension = int(self._model.config.hidden_size)

    # Fixed batch shapes: bf16 matrix products (oneDNN) give a row last-bit (up to 1e-3) different results in
    # batches of another shape, so a text's embedding would depend on which texts share its batch. Each text goes
    # in a batch of SHAPE_ROWS rows and of its own length rounded up to SHAPE_STEP tokens: the same shape for it
    # whatever the other texts (whose rows do not change its own; measured bitwise). The price, measured on 2
    # shared cores: 4,103 texts in 4.7 s instead of 3.6 s, a lone call of 6 texts 93 ms instead of 18 ms (filler rows).
    SHAPE_ROWS = 32
    SHAPE_STEP = 16

    def _batches(self, lengths: np.ndarray) -> list[np.ndarray]:
        buckets = -(-lengths // self.SHAPE_STEP)
        order = np.lexsort((np.arange(len(lengths)), -buckets))
        batches: list[np.ndarray] = []
        for bucket in np.unique(buckets[order])[::-1]:
            members = order[buckets[order] == bucket]
            batches += [members[k : k + self.SHAPE_ROWS] for k in range(0, len(members), self.SHAPE_ROWS)]
        return batches

    def _width(self, longest: int) -> int:
        return -(-longest // self.SHAPE_STEP) * self.SHAPE_STEP

    def _rows(self, texts: int) -> int:
        return self.SHAPE_ROWS

    def _hidden(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        torch = self._torch
        input_ids = torch.from_numpy(ids)
        attention = torch.from_numpy(mask)
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
            hidden = self._model(
                input_ids=input_ids, attention_mask=attention, token_type_ids=torch.zeros_like(input_ids)
            )[0]
        return hidden.float().numpy()

    def settings(self) -> dict[str, Any]:
        return {"backend": self.backend, "threads": self.threads, "native_bf16": native_bf16()}


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _pipeline(model_dir: Path) -> tuple[int, bool]:
    """``max_seq_length`` and whether the pipeline normalises; refuses any pipeline but Transformer -> mean
    Pooling (-> Normalize), which is all this encoder reproduces."""
    modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
    kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
    if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        raise ValueError(f"unsupported sentence-transformers pipeline {kinds}")
    pooling = json.loads((model_dir / modules[1]["path"] / "config.json").read_text(encoding="utf-8"))
    modes = {k for k, v in pooling.items() if k.startswith("pooling_mode") and v}
    if modes != {"pooling_mode_mean_tokens"}:
        raise ValueError(f"unsupported pooling {sorted(modes)}")
    config = json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
    model_config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    max_len = int(config.get("max_seq_length") or model_config.get("max_position_embeddings", 512))
    max_len = min(max_len, int(model_config.get("max_position_embeddings", max_len)))
    return max_len, kinds[-1] == "Normalize"
