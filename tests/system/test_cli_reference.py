"""What the command says about itself: its version (the same in the health answer and the
package), the scenario list as JSON, and every setting's environment variable in ``serve --help``."""

from __future__ import annotations

import json
import re
from importlib.metadata import version
from pathlib import Path

from click.testing import CliRunner

import simulator
from simulator.cli import main
from tests.conftest import ApiClient

CONFIG = Path(simulator.__file__).parent / "config.py"


def test_version_is_the_packages_and_the_health_answers(api: ApiClient) -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"pagopa-sandbox, version {simulator.__version__}\n"
    assert version("pagopa-sandbox") == simulator.__version__
    health = api.get("/_sandbox/v1/health")
    assert health.get_json() == {"status": "ok", "version": simulator.__version__}


def test_scenarios_list_json_is_what_the_api_lists(api: ApiClient) -> None:
    result = CliRunner().invoke(main, ["scenarios", "list", "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    served = api.get("/_sandbox/v1/scenarios").get_json()
    assert listed["scenarios"] == served["scenarios"]
    assert any(s["id"] == "card-declined" for s in listed["scenarios"])


def test_serve_help_names_every_variable_the_settings_read() -> None:
    """Every ``PAGOPA_SANDBOX_*`` name read in config.py is in the help, beside its option or in the
    list of settings without one."""
    source = CONFIG.read_text(encoding="utf-8")
    body = source[source.index("def from_env") :]
    names = set(re.findall(r'\(\s*"([A-Z_]+)",', body)) | set(re.findall(r'get\("([A-Z_]+)"\)', body))
    assert {"HOST", "PORT", "API_KEYS", "NOTIFY_RETRY_SCHEDULE"} <= names
    help_text = CliRunner().invoke(main, ["serve", "--help"], terminal_width=200).output
    flat = " ".join(help_text.split())
    missing = sorted(n for n in names if f"PAGOPA_SANDBOX_{n}" not in flat)
    assert missing == []
    for option in ("--host", "--port", "--data-dir", "--database-url", "--workers", "--demo", "--trainer"):
        line = next(line for line in help_text.splitlines() if line.strip().startswith(option))
        assert "env var: PAGOPA_SANDBOX_" in line, line
