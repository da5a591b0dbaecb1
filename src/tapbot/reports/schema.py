"""Print the JSON schema of report.json.

    python -m tapbot.reports.schema > docs/report-schema.json
"""

from __future__ import annotations

import json
import sys

from tapbot.reports.model import report_schema


def main() -> None:
    sys.stdout.write(json.dumps(report_schema(), indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
