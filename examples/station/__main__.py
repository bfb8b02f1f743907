"""``python -m examples.station``: the station on http://127.0.0.1:5002 answering from debts.yaml.

Environment: ``DEBTS`` (a YAML file, default the one beside this module), ``ID_BROKER_PA``
(default 77777777777), ``ID_STATION`` (default 77777777777_01), ``PORT`` (default 5002).
"""

from __future__ import annotations

import os
from pathlib import Path

from examples.station.app import Ledger, create_app


def main() -> None:
    ledger = Ledger.load(os.environ.get("DEBTS") or Path(__file__).with_name("debts.yaml"))
    broker = os.environ.get("ID_BROKER_PA", "77777777777")
    station = os.environ.get("ID_STATION", f"{broker}_01")
    create_app(ledger, broker, station).run(host="127.0.0.1", port=int(os.environ.get("PORT", "5002")))


if __name__ == "__main__":
    main()
