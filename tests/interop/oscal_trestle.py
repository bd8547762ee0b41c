"""Loads an OSCAL assessment-results document with compliance-trestle, NIST OSCAL's Python
model (pydantic, every constraint of the OSCAL 1.1 schema), and prints what it read.

Usage: oscal_trestle.py FILE  -- exit 0 when trestle accepts it, 1 (with its errors) otherwise.
"""

import json
import pathlib
import sys

from trestle.oscal.assessment_results import AssessmentResults


def plain(value):
    """A model value as plain text: enums by value, constrained strings by their root."""
    value = getattr(value, "__root__", getattr(value, "root", value))
    return getattr(value, "value", str(value))


def main(path: str) -> int:
    try:
        results = AssessmentResults.oscal_read(pathlib.Path(path))
    except Exception as error:  # trestle raises pydantic's ValidationError and its own errors
        print(f"trestle refused {path}: {error}", file=sys.stderr)
        return 1
    result = results.results[0]
    states = {}
    for finding in result.findings or []:
        states[finding.target.target_id] = plain(finding.target.status.state)
    print(json.dumps({
        "uuid": str(results.uuid),
        "oscal_version": plain(results.metadata.oscal_version),
        "results": len(results.results),
        "observations": len(result.observations or []),
        "findings": states,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
