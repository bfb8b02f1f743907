"""``python -m simulator.cli``: the same command as ``pagopa-sandbox``."""

from simulator.cli import main

main()
