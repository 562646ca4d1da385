"""KGQA_API_* settings: defaults, parsing and errors that name the variable."""
from __future__ import annotations

from pathlib import Path

import pytest

from api.config import ApiConfig, ConfigError
from kgqa.settings import load_settings


def settings(tmp_path):
    return load_settings(config_file="/nonexistent", home=str(tmp_path), llm_timeout="12")


def test_defaults_follow_settings(tmp_path):
    cfg = ApiConfig.from_env(settings(tmp_path), environ={})
    assert cfg.key_file == Path(tmp_path) / "api_keys.json"
    assert cfg.cors_origins == () and cfg.warmup is True
    assert cfg.ask_timeout_s == 12 + cfg.timeout_s


def test_values_are_parsed(tmp_path):
    env = {"KGQA_API_MAX_BODY": "1024", "KGQA_API_RATE": "0", "KGQA_API_CORS_ORIGINS": "https://a.org, https://b.org",
           "KGQA_API_WARMUP": "no", "KGQA_API_KEY_FILE": "/etc/kgqa/keys.json", "KGQA_API_TIMEOUT": "2.5"}
    cfg = ApiConfig.from_env(settings(tmp_path), environ=env)
    assert (cfg.max_body_bytes, cfg.rate_per_second, cfg.timeout_s) == (1024, 0.0, 2.5)
    assert cfg.cors_origins == ("https://a.org", "https://b.org") and cfg.warmup is False
    assert cfg.key_file == Path("/etc/kgqa/keys.json")


@pytest.mark.parametrize("env,message", [
    ({"KGQA_API_MAX_BODY": "big"}, "KGQA_API_MAX_BODY='big': expected a whole number"),
    ({"KGQA_API_THREADS": "0"}, "KGQA_API_THREADS='0': must be at least 1"),
    ({"KGQA_API_RATE": "-1"}, "KGQA_API_RATE='-1': must be at least 0"),
    ({"KGQA_API_WARMUP": "maybe"}, "KGQA_API_WARMUP='maybe'"),
])
def test_bad_values_name_the_variable(tmp_path, env, message):
    with pytest.raises(ConfigError) as info:
        ApiConfig.from_env(settings(tmp_path), environ=env)
    assert message in str(info.value)
