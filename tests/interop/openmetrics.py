"""Parses an OpenMetrics exposition on stdin with prometheus_client's strict parser (which
requires `# EOF`, `_total` on counter samples and well-formed histograms) and prints one line
per family: its name, type and sample count. Exits non-zero with the parser's error."""
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families

try:
    for family in text_string_to_metric_families(sys.stdin.read()):
        print(family.name, family.type, len(family.samples))
except ValueError as error:
    print(f"not OpenMetrics: {error}", file=sys.stderr)
    sys.exit(1)
