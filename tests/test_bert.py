"""Which embedder folders the NumPy runtime takes (the vectors are compared in integration)."""

import json
from pathlib import Path

import pytest

from qa.bert import supported
from qa.embed import load_embedder
from qa.errors import ModelUnavailableError

MODULES = [
    {"type": "sentence_transformers.models.Transformer"},
    {"type": "sentence_transformers.models.Pooling"},
    {"type": "sentence_transformers.models.Normalize"},
]


def folder(tmp_path: Path, config: dict | None = None, modules=None, pooling=None) -> Path:
    (tmp_path / "1_Pooling").mkdir(parents=True, exist_ok=True)
    base = {"model_type": "bert", "hidden_act": "gelu"}
    (tmp_path / "config.json").write_text(json.dumps({**base, **(config or {})}))
    (tmp_path / "modules.json").write_text(json.dumps(MODULES if modules is None else modules))
    pool = pooling or {"pooling_mode_mean_tokens": True, "pooling_mode_cls_token": False}
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps(pool))
    (tmp_path / "model.safetensors").write_bytes(b"")
    (tmp_path / "tokenizer.json").write_text("{}")
    return tmp_path


def test_a_mean_pooled_normalised_bert_is_supported(tmp_path):
    assert supported(folder(tmp_path))


@pytest.mark.parametrize(
    "change",
    [
        {"config": {"model_type": "xlm-roberta"}},
        {"config": {"hidden_act": "gelu_new"}},
        {"config": {"position_embedding_type": "relative_key"}},
        {"modules": MODULES[:2]},  # not normalised
        {"pooling": {"pooling_mode_cls_token": True}},
        {"pooling": {"pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": True}},
    ],
)
def test_anything_else_is_left_to_sentence_transformers(tmp_path, change):
    assert not supported(folder(tmp_path, **change))


def test_a_folder_without_weights_or_config_is_not_supported(tmp_path):
    assert not supported(tmp_path)
    (folder(tmp_path) / "model.safetensors").unlink()
    assert not supported(tmp_path)


def test_a_missing_folder_is_model_unavailable_whatever_the_runtime(tmp_path):
    for runtime in ("auto", "numpy"):
        with pytest.raises(ModelUnavailableError):
            load_embedder(str(tmp_path / "nowhere"), runtime=runtime)
